// FakeHostPlatform (fake_host_platform.h): the core thread, the event
// thread and the two mailbox queues between them and the host.
#include "tandem/testing/fake_host_platform.h"

#include <signal.h>

#include <utility>

#include "tandem/hosted/condvar_waiter.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/testing/test_firmware.h"
#include "tandem/vdev/remote_link.h"

namespace tandem::host::testing {

namespace mailbox = remoteproc::mailbox;
namespace fw = remoteproc::testing;
using remoteproc::testing::FakePlatform;

// One run of the remote core: a firmware main loop reduced to its link and
// an echo service. Lives on the core thread (made and destroyed around it).
class FakeHostPlatform::Core final : public vdev::RemoteLinkListener, public rpmsg::MessageHandler {
 public:
  explicit Core(FakeHostPlatform& platform) : platform_(platform) {}
  // A core that ends (crash or reset) says nothing more: the bus stops
  // silently before the endpoint goes, which would otherwise announce its
  // destruction to the host.
  ~Core() {
    if (link_) link_->Stop();
  }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // The firmware's boot: find its own table (the host loaded it there).
  Status Boot(FakePlatform& board, std::uint64_t table_da, std::size_t table_size) {
    vdev::RemoteLinkConfig config;
    std::byte* table = board.At(table_da, table_size);
    if (table == nullptr) return NotFound("fake core: no table in device memory");
    config.table.table = ByteSpan(table, table_size);
    TANDEM_TRY_ASSIGN(
        config.table.device_memory,
        shm::Region::Create(board.At(FakePlatform::kPoolBase, FakePlatform::kPoolSize),
                            FakePlatform::kPoolSize, FakePlatform::kPoolBase));
    config.table.image = vdev::DeviceRange{fw::kCodeDa, fw::kCodeLen};
    config.table.max_vring_num = fw::kVringNum;
    config.table.buffer_size = fw::kLinkBufferSize;
    config.send_timeout = rpmsg::Timeout::None();
    config.mailbox = &mailbox_;  // kLinkBroken to the host
    TANDEM_TRY_ASSIGN(vdev::RemoteLink link, vdev::RemoteLink::Open(config, bus_, *this));
    link_.emplace(std::move(link));
    return OkStatus();
  }

  // One main-loop iteration: the mailbox, the vdev status, the bus.
  void Step(const std::deque<std::uint32_t>& inbox, bool consuming) {
    if (!link_) return;
    for (const std::uint32_t message : inbox) {
      if (message == mailbox::kShutdown) {
        link_->Stop();
        platform_.PostToHost(mailbox::kShutdownAck);
      } else if (message == mailbox::kVdevReset) {
        link_->Reset();
        platform_.PostToHost(mailbox::kVdevResetAck);
      }
      // Kicks and kPendingMessage only say "look": the bus is polled below.
    }
    link_->Update();
    if (!consuming || !link_->running()) return;
    Status s;
    do {
      s = link_->Poll();
    } while (s.code() == StatusCode::kUnavailable);
  }

 private:
  // RemoteLinkListener: the service lives while the link runs.
  void OnLinkUp(const vdev::VdevLink&) override {
    rpmsg::EndpointConfig config;
    config.name = kEchoService;
    bus_.CreateEndpoint(endpoint_, config, *this).IgnoreError();  // announced
  }
  void OnLinkDown(vdev::LinkDownCause) override { bus_.DestroyEndpoint(endpoint_); }
  void OnLinkFailed(vdev::LinkFailure, const Status&) override {}

  // The echo service, replying from inside Poll().
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override {
    const ConstByteSpan in = message.payload();
    std::string text(reinterpret_cast<const char*>(in.data()), in.size());
    const std::string reply = kEchoPrefix + text;
    platform_.NoteEcho(std::move(text));
    const Status s = bus_.TrySendTo(endpoint, message.src(), AsBytes(reply.data(), reply.size()));
    if (!s.ok()) platform_.NoteDroppedReply();
  }

