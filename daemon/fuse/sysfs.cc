#include "sysfs.h"

#include <errno.h>

#include <cstdio>

#include "tandem/remoteproc/crash.h"
#include "tandem/remoteproc/state.h"

namespace tandem::daemon::fuse {

using remoteproc::State;

namespace {

// sysfs_streq: the word, with one trailing newline allowed.
std::string_view Word(std::string_view data) {
  if (!data.empty() && data.back() == '\n') data.remove_suffix(1);
  return data;
}

std::string Hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x\n", v);
  return buf;
}

std::string Signed(std::uint32_t v) { return std::to_string(static_cast<int>(v)) + "\n"; }

bool Runs(State s) { return s == State::kRunning || s == State::kAttached; }

StatusCode CodeOf(const client::Json& reply) {
  const auto it = reply.find("code");
  const std::string name = it != reply.end() && it->is_string() ? it->get<std::string>() : "";
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    if (name == StatusCodeName(static_cast<StatusCode>(c))) return static_cast<StatusCode>(c);
  }
  return StatusCode::kInternal;
}

}  // namespace

int Sysfs::Request(ManagedRemote& remote, client::Json request) {
  request["remote"] = remote.name();
  const client::Json reply = daemon_.Handle(request);
  if (reply.value("ok", false)) return 0;
  return -ErrnoOf(CodeOf(reply));
}

int Sysfs::Read(const Node& node, std::string* out) const {
  if (node.attr == Attr::kEptName || node.attr == Attr::kEptSrc || node.attr == Attr::kEptDst) {
    const auto ept = rpmsg_.Endpoint(node.index);
    if (ept == nullptr) return -ENODEV;
    const EndpointInfo& info = ept->info();
    *out = node.attr == Attr::kEptName  ? info.name + "\n"
           : node.attr == Attr::kEptSrc ? Signed(info.src)
                                        : Signed(info.dst);
    return 0;
  }
  if (!node.device.empty()) {
    BusDevice d;
    if (!rpmsg_.FindBusDevice(node.device, &d)) return -ENODEV;
    switch (node.attr) {
      case Attr::kDevName: *out = d.name + "\n"; return 0;
      case Attr::kDevSrc: *out = Hex(d.src); return 0;
      case Attr::kDevDst: *out = Hex(d.dst); return 0;
      case Attr::kDevAnnounce: *out = d.announce ? "true\n" : "false\n"; return 0;
      case Attr::kDevModalias: *out = "rpmsg:" + d.name + "\n"; return 0;
      case Attr::kDevDriverOverride: {
        const std::string o = rpmsg_.DriverOverride(d.id);
        *out = (o.empty() ? "(null)" : o) + "\n";  // sysfs_emit of a NULL string
        return 0;
      }
      default: return -EINVAL;
    }
  }
  ManagedRemote* remote = rpmsg_.Remote(node.index);
  if (remote == nullptr) return -ENODEV;
  const RemoteConfig c = remote->config();
  switch (node.attr) {
    case Attr::kName:
    case Attr::kDebugName: *out = remote->name() + "\n"; return 0;
    case Attr::kState:
      *out = std::string(remoteproc::StateName(remote->session().state())) + "\n";
      return 0;
    case Attr::kFirmware: {
      std::string f = c.firmware;
      const std::string prefix = firmware_dir_ + "/";
      if (f.compare(0, prefix.size(), prefix) == 0) f = f.substr(prefix.size());
      *out = f + "\n";
      return 0;
    }
    case Attr::kRecovery:
    case Attr::kDebugRecovery: *out = c.recovery ? "enabled\n" : "disabled\n"; return 0;
    case Attr::kCoredump: *out = c.coredump ? "enabled\n" : "disabled\n"; return 0;
    case Attr::kTrace: {
      std::string text;
      if (Error e = remote->Trace(&text); !e.ok()) return -ErrnoOf(e.code);
      *out = std::move(text);
      return 0;
    }
    default: return -EACCES;  // crash: write-only
  }
}

