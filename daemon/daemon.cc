#include "tandem/daemon/daemon.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "tandem/client/protocol.h"
#include "tandem/host/printable.h"
#include "tandem/linux/core_state.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/state.h"

namespace tandem::daemon {

namespace {

Json Ok(Json body = Json::object()) {
  body["ok"] = true;
  return body;
}

Json Fail(const Error& e) {
  return {{"ok", false}, {"code", StatusCodeName(e.code)}, {"error", e.message}};
}

Json Fail(StatusCode code, const std::string& text) { return Fail(Error{code, text}); }

constexpr std::size_t kMaxLogLinesPerReply = 300;

// A string field, or empty (absent or not a string).
std::string Str(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)) {}

Daemon::~Daemon() { Shutdown(); }

std::string Daemon::state_path() const { return options_.paths.runtime_dir + "/tandemd.json"; }

void Daemon::Restore() {
  std::ifstream in(state_path());
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  const Json saved = Json::parse(text.str(), nullptr, false);
  if (saved.is_discarded() || !saved.is_object()) {
    std::fprintf(stderr, "tandemd: %s is not JSON; starting without it\n", state_path().c_str());
    return;
  }
  const auto remotes = saved.find("remotes");
  if (remotes == saved.end() || !remotes->is_array()) return;
  for (const Json& r : *remotes) {
    RemoteConfig config = RemoteConfig::FromJson(r);
    if (!linux_platform::IsValidCoreName(config.name)) continue;
    std::unique_ptr<ManagedRemote> remote;
    if (Error e = ManagedRemote::Create(config, options_.paths, &remote); !e.ok()) {
      std::fprintf(stderr, "tandemd: %s: %s\n", config.name.c_str(), e.message.c_str());
      continue;
    }
    remote->AttachIfRunning();
    hosted::MutexGuard lock(mutex_);
    if (remotes_.count(config.name) != 0) continue;
    order_.push_back(remote.get());
    remotes_.emplace(config.name, std::move(remote));
  }
}

void Daemon::Save() {
  Json remotes = Json::array();
  {
    hosted::MutexGuard lock(mutex_);
    for (const ManagedRemote* remote : order_) remotes.push_back(remote->config().ToJson());
  }
  hosted::MutexGuard lock(save_mutex_);
  const std::string tmp = state_path() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << Json{{"version", 1}, {"remotes", remotes}}.dump(2) << "\n";
    if (!out) return;
  }
  std::rename(tmp.c_str(), state_path().c_str());
}

Error Daemon::Remote(const std::string& name, ManagedRemote** out) {
  if (!linux_platform::IsValidCoreName(name)) {
    return Error{StatusCode::kInvalidArgument,
                 "bad remote name '" + host::Printable(name) + "': 1..32 of [A-Za-z0-9_.-]"};
  }
  {
    hosted::MutexGuard lock(mutex_);
    if (auto it = remotes_.find(name); it != remotes_.end()) {
      *out = it->second.get();
      return Error::Ok();
    }
  }
  RemoteConfig config;
  config.name = name;
  std::unique_ptr<ManagedRemote> made;
  if (Error e = ManagedRemote::Create(config, options_.paths, &made); !e.ok()) return e;
  made->AttachIfRunning();
  hosted::MutexGuard lock(mutex_);
  auto [it, inserted] = remotes_.emplace(name, std::move(made));
  if (inserted) order_.push_back(it->second.get());
  *out = it->second.get();  // another thread may have won: its remote serves
  return Error::Ok();
}

std::vector<ManagedRemote*> Daemon::Remotes() const {
  hosted::MutexGuard lock(mutex_);
  return order_;
}

void Daemon::Shutdown() {
  std::map<std::string, std::unique_ptr<ManagedRemote>> remotes;
  {
    hosted::MutexGuard lock(mutex_);
    remotes.swap(remotes_);
    order_.clear();
  }
  for (auto& [name, remote] : remotes) {
    const auto state = remote->session().state();
    const bool runs = state == remoteproc::State::kRunning ||
                      state == remoteproc::State::kAttached || state == remoteproc::State::kCrashed;
    if (!runs) continue;
    if (options_.on_exit == ExitPolicy::kStop || state == remoteproc::State::kCrashed) {
      (void)remote->Stop();
    } else if (!remote->Detach().ok()) {
      (void)remote->Stop();  // a core that cannot run without us (QEMU)
    }
  }
  // ~ManagedRemote, then ~Session: detached remotes keep running.
}

