#include "tandem/client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "tandem/linux/core_state.h"

extern char** environ;

namespace tandem::client {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Error Fail(StatusCode code, std::string message) { return Error{code, std::move(message)}; }

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Waits for `events` on fd, at most `timeout`: 1 ready, 0 timeout, -1 error.
int WaitFd(int fd, short events, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r;
    return 1;
  }
}

std::string DirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// Where tandemd is: the option, $TANDEM_DAEMON, next to this program (an
// installed bin/), the build tree's tools/tandemd/, then PATH.
std::string FindDaemon(const ClientOptions& options) {
  if (!options.daemon_path.empty()) return options.daemon_path;
  if (const char* env = std::getenv("TANDEM_DAEMON"); env != nullptr && env[0] != '\0') return env;
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    const std::string dir = DirOf(self);
    for (const std::string& candidate :
         {dir + "/tandemd", dir + "/../tandemd/tandemd", dir + "/../../tools/tandemd/tandemd"}) {
      if (Executable(candidate)) return candidate;
    }
  }
  return "tandemd";  // PATH
}

// Runs `tandemd --runtime-dir DIR --background` and waits for it: the
// daemon's first process exits once the socket accepts (0), or with the
// reason on our stderr. Returns the daemon's pid from its pid file.
Error SpawnDaemon(const ClientOptions& options, const std::string& runtime_dir, pid_t* pid) {
  const std::string path = FindDaemon(options);
  std::vector<std::string> args = {path, "--runtime-dir", runtime_dir, "--background"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = 0;
  const int rc = path.find('/') == std::string::npos
                     ? ::posix_spawnp(&child, path.c_str(), nullptr, nullptr, argv.data(), environ)
                     : ::posix_spawn(&child, path.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    return Fail(StatusCode::kUnavailable,
                "cannot start the daemon " + path + ": " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Fail(StatusCode::kUnavailable, "the daemon " + path + " did not start (see above)");
  }
  std::ifstream in(runtime_dir + "/tandemd.pid");
  long value = 0;
  in >> value;
  *pid = static_cast<pid_t>(value);
  return Error::Ok();
}

Error ConnectOrSpawn(const ClientOptions& options, Packets* packets, std::string* socket_path,
                     pid_t* started) {
  const std::string dir =
      options.runtime_dir.empty() ? linux_platform::DefaultRuntimeDirectory() : options.runtime_dir;
  *socket_path = dir + "/" + kSocketName;
  Error e = Packets::Connect(*socket_path, packets);
  if (e.ok() || !options.spawn) return e;
  if (const Status s = linux_platform::EnsureRuntimeDirectory(dir); !s.ok()) {
    return Fail(StatusCode::kUnavailable, "runtime directory " + dir + ": " + s.message());
  }
  pid_t pid = 0;
  if (Error spawned = SpawnDaemon(options, dir, &pid); !spawned.ok()) return spawned;
  *started = pid;
  return Packets::Connect(*socket_path, packets);
}

}  // namespace

StatusCode StatusCodeFromName(const std::string& name) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    if (name == StatusCodeName(static_cast<StatusCode>(c))) return static_cast<StatusCode>(c);
  }
  return StatusCode::kInternal;
}

std::string SocketPath(const std::string& runtime_dir) {
  return (runtime_dir.empty() ? linux_platform::DefaultRuntimeDirectory() : runtime_dir) + "/" +
         kSocketName;
}

// --- Packets ----------------------------------------------------------------------

Packets::~Packets() {
  if (fd_ >= 0) ::close(fd_);
}
Packets::Packets(Packets&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
Packets& Packets::operator=(Packets&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Error Packets::Connect(const std::string& path, Packets* out) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Fail(StatusCode::kInvalidArgument, "socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(StatusCode::kUnavailable, Errno("socket"));
  Packets packets(fd);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Fail(StatusCode::kUnavailable,
                "cannot reach tandemd at " + path + ": " + std::strerror(errno));
  }
  *out = std::move(packets);
  return Error::Ok();
}

Error SendPacket(int fd, const void* data, std::size_t len, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (::send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) return Error::Ok();
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Fail(StatusCode::kUnavailable, "the other end went away (" + Errno("send") + ")");
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const int r = left.count() > 0 ? WaitFd(fd, POLLOUT, left) : 0;
    if (r == 0) return Fail(StatusCode::kDeadlineExceeded, "the other end does not read");
    if (r < 0) return Fail(StatusCode::kUnavailable, Errno("poll"));
  }
}

