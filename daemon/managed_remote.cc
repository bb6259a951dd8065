#include "tandem/daemon/managed_remote.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "tandem/daemon/inspect_json.h"
#include "tandem/host/printable.h"
#include "tandem/linux/core_state.h"
#include "tandem/remoteproc/crash.h"
#include "tandem/remoteproc/state.h"
#include "tandem/rsc/rpmsg_config.h"

namespace tandem::daemon {

using remoteproc::State;
using namespace std::chrono_literals;

namespace {

constexpr auto kSupervisePeriod = 50ms;
constexpr int kAttachEvery = 20;  // periods: a second

Error FromStatus(const tandem::Status& s, const std::string& context = {}) {
  if (s.ok()) return Error::Ok();
  std::string text = context.empty() ? s.message() : context + ": " + s.message();
  return Error{s.code(), std::move(text)};
}

std::string Hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

// Which bus a channel is on, in the log: bus 0 as before there were several,
// others as Linux's device name of the vdev ("virtio_rpmsg_bus virtio1").
std::string Bus(std::uint32_t vdev) {
  return vdev == 0 ? std::string() : " virtio" + std::to_string(vdev);
}

}  // namespace

Error VdevOf(const Json& request, std::uint32_t* vdev) {
  *vdev = 0;
  const auto it = request.find("vdev");
  if (it == request.end()) return Error::Ok();
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() >= host::Session::kMaxVdevs) {
    return Error{StatusCode::kInvalidArgument, "\"vdev\" must be an RPMsg vdev index from 0 to " +
                                                   std::to_string(host::Session::kMaxVdevs - 1)};
  }
  *vdev = it->get<std::uint32_t>();
  return Error::Ok();
}

