#pragma once
// ChannelSession: one client's RPMsg endpoint in the daemon, what a
// /dev/rpmsgN file is in Linux's rpmsg_char. The endpoint is the client's
// own (a dynamic local address), sending to the remote address of the
// channel it opened (followed across restarts) or to an explicit one.
//
// Messages from the remote are copied, on the event thread, into a bounded
// queue of this client's (kMaxQueued messages, kMaxQueuedBytes bytes): a client that reads slowly
// or not at all loses its own messages (counted, reported as a "dropped" event), never blocks the
// event thread, the remote or the other clients. The connection thread moves the queue to the
// socket without blocking and sends what the client writes (blocking up to the send timeout: that
// client waits, no one else).
//
// Flow control (docs/flow_control.md), when the remote negotiated it: the
// client may pause and resume the remote's sending to it (a kFrameControl
// request), hears when the remote pauses it (a "flow" event), and with
// "flow": "auto" in its open request the daemon pauses the remote itself
// when this client's queue reaches kPauseAt and resumes it at kResumeAt:
// the remote has at most one ring of messages in flight (256) after the
// pause, so a producer that honours it never overflows the queue.
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "tandem/base/thread_annotations.h"
#include "tandem/client/client.h"
#include "tandem/daemon/managed_remote.h"
#include "tandem/hosted/mutex.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/large_message.h"

namespace tandem::daemon {

// With "large": true in the open request (docs/large_messages.md), the
// endpoint opts in to messages larger than the MTU: if the link negotiated
// Tandem's large-message bit, what the client writes is fragmented
// (rpmsg::LargeEndpoint) and what arrives is reassembled in kMaxLargeMessage
// bytes of this session's own before it is queued whole; else the endpoint
// is a plain one and the reply says "large": false.
class ChannelSession final : private rpmsg::MessageHandler,
                             private rpmsg::LargeMessageHandler,
                             private rpmsg::Clock {
 public:
  static constexpr std::size_t kMaxQueued = 1024;
  // ... and at most this many bytes: 1024 large messages would be 64 MiB
  // per client. The queue's fill level (auto flow control) is the larger of
  // the two, in messages.
  static constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;
  // Reassembly space of a large session: what one client packet carries.
  static constexpr std::size_t kMaxLargeMessage = 64 * 1024;
  static constexpr std::size_t kPauseAt = kMaxQueued / 2;
  static constexpr std::size_t kResumeAt = kMaxQueued / 4;

  ChannelSession(ManagedRemote& remote, int socket_fd);
  ~ChannelSession();  // destroys the endpoint before the queue goes
  ChannelSession(const ChannelSession&) = delete;
  ChannelSession& operator=(const ChannelSession&) = delete;

  // Handles the "open" request: resolves the destination, creates the
  // endpoint, answers. Then Serve() until the client closes or `stop`.
  Error Open(const client::Json& request, client::Json* reply);
  void Serve(const std::atomic<bool>& stop);

 private:
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void OnLargeMessage(rpmsg::Endpoint& endpoint, std::uint32_t src, ConstByteSpan message) override;
  void OnLargeMessageError(rpmsg::Endpoint& endpoint, const Status& error) override;
  std::uint64_t NowNs() override;
  void Queue(ConstByteSpan payload);
  void OnPeerFlow(rpmsg::Endpoint& endpoint, std::uint32_t peer, bool paused) override;
  // Flow control on the connection thread: the client's request, the
  // automatic pause/resume, and telling the client what the remote did.
  void HandleControl(const client::Json& request, const std::atomic<bool>& stop);
  tandem::Status SetIncomingFlow(bool pause, const std::atomic<bool>& stop);
  void AutoFlow(const std::atomic<bool>& stop);
  void ReportPeerFlow();
  // Sends queued messages and pending events until the socket is full;
  // false when the client is gone.
  bool Flush();
  bool SendEvent(const client::Json& event);
  // Flow events go out in order with the messages, never blocking the
  // connection thread (which must keep watching the queue): at most
  // kMaxFlowEvents wait, the oldest goes first.
  void QueueFlowEvent(const client::Json& event);
  static constexpr std::size_t kMaxFlowEvents = 64;
  void HandleFrame(const std::vector<std::byte>& frame, const std::atomic<bool>& stop);
  void CheckLink();
  void CheckLarge();

  ManagedRemote& remote_;
  const int fd_;
  int wake_fd_ = -1;  // eventfd: a message was queued
  rpmsg::Endpoint endpoint_;
  bool created_ = false;
  std::string channel_;  // followed by name; empty: fixed dst_
  std::uint32_t dst_ = 0;
  std::uint32_t vdev_ = 0;         // the bus (docs/vdevs.md), set by Open()
  std::uint64_t link_resets_ = 0;  // Session::link_resets() last seen
  bool up_ = true;

  // A large session: the reassembly space and the layer. The layer's
  // receive side (OnMessage, Expire) runs under large_mutex_ (event thread,
  // and the connection thread's tick), its send side on the connection
  // thread only. Lock order: large_mutex_, then mutex_.
  std::vector<std::byte> large_space_;
  std::unique_ptr<rpmsg::LargeEndpoint> large_;
  hosted::Mutex large_mutex_;
  std::atomic<std::uint64_t> large_errors_{0};
  std::uint64_t large_errors_reported_ = 0;  // connection thread only

  hosted::Mutex mutex_;  // leaf; taken on the event thread
  std::deque<std::vector<std::byte>> queue_ TANDEM_GUARDED_BY(mutex_);
  std::size_t queued_bytes_ TANDEM_GUARDED_BY(mutex_) = 0;
  // How full queue_ is, in messages (see kMaxQueuedBytes).
  std::size_t FillLocked() const TANDEM_REQUIRES(mutex_) {
    const std::size_t by_bytes = queued_bytes_ * kMaxQueued / kMaxQueuedBytes;
    return queue_.size() > by_bytes ? queue_.size() : by_bytes;
  }
  std::uint64_t dropped_ TANDEM_GUARDED_BY(mutex_) = 0;
  std::uint64_t dropped_reported_ = 0;  // connection thread only
  std::vector<std::byte> pending_;      // a frame the socket had no room for

  // Flow control; connection thread unless atomic.
  // The automatic pause is decided on the event thread as the message that
  // reaches kPauseAt is queued (a non-blocking send), so the in-flight
  // bound holds however late the connection thread runs; the resume, and a
  // pause that found no buffer at once, are the connection thread's.
  std::atomic<bool> flow_auto_{false};     // "flow": "auto", and supported
  std::atomic<bool> auto_paused_{false};   // the automatic pause is on (or being sent)
  std::atomic<bool> pause_failed_{false};  // ... but found no buffer: send it blocking
  std::atomic<bool> pause_wanted_{false};  // the event thread found flow_mutex_ taken
  // Held while a pause or resume is decided and sent, so that they reach
  // the remote in the order auto_paused_ changed: the connection thread
  // locks it, the event thread only tries (it never waits for it).
  hosted::Mutex flow_mutex_;
  std::atomic<bool> paused_by_client_{false};  // the client paused: auto leaves it
  std::atomic<std::uint64_t> auto_pauses_{0};
  std::uint64_t auto_pauses_reported_ = 0;
  std::deque<std::vector<std::byte>> flow_events_;  // framed, waiting for the socket
  static constexpr std::size_t kFlushBatch = 64;
  bool flush_more_ = false;   // the last Flush() stopped after a batch
  bool peer_paused_ = false;  // the remote paused us, as last reported
  std::atomic<bool> peer_flow_changed_{false};
};

}  // namespace tandem::daemon