Error Packets::Send(const void* data, std::size_t len, milliseconds timeout) {
  if (len > kMaxPacket) return Fail(StatusCode::kInvalidArgument, "packet too large");
  Error e = SendPacket(fd_, data, len, timeout);
  if (e.code == StatusCode::kDeadlineExceeded) e.message = "the daemon does not read";
  if (e.code == StatusCode::kUnavailable) e.message = "the daemon went away (" + e.message + ")";
  return e;
}

Error Packets::Receive(std::vector<std::byte>* out, milliseconds timeout) {
  const int r = WaitFd(fd_, POLLIN, timeout);
  if (r == 0) return Fail(StatusCode::kDeadlineExceeded, "no answer in time");
  if (r < 0) return Fail(StatusCode::kUnavailable, Errno("poll"));
  out->resize(kMaxPacket);
  for (;;) {
    const ssize_t n = ::recv(fd_, out->data(), out->size(), MSG_DONTWAIT);
    if (n > 0) {
      out->resize(static_cast<std::size_t>(n));
      return Error::Ok();
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Fail(StatusCode::kDeadlineExceeded, "no answer in time");
    }
    // 0 is end of stream: a SEQPACKET peer never sends an empty packet here.
    out->clear();
    return Fail(StatusCode::kUnavailable, "the daemon closed the connection");
  }
}

// --- Client ---------------------------------------------------------------------------

namespace {
Error ParseReply(const std::vector<std::byte>& bytes, Json* reply) {
  const auto* begin = reinterpret_cast<const char*>(bytes.data());
  *reply = Json::parse(begin, begin + bytes.size(), nullptr, false);
  if (reply->is_discarded() || !reply->is_object()) {
    return Fail(StatusCode::kDataLoss, "the daemon sent a reply that is not JSON");
  }
  const auto ok = reply->find("ok");
  if (ok != reply->end() && ok->is_boolean() && ok->get<bool>()) return Error::Ok();
  const auto code = reply->find("code");
  const auto error = reply->find("error");
  return Fail(code != reply->end() && code->is_string()
                  ? StatusCodeFromName(code->get<std::string>())
                  : StatusCode::kInternal,
              error != reply->end() && error->is_string() ? error->get<std::string>()
                                                          : "the daemon refused");
}

Error SendJson(Packets& packets, const Json& request, milliseconds timeout) {
  const std::string text = request.dump();
  return packets.Send(text.data(), text.size(), timeout);
}
}  // namespace

Error Client::Connect(const ClientOptions& options, Client* out) {
  Client c;
  c.reply_timeout_ = options.reply_timeout;
  if (Error e = ConnectOrSpawn(options, &c.packets_, &c.socket_path_, &c.started_pid_); !e.ok()) {
    return e;
  }
  *out = std::move(c);
  return Error::Ok();
}

Error Client::Call(const Json& request, Json* reply) {
  Json request_v = request;
  request_v["v"] = kProtocolVersion;
  if (Error e = SendJson(packets_, request_v, reply_timeout_); !e.ok()) return e;
  std::vector<std::byte> bytes;
  if (Error e = packets_.Receive(&bytes, reply_timeout_); !e.ok()) return e;
  return ParseReply(bytes, reply);
}

// --- ChannelClient -----------------------------------------------------------------------

Error ChannelClient::Open(const ClientOptions& options, const ChannelSpec& spec,
                          ChannelClient* out) {
  Client control;
  if (Error e = Client::Connect(options, &control); !e.ok()) return e;
  Json request = {
      {"op", "open"}, {"remote", spec.remote}, {"wait_ms", spec.wait.count()}, {"src", spec.src}};
  if (spec.flow_auto) request["flow"] = "auto";
  if (!spec.channel.empty()) {
    request["channel"] = spec.channel;
  } else {
    request["dst"] = spec.dst;
  }
  if (spec.large) request["large"] = true;
  if (spec.vdev != 0) request["vdev"] = spec.vdev;
  Json reply;
  if (Error e = control.Call(request, &reply); !e.ok()) return e;
  ChannelClient c;
  c.packets_ = std::move(control.packets());
  c.src_ = reply.value("src", 0u);
  c.dst_ = reply.value("dst", 0u);
  c.mtu_ = reply.value("mtu", std::size_t{0});
  c.large_ = reply.value("large", false);
  c.max_message_ = reply.value("max_message", c.mtu_);
  c.large_refused_ = spec.large && !c.large_;
  c.name_ = reply.value("channel", std::string());
  c.flow_control_ = reply.value("flow_control", false);
  c.started_pid_ = control.started_pid();
  *out = std::move(c);
  return Error::Ok();
}