std::string BaseName(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Json RemoteConfig::ToJson() const {
  return {{"name", name},
          {"firmware", firmware},
          {"recovery", recovery},
          {"coredump", coredump},
          {"buffer_size", buffer_size}};
}

RemoteConfig RemoteConfig::FromJson(const Json& j) {
  RemoteConfig c;
  if (!j.is_object()) return c;
  if (auto it = j.find("name"); it != j.end() && it->is_string()) c.name = *it;
  if (auto it = j.find("firmware"); it != j.end() && it->is_string()) c.firmware = *it;
  if (auto it = j.find("recovery"); it != j.end() && it->is_boolean()) c.recovery = *it;
  if (auto it = j.find("coredump"); it != j.end() && it->is_boolean()) c.coredump = *it;
  if (auto it = j.find("buffer_size"); it != j.end() && it->is_number_unsigned()) {
    const std::uint64_t size = *it;
    if (size == 0 || rsc::IsValidRpmsgBufferSize(size))
      c.buffer_size = static_cast<std::uint32_t>(size);
  }
  return c;
}

ManagedRemote::ManagedRemote(RemoteConfig config, const DaemonPaths& paths)
    : name_(config.name), paths_(paths), log_("remoteproc " + config.name) {
  hosted::MutexGuard lock(mutex_);
  config_ = std::move(config);
}

Error ManagedRemote::Create(RemoteConfig config, const DaemonPaths& paths,
                            std::unique_ptr<ManagedRemote>* out) {
  std::unique_ptr<ManagedRemote> r(new ManagedRemote(config, paths));
  host::SessionOptions o;
  o.name = config.name;
  o.runtime_dir = paths.runtime_dir;
  o.console_path = paths.runtime_dir + "/" + config.name + ".console";
  o.recovery = config.recovery;
  o.rpmsg_buffer_size = config.buffer_size;
  o.coredump = config.coredump ? host::CoredumpPolicy::kEnabled : host::CoredumpPolicy::kDisabled;
  o.launcher_path = paths.launcher;
  // The platform checks the machine (AnyCorePlatform::PrepareFor).
  o.expected_machine = 0;
  any_core::AnyCorePlatformOptions popts;
  popts.simulated = host::Session::LinuxOptionsFor(o);
  popts.qemu.name = config.name;
  popts.qemu.console_path = o.console_path;
  auto platform = any_core::AnyCorePlatform::Create(std::move(popts));
  if (!platform.ok()) return FromStatus(platform.status(), config.name);
  r->platform_ = platform->get();
  auto created = host::Session::Create(o, std::move(platform).value());
  if (!created.ok()) return FromStatus(created.status(), config.name);
  r->session_ = std::move(created).value();
  r->session_->SetEventCallback([p = r.get()](std::uint32_t v) { p->OnEvent(v); });
  r->supervisor_ = std::thread([p = r.get()] { p->Supervise(); });
  *out = std::move(r);
  return Error::Ok();
}

ManagedRemote::~ManagedRemote() {
  stopping_ = true;
  if (supervisor_.joinable()) supervisor_.join();
  // The callback points at us; the session may outlive this line by a bit.
  if (session_) session_->SetEventCallback(nullptr);
}

void ManagedRemote::OnEvent(std::uint32_t value) {
  {
    hosted::MutexGuard lock(event_mutex_);
    events_.push_back(value);
    while (events_.size() > kMaxQueuedEvents) {
      events_.pop_front();
      ++events_dropped_;
    }
  }
  event_cv_.NotifyAll();
}

Error ManagedRemote::Event(std::uint32_t value, int count, std::chrono::milliseconds wait,
                           Json* out) {
  hosted::MutexGuard ops(event_ops_mutex_);
  {
    hosted::MutexGuard lock(event_mutex_);
    events_.clear();  // what arrived before this command is not its reply
  }
  std::vector<double> rtts;
  int sent = 0, received = 0;
  std::uint32_t last = 0;
  for (int i = 0; i < std::max(count, 1); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (const tandem::Status s = session_->SendEvent(value); !s.ok()) {
      if (sent == 0) return FromStatus(s, "event");
      break;
    }
    ++sent;
    if (wait.count() <= 0) continue;
    hosted::MutexGuard lock(event_mutex_);
    const auto deadline = t0 + wait;
    while (events_.empty()) {
      if (!event_cv_.WaitUntil(event_mutex_, deadline) && events_.empty()) break;
    }
    if (events_.empty()) continue;  // lost: counted below
    last = events_.front();
    events_.pop_front();
    ++received;
    rtts.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(rtts.begin(), rtts.end());
  auto at = [&](std::size_t k) { return rtts.empty() ? 0.0 : rtts[std::min(rtts.size() - 1, k)]; };
  *out = {{"sent", sent}, {"received", received}, {"value", value}};
  if (received > 0) {
    (*out)["last"] = last;
    (*out)["rtt_us"] = {{"min", at(0)},
                        {"median", at(rtts.size() / 2)},
                        {"p99", at(rtts.size() * 99 / 100)},
                        {"max", at(rtts.size())}};
  }
  return Error::Ok();
}

RemoteConfig ManagedRemote::config() const {
  hosted::MutexGuard lock(mutex_);
  return config_;
}

void ManagedRemote::AttachIfRunning() {
  hosted::MutexGuard ops(ops_mutex_);
  const State state = session_->state();
  if (state != State::kOffline && state != State::kDetached) return;
  const RemoteConfig c = config();
  std::vector<std::byte> image;
  if (!c.firmware.empty()) {
    auto read = host::Session::ReadFile(c.firmware);
    if (read.ok()) image = std::move(read).value();
  }
  const bool have_image = !image.empty();
  const tandem::Status s = session_->Attach(std::move(image), c.firmware);
  if (s.ok()) {
    const pid_t pid = platform_->core_pid();
    log_.Add("attached to the running remote processor" +
             (pid > 0 ? " (core pid " + std::to_string(pid) + ")" : "") +
             (have_image ? "" : "; no firmware image: a crash will leave it crashed"));
    last_attach_error_.clear();
  } else if (s.code() != StatusCode::kNotFound && last_attach_error_ != s.message()) {
    last_attach_error_ = s.message();
    log_.Add(std::string("cannot attach to the running remote: ") + s.message());
  }
}

Error ManagedRemote::Boot(const std::string& firmware) {
  auto image = host::Session::ReadFile(firmware);
  if (!image.ok()) return FromStatus(image.status(), firmware);
  log_.Add("powering up " + name_);
  log_.Add("Booting fw image " + BaseName(firmware) + ", size " + std::to_string(image->size()));
  const tandem::Status s = session_->Boot(std::move(image).value(), firmware);
  if (!s.ok()) {
    std::string detail = session_->rproc().error_detail();
    const std::string why = std::string(s.message()) + (detail.empty() ? "" : " (" + detail + ")");
    log_.Add("Boot failed: " + why);
    return Error{s.code(), firmware + ": " + why};
  }
  log_.Add("remote processor " + name_ + " is now up, on " + platform_->core_description());
  return Error::Ok();
}

Error ManagedRemote::Start(const std::string& firmware) {
  hosted::MutexGuard ops(ops_mutex_);
  std::string path = firmware;
  if (path.empty()) path = config().firmware;
  if (path.empty()) {
    return Error{StatusCode::kFailedPrecondition,
                 "no firmware set for " + name_ + " (tandem firmware " + name_ + " FILE)"};
  }
  const State state = session_->state();
  if (state != State::kOffline) {
    return Error{StatusCode::kFailedPrecondition,
                 name_ + " is " + remoteproc::StateName(state) + ", not offline"};
  }
  if (Error e = Boot(path); !e.ok()) return e;
  user_detached_ = false;
  hosted::MutexGuard lock(mutex_);
  config_.firmware = path;
  return Error::Ok();
}

Error ManagedRemote::Stop() {
  hosted::MutexGuard ops(ops_mutex_);
  const State state = session_->state();
  if (state == State::kOffline || state == State::kDetached) {
    return Error{StatusCode::kFailedPrecondition, name_ + " is not running"};
  }
  const tandem::Status s = session_->Stop();
  const auto stop = session_->last_stop();
  log_.Add("stopped remote processor " + name_ +
           (stop.graceful ? " (shutdown acknowledged)" : " (no acknowledgement: forced reset)"));
  return FromStatus(s, "stop");
}

Error ManagedRemote::Detach() {
  hosted::MutexGuard ops(ops_mutex_);
  const tandem::Status s = session_->Detach();
  if (s.ok()) {
    user_detached_ = true;
    log_.Add("detached from " + name_ + ": it keeps running");
  } else {
    log_.Add(std::string("cannot detach: ") + s.message());
  }
  return FromStatus(s, "detach");
}

Error ManagedRemote::SetFirmware(const std::string& path) {
  auto image = host::Session::ReadFile(path);
  if (!image.ok()) return FromStatus(image.status(), path);
  hosted::MutexGuard lock(mutex_);
  config_.firmware = path;
  return Error::Ok();
}

Error ManagedRemote::SetRecovery(bool enabled) {
  session_->SetRecovery(enabled);
  hosted::MutexGuard lock(mutex_);
  config_.recovery = enabled;
  return Error::Ok();
}

Error ManagedRemote::SetCoredump(bool enabled) {
  session_->SetCoredump(enabled ? host::CoredumpPolicy::kEnabled : host::CoredumpPolicy::kDisabled);
  hosted::MutexGuard lock(mutex_);
  config_.coredump = enabled;
  return Error::Ok();
}

Error ManagedRemote::SetBufferSize(std::uint32_t size) {
  if (size != 0 && !rsc::IsValidRpmsgBufferSize(size)) {
    return Error{StatusCode::kInvalidArgument,
                 "buffer size " + std::to_string(size) +
                     ": auto, or a multiple of 8 from 32 to 65536 (bytes, header included)"};
  }
  session_->SetRpmsgBufferSize(size);
  hosted::MutexGuard lock(mutex_);
  config_.buffer_size = size;
  return Error::Ok();
}

Json ManagedRemote::Buffers(std::uint32_t vdev) const {
  const host::BufferInfo b = session_->buffers(vdev);
  const RemoteConfig c = config();
  return {{"buffer_size", b.size},
          {"buffers", b.count},
          {"mtu", b.mtu()},
          {"negotiated", b.negotiated},
          {"required", c.buffer_size == 0 ? Json("auto") : Json(c.buffer_size)}};
}

Error ManagedRemote::Recover() {
  hosted::MutexGuard ops(ops_mutex_);
  log_.Add("recovering " + name_);
  const tandem::Status s = session_->Recover();
  log_.Add(s.ok() ? "remote processor " + name_ + " is now up"
                  : std::string("recovery failed: ") + s.message());
  return FromStatus(s, "recover");
}

Error ManagedRemote::Crash() {
  return FromStatus(
      session_->ReportCrash(remoteproc::CrashReason::kFault, "crash injected (tandem crash)"),
      "crash");
}

Json ManagedRemote::Status() const {
  const RemoteConfig c = config();
  const State state = session_->state();
  Json j = {{"name", name_},
            {"state", remoteproc::StateName(state)},
            {"firmware", c.firmware},
            {"recovery", c.recovery ? "enabled" : "disabled"},
            {"coredump", c.coredump ? "enabled" : "disabled"},
            {"console", paths_.runtime_dir + "/" + name_ + ".console"},
            {"watchdog_ms", session_->options().watchdog.count()}};
  const auto crash = session_->last_crash();
  j["crashes"] = crash.count;
  if (crash.count > 0) {
    j["last_crash"] = {{"reason", remoteproc::CrashReasonName(crash.reason)},
                       {"detail", crash.detail}};
    const tandem::Status rec = session_->last_recovery();
    j["last_recovery"] = rec.ok() ? "ok" : rec.message();
  }
  if (state == State::kRunning || state == State::kAttached || state == State::kCrashed) {
    j["core"] = platform_->core_description();
    if (const pid_t pid = platform_->core_pid(); pid > 0) j["core_pid"] = pid;
  }
  const auto stop = session_->last_stop();
  j["last_stop"] = {{"graceful", stop.graceful},
                    {"from", remoteproc::StateName(stop.from)},
                    {"handshake", stop.handshake.ok() ? "ok" : stop.handshake.message()}};
  const tandem::Status link = session_->link_status();
  j["link"] =
      link.ok() ? "up" : (link.code() == StatusCode::kFailedPrecondition ? "down" : link.message());
  j["channels"] = Channels().size();
  j["events"] = session_->events_received();
  j["buffers"] = Buffers();
  // Each further RPMsg vdev is a bus of its own (docs/vdevs.md).
  const std::uint32_t vdevs = session_->vdev_count();
  j["vdevs"] = vdevs;
  if (vdevs > 1) {
    Json buses = Json::array();
    for (std::uint32_t v = 0; v < vdevs; ++v) {
      const tandem::Status l = session_->link_status(v);
      buses.push_back(
          {{"vdev", v},
           {"link",
            l.ok() ? "up" : (l.code() == StatusCode::kFailedPrecondition ? "down" : l.message())},
           {"buffers", Buffers(v)}});
    }
    j["buses"] = buses;
  }
  if (const auto pm = session_->last_postmortem()) {
    j["postmortem"] = {{"sequence", pm->sequence},
                       {"core", pm->core_status.ok() ? "kept" : pm->core_status.message()}};
  }
  return j;
}

std::vector<ManagedRemote::ChannelView> ManagedRemote::Channels() const {
  hosted::MutexGuard lock(mutex_);
  return channels_;
}

bool ManagedRemote::FindChannel(const std::string& name, std::uint32_t* remote,
                                std::uint32_t vdev) const {
  hosted::MutexGuard lock(mutex_);
  for (const ChannelView& c : channels_) {
    if (c.name == name && c.vdev == vdev) {
      *remote = c.remote;
      return true;
    }
  }
  return false;
}

std::uint32_t ManagedRemote::NextClientAddress() {
  constexpr std::uint32_t kRange = kLastClientAddress - kFirstClientAddress + 1;
  return kFirstClientAddress + next_client_address_.fetch_add(1) % kRange;
}

Error ManagedRemote::Trace(std::string* text) const {
  auto t = session_->Trace();
  if (!t.ok()) return FromStatus(t.status(), "trace");
  *text = std::move(t).value();
  return Error::Ok();
}

Error ManagedRemote::Coredump(const std::string& path) const {
  return FromStatus(session_->Coredump(path), "coredump");
}

Error ManagedRemote::PostMortemCore(const std::string& path) const {
  const auto pm = session_->last_postmortem();
  if (!pm) return Error{StatusCode::kNotFound, name_ + " has not crashed: no post-mortem"};
  if (!pm->core_status.ok()) {
    return Error{pm->core_status.code(), std::string("the post-mortem of crash ") +
                                             std::to_string(pm->sequence) +
                                             " has no core: " + pm->core_status.message()};
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Error{StatusCode::kInvalidArgument, path + ": " + std::strerror(errno)};
  const std::size_t n = std::fwrite(pm->core.data(), 1, pm->core.size(), f);
  const bool ok = std::fclose(f) == 0 && n == pm->core.size();
  if (!ok) return Error{StatusCode::kUnavailable, path + ": short write"};
  return Error::Ok();
}

Json ManagedRemote::PostMortemJson() const {
  const auto pm = session_->last_postmortem();
  if (!pm) return Json();
  const auto when = std::chrono::duration_cast<std::chrono::seconds>(pm->when.time_since_epoch());
  Json j = {{"sequence", pm->sequence},
            {"reason", remoteproc::CrashReasonName(pm->crash.reason)},
            {"detail", pm->crash.detail},
            {"time", when.count()},
            {"trace", host::Printable(pm->trace)},
            {"core_bytes", pm->core.size()},
            {"core", pm->core_status.ok() ? "kept" : pm->core_status.message()}};
  if (pm->exit) j["exit"] = pm->exit->text;
  return j;
}

Error ManagedRemote::Rings(Json* out, std::uint32_t vdev) const {
  auto report = session_->Rings(vdev);
  if (!report.ok()) return FromStatus(report.status(), "rings");
  *out = {{"rings", ToJson(*report)}, {"text", host::FormatRings(*report)}};
  return Error::Ok();
}

Error ManagedRemote::ResourceTable(Json* out) const {
  auto report = session_->ResourceTable();
  if (!report.ok()) return FromStatus(report.status(), "rsc");
  *out = {{"rsc", ToJson(*report)}, {"text", host::FormatResourceTable(*report)}};
  return Error::Ok();
}

// --- Supervisor --------------------------------------------------------------------

void ManagedRemote::NoteChannels() {
  rpmsg::HostBus::ChannelInfo infos[64];
  std::vector<ChannelView> now;
  for (std::uint32_t v = 0; v < host::Session::kMaxVdevs; ++v) {
    const std::size_t n = session_->bus(v).Channels(infos);
    for (std::size_t i = 0; i < n && i < 64; ++i) {
      now.push_back({infos[i].name, infos[i].remote, infos[i].local, infos[i].bound, v});
    }
  }
  const bool up = session_->link_status().ok();
  std::vector<ChannelView> before;
  {
    hosted::MutexGuard lock(mutex_);
    before = channels_;
  }
  auto same = [](const ChannelView& a, const ChannelView& b) {
    return a.name == b.name && a.remote == b.remote && a.vdev == b.vdev;
  };
  bool changed = up != link_up_ || now.size() != before.size();
  for (const ChannelView& c : now) {
    bool found = false;
    for (const ChannelView& b : before) found = found || same(c, b);
    if (!found) {
      log_.Add("virtio_rpmsg_bus" + Bus(c.vdev) + ": creating channel " + c.name + " addr " +
               Hex(c.remote));
      changed = true;
    }
  }
  for (const ChannelView& b : before) {
    bool found = false;
    for (const ChannelView& c : now) found = found || same(c, b);
    if (!found) {
      log_.Add("virtio_rpmsg_bus" + Bus(b.vdev) + ": destroying channel " + b.name + " addr " +
               Hex(b.remote));
      changed = true;
    }
  }
  if (up != link_up_) log_.Add(up ? "rpmsg link up" : "rpmsg link down");
  link_up_ = up;
  if (changed) {
    {
      hosted::MutexGuard lock(mutex_);
      channels_ = std::move(now);
    }
    generation_.fetch_add(1);
  }
}

void ManagedRemote::Supervise() {
  std::uint32_t seen = session_->last_crash().count;
  int tick = 0;
  while (!stopping_.load()) {
    if (++tick % kAttachEvery == 0 && !user_detached_.load()) {
      const State state = session_->state();
      if ((state == State::kOffline || state == State::kDetached) &&
          linux_platform::ReadCoreState(paths_.runtime_dir, name_).ok()) {
        AttachIfRunning();
      }
    }
    if (session_->WaitForCrashes(seen + 1, kSupervisePeriod)) {
      seen = session_->last_crash().count;
      const auto crash = session_->last_crash();
      log_.Add(std::string("crash detected in ") + name_ + ": " +
               remoteproc::CrashReasonName(crash.reason) + ": " + crash.detail);
      const State state = session_->state();
      if (state == State::kCrashed) {
        const tandem::Status rec = session_->last_recovery();
        log_.Add(config().recovery ? std::string("recovery failed: ") + rec.message()
                                   : "recovery disabled: " + name_ + " stays crashed");
      } else {
        log_.Add("recovered: remote processor " + name_ + " is now up");
      }
    }
    NoteChannels();
  }
}

}  // namespace tandem::daemon