  // The core's doorbell: the bus's kicks and kLinkBroken.
  class Mailbox final : public rpmsg::Notifier {
   public:
    explicit Mailbox(FakeHostPlatform& platform) : platform_(platform) {}
    Status Notify(std::uint32_t message) override {
      platform_.PostToHost(message);
      return OkStatus();
    }

   private:
    FakeHostPlatform& platform_;
  };

  FakeHostPlatform& platform_;
  Mailbox mailbox_{platform_};
  rpmsg::NoLock lock_;  // one thread uses this bus
  hosted::CondvarWaiter waiter_;
  rpmsg::RemoteBusStorage<fw::kVringNum, 16> storage_;
  rpmsg::RemoteBus bus_{rpmsg::BusPlatform{mailbox_, lock_, waiter_}, storage_.memory()};
  std::optional<vdev::RemoteLink> link_;
  rpmsg::Endpoint endpoint_;
};

FakeHostPlatform::FakeHostPlatform(std::string name) : name_(std::move(name)) {}

FakeHostPlatform::~FakeHostPlatform() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  StopCore();
  StopEventThread();
}

CoreExit FakeHostPlatform::Segfault() {
  CoreExit exit;
  exit.reason = CoreExitReason::kSignaled;
  exit.signal = SIGSEGV;
  exit.text = "fake core: killed by signal SIGSEGV";
  return exit;
}

// --- remoteproc::Platform ---------------------------------------------------------

Result<shm::Region> FakeHostPlatform::MapMemory(const remoteproc::MemoryRequest& request) {
  return board_.MapMemory(request);
}

void FakeHostPlatform::ReleaseMemory() { board_.ReleaseMemory(); }

Status FakeHostPlatform::Start(std::uint64_t) {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (core_thread_.joinable()) return FailedPrecondition("fake: a core runs");
  // The firmware finds its table where the host put it (the link layout's
  // kTableDa unless the host said otherwise).
  const std::uint64_t table_da = loaded_table_ ? loaded_table_->da : fw::kTableDa;
  const std::size_t table_size =
      static_cast<std::size_t>(loaded_table_ ? loaded_table_->size : fw::LinkTable().size());
  auto core = std::make_unique<Core>(*this);
  TANDEM_TRY(core->Boot(board_, table_da, table_size));
  StopEventThread();  // the last run's, if it crashed and was not reset
  {
    std::lock_guard lock(host_mutex_);
    to_host_.clear();
    backlog_.clear();
    core_alive_ = true;
    core_ended_ = false;
    attached_ = true;
    ++boots_;
  }
  {
    std::lock_guard lock(core_mutex_);
    to_core_.clear();
    core_stop_ = false;  // consuming_ stays: a test hook's setting holds across runs
  }
  core_ = std::move(core);
  core_thread_ = std::thread([this, &run = *core_] { CoreLoop(run); });
  StartEventThread();
  return OkStatus();
}

Status FakeHostPlatform::Reset() {
  if (OnEventThread()) return FailedPrecondition("fake: Reset from the event thread");
  std::lock_guard lifecycle(lifecycle_mutex_);
  StopCore();
  {
    std::lock_guard lock(host_mutex_);
    if (core_alive_) {
      CoreExit exit;
      exit.reason = CoreExitReason::kReset;
      exit.text = "fake core: reset by the host";
      last_exit_ = exit;
    }
    core_alive_ = false;
    core_ended_ = false;  // a reset run is never reported as a crash
    attached_ = false;
  }
  host_cv_.notify_all();  // WaitForControl: kAborted
  StopEventThread();
  return OkStatus();
}

Status FakeHostPlatform::Send(std::uint32_t message) {
  std::lock_guard lock(host_mutex_);
  if (!attached_ || !core_alive_) return Aborted("fake: no core attached");
  if (!mailbox::IsControl(message) && message >= 64) return InvalidArgument("fake: bad notifyid");
  if (!mailbox::IsControl(message)) ++kicks_to_core_;
  {
    std::lock_guard core_lock(core_mutex_);
    to_core_.push_back(message);
  }
  core_cv_.notify_all();
  return OkStatus();
}

