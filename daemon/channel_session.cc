#include "tandem/daemon/channel_session.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "tandem/client/protocol.h"
#include "tandem/remoteproc/state.h"

namespace tandem::daemon {

using client::Json;
using namespace std::chrono_literals;

namespace {
constexpr int kPollSliceMs = 100;  // how often stop and the link are looked at
constexpr std::size_t kDefaultMtu = 496;
constexpr auto kSendTimeout = std::chrono::seconds(15);  // Linux's rpmsg_send

Json ErrorReply(StatusCode code, const std::string& text) {
  return {{"ok", false}, {"code", StatusCodeName(code)}, {"error", text}};
}
}  // namespace

ChannelSession::ChannelSession(ManagedRemote& remote, int socket_fd)
    : remote_(remote), fd_(socket_fd), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ChannelSession::~ChannelSession() {
  if (created_) remote_.session().DestroyEndpoint(endpoint_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Error ChannelSession::Open(const Json& request, Json* reply) {
  if (wake_fd_ < 0) {
    *reply = ErrorReply(StatusCode::kResourceExhausted, "eventfd failed");
    return Error{StatusCode::kResourceExhausted, "eventfd"};
  }
  if (Error e = VdevOf(request, &vdev_); !e.ok()) {
    *reply = ErrorReply(e.code, e.message);
    return e;
  }
  std::uint32_t src = rpmsg::kAddrAny;
  if (auto it = request.find("src"); it != request.end() && it->is_number_unsigned()) {
    src = it->get<std::uint32_t>();
  }
  if (auto it = request.find("channel"); it != request.end() && it->is_string()) {
    channel_ = it->get<std::string>();
    long long wait_ms = 5000;
    if (auto w = request.find("wait_ms"); w != request.end() && w->is_number_integer()) {
      wait_ms = std::clamp<long long>(w->get<long long>(), 0, 60000);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (!remote_.FindChannel(channel_, &dst_, vdev_)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        const std::string on = vdev_ == 0 ? "" : " on vdev " + std::to_string(vdev_);
        const std::string text = "no channel " + channel_ + " announced by " + remote_.name() + on +
                                 " (tandem channels " + remote_.name() + ")";
        *reply = ErrorReply(StatusCode::kNotFound, text);
        return Error{StatusCode::kNotFound, text};
      }
      std::this_thread::sleep_for(10ms);
    }
  } else if (auto d = request.find("dst"); d != request.end() && d->is_number_unsigned()) {
    dst_ = d->get<std::uint32_t>();
  } else {
    *reply = ErrorReply(StatusCode::kInvalidArgument, "open needs a channel name or a dst address");
    return Error{StatusCode::kInvalidArgument, "open"};
  }
  if (auto f = request.find("flow"); f != request.end() && f->is_string()) {
    if (*f == "auto") {
      flow_auto_ = true;
    } else if (*f != "manual") {
      *reply = ErrorReply(StatusCode::kInvalidArgument, "flow must be \"auto\" or \"manual\"");
      return Error{StatusCode::kInvalidArgument, "open"};
    }
  }
  link_resets_ = remote_.session().link_resets();
  if (auto l = request.find("large"); l != request.end() && l->is_boolean() && l->get<bool>()) {
    large_space_.resize(kMaxLargeMessage);
    rpmsg::LargeMessageHandler& receiver = *this;
    rpmsg::Clock& clock = *this;
    large_ = std::make_unique<rpmsg::LargeEndpoint>(large_space_, receiver, clock);
    large_->SetNegotiated(remote_.session().buffers(vdev_).large_messages);
  }
  rpmsg::MessageHandler& handler = *this;
  rpmsg::EndpointConfig config;
  config.peer = dst_;
  tandem::Status s;
  if (src != rpmsg::kAddrAny) {
    config.addr = src;
    s = remote_.session().CreateEndpoint(endpoint_, config, handler, vdev_);
  } else {
    // Cyclic, not lowest-free: a reply the remote sends to a client that
    // just left must not reach the next client, which would otherwise get
    // the same address (docs/decisions.md).
    for (int tries = 0; tries < 64; ++tries) {
      config.addr = remote_.NextClientAddress();
      s = remote_.session().CreateEndpoint(endpoint_, config, handler, vdev_);
      if (s.code() != StatusCode::kAlreadyExists) break;
    }
  }
  if (!s.ok()) {
    *reply = ErrorReply(s.code(), std::string("cannot create the endpoint: ") + s.message());
    return Error{s.code(), s.message()};
  }
  created_ = true;
  const std::size_t mtu = remote_.session().bus(vdev_).mtu();
  *reply = {{"ok", true},
            {"src", endpoint_.address()},
            {"dst", dst_},
            {"mtu", mtu != 0 ? mtu : kDefaultMtu},
            {"channel", channel_},
            {"vdev", vdev_},
            {"flow_control", remote_.session().bus(vdev_).flow_control()},
            {"flow", flow_auto_.load() ? "auto" : "manual"}};
  if (large_ && large_->negotiated()) {
    (*reply)["large"] = true;
    (*reply)["max_message"] = kMaxLargeMessage;
  }
  return Error::Ok();
}

void ChannelSession::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  if (large_) {
    hosted::MutexGuard lock(large_mutex_);
    large_->OnMessage(endpoint, message);  // OnLargeMessage / OnLargeMessageError
    return;
  }
  Queue(message.payload());
}

void ChannelSession::OnLargeMessage(rpmsg::Endpoint&, std::uint32_t, ConstByteSpan message) {
  Queue(message);
}

void ChannelSession::OnLargeMessageError(rpmsg::Endpoint&, const Status&) {
  large_errors_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t ChannelSession::NowNs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

void ChannelSession::Queue(ConstByteSpan payload) {
  std::vector<std::byte> frame(payload.size() + 1);
  frame[0] = static_cast<std::byte>(client::kFrameMessage);
  if (!payload.empty()) std::memcpy(frame.data() + 1, payload.data(), payload.size());
  std::size_t queued = 0;
  {
    hosted::MutexGuard lock(mutex_);
    if (queue_.size() >= kMaxQueued || queued_bytes_ + frame.size() > kMaxQueuedBytes) {
      ++dropped_;
      return;
    }
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    queued = FillLocked();
  }
  // The automatic pause, here and now (docs/flow_control.md): a callback
  // may send; never blocking the event thread.
  // Decided and sent under flow_mutex_, so that a resume the connection
  // thread decides cannot overtake it on the wire and leave the remote
  // paused with nothing left to resume it. Only tried: the event thread
  // never waits for the connection thread; when it is busy, it decides.
  if (queued >= kPauseAt && flow_auto_.load() && !paused_by_client_.load() &&
      !auto_paused_.load()) {
    if (flow_mutex_.TryLock()) {
      if (!auto_paused_.load() && !paused_by_client_.load()) {
        auto_paused_.store(true);
        ++auto_pauses_;
        if (!remote_.session()
                 .bus(vdev_)
                 .SetIncomingFlow(endpoint_, true, rpmsg::Timeout::None())
                 .ok()) {
          pause_failed_.store(true);  // the connection thread sends it
        }
      }
      flow_mutex_.Unlock();
    } else {
      pause_wanted_.store(true);
    }
  }
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void ChannelSession::OnPeerFlow(rpmsg::Endpoint&, std::uint32_t, bool) {
  // Which address paused whom is read back on the connection thread, for
  // the destination it uses now (dst_ is the connection thread's).
  peer_flow_changed_.store(true);
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void ChannelSession::ReportPeerFlow() {
  if (!peer_flow_changed_.exchange(false)) return;
  auto paused = remote_.session().bus(vdev_).OutgoingPaused(endpoint_, dst_);
  const bool now = paused.ok() && *paused;
  if (now == peer_paused_) return;
  peer_paused_ = now;
  QueueFlowEvent({{"event", "flow"}, {"outgoing_paused", now}});
}

tandem::Status ChannelSession::SetIncomingFlow(bool pause, const std::atomic<bool>& stop) {
  // Like a send: a buffer may take a while; in slices, for the shutdown.
  const auto deadline = std::chrono::steady_clock::now() + kSendTimeout;
  tandem::Status s;
  do {
    s = remote_.session().bus(vdev_).SetIncomingFlow(endpoint_, pause,
                                                     rpmsg::Timeout::Milliseconds(kPollSliceMs));
  } while (s.code() == StatusCode::kDeadlineExceeded && !stop.load() &&
           std::chrono::steady_clock::now() < deadline);
  return s;
}

void ChannelSession::AutoFlow(const std::atomic<bool>& stop) {
  if (!up_) return;
  hosted::MutexGuard flow(flow_mutex_);
  if (pause_wanted_.exchange(false) && flow_auto_.load() && !auto_paused_.load() &&
      !paused_by_client_.load()) {
    std::size_t queued;
    {
      hosted::MutexGuard lock(mutex_);
      queued = FillLocked();
    }
    if (queued >= kPauseAt) {
      auto_paused_.store(true);
      ++auto_pauses_;
      pause_failed_.store(true);  // sent just below, blocking
    }
  }
  if (pause_failed_.exchange(false)) {
    const tandem::Status s = SetIncomingFlow(true, stop);
    if (!s.ok()) {
      auto_paused_.store(false);
      if (s.code() == StatusCode::kUnimplemented) flow_auto_.store(false);
      QueueFlowEvent({{"event", "flow"},
                      {"auto", true},
                      {"code", StatusCodeName(s.code())},
                      {"error", s.message()}});
      return;
    }
  }
  const std::uint64_t pauses = auto_pauses_.load();
  if (pauses != auto_pauses_reported_) {
    auto_pauses_reported_ = pauses;
    QueueFlowEvent(
        {{"event", "flow"}, {"auto", true}, {"incoming_paused", true}, {"auto_pauses", pauses}});
  }
  if (!auto_paused_.load() || paused_by_client_.load()) return;
  std::size_t queued;
  {
    hosted::MutexGuard lock(mutex_);
    queued = FillLocked();
  }
  if (queued > kResumeAt) return;
  const tandem::Status s = SetIncomingFlow(false, stop);
  if (!s.ok()) {
    QueueFlowEvent({{"event", "flow"},
                    {"auto", true},
                    {"code", StatusCodeName(s.code())},
                    {"error", s.message()}});
    return;
  }
  auto_paused_.store(false);
  QueueFlowEvent({{"event", "flow"}, {"auto", true}, {"incoming_paused", false}});
}

void ChannelSession::HandleControl(const Json& request, const std::atomic<bool>& stop) {
  Json reply = {{"event", "flow"}, {"reply", true}};
  auto op = request.find("op");
  if (!request.is_object() || op == request.end() || *op != "flow") {
    reply["code"] = StatusCodeName(StatusCode::kInvalidArgument);
    reply["error"] = "unknown control request (op: flow)";
    QueueFlowEvent(reply);
    return;
  }
  rpmsg::Bus& bus = remote_.session().bus(vdev_);
  if (auto p = request.find("pause"); p != request.end()) {
    if (!p->is_boolean()) {
      reply["code"] = StatusCodeName(StatusCode::kInvalidArgument);
      reply["error"] = "pause must be true or false";
      QueueFlowEvent(reply);
      return;
    }
    hosted::MutexGuard flow(flow_mutex_);
    const bool pause = p->get<bool>();
    std::size_t queued;
    {
      hosted::MutexGuard lock(mutex_);
      queued = FillLocked();
    }
    if (!pause && paused_by_client_.load() && flow_auto_.load() && queued > kResumeAt) {
      // The client resumes while its queue here is still above kResumeAt:
      // resuming now would let a ring's worth of messages in on top of it
      // and could overflow the queue. The remote stays paused, now by the
      // daemon, which resumes it once the queue drained (AutoFlow).
      paused_by_client_.store(false);
      auto_paused_.store(true);
    } else {
      const tandem::Status s = SetIncomingFlow(pause, stop);
      if (!s.ok()) {
        reply["code"] = StatusCodeName(s.code());
        reply["error"] = s.message();
        QueueFlowEvent(reply);
        return;
      }
      paused_by_client_.store(pause);
      if (!pause) auto_paused_.store(false);  // resumed, whoever paused
    }
  }
  const bool supported = bus.flow_control();
  reply["supported"] = supported;
  auto in = bus.IncomingPaused(endpoint_);
  auto out = bus.OutgoingPaused(endpoint_, dst_);
  reply["incoming_paused"] = in.ok() && *in;
  reply["outgoing_paused"] = out.ok() && *out;
  reply["auto"] = flow_auto_.load();
  reply["auto_pauses"] = auto_pauses_.load();
  QueueFlowEvent(reply);
}

void ChannelSession::QueueFlowEvent(const Json& event) {
  const std::string text = event.dump();
  std::vector<std::byte> frame(text.size() + 1);
  frame[0] = static_cast<std::byte>(client::kFrameEvent);
  std::memcpy(frame.data() + 1, text.data(), text.size());
  if (flow_events_.size() == kMaxFlowEvents) flow_events_.pop_front();
  flow_events_.push_back(std::move(frame));
}

bool ChannelSession::SendEvent(const Json& event) {
  const std::string text = event.dump();
  std::vector<std::byte> frame(text.size() + 1);
  frame[0] = static_cast<std::byte>(client::kFrameEvent);
  std::memcpy(frame.data() + 1, text.data(), text.size());
  // Events are rare: wait for room (bounded) rather than lose one; a
  // client that reads nothing for 5 s misses the event.
  const Error e = client::SendPacket(fd_, frame.data(), frame.size(), std::chrono::seconds(5));
  return e.code != StatusCode::kUnavailable;
}

bool ChannelSession::Flush() {
  // In batches: between two, the connection thread looks at the queue's
  // fill level (AutoFlow), even while a fast client keeps the socket open.
  flush_more_ = false;
  for (std::size_t sent = 0;; ++sent) {
    if (sent == kFlushBatch) {
      flush_more_ = true;
      break;
    }
    if (pending_.empty() && !flow_events_.empty()) {
      pending_ = std::move(flow_events_.front());
      flow_events_.pop_front();
    }
    if (pending_.empty()) {
      hosted::MutexGuard lock(mutex_);
      if (queue_.empty()) break;
      pending_ = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= pending_.size();
    }
    const ssize_t n = ::send(fd_, pending_.data(), pending_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;  // full: POLLOUT later
    }
    pending_.clear();
  }
  std::uint64_t dropped;
  {
    hosted::MutexGuard lock(mutex_);
    dropped = dropped_;
  }
  if (dropped != dropped_reported_) {
    const std::uint64_t count = dropped - dropped_reported_;
    dropped_reported_ = dropped;
    QueueFlowEvent({{"event", "dropped"}, {"count", count}, {"total", dropped}});
  }
  return true;
}

void ChannelSession::HandleFrame(const std::vector<std::byte>& frame,
                                 const std::atomic<bool>& stop) {
  if (!frame.empty() && static_cast<std::uint8_t>(frame[0]) == client::kFrameControl) {
    const std::string text(reinterpret_cast<const char*>(frame.data() + 1), frame.size() - 1);
    HandleControl(Json::parse(text, nullptr, /*allow_exceptions=*/false), stop);
    return;
  }
  if (frame.empty() || static_cast<std::uint8_t>(frame[0]) != client::kFrameMessage) {
    SendEvent({{"event", "send_failed"},
               {"code", StatusCodeName(StatusCode::kInvalidArgument)},
               {"error", "unknown frame type"}});
    return;
  }
  const ConstByteSpan payload(frame.data() + 1, frame.size() - 1);
  // Linux waits up to 15 s for a buffer; we wait in slices so that the
  // daemon's shutdown is not held up by a remote that consumes nothing.
  const auto deadline = std::chrono::steady_clock::now() + kSendTimeout;
  tandem::Status s;
  do {
    // A large message that timed out half-sent is sent again whole: the
    // peer drops the incomplete one when the new first fragment comes.
    s = large_ ? large_->Send(endpoint_, dst_, payload, rpmsg::Timeout::Milliseconds(kPollSliceMs))
               : remote_.session().bus(vdev_).SendTo(endpoint_, dst_, payload,
                                                     rpmsg::Timeout::Milliseconds(kPollSliceMs));
  } while (s.code() == StatusCode::kDeadlineExceeded && !stop.load() &&
           std::chrono::steady_clock::now() < deadline);
  if (!s.ok()) {
    SendEvent(
        {{"event", "send_failed"}, {"code", StatusCodeName(s.code())}, {"error", s.message()}});
  }
}

// Looked at every slice: a reset counts even if the link is up again by
// now (a quick recovery), so the client always hears "down" before "up".
void ChannelSession::CheckLink() {
  const std::uint64_t resets = remote_.session().link_resets();
  if (resets != link_resets_) {
    link_resets_ = resets;
    if (up_) {
      up_ = false;
      SendEvent({{"event", "down"}, {"state", remoteproc::StateName(remote_.session().state())}});
    }
    // A new link starts with everything flowing (the bus forgets pauses).
    hosted::MutexGuard flow(flow_mutex_);
    auto_paused_.store(false);
    pause_failed_.store(false);
    pause_wanted_.store(false);
    paused_by_client_.store(false);
    peer_paused_ = false;
  }
  bool up = remote_.session().link_status(vdev_).ok();
  if (!channel_.empty()) {
    std::uint32_t dst = 0;
    up = up && remote_.FindChannel(channel_, &dst, vdev_);
    if (up) dst_ = dst;
  }
  if (up != up_) {
    up_ = up;
    if (up && large_) {
      // Another firmware may have come up: follow what this link negotiated.
      hosted::MutexGuard lock(large_mutex_);
      large_->SetNegotiated(remote_.session().buffers(vdev_).large_messages);
    }
    Json e = {{"event", up ? "up" : "down"}, {"dst", dst_}};
    if (!up) e["state"] = remoteproc::StateName(remote_.session().state());
    SendEvent(e);
  }
}

// The large session's tick (an incomplete message times out) and its
// errors, told to the client as "fragment_errors" events.
void ChannelSession::CheckLarge() {
  if (!large_) return;
  {
    hosted::MutexGuard lock(large_mutex_);
    large_->Expire();
  }
  const std::uint64_t errors = large_errors_.load(std::memory_order_relaxed);
  if (errors != large_errors_reported_) {
    const std::uint64_t count = errors - large_errors_reported_;
    large_errors_reported_ = errors;
    SendEvent({{"event", "fragment_errors"}, {"count", count}, {"total", errors}});
  }
}

void ChannelSession::Serve(const std::atomic<bool>& stop) {
  std::vector<std::byte> frame(client::kMaxPacket);
  while (!stop.load()) {
    const bool out = !pending_.empty() || !flow_events_.empty() || flush_more_;
    pollfd fds[2] = {{fd_, static_cast<short>(POLLIN | (out ? POLLOUT : 0)), 0},
                     {wake_fd_, POLLIN, 0}};
    const int r = ::poll(fds, 2, kPollSliceMs);
    if (r < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) {
      std::uint64_t v;
      (void)!::read(wake_fd_, &v, sizeof(v));
    }
    if (!Flush()) return;
    CheckLink();
    CheckLarge();
    ReportPeerFlow();
    AutoFlow(stop);
    if (!flow_events_.empty() && pending_.empty() && !Flush()) return;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(fd_, frame.data(), frame.size(), MSG_DONTWAIT);
      if (n == 0) return;  // the client closed; what it sent before was sent
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return;
      }
      HandleFrame(std::vector<std::byte>(frame.begin(), frame.begin() + n), stop);
    }
  }
}

}  // namespace tandem::daemon
