#include "tandem/host/session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "snapshot_reads.h"
#include "tandem/base/assert.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/rpmsg/large_message.h"

namespace tandem::host {

using linux_platform::LinuxPlatformOptions;

namespace {

using remoteproc::CrashReason;
using remoteproc::State;

remoteproc::CrashReason ReasonOf(const CoreExit& exit) {
  switch (exit.reason) {
    case CoreExitReason::kSignaled: return CrashReason::kFault;
    case CoreExitReason::kWatchdog: return CrashReason::kWatchdog;
    case CoreExitReason::kProtocolError: return CrashReason::kLinkBroken;
    default: return CrashReason::kUnexpectedExit;
  }
}

// Memory as a coredump sink, refusing to grow past `limit` bytes.
class VectorWriter final : public remoteproc::CoredumpWriter {
 public:
  VectorWriter(std::vector<std::byte>& out, std::size_t limit) : out_(out), limit_(limit) {}
  Status Write(ConstByteSpan bytes) override {
    if (bytes.size() > limit_ - out_.size()) return ResourceExhausted(kPostMortemCoreTooLarge);
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return OkStatus();
  }

 private:
  std::vector<std::byte>& out_;
  std::size_t limit_;
};

// How long a crash's post-mortem waits for poll_mutex_ (a callback blocked
// in a send to the dead remote would hold it for the send timeout).
constexpr std::chrono::milliseconds kPostMortemPollWait{100};
// An explicit Coredump() waits for the poller as long as it takes.
constexpr std::chrono::milliseconds kWaitForPoller = std::chrono::milliseconds::max();

// A file on disk as a coredump sink.
class FileWriter final : public remoteproc::CoredumpWriter {
 public:
  explicit FileWriter(int fd) : fd_(fd) {}
  Status Write(ConstByteSpan bytes) override {
    const std::byte* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Unavailable("writing the coredump failed");
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    return OkStatus();
  }

