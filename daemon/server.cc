#include "tandem/daemon/server.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "tandem/client/protocol.h"
#include "tandem/daemon/channel_session.h"

namespace tandem::daemon {

namespace {
constexpr int kPollSliceMs = 100;

bool SendJson(int fd, const Json& reply) {
  std::string text = reply.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > client::kMaxPacket) {
    text = Json{{"ok", false},
                {"code", StatusCodeName(StatusCode::kResourceExhausted)},
                {"error", "the reply is larger than a packet"}}
               .dump();
  }
  // A client that reads nothing for 10 s is dropped.
  return client::SendPacket(fd, text.data(), text.size(), std::chrono::seconds(10)).ok();
}
}  // namespace

Server::~Server() { Shutdown(); }

void Server::Shutdown() {
  Stop();
  std::list<Connection> connections;
  {
    hosted::MutexGuard lock(mutex_);
    connections.swap(connections_);
  }
  for (Connection& c : connections) {
    if (c.thread.joinable()) c.thread.join();
    ::close(c.fd);
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    listen_fd_ = -1;
  }
}

Error Server::Listen(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Error{StatusCode::kInvalidArgument, "socket path too long: " + path};
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  listen_fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    return Error{StatusCode::kUnavailable, std::string("socket: ") + std::strerror(errno)};
  ::unlink(path.c_str());  // stale: the daemon lock says no other daemon runs
  const mode_t old = ::umask(0177);
  const int rc = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (rc != 0 || ::listen(listen_fd_, 64) != 0) {
    return Error{StatusCode::kUnavailable,
                 "cannot listen on " + path + ": " + std::strerror(errno)};
  }
  path_ = path;
  return Error::Ok();
}

void Server::ReapFinished() {
  std::list<Connection> finished;
  {
    hosted::MutexGuard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done.load()) {
        auto next = std::next(it);
        finished.splice(finished.end(), connections_, it);
        it = next;
      } else {
        ++it;
      }
    }
  }
  for (Connection& c : finished) {
    c.thread.join();
    ::close(c.fd);
  }
}

void Server::Run() {
  while (!stop_.load() && !daemon_.exit_requested()) {
    pollfd p{listen_fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, kPollSliceMs);
    ReapFinished();
    if (r <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    hosted::MutexGuard lock(mutex_);
    if (connections_.size() >= kMaxConnections) {
      SendJson(fd, {{"ok", false},
                    {"code", StatusCodeName(StatusCode::kResourceExhausted)},
                    {"error", "tandemd serves " + std::to_string(kMaxConnections) +
                                  " connections at most; try again"}});
      ::close(fd);
      continue;
    }
    Connection& c = connections_.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c] {
      Serve(c);
      c.done = true;
    });
  }
  stop_ = true;
}

void Server::Serve(Connection& connection) {
  const int fd = connection.fd;
  std::vector<char> buffer(client::kMaxPacket + 1);
  while (!stop_.load()) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, kPollSliceMs);
    if (r < 0 && errno != EINTR) return;
    if (r <= 0) continue;
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;
    }
    if (static_cast<std::size_t>(n) > client::kMaxPacket) {
      if (!SendJson(fd, {{"ok", false},
                         {"code", StatusCodeName(StatusCode::kInvalidArgument)},
                         {"error", "request larger than " + std::to_string(client::kMaxPacket) +
                                       " bytes"}})) {
        return;
      }
      continue;
    }
    const Json request = Json::parse(buffer.data(), buffer.data() + n, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      if (!SendJson(fd, {{"ok", false},
                         {"code", StatusCodeName(StatusCode::kInvalidArgument)},
                         {"error", "a request is one JSON object"}})) {
        return;
      }
      continue;
    }
    if (const auto op = request.find("op"); op != request.end() && *op == "open") {
      const auto remote_name = request.contains("remote") && request["remote"].is_string()
                                   ? request["remote"].get<std::string>()
                                   : std::string("rproc0");
      ManagedRemote* remote = nullptr;
      if (Error e = daemon_.Remote(remote_name, &remote); !e.ok()) {
        if (!SendJson(fd,
                      {{"ok", false}, {"code", StatusCodeName(e.code)}, {"error", e.message}})) {
          return;
        }
        continue;
      }
      ChannelSession channel(*remote, fd);
      Json reply;
      const Error opened = channel.Open(request, &reply);
      if (!SendJson(fd, reply) || !opened.ok()) {
        if (opened.ok()) return;
        continue;  // a failed open leaves a control connection
      }
      channel.Serve(stop_);
      return;
    }
    if (!SendJson(fd, daemon_.Handle(request))) return;
  }
}

}  // namespace tandem::daemon
