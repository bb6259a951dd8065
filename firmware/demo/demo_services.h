#pragma once
// The services of the demo image (firmware/demo), modelled on NXP's Linux
// <-> Zephyr RPMsg demo: the remote halves of Linux's rpmsg_client_sample
// and of a TTY, next to the echo channel (tandem/remote/echo_service.h).

#include <cstddef>
#include <cstdint>

#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/large_message.h"

namespace tandem::remote::demo {

// Copies `bytes` as text into out[0, capacity): printable ASCII is kept,
// anything else (NUL, newline, bytes >= 0x7F) becomes '.', and the result
// is NUL-terminated; a payload longer than capacity - 1 is cut. Returns the
// number of characters written. Text from the peer goes to the console and
// trace only through this.
std::size_t PrintableText(ConstByteSpan bytes, char* out, std::size_t capacity);

// "rpmsg-client-sample": Linux's samples/rpmsg/rpmsg_client_sample.c probes
// this channel, sends "hello world!" and then answers each message it
// receives until it has received 100 ("goodbye!"). This remote half logs
//   [Linux sample client] incoming msg N: <text>
// for the N-th message (from 1) and sends the same bytes back to the sender.
class SampleClientService final : public rpmsg::MessageHandler {
 public:
  static constexpr const char* kName = "rpmsg-client-sample";
  explicit SampleClientService(RemoteNode& node) : node_(node) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  std::uint32_t received() const { return received_; }

 private:
  RemoteNode& node_;
  std::uint32_t received_ = 0;
};

// "rpmsg-tty": echoes each message back prefixed "TTY 0x%04x: " with its
// own address, as the TTY responder of the NXP demo does ("TTY 0x0401:
// Hello Zephyr"). A reply that would exceed the MTU is cut at the MTU.
class TtyService final : public rpmsg::MessageHandler {
 public:
  static constexpr const char* kName = "rpmsg-tty";
  explicit TtyService(RemoteNode& node) : node_(node) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;

 private:
  RemoteNode& node_;
};

// "tandem-bench-sink": the remote end of `tandem bench`'s host -> remote
// streaming. Counts every message; a message whose first byte is kQuery
// is not counted but answered with 8 bytes: the little-endian number of
// messages counted since the previous query (then the count restarts).
class BenchSinkService final : public rpmsg::MessageHandler {
 public:
  static constexpr const char* kName = "tandem-bench-sink";
  static constexpr std::byte kQuery{'?'};
  explicit BenchSinkService(RemoteNode& node) : node_(node) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;

 private:
  RemoteNode& node_;
  std::uint64_t count_ = 0;
};

// "tandem-bench-source": the remote end of `tandem bench`'s remote -> host
// streaming. A request (BenchSourceRequest, little-endian) asks for `count`
// messages of `size` bytes, message i going to dst_base + i % dst_count
// (so the host can spread them over many endpoints), written in place
// (AcquireTx, zero-copy) or copied (SendTo). The messages are sent from
// the main loop (OnLoop, after the request's Poll() returned, so kicks are
// not deferred) with the node's reply timeout per buffer; then an 8-byte
// end marker goes back to the requester: the little-endian number sent.
// Everything in the request is checked: a bad one is answered with 0 sent,
// and so is one beyond kMaxPending requests waiting for the main loop.
struct BenchSourceRequest {
  std::uint32_t count;
  std::uint32_t size;
  std::uint32_t dst_base;
  std::uint32_t dst_count;
  std::uint32_t zero_copy;  // 0 or 1
};

class BenchSourceService final : public rpmsg::MessageHandler, public LoopHook {
 public:
  static constexpr const char* kName = "tandem-bench-source";
  explicit BenchSourceService(RemoteNode& node) : node_(node) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void OnLoop(RemoteNode& node) override;

 private:
  struct Pending {
    std::uint32_t requester;
    BenchSourceRequest request;
  };
  // Requests that came in one Poll(), served in order by OnLoop; one more
  // is answered at once with 0 sent.
  static constexpr std::size_t kMaxPending = 4;
  void Stream(RemoteNode& node, const Pending& pending);

  RemoteNode& node_;
  rpmsg::Endpoint* endpoint_ = nullptr;
  Pending pending_[kMaxPending] = {};
  std::size_t pending_count_ = 0;
};

// "tandem-large-echo": echoes every message whole, up to kMaxMessage bytes
// (docs/large_messages.md). On a link whose host accepted Tandem's
// large-message bit (11) messages come and go as fragments and are
// reassembled in a static kMaxMessage-byte space; on any other link (a
// Linux host) it is a plain echo of messages up to the MTU and never sends
// a fragment. A refused fragment or a dropped incomplete message is logged
// and counted (large().stats()); Tick() (the main loop) drops an incomplete
// message after rpmsg::kDefaultReassemblyTimeoutNs.
class LargeEchoService final : public rpmsg::MessageHandler,
                               private rpmsg::LargeMessageHandler,
                               private rpmsg::Clock {
 public:
  static constexpr const char* kName = "tandem-large-echo";
  static constexpr std::size_t kMaxMessage = 16384;
  explicit LargeEchoService(RemoteNode& node) : node_(node), large_(space_, *this, *this) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void Tick();
  const rpmsg::LargeEndpoint& large() const { return large_; }

 private:
  void OnLargeMessage(rpmsg::Endpoint& endpoint, std::uint32_t src, ConstByteSpan message) override;
  void OnLargeMessageError(rpmsg::Endpoint& endpoint, const Status& error) override;
  std::uint64_t NowNs() override { return node_.bsp().now_ns(node_.bsp().ctx); }
  void FollowLink();

  RemoteNode& node_;
  std::byte space_[kMaxMessage] = {};
  rpmsg::LargeEndpoint large_;
};

// "tandem-stream": a producer that honours flow control
// (docs/flow_control.md). A request of 4 bytes (little-endian count, 1 to
// kMaxCount) from an endpoint starts a stream of `count` 8-byte messages to
// it: little-endian sequence number (0..count-1), then count. A new request
// from the same address restarts its stream; at most kMaxStreams streams
// run at once (a request beyond them is answered with count 0 and seq
// 0xFFFFFFFF). The messages go from the main loop, kBurst per stream per
// iteration, so that a pause the host sends is seen within a burst; while
// the host has paused a stream's destination nothing is sent to it (and
// nothing is lost: the stream resumes where it stopped).
class StreamService final : public rpmsg::MessageHandler, public LoopHook {
 public:
  static constexpr const char* kName = "tandem-stream";
  static constexpr std::uint32_t kMaxCount = 10'000'000;
  static constexpr std::size_t kMaxStreams = 4;
  static constexpr std::uint32_t kBurst = 16;
  explicit StreamService(RemoteNode& node) : node_(node) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void OnLoop(RemoteNode& node) override;
  // Streams that found their destination paused, over the service's life.
  std::uint32_t paused_turns() const { return paused_turns_; }

 private:
  struct Stream {
    std::uint32_t dst = 0;
    std::uint32_t next = 0;
    std::uint32_t count = 0;  // 0: free
  };
  RemoteNode& node_;
  rpmsg::Endpoint* endpoint_ = nullptr;
  Stream streams_[kMaxStreams] = {};
  std::uint32_t paused_turns_ = 0;
};

}  // namespace tandem::remote::demo