 private:
  int fd_;
};

}  // namespace

// --- Session -----------------------------------------------------------------

Session::Session(SessionOptions options)
    : options_(std::move(options)), coredump_(options_.coredump) {}

LinuxPlatformOptions Session::LinuxOptionsFor(const SessionOptions& options) {
  LinuxPlatformOptions popts;
  popts.core.name = options.name;
  popts.core.watchdog_timeout = options.watchdog;
  popts.core.console_path = options.console_path;
  popts.core.die_with_host = options.die_with_host;
  popts.core.launcher_path = options.launcher_path;
  popts.core.host_spin = options.host_spin;
  popts.core.core_spin = options.core_spin;
  popts.runtime_dir = options.runtime_dir;
  return popts;
}

Result<std::unique_ptr<Session>> Session::Create(SessionOptions options) {
  TANDEM_TRY_ASSIGN(std::unique_ptr<LinuxPlatform> platform,
                    LinuxPlatform::Create(LinuxOptionsFor(options)));
  LinuxPlatform* linux_platform = platform.get();
  std::unique_ptr<Session> session(new Session(std::move(options)));
  session->linux_platform_ = linux_platform;
  TANDEM_TRY(session->Init(std::move(platform)));
  return session;
}

Result<std::unique_ptr<Session>> Session::Create(SessionOptions options,
                                                 std::unique_ptr<HostPlatform> platform) {
  if (platform == nullptr) return InvalidArgument("no platform");
  std::unique_ptr<Session> session(new Session(std::move(options)));
  TANDEM_TRY(session->Init(std::move(platform)));
  return session;
}

Status Session::Init(std::unique_ptr<HostPlatform> platform) {
  platform_ = std::move(platform);

  remoteproc::Options ropts;
  ropts.recovery = options_.recovery;
  ropts.shutdown_timeout_ms = static_cast<std::uint32_t>(options_.shutdown_timeout.count());
  ropts.expected_machine = options_.expected_machine;
  ropts.rpmsg_buffer_size = options_.rpmsg_buffer_size;
  rproc_ = std::make_unique<remoteproc::RemoteProc>(*platform_, ropts);
  vdev::HostLinkOptions lopts;
  lopts.send_timeout = options_.send_timeout;
  lopts.progress_limit_ns =
      static_cast<std::uint64_t>(std::chrono::nanoseconds(options_.progress_limit).count());
  // The doorbell sends any mailbox message: the link's kPendingMessage too.
  for (std::uint32_t i = 0; i < kMaxVdevs; ++i) {
    buses_[i] = std::make_unique<BusSlot>(doorbell_);
    lopts.vdev_index = i;
    buses_[i]->link.emplace(*rproc_, buses_[i]->bus, doorbell_, poll_lock_, lopts);
  }
  rproc_->set_vdev_listener(&vdev_relay_);
  rproc_->set_crash_listener(&crash_relay_);

  TANDEM_TRY(platform_->SetEventCallbacks({
      .notify = [this](std::uint32_t id) { OnNotify(id); },
      .control = [this](std::uint32_t m) { OnControl(m); },
      .crash = [this](const CoreExit& e) { OnCoreExit(e); },
      .idle = [this] { OnIdle(); },
  }));
  worker_ = std::thread([this] { WorkerLoop(); });
  return OkStatus();
}

Session::~Session() {
  {
    hosted::MutexGuard lock(events_mutex_);
    stopping_ = true;
  }
  events_cv_.NotifyAll();
  if (worker_.joinable()) worker_.join();
  {
    hosted::MutexGuard lock(control_mutex_);
    const State s = rproc_ ? rproc_->state() : State::kOffline;
    if (s == State::kRunning || s == State::kAttached || s == State::kCrashed ||
        s == State::kLoaded) {
      rproc_->Stop().IgnoreError();  // best effort: the platform resets anyway
    }
  }
  platform_.reset();  // ends the event thread before the bus goes away
}

Result<std::vector<std::byte>> Session::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open the firmware file");
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (chars.empty()) return InvalidArgument("the firmware file is empty");
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

void Session::UpdateSnapshot() {
  Snapshot snap{rproc_->state(), rproc_->last_crash(), rproc_->last_stop(),
                attached_recovery_ ? *attached_recovery_ : rproc_->last_recovery()};
  hosted::MutexGuard lock(snapshot_mutex_);
  snapshot_ = std::move(snap);
}

Status Session::RecordLoadedTable() {
  if (rproc_->resource_table() == nullptr) return OkStatus();
  return platform_->SetLoadedResourceTable(rproc_->loaded_table_da(),
                                           rproc_->cached_table().size());
}

Status Session::BootImage() {
  TANDEM_TRY(rproc_->Load(image_));
  // So that a later host can find the table and attach (state file).
  if (Status s = RecordLoadedTable(); !s.ok()) {
    rproc_->Stop().IgnoreError();
    return s;
  }
  return rproc_->Start();
}

Status Session::Boot(std::vector<std::byte> image, std::string firmware_path) {
  hosted::MutexGuard lock(control_mutex_);
  if (rproc_->state() != State::kOffline) {
    return FailedPrecondition("the remote is not offline");
  }
  TANDEM_TRY(platform_->PrepareFor(image));
  image_ = std::move(image);
  firmware_path_ = std::move(firmware_path);
  attached_ = false;
  attached_recovery_.reset();
  const Status s = BootImage();
  UpdateSnapshot();
  return s;
}

Status Session::Stop() {
  hosted::MutexGuard lock(control_mutex_);
  const Status s = rproc_->Stop();
  // Stopping always ends the core (issue #10): if RemoteProc refused or
  // failed, a core the platform still runs is reset regardless.
  if (!s.ok() && platform_->IsRunning()) platform_->Reset().IgnoreError();
  attached_ = false;
  UpdateSnapshot();
  return s;
}

Status Session::Attach(std::vector<std::byte> image, std::string firmware_path) {
  hosted::MutexGuard lock(control_mutex_);
  const State s = rproc_->state();
  if (s != State::kOffline && s != State::kDetached) {
    return FailedPrecondition("the session already manages a remote");
  }
  if (!platform_->IsRunning()) TANDEM_TRY(platform_->AttachExisting(options_.name));
  image_ = std::move(image);
  firmware_path_ = std::move(firmware_path);
  attached_recovery_.reset();
  Status st = rproc_->Attach();
  // The core file's class and machine: the image's (issue #11). An image
  // that does not describe the remote makes Attach fail, as Boot would.
  if (st.ok() && !image_.empty()) {
    st = rproc_->DescribeImage(image_);
    if (!st.ok()) rproc_->Detach().IgnoreError();
  }
  attached_ = st.ok();
  if (!st.ok()) {
    // Leave the remote running for another try; stop watching it.
    platform_->Detach().IgnoreError();
  }
  UpdateSnapshot();
  return st;
}

Status Session::Detach() {
  hosted::MutexGuard lock(control_mutex_);
  if (!platform_->SupportsDetach()) {
    return FailedPrecondition(
        "this core cannot run without its host (a QEMU board ends with it): stop it instead");
  }
  Status s = rproc_->Detach();
  if (s.ok()) s = platform_->Detach();
  UpdateSnapshot();
  return s;
}

// RemoteProc keeps no image for an attached remote (it never loaded one):
// recovering it is a stop (vdev reset, core reset, memory released) and a
// cold boot of the image the caller gave Attach.
Status Session::RecoverAttached() {
  rproc_->Stop().IgnoreError();  // crashed -> offline; the core is gone anyway
  attached_ = false;
  Status s = BootImage();
  attached_recovery_ = s;
  return s;
}

Status Session::Recover() {
  hosted::MutexGuard lock(control_mutex_);
  Status s;
  if (attached_ && !image_.empty() && rproc_->state() == State::kCrashed) {
    s = RecoverAttached();
  } else {
    s = rproc_->Recover();
    attached_recovery_.reset();
  }
  UpdateSnapshot();
  return s;
}

void Session::SetRecovery(bool enabled) {
  hosted::MutexGuard lock(control_mutex_);
  rproc_->set_recovery(enabled);
}

void Session::SetRpmsgBufferSize(std::uint32_t size) {
  hosted::MutexGuard lock(control_mutex_);
  options_.rpmsg_buffer_size = size;
  rproc_->set_rpmsg_buffer_size(size);
}

// The host accepts Tandem's large-message bit (docs/large_messages.md).
static_assert((remoteproc::kSupportedVdevFeatures & rpmsg::kFeatureLargeMessagesMask) != 0);

BufferInfo Session::buffers(std::uint32_t index) const {
  hosted::MutexGuard lock(control_mutex_);
  BufferInfo info;
  if (const remoteproc::VdevResources* vdev = rproc_->vdev(index)) {
    info.size = vdev->buffer_size;
    info.count = vdev->buffer_count;
    info.negotiated = vdev->buffer_size_negotiated();
    info.large_messages = vdev->large_messages();
  }
  return info;
}

Result<shm::Region> Session::Carveout(const char* name) const {
  hosted::MutexGuard lock(control_mutex_);
  const State s = rproc_->state();
  if (s == State::kOffline) return FailedPrecondition("no remote loaded");
  for (const remoteproc::MappedRegion& r : rproc_->mapped_regions()) {
    if (r.kind == remoteproc::MemoryKind::kCarveout && std::strcmp(r.name.c_str(), name) == 0) {
      return r.region;
    }
  }
  return NotFound("no carve-out of that name");
}

Status Session::ReportCrash(remoteproc::CrashReason reason, std::string detail) {
  const State s = state();
  if (s != State::kRunning && s != State::kAttached) {
    return FailedPrecondition("the remote is not running");
  }
  PostCrash(reason, std::move(detail));
  return OkStatus();
}

State Session::state() const {
  hosted::MutexGuard lock(snapshot_mutex_);
  return snapshot_.state;
}

remoteproc::CrashRecord Session::last_crash() const {
  hosted::MutexGuard lock(snapshot_mutex_);
  return snapshot_.last_crash;
}

remoteproc::StopReport Session::last_stop() const {
  hosted::MutexGuard lock(snapshot_mutex_);
  return snapshot_.last_stop;
}

Status Session::last_recovery() const {
  hosted::MutexGuard lock(snapshot_mutex_);
  return snapshot_.last_recovery;
}

std::optional<CoreExit> Session::last_core_exit() const { return platform_->last_exit(); }

bool Session::WaitForCrashes(std::uint32_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  hosted::MutexGuard lock(events_mutex_);
  while (crashes_handled_ < count) {
    if (!events_cv_.WaitUntil(events_mutex_, deadline)) return crashes_handled_ >= count;
  }
  return true;
}

std::optional<PostMortem> Session::last_postmortem() const {
  std::shared_ptr<const PostMortem> kept;
  {
    hosted::MutexGuard lock(postmortem_mutex_);
    kept = postmortem_;
  }
  if (kept == nullptr) return std::nullopt;
  return *kept;  // the copy of the core is made without the lock
}

Result<std::string> Session::Trace() const {
  hosted::MutexGuard lock(control_mutex_);
  return TraceLocked();
}

Result<std::string> Session::TraceLocked() const {
  std::string text(rproc_->trace_size() + 1, '\0');
  TANDEM_TRY_ASSIGN(std::size_t n, rproc_->ReadTrace(std::span<char>(text.data(), text.size())));
  text.resize(n);
  return text;
}

remoteproc::CoreNotes Session::NotesLocked() const {
  remoteproc::CoreNotes notes;
  notes.name = options_.name.c_str();
  notes.firmware = firmware_path_.c_str();
  // RemoteProc fills in the state and, when crashed, the crash record.
  if (rproc_->state() == State::kCrashed && crash_exit_ &&
      crash_exit_->reason == CoreExitReason::kSignaled) {
    notes.signal = crash_exit_->signal;
  }
  return notes;
}

bool Session::LockPollFor(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll_mutex_.TryLock()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

Status Session::DumpCore(remoteproc::CoredumpWriter& out,
                         std::chrono::milliseconds poll_wait) const {
  const remoteproc::CoreNotes notes = NotesLocked();
  // Our own bus must not write shared memory while we copy it out (the
  // remote may, and so may a sender filling a buffer: the dump is a
  // snapshot of a live system, as Linux's).
  if (poll_wait == kWaitForPoller) {
    hosted::MutexGuard poll(poll_mutex_);
    ScopedSnapshotReads snapshot;
    return rproc_->Coredump(out, notes);
  }
  if (LockPollFor(poll_wait)) {
    Status s;
    {
      ScopedSnapshotReads snapshot;
      s = rproc_->Coredump(out, notes);
    }
    poll_mutex_.Unlock();
    return s;
  }
  ScopedSnapshotReads snapshot;
  return rproc_->Coredump(out, notes);
}

Status Session::Coredump(const std::string& path) const {
  hosted::MutexGuard lock(control_mutex_);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return InvalidArgument("cannot create the coredump file");
  FileWriter writer(fd);
  Status s = DumpCore(writer, kWaitForPoller);
  ::close(fd);
  if (!s.ok()) ::unlink(path.c_str());
  return s;
}

Result<std::vector<std::byte>> Session::CoredumpBytes() const {
  hosted::MutexGuard lock(control_mutex_);
  TANDEM_TRY_ASSIGN(const std::uint64_t size, rproc_->CoredumpSize(NotesLocked()));
  std::vector<std::byte> bytes;
  if (size > bytes.max_size()) return ResourceExhausted("the core does not fit in memory");
  bytes.reserve(static_cast<std::size_t>(size));
  VectorWriter writer(bytes, bytes.max_size());
  TANDEM_TRY(DumpCore(writer, kWaitForPoller));
  return bytes;
}

void Session::CapturePostMortem() {
  auto pm = std::make_shared<PostMortem>();
  pm->crash = rproc_->last_crash();
  pm->sequence = pm->crash.count;
  pm->when = std::chrono::system_clock::now();
  pm->name = options_.name;
  pm->firmware = firmware_path_;
  // The exit that reported this crash; a crash reported otherwise (link
  // broken, say) may still be a core that is gone already.
  pm->exit = reporting_exit_;
  if (!pm->exit && !platform_->IsRunning()) {
    if (auto last = platform_->last_exit(); last && last->IsCrash()) pm->exit = std::move(last);
  }
  crash_exit_ = pm->exit;

  if (auto trace = TraceLocked(); trace.ok()) {
    pm->trace = std::move(trace).value();
  } else {
    pm->trace_status = trace.status();
  }

  if (coredump_.load() == CoredumpPolicy::kDisabled) {
    pm->core_status = FailedPrecondition(kCoredumpDisabled);
  } else if (auto size = rproc_->CoredumpSize(NotesLocked()); !size.ok()) {
    pm->core_status = size.status();
  } else if (*size > options_.max_postmortem_core) {
    pm->core_status = ResourceExhausted(kPostMortemCoreTooLarge);
  } else {
    pm->core.reserve(static_cast<std::size_t>(*size));
    VectorWriter writer(pm->core, options_.max_postmortem_core);
    pm->core_status = DumpCore(writer, kPostMortemPollWait);
    if (!pm->core_status.ok()) pm->core.clear();
  }

  hosted::MutexGuard lock(postmortem_mutex_);
  postmortem_ = std::move(pm);
}

Result<RingsReport> Session::Rings(std::uint32_t index) const {
  hosted::MutexGuard lock(control_mutex_);
  const remoteproc::VdevResources* vdev = rproc_->vdev(index);
  if (!vdev) return FailedPrecondition(remoteproc::error::kNoVdev);
  const rpmsg::HostBus& bus_ = buses_[index]->bus;
  RingsReport r;
  r.name = options_.name;
  r.vdev = index;
  r.state = remoteproc::StateName(rproc_->state());
  const Status link = bus_.status();
  r.link_up = link.ok();
  r.link_status = link.ok() ? "ok" : link.message();
  r.features = vdev->features;
  r.buffers_da = vdev->buffers_da;
  r.buffer_size = vdev->buffer_size;
  r.buffer_count = vdev->buffer_count;
  for (std::uint32_t i = 0; i < vdev->vring.size(); ++i) {
    r.vrings.push_back(DescribeVring(i, vdev->vring[i], bus_.queue_state(i)));
  }
  r.stats = bus_.stats();
  return r;
}

Result<ResourceTableReport> Session::ResourceTable() const {
  hosted::MutexGuard lock(control_mutex_);
  const rsc::ResourceTable* table = rproc_->resource_table();
  if (table == nullptr) return FailedPrecondition("no resource table is loaded");
  ResourceTableReport r = DescribeResourceTable(*table, rproc_->loaded_table_da());
  // Each RPMsg vdev RemoteProc drives, as the remote sees it now.
  std::uint32_t index = 0;
  for (ResourceEntryReport& e : r.entries) {
    if (!e.vdev || e.vdev->id != rsc::kVirtioIdRpmsg) continue;
    if (index >= rproc_->vdev_count()) break;
    if (auto live = rproc_->ReadVdevStatus(index); live.ok()) e.vdev->remote_status = *live;
    ++index;
  }
  return r;
}

// Driver (un)registration runs channel callbacks (OnBound/OnUnbound); taking
// poll_mutex_ keeps them on one thread at a time with those run by Poll().
Status Session::RegisterDriver(const char* name, rpmsg::ChannelHandler& handler,
                               std::uint32_t vdev) {
  if (vdev >= kMaxVdevs) return InvalidArgument(kNoSuchVdev);
  hosted::MutexGuard lock(poll_mutex_);
  return buses_[vdev]->bus.RegisterDriver(name, handler);
}

void Session::UnregisterDriver(rpmsg::ChannelHandler& handler) {
  hosted::MutexGuard lock(poll_mutex_);
  for (auto& slot : buses_) slot->bus.UnregisterDriver(handler);
}

Status Session::CreateEndpoint(rpmsg::Endpoint& endpoint, const rpmsg::EndpointConfig& config,
                               rpmsg::MessageHandler& handler, std::uint32_t vdev) {
  if (vdev >= kMaxVdevs) return InvalidArgument(kNoSuchVdev);
  hosted::MutexGuard lock(poll_mutex_);
  return buses_[vdev]->bus.CreateEndpoint(endpoint, config, handler);
}

void Session::DestroyEndpoint(rpmsg::Endpoint& endpoint) {
  hosted::MutexGuard lock(poll_mutex_);
  // Only the bus it was created on does anything (Bus::DestroyEndpoint).
  for (auto& slot : buses_) slot->bus.DestroyEndpoint(endpoint);
}

rpmsg::HostBus& Session::bus(std::uint32_t vdev) {
  TANDEM_ASSERT(vdev < kMaxVdevs);
  return buses_[vdev]->bus;
}

const rpmsg::HostBus& Session::bus(std::uint32_t vdev) const {
  TANDEM_ASSERT(vdev < kMaxVdevs);
  return buses_[vdev]->bus;
}

Status Session::link_status(std::uint32_t vdev) const {
  if (vdev >= kMaxVdevs) return InvalidArgument(kNoSuchVdev);
  return buses_[vdev]->bus.status();
}

std::uint32_t Session::vdev_count() const {
  hosted::MutexGuard lock(control_mutex_);
  return static_cast<std::uint32_t>(rproc_->vdev_count());
}

// --- Platform events (event thread) --------------------------------------------

void Session::OnNotify(std::uint32_t notifyid) {
  // Each link ignores what is not one of its vrings' notifyids.
  for (auto& slot : buses_) {
    if (const Status s = slot->link->OnNotify(notifyid); s.code() == StatusCode::kDataLoss) {
      ReportLinkBroken(s);
    }
  }
}

void Session::OnIdle() {
  // Nothing came for a while: look at the rings anyway. The remote kicks
  // only when the used_event it reads says so, and a corrupted one would
  // otherwise hold what it sent until some other kick (issue #10, hostile
  // test vring0_used_event_wild). A busy poller covers it already.
  (void)PollNow();
}

bool Session::PollNow() {
  if (!poll_mutex_.TryLock()) return false;
  bool any_up = false;
  Status broken;
  for (auto& slot : buses_) {
    const Status s = slot->link->PollLocked();
    if (s.Is(vdev::kHostLinkDown)) continue;
    any_up = true;
    if (s.code() == StatusCode::kDataLoss && broken.ok()) broken = s;
  }
  poll_mutex_.Unlock();
  if (!broken.ok()) ReportLinkBroken(broken);
  return any_up;
}

void Session::ReportLinkBroken(const Status& status) {
  // The remote broke the ring protocol: a crash of the remote (Linux treats
  // a BAD_RING as fatal for the virtqueue; we also recover the remote).
  PostCrash(CrashReason::kLinkBroken, std::string("RPMsg link broken: ") + status.message());
}

Status Session::SendEvent(std::uint32_t value) {
  if (value > remoteproc::mailbox::kMaxEventValue) {
    return InvalidArgument("an event value has 24 bits");
  }
  return platform_->Send(remoteproc::mailbox::MakeEvent(value));
}

void Session::SetEventCallback(EventCallback callback) {
  hosted::MutexGuard lock(event_callback_mutex_);
  event_callback_ = std::move(callback);
}

void Session::OnControl(std::uint32_t message) {
  if (remoteproc::mailbox::IsEvent(message)) {
    events_received_.fetch_add(1);
    hosted::MutexGuard lock(event_callback_mutex_);
    if (event_callback_) event_callback_(remoteproc::mailbox::EventValue(message));
    return;
  }
  if (message == remoteproc::mailbox::kCrash) {
    PostCrash(CrashReason::kRemoteReported, "the remote reported a crash (RP_MBOX_CRASH)");
    return;
  }
  // kLinkBroken: the remote found the ring protocol broken, stopped using the
  // rings and set DEVICE_NEEDS_RESET; the link reports it once per run.
  // The word does not say which vdev: the first link up and not reported
  // broken yet takes it, the remote is recovered as a whole either way.
  for (auto& slot : buses_) {
    if (const Status s = slot->link->OnControl(message); s.code() == StatusCode::kDataLoss) {
      PostCrash(CrashReason::kLinkBroken,
                "the remote reported the RPMsg link broken (kLinkBroken, DEVICE_NEEDS_RESET)");
      break;
    }
  }
}

namespace {

// How often the control worker checks the link (Session::CheckProgress).
std::chrono::milliseconds CheckPeriod(std::chrono::milliseconds progress_limit) {
  constexpr std::chrono::milliseconds kStatusPeriod{1000};
  if (progress_limit.count() == 0) return kStatusPeriod;
  return std::min(kStatusPeriod, std::max(std::chrono::milliseconds{1}, progress_limit / 4));
}

}  // namespace

void Session::CheckProgress() {
  if (!poll_mutex_.TryLock()) return;  // a busy poller is checked next period
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  const auto now_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(now).count());
  Status s;
  for (auto& slot : buses_) {
    s = slot->link->CheckProgressLocked(now_ns);
    if (!s.ok()) break;
  }
  poll_mutex_.Unlock();
  if (s.Is(vdev::kLinkStalled)) {
    PostCrash(CrashReason::kLinkBroken, std::string("RPMsg link stalled: ") + s.message());
  } else if (s.Is(vdev::kRemoteFoundLinkBroken)) {
    PostCrash(CrashReason::kLinkBroken,
              "the remote reported the RPMsg link broken (DEVICE_NEEDS_RESET)");
  }
}

void Session::OnCoreExit(const CoreExit& exit) {
  // A clean exit (code 0) is how the firmware ends after acknowledging a
  // shutdown; it may be seen after Stop() returned, even after the next
  // Boot(), where reporting it would "crash" the new run.
  if (!exit.IsCrash()) return;
  PostCrash(ReasonOf(exit), exit.text, exit);
}

void Session::PostCrash(CrashReason reason, std::string detail, std::optional<CoreExit> exit) {
  {
    hosted::MutexGuard lock(events_mutex_);
    crash_queue_.push_back({reason, std::move(detail), std::move(exit)});
  }
  events_cv_.NotifyAll();
}

void Session::WorkerLoop() {
  for (;;) {
    CrashEvent event;
    bool check_progress = false;
    {
      hosted::MutexGuard lock(events_mutex_);
      // Between crash events the worker checks the link: its progress, a
      // quarter of the limit apart, and the vdev status (DEVICE_NEEDS_RESET)
      // at least once a second.
      const auto deadline = std::chrono::steady_clock::now() + CheckPeriod(options_.progress_limit);
      while (!stopping_ && crash_queue_.empty()) {
        if (!events_cv_.WaitUntil(events_mutex_, deadline)) break;
      }
      if (stopping_) return;
      if (crash_queue_.empty()) {
        check_progress = true;
      } else {
        event = std::move(crash_queue_.front());
        crash_queue_.pop_front();
      }
    }
    if (check_progress) {
      CheckProgress();  // events_mutex_ is a leaf: never held with poll_mutex_
      continue;
    }
    {
      hosted::MutexGuard lock(control_mutex_);
      // ReportCrash ignores (and counts) reports that do not apply, e.g. a
      // second report for the same death, or one after a Stop(). The
      // post-mortem is taken inside, before recovery (CrashRelay).
      reporting_exit_ = std::move(event.exit);
      rproc_->ReportCrash(event.reason, event.detail.c_str());
      reporting_exit_.reset();
      // RemoteProc leaves a crashed attached remote crashed: it has no image.
      if (attached_ && !image_.empty() && rproc_->recovery() &&
          rproc_->state() == State::kCrashed) {
        RecoverAttached().IgnoreError();  // last_recovery() reports it
      }
      UpdateSnapshot();
    }
    NoteCrashHandled();
  }
}

void Session::NoteCrashHandled() {
  {
    hosted::MutexGuard lock(events_mutex_);
    ++crashes_handled_;
  }
  events_cv_.NotifyAll();
}

// --- ChannelPort -------------------------------------------------------------------

ChannelPort::ChannelPort(Session& session, std::string name, std::uint32_t vdev)
    : session_(session), name_(std::move(name)), vdev_(vdev) {
  hosted::MutexGuard lock(mutex_);
  queue_.resize(Session::kMaxBuffers);
}

ChannelPort::~ChannelPort() { session_.UnregisterDriver(*this); }

Status ChannelPort::Register() { return session_.RegisterDriver(name_.c_str(), *this, vdev_); }

void ChannelPort::OnBound(rpmsg::Channel& channel) {
  channel.SetHandler(*this).IgnoreError();  // a fresh channel always accepts it
  {
    hosted::MutexGuard lock(mutex_);
    channel_ = &channel;
    local_ = channel.local_address();
    remote_ = channel.remote_address();
    ++binds_;
  }
  cv_.NotifyAll();
}

void ChannelPort::OnUnbound(rpmsg::Channel&) {
  std::vector<rpmsg::RxBuffer> dropped;
  {
    hosted::MutexGuard lock(mutex_);
    channel_ = nullptr;
    local_ = rpmsg::kAddrAny;
    remote_ = rpmsg::kAddrAny;
    ++unbinds_;
    for (; count_ > 0; --count_, head_ = (head_ + 1) % queue_.size()) {
      dropped.push_back(std::move(queue_[head_]));
    }
    head_ = 0;
    cv_.NotifyAll();  // receivers return kAborted
    // The bus frees (or reuses) the Channel when we return: wait for the
    // Sends still using it. A vdev reset aborted the blocked ones already.
    while (senders_ > 0) cv_.Wait(mutex_);
  }
  // `dropped` goes back to the peer here, without our lock.
}

void ChannelPort::OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& message) {
  {
    hosted::MutexGuard lock(mutex_);
    if (channel_ == nullptr || count_ == queue_.size()) return;  // dropped: back to the peer
    queue_[(head_ + count_) % queue_.size()] = message.Hold();
    ++count_;
  }
  cv_.NotifyAll();
}