Status FakeHostPlatform::WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) {
  if (OnEventThread()) return FailedPrecondition("fake: WaitForControl from the event thread");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock lock(host_mutex_);
  for (;;) {
    for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
      if (*it == message) {
        backlog_.erase(it);
        return OkStatus();
      }
    }
    if (!core_alive_) return Aborted("fake: the core is gone");
    if (host_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      // One last look: the message may have come with the timeout.
      for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
        if (*it == message) {
          backlog_.erase(it);
          return OkStatus();
        }
      }
      return DeadlineExceeded("fake: no answer from the core");
    }
  }
}

Result<shm::Region> FakeHostPlatform::LoadedResourceTable() {
  {
    std::lock_guard lock(host_mutex_);
    if (!core_alive_) return NotFound("fake: no core runs");
  }
  board_.loaded_table = loaded_table_;
  return board_.LoadedResourceTable();
}

// --- HostPlatform -------------------------------------------------------------------

Status FakeHostPlatform::SetEventCallbacks(EventCallbacks callbacks) {
  if (event_thread_.joinable()) return FailedPrecondition("fake: the event thread runs");
  callbacks_ = std::move(callbacks);
  return OkStatus();
}

bool FakeHostPlatform::IsRunning() const {
  std::lock_guard lock(host_mutex_);
  return attached_ && core_alive_;
}

std::optional<CoreExit> FakeHostPlatform::last_exit() const {
  std::lock_guard lock(host_mutex_);
  return last_exit_;
}

Status FakeHostPlatform::SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) {
  loaded_table_ = FakePlatform::Mapping{device_address, size};
  return OkStatus();
}

Status FakeHostPlatform::Detach() {
  if (OnEventThread()) return FailedPrecondition("fake: Detach from the event thread");
  std::lock_guard lifecycle(lifecycle_mutex_);
  {
    std::lock_guard lock(host_mutex_);
    if (!attached_) return FailedPrecondition("fake: not attached");
    attached_ = false;  // from now on Send() refuses: the core is not ours
  }
  StopEventThread();
  return OkStatus();
}

Status FakeHostPlatform::AttachExisting(std::string_view name) {
  if (OnEventThread()) return FailedPrecondition("fake: AttachExisting from the event thread");
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (name != name_) return NotFound("fake: no core of that name");
  {
    std::lock_guard lock(host_mutex_);
    if (attached_) return FailedPrecondition("fake: already attached");
    if (!core_alive_) return NotFound("fake: the core is gone");
    attached_ = true;
  }
  StartEventThread();
  return OkStatus();
}

// --- Test hooks ---------------------------------------------------------------------

void FakeHostPlatform::Crash(CoreExit exit) {
  std::lock_guard lifecycle(lifecycle_mutex_);
  StopCore();  // it says nothing more: what it sent before is still queued
  {
    std::lock_guard lock(host_mutex_);
    if (!core_alive_) return;
    core_alive_ = false;
    core_ended_ = true;
    exit.when = std::chrono::steady_clock::now();
    last_exit_ = std::move(exit);
  }
  host_cv_.notify_all();
}

void FakeHostPlatform::SetConsuming(bool consuming) {
  {
    std::lock_guard lock(core_mutex_);
    consuming_ = consuming;
  }
  core_cv_.notify_all();
  // An iteration that read the old value ends before we return.
  std::lock_guard step(step_mutex_);
}

std::uint32_t FakeHostPlatform::boots() const {
  std::lock_guard lock(host_mutex_);
  return boots_;
}

bool FakeHostPlatform::core_running() const {
  std::lock_guard lock(host_mutex_);
  return core_alive_;
}

std::vector<std::string> FakeHostPlatform::echoed() const {
  std::lock_guard lock(echo_mutex_);
  return echoed_;
}

bool FakeHostPlatform::WaitForEchoed(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(echo_mutex_);
  return echo_cv_.wait_for(lock, timeout, [&] { return echoed_.size() >= count; });
}