Error ChannelClient::Send(ConstByteSpan payload, milliseconds timeout) {
  if (large_ && payload.size() > max_message_) {
    return Fail(StatusCode::kInvalidArgument,
                "payload of " + std::to_string(payload.size()) +
                    " bytes is larger than a large message may be here (" +
                    std::to_string(max_message_) + " bytes)");
  }
  if (!large_ && payload.size() > mtu_) {
    return Fail(StatusCode::kInvalidArgument,
                "payload of " + std::to_string(payload.size()) + " bytes is larger than the MTU (" +
                    std::to_string(mtu_) + " bytes)" +
                    (large_refused_ ? ": the link did not negotiate large "
                                      "messages (docs/large_messages.md)"
                                    : ""));
  }
  std::vector<std::byte>& frame = scratch_;
  frame.resize(payload.size() + 1);
  frame[0] = static_cast<std::byte>(kFrameMessage);
  if (!payload.empty()) std::memcpy(frame.data() + 1, payload.data(), payload.size());
  return packets_.Send(frame.data(), frame.size(), timeout);
}

Error ChannelClient::Receive(Incoming* out, milliseconds timeout) {
  if (!stash_.empty()) {
    *out = std::move(stash_.front());
    stash_.pop_front();
    return Error::Ok();
  }
  return ReceiveFrame(out, timeout);
}

Error ChannelClient::Control(const Json& request, FlowState* state, milliseconds timeout) {
  const std::string text = request.dump();
  std::vector<std::byte> frame(text.size() + 1);
  frame[0] = static_cast<std::byte>(kFrameControl);
  std::memcpy(frame.data() + 1, text.data(), text.size());
  if (Error e = packets_.Send(frame.data(), frame.size(), timeout); !e.ok()) return e;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Fail(StatusCode::kDeadlineExceeded, "no flow-control answer");
    Incoming in;
    if (Error e = ReceiveFrame(&in, left); !e.ok()) return e;
    if (!in.is_event || in.event.value("event", "") != "flow" || !in.event.value("reply", false)) {
      stash_.push_back(std::move(in));  // for Receive(), in order
      continue;
    }
    if (in.event.contains("error")) {
      return Fail(StatusCodeFromName(in.event.value("code", "INTERNAL")),
                  in.event.value("error", std::string()));
    }
    if (state != nullptr) {
      state->supported = in.event.value("supported", false);
      state->incoming_paused = in.event.value("incoming_paused", false);
      state->outgoing_paused = in.event.value("outgoing_paused", false);
      state->automatic = in.event.value("auto", false);
      state->auto_pauses = in.event.value("auto_pauses", std::uint64_t{0});
    }
    return Error::Ok();
  }
}

Error ChannelClient::SetIncomingFlow(bool pause, FlowState* state, milliseconds timeout) {
  return Control({{"op", "flow"}, {"pause", pause}}, state, timeout);
}

Error ChannelClient::GetFlow(FlowState* state, milliseconds timeout) {
  return Control({{"op", "flow"}}, state, timeout);
}

Error ChannelClient::ReceiveFrame(Incoming* out, milliseconds timeout) {
  std::vector<std::byte> bytes;
  if (Error e = packets_.Receive(&bytes, timeout); !e.ok()) return e;
  if (bytes.empty()) return Fail(StatusCode::kDataLoss, "empty frame from the daemon");
  const auto type = static_cast<std::uint8_t>(bytes[0]);
  out->payload.assign(bytes.begin() + 1, bytes.end());
  out->is_event = type == kFrameEvent;
  out->event = Json();
  if (out->is_event) {
    const auto* begin = reinterpret_cast<const char*>(bytes.data() + 1);
    out->event = Json::parse(begin, begin + bytes.size() - 1, nullptr, false);
    if (out->event.is_discarded() || !out->event.is_object()) {
      return Fail(StatusCode::kDataLoss, "the daemon sent an event that is not JSON");
    }
  } else if (type != kFrameMessage) {
    return Fail(StatusCode::kDataLoss, "unknown frame type from the daemon");
  }
  return Error::Ok();
}

}  // namespace tandem::client