Result<rpmsg::Channel*> ChannelPort::WaitBound(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  hosted::MutexGuard lock(mutex_);
  while (channel_ == nullptr) {
    if (!cv_.WaitUntil(mutex_, deadline) && channel_ == nullptr) {
      return DeadlineExceeded("the channel was not announced in time");
    }
  }
  return channel_;
}

bool ChannelPort::bound() const {
  hosted::MutexGuard lock(mutex_);
  return channel_ != nullptr;
}
std::uint32_t ChannelPort::binds() const {
  hosted::MutexGuard lock(mutex_);
  return binds_;
}
std::uint32_t ChannelPort::unbinds() const {
  hosted::MutexGuard lock(mutex_);
  return unbinds_;
}
std::uint32_t ChannelPort::local_address() const {
  hosted::MutexGuard lock(mutex_);
  return local_;
}
std::uint32_t ChannelPort::remote_address() const {
  hosted::MutexGuard lock(mutex_);
  return remote_;
}

Status ChannelPort::Send(ConstByteSpan payload, rpmsg::Timeout timeout) {
  rpmsg::Channel* channel;
  {
    hosted::MutexGuard lock(mutex_);
    if (channel_ == nullptr) return FailedPrecondition("the channel is not bound");
    channel = channel_;
    ++senders_;  // OnUnbound waits for us: `channel` stays ours
  }
  const Status s = channel->Send(payload, timeout);
  {
    hosted::MutexGuard lock(mutex_);
    if (--senders_ == 0) cv_.NotifyAll();
  }
  return s;
}