int Sysfs::Write(const Node& node, std::string_view data) {
  if (data.size() >= kMaxWrite) return -EINVAL;
  if (node.attr == Attr::kDevDriverOverride) return rpmsg_.SetDriverOverride(node.device, data);
  ManagedRemote* remote = rpmsg_.Remote(node.index);
  if (remote == nullptr) return -ENODEV;
  switch (node.attr) {
    case Attr::kState: return WriteState(*remote, Word(data));
    case Attr::kFirmware: return WriteFirmware(*remote, data);
    case Attr::kRecovery:
    case Attr::kDebugRecovery: return WriteRecovery(*remote, Word(data));
    case Attr::kCoredump: return WriteCoredump(*remote, Word(data));
    case Attr::kCrash: return WriteCrash(*remote, Word(data));
    default: return -EACCES;
  }
}

int Sysfs::WriteState(ManagedRemote& remote, std::string_view word) {
  const State state = remote.session().state();
  if (word == "start") {
    if (Runs(state)) return -EBUSY;
    if (remote.config().firmware.empty()) return -ENOENT;  // no firmware to request
    return Request(remote, {{"op", "start"}});
  }
  if (word == "stop") {
    if (!Runs(state) && state != State::kCrashed) return -EINVAL;
    return Request(remote, {{"op", "stop"}});
  }
  if (word == "detach") {
    if (!Runs(state)) return -EINVAL;
    return Request(remote, {{"op", "detach"}});
  }
  return -EINVAL;  // "Unrecognised option"
}

int Sysfs::WriteFirmware(ManagedRemote& remote, std::string_view data) {
  if (remote.session().state() != State::kOffline) return -EBUSY;
  // rproc_set_firmware: the name ends at the first newline; empty: EINVAL.
  if (const auto nl = data.find('\n'); nl != std::string_view::npos) data = data.substr(0, nl);
  if (data.empty()) return -EINVAL;
  for (const char c : data) {
    if (c < ' ' || c > '~') return -EINVAL;
  }
  std::string path(data);
  if (path[0] != '/') path = firmware_dir_ + "/" + path;
  return Request(remote, {{"op", "firmware"}, {"firmware", path}});
}

int Sysfs::WriteRecovery(ManagedRemote& remote, std::string_view word) {
  const bool crashed = remote.session().state() == State::kCrashed;
  if (word == "enabled") {
    // "change the flag and begin the recovery process if needed"
    if (int e = Request(remote, {{"op", "recovery"}, {"value", "enabled"}}); e != 0) return e;
    return crashed ? Request(remote, {{"op", "recovery"}, {"value", "recover"}}) : 0;
  }
  if (word == "disabled") return Request(remote, {{"op", "recovery"}, {"value", "disabled"}});
  if (word == "recover") {
    // rproc_trigger_recovery does nothing unless the remote crashed.
    return crashed ? Request(remote, {{"op", "recovery"}, {"value", "recover"}}) : 0;
  }
  return -EINVAL;
}

int Sysfs::WriteCoredump(ManagedRemote& remote, std::string_view word) {
  if (remote.session().state() == State::kCrashed) return -EBUSY;
  if (word == "enabled" || word == "inline") {
    return Request(remote, {{"op", "coredump_policy"}, {"value", "enabled"}});
  }
  if (word == "disabled")
    return Request(remote, {{"op", "coredump_policy"}, {"value", "disabled"}});
  return -EINVAL;
}

int Sysfs::WriteCrash(ManagedRemote& remote, std::string_view word) {
  remoteproc::CrashReason reason;
  if (word == "mmu_fault" || word == "fatal_error") {
    reason = remoteproc::CrashReason::kFault;
  } else if (word == "watchdog") {
    reason = remoteproc::CrashReason::kWatchdog;
  } else {
    return -EINVAL;
  }
  const Status s = remote.session().ReportCrash(
      reason, "crash injected (debugfs crash " + std::string(word) + ")");
  return s.ok() ? 0 : -ErrnoOf(s.code());
}

}  // namespace tandem::daemon::fuse