Json Daemon::Handle(const Json& request) {
  if (!request.is_object()) return Fail(StatusCode::kInvalidArgument, "a request is a JSON object");
  const std::string op = Str(request, "op");
  if (op.empty()) return Fail(StatusCode::kInvalidArgument, "a request needs an \"op\"");
  // Known fields must have their type: a wrong one is an error, never a
  // silent default.
  for (const char* key : {"remote", "firmware", "value", "path", "channel"}) {
    if (auto it = request.find(key); it != request.end() && !it->is_string()) {
      return Fail(StatusCode::kInvalidArgument, std::string("\"") + key + "\" must be a string");
    }
  }
  for (const char* key : {"since", "src", "dst", "wait_ms", "event", "count"}) {
    if (auto it = request.find(key); it != request.end() && !it->is_number_unsigned()) {
      return Fail(StatusCode::kInvalidArgument,
                  std::string("\"") + key + "\" must be an unsigned integer");
    }
  }
  try {
    return Dispatch(op, request);
  } catch (const std::exception& e) {  // nlohmann type errors: a malformed request
    return Fail(StatusCode::kInvalidArgument, std::string("malformed request: ") + e.what());
  }
}

Json Daemon::Dispatch(const std::string& op, const Json& req) {
  if (op == "hello") {
    return Ok({{"version", client::kProtocolVersion},
               {"pid", static_cast<int>(::getpid())},
               {"runtime_dir", options_.paths.runtime_dir}});
  }
  if (op == "list") {
    std::vector<ManagedRemote*> all;
    {
      hosted::MutexGuard lock(mutex_);
      for (auto& [name, remote] : remotes_) all.push_back(remote.get());
    }
    Json list = Json::array();
    for (ManagedRemote* r : all) list.push_back(r->Status());
    return Ok({{"remotes", list}});
  }
  if (op == "shutdown") {
    exit_requested_ = true;
    return Ok();
  }

  const std::string name = req.contains("remote") ? Str(req, "remote") : "rproc0";
  ManagedRemote* remote = nullptr;
  if (Error e = Remote(name, &remote); !e.ok()) return Fail(e);

  auto done = [&](const Error& e, bool save) {
    if (save && e.ok()) Save();
    return e.ok() ? Ok({{"status", remote->Status()}}) : Fail(e);
  };

  if (op == "status") return Ok({{"status", remote->Status()}});
  if (op == "start") return done(remote->Start(Str(req, "firmware")), true);
  if (op == "stop") return done(remote->Stop(), false);
  if (op == "detach") return done(remote->Detach(), false);
  if (op == "crash") return done(remote->Crash(), false);
  if (op == "event") {
    if (!req.contains("event") ||
        req["event"].get<std::uint64_t>() > remoteproc::mailbox::kMaxEventValue) {
      return Fail(StatusCode::kInvalidArgument, "\"event\" needs a value from 0 to 0xffffff");
    }
    const std::uint64_t count =
        std::clamp<std::uint64_t>(req.value("count", std::uint64_t{1}), 1, 1000000);
    const std::uint64_t wait_ms =
        std::min<std::uint64_t>(req.value("wait_ms", std::uint64_t{1000}), 60000);
    Json result;
    if (Error e =
            remote->Event(static_cast<std::uint32_t>(req["event"].get<std::uint64_t>()),
                          static_cast<int>(count), std::chrono::milliseconds(wait_ms), &result);
        !e.ok()) {
      return Fail(e);
    }
    return Ok({{"event", result}});
  }
  if (op == "firmware") {
    const std::string path = Str(req, "firmware");
    if (path.empty()) return Ok({{"firmware", remote->config().firmware}});
    return done(remote->SetFirmware(path), true);
  }
  if (op == "recovery") {
    const std::string value = Str(req, "value");
    if (value.empty())
      return Ok({{"recovery", remote->config().recovery ? "enabled" : "disabled"}});
    if (value == "enabled" || value == "disabled") {
      return done(remote->SetRecovery(value == "enabled"), true);
    }
    if (value == "recover") return done(remote->Recover(), false);
    return Fail(StatusCode::kInvalidArgument, "recovery takes enabled, disabled or recover, not '" +
                                                  host::Printable(value) + "'");
  }
  if (op == "buffers") {  // docs/buffers.md
    const std::string value = Str(req, "value");
    if (value.empty()) return Ok({{"buffers", remote->Buffers()}});
    std::uint32_t size = 0;
    if (value != "auto") {
      if (value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos) {
        return Fail(StatusCode::kInvalidArgument,
                    "buffers takes auto or a size in bytes, not '" + host::Printable(value) + "'");
      }
      size = static_cast<std::uint32_t>(std::stoul(value));
    }
    return done(remote->SetBufferSize(size), true);
  }
  if (op == "coredump_policy") {
    const std::string value = Str(req, "value");
    if (value.empty())
      return Ok({{"coredump", remote->config().coredump ? "enabled" : "disabled"}});
    if (value == "enabled" || value == "disabled") {
      return done(remote->SetCoredump(value == "enabled"), true);
    }
    return Fail(StatusCode::kInvalidArgument,
                "coredump takes enabled or disabled, not '" + host::Printable(value) + "'");
  }
  if (op == "coredump") {
    const std::string path = Str(req, "path");
    if (path.empty() || path[0] != '/') {
      return Fail(StatusCode::kInvalidArgument, "coredump needs an absolute \"path\"");
    }
    const auto pm = req.find("postmortem");
    const bool postmortem = pm != req.end() && pm->is_boolean() && pm->get<bool>();
    if (Error e = postmortem ? remote->PostMortemCore(path) : remote->Coredump(path); !e.ok()) {
      return Fail(e);
    }
    return Ok({{"path", path}});
  }
  if (op == "postmortem") {
    Json pm = remote->PostMortemJson();
    if (pm.is_null()) return Fail(StatusCode::kNotFound, name + " has not crashed: no post-mortem");
    return Ok({{"postmortem", pm}});
  }
  if (op == "rings" || op == "rsc") {
    Json body;
    std::uint32_t vdev = 0;
    if (Error e = VdevOf(req, &vdev); !e.ok()) return Fail(e);
    if (Error e = op == "rings" ? remote->Rings(&body, vdev) : remote->ResourceTable(&body);
        !e.ok()) {
      return Fail(e);
    }
    return Ok(body);
  }
  if (op == "trace") {
    std::string text;
    if (Error e = remote->Trace(&text); !e.ok()) return Fail(e);
    return Ok({{"trace", host::Printable(text)}});
  }
  if (op == "log") {
    std::uint64_t since = 0;
    if (auto it = req.find("since"); it != req.end() && it->is_number_unsigned()) {
      since = it->get<std::uint64_t>();
    }
    Json lines = Json::array();
    for (const auto& l : remote->log().Since(since)) {
      if (lines.size() >= kMaxLogLinesPerReply) break;  // a packet's worth; ask again
      lines.push_back({{"seq", l.seq}, {"time", l.time}, {"text", l.text}});
    }
    return Ok({{"lines", lines}, {"last", remote->log().last_seq()}});
  }
  if (op == "channels") {
    Json list = Json::array();
    // Every channel of a bus has its link's mtu (docs/buffers.md); each
    // RPMsg vdev is a bus of its own (docs/vdevs.md).
    std::uint32_t mtu[host::Session::kMaxVdevs];
    for (std::uint32_t v = 0; v < host::Session::kMaxVdevs; ++v) {
      mtu[v] = remote->Buffers(v).value("mtu", 0u);
    }
    for (const auto& c : remote->Channels()) {
      list.push_back({{"name", c.name},
                      {"remote", c.remote},
                      {"bound", c.bound},
                      {"mtu", mtu[c.vdev]},
                      {"vdev", c.vdev}});
    }
    return Ok({{"channels", list}});
  }
  return Fail(StatusCode::kInvalidArgument, "unknown op '" + host::Printable(op) + "'");
}

}  // namespace tandem::daemon