Result<rpmsg::Received> ChannelPort::Receive(ByteSpan out, rpmsg::Timeout timeout) {
  rpmsg::RxBuffer message;
  {
    hosted::MutexGuard lock(mutex_);
    if (channel_ == nullptr) return FailedPrecondition("the channel is not bound");
    const std::uint32_t unbinds = unbinds_;
    const bool forever = timeout.is_forever();
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::nanoseconds(forever ? 0
                                         : static_cast<std::int64_t>(std::min<std::uint64_t>(
                                               timeout.ns(), std::uint64_t{1} << 62)));
    while (count_ == 0) {
      if (unbinds_ != unbinds) return Aborted("the channel was unbound while receiving");
      if (timeout.is_none()) return Unavailable("no message");
      if (forever) {
        cv_.Wait(mutex_);
      } else if (!cv_.WaitUntil(mutex_, deadline) && count_ == 0) {
        return DeadlineExceeded("no message in time");
      }
    }
    const std::size_t len = queue_[head_].payload().size();
    if (len > out.size()) return OutOfRange("the receive buffer is too small");
    message = std::move(queue_[head_]);
    head_ = (head_ + 1) % queue_.size();
    --count_;
  }
  const ConstByteSpan payload = message.payload();
  std::copy(payload.begin(), payload.end(), out.begin());
  return rpmsg::Received{payload.size(), message.src()};
}

}  // namespace tandem::host