std::uint32_t FakeHostPlatform::dropped_replies() const {
  std::lock_guard lock(echo_mutex_);
  return dropped_replies_;
}

std::uint64_t FakeHostPlatform::kicks_to_core() const {
  std::lock_guard lock(host_mutex_);
  return kicks_to_core_;
}

// --- Threads --------------------------------------------------------------------------

void FakeHostPlatform::CoreLoop(Core& core) {
  for (;;) {
    // One main-loop iteration, its wait included, under step_mutex_: a
    // SetConsuming that changed the flag waits until it is over.
    std::lock_guard step(step_mutex_);
    std::unique_lock lock(core_mutex_);
    core_cv_.wait_for(lock, kCoreSlice, [&] { return core_stop_ || !to_core_.empty(); });
    if (core_stop_) return;
    std::deque<std::uint32_t> inbox;
    inbox.swap(to_core_);
    const bool consuming = consuming_;
    // The core sends to the host (host_mutex_) while it runs: never under
    // core_mutex_, which Send() takes inside host_mutex_.
    lock.unlock();
    core.Step(inbox, consuming);
  }
}

void FakeHostPlatform::StopCore() {
  {
    std::lock_guard lock(core_mutex_);
    core_stop_ = true;
  }
  core_cv_.notify_all();
  if (core_thread_.joinable()) core_thread_.join();
  core_.reset();
}

void FakeHostPlatform::PostToHost(std::uint32_t message) {
  {
    std::lock_guard lock(host_mutex_);
    to_host_.push_back(message);
  }
  host_cv_.notify_all();
}

void FakeHostPlatform::NoteEcho(std::string text) {
  {
    std::lock_guard lock(echo_mutex_);
    echoed_.push_back(std::move(text));
  }
  echo_cv_.notify_all();
}

void FakeHostPlatform::NoteDroppedReply() {
  std::lock_guard lock(echo_mutex_);
  ++dropped_replies_;
}

void FakeHostPlatform::StartEventThread() {
  {
    std::lock_guard lock(host_mutex_);
    event_stop_ = false;
  }
  event_thread_ = std::thread([this] { EventLoop(); });
  // Known before Start/AttachExisting returns: the checks of the event
  // thread's own calls compare with it.
  event_thread_id_.store(event_thread_.get_id());
}

void FakeHostPlatform::StopEventThread() {
  {
    std::lock_guard lock(host_mutex_);
    event_stop_ = true;
  }
  host_cv_.notify_all();
  if (event_thread_.joinable()) event_thread_.join();
  event_thread_id_.store({});
}

void FakeHostPlatform::EventLoop() {
  std::unique_lock lock(host_mutex_);
  for (;;) {
    // As LinuxPlatform: the idle callback after kIdlePeriod without a message.
    if (!host_cv_.wait_for(lock, kIdlePeriod,
                           [&] { return event_stop_ || !to_host_.empty() || core_ended_; })) {
      lock.unlock();
      if (callbacks_.idle) callbacks_.idle();
      lock.lock();
      continue;
    }
    if (event_stop_) return;
    if (!to_host_.empty()) {
      const std::uint32_t message = to_host_.front();
      to_host_.pop_front();
      const bool control = mailbox::IsControl(message);
      if (control) {
        if (backlog_.size() == kControlBacklog) backlog_.pop_front();
        backlog_.push_back(message);
        host_cv_.notify_all();  // WaitForControl
      }
      lock.unlock();  // callbacks run with no lock of ours held
      if (control) {
        if (callbacks_.control) callbacks_.control(message);
      } else if (callbacks_.notify) {
        callbacks_.notify(message);
      }
      lock.lock();
      continue;
    }
    // The core died and everything it sent before was dispatched.
    core_ended_ = false;
    const CoreExit exit = *last_exit_;
    lock.unlock();
    if (callbacks_.crash) callbacks_.crash(exit);
    return;  // the run is over: Reset() joins us
  }
}

}  // namespace tandem::host::testing
