#include "demo_services.h"

#include <cstring>

#include "tandem/remote/print.h"

namespace tandem::remote::demo {

std::size_t PrintableText(ConstByteSpan bytes, char* out, std::size_t capacity) {
  if (capacity == 0) return 0;
  std::size_t n = 0;
  for (; n < bytes.size() && n + 1 < capacity; ++n) {
    const auto c = static_cast<unsigned char>(bytes[n]);
    out[n] = (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
  }
  out[n] = '\0';
  return n;
}

void SampleClientService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  ++received_;
  char text[160];
  PrintableText(message.payload(), text, sizeof(text));
  node_.Log("[Linux sample client] incoming msg %u: %s", static_cast<unsigned>(received_), text);
  if (const Status s = node_.Reply(endpoint, message, message.payload()); !s.ok()) {
    node_.Log("[Linux sample client] reply %u failed: %s", static_cast<unsigned>(received_),
              s.message());
  }
}

void TtyService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  // At most one buffer's payload (the link's mtu: 496 with Linux's 512-byte
  // buffers, 2032 in firmware/demo_2k; docs/buffers.md). Static: 2 KiB is
  // more than a small core's stack should give, and the main loop is the
  // only caller.
  static char reply[2048];
  const std::size_t mtu = node_.bus().mtu() < sizeof(reply) ? node_.bus().mtu() : sizeof(reply);
  std::size_t n =
      Format(reply, sizeof(reply), "TTY 0x%04x: ", static_cast<unsigned>(endpoint.address()));
  if (n > mtu) n = mtu;
  const ConstByteSpan payload = message.payload();
  const std::size_t copy = payload.size() < mtu - n ? payload.size() : mtu - n;
  if (copy > 0) std::memcpy(reply + n, payload.data(), copy);
  n += copy;
  if (const Status s = node_.Reply(endpoint, message,
                                   ConstByteSpan(reinterpret_cast<const std::byte*>(reply), n));
      !s.ok()) {
    node_.Log("TTY 0x%04x: reply failed: %s", static_cast<unsigned>(endpoint.address()),
              s.message());
  }
}

namespace {

std::uint32_t ReadLe32(ConstByteSpan bytes, std::size_t offset) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    v |= static_cast<std::uint32_t>(bytes[offset + i]) << (8 * i);
  }
  return v;
}

void WriteLe64(std::byte* out, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

}  // namespace

void BenchSinkService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  const ConstByteSpan payload = message.payload();
  if (payload.empty() || payload[0] != kQuery) {
    ++count_;
    return;
  }
  std::byte reply[8];
  WriteLe64(reply, count_);
  count_ = 0;
  if (const Status s = node_.Reply(endpoint, message, ConstByteSpan(reply, sizeof(reply)));
      !s.ok()) {
    node_.Log("bench sink: reply failed: %s", s.message());
  }
}

void BenchSourceService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  const ConstByteSpan payload = message.payload();
  BenchSourceRequest r = {};
  if (payload.size() >= sizeof(BenchSourceRequest)) {
    r = {ReadLe32(payload, 0), ReadLe32(payload, 4), ReadLe32(payload, 8), ReadLe32(payload, 12),
         ReadLe32(payload, 16)};
  }
  // Checked, as anything from the peer: a bad request sends nothing.
  if (r.size == 0 || r.size > node_.bus().mtu() || r.dst_count == 0 || r.zero_copy > 1 ||
      r.dst_base > 0xFFFFFFFFu - r.dst_count) {
    r.count = 0;
  }
  endpoint_ = &endpoint;
  if (pending_count_ == kMaxPending) {
    std::byte none[8] = {};
    if (const Status s = node_.Reply(endpoint, message, ConstByteSpan(none, sizeof(none)));
        !s.ok()) {
      node_.Log("bench source: refusal not sent: %s", s.message());
    }
    return;
  }
  pending_[pending_count_++] = {message.src(), r};
}

void BenchSourceService::OnLoop(RemoteNode& node) {
  if (endpoint_ == nullptr) return;
  for (std::size_t i = 0; i < pending_count_; ++i) Stream(node, pending_[i]);
  pending_count_ = 0;
}

void BenchSourceService::Stream(RemoteNode& node, const Pending& pending) {
  const BenchSourceRequest& request = pending.request;
  rpmsg::Bus& bus = node.bus();
  const rpmsg::Timeout timeout = rpmsg::Timeout::Milliseconds(500);
  std::uint32_t sent = 0;
  std::byte data[rpmsg::kDefaultBufferSize] = {};
  const std::size_t size = request.size < sizeof(data) ? request.size : sizeof(data);
  for (; sent < request.count; ++sent) {
    // Between buffers the main loop does not run: pet the watchdog here.
    if ((sent & 1023u) == 0) node.bsp().watchdog_pet(node.bsp().ctx);
    const std::uint32_t dst = request.dst_base + sent % request.dst_count;
    if (request.zero_copy != 0) {
      Result<rpmsg::TxBuffer> tx = bus.AcquireTx(*endpoint_, dst, timeout);
      if (!tx.ok()) break;
      tx->data()[0] = static_cast<std::byte>(sent);
      if (!tx->Send(size).ok()) break;
    } else {
      data[0] = static_cast<std::byte>(sent);
      if (!bus.SendTo(*endpoint_, dst, ConstByteSpan(data, size), timeout).ok()) break;
    }
  }
  std::byte end[8];
  WriteLe64(end, sent);
  if (const Status s =
          bus.SendTo(*endpoint_, pending.requester, ConstByteSpan(end, sizeof(end)), timeout);
      !s.ok()) {
    node.Log("bench source: end marker not sent: %s", s.message());
  }
}

void LargeEchoService::FollowLink() {
  const VdevLink* link = node_.link();
  large_.SetNegotiated(link != nullptr &&
                       (link->gfeatures & rpmsg::kFeatureLargeMessagesMask) != 0);
}

void LargeEchoService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  FollowLink();
  large_.OnMessage(endpoint, message);
}

void LargeEchoService::Tick() {
  FollowLink();
  large_.Expire();
}

void LargeEchoService::OnLargeMessage(rpmsg::Endpoint& endpoint, std::uint32_t src,
                                      ConstByteSpan message) {
  if (const Status s = large_.Send(endpoint, src, message, rpmsg::Timeout::Milliseconds(500));
      !s.ok()) {
    node_.Log("large echo: reply of %u bytes failed: %s", static_cast<unsigned>(message.size()),
              s.message());
  }
}

void LargeEchoService::OnLargeMessageError(rpmsg::Endpoint&, const Status& error) {
  node_.Log("large echo: fragment refused: %s", error.message());
}

namespace {
void WriteLe32(std::byte* out, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}
}  // namespace

void StreamService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  endpoint_ = &endpoint;
  const ConstByteSpan payload = message.payload();
  // Checked, as anything from the peer: a bad request starts nothing.
  const std::uint32_t count = payload.size() == 4 ? ReadLe32(payload, 0) : 0;
  if (count == 0 || count > kMaxCount) return;
  Stream* slot = nullptr;
  for (Stream& s : streams_) {
    if (s.count != 0 && s.dst == message.src()) slot = &s;  // restart
  }
  for (Stream& s : streams_) {
    if (slot == nullptr && s.count == 0) slot = &s;
  }
  if (slot == nullptr) {
    std::byte refusal[8];
    WriteLe32(refusal, 0xFFFFFFFFu);
    WriteLe32(refusal + 4, 0);
    if (const Status st = node_.Reply(endpoint, message, ConstByteSpan(refusal, sizeof(refusal)));
        !st.ok()) {
      node_.Log("stream: refusal not sent: %s", st.message());
    }
    return;
  }
  *slot = {message.src(), 0, count};
}

void StreamService::OnLoop(RemoteNode& node) {
  if (endpoint_ == nullptr) return;
  rpmsg::Bus& bus = node.bus();
  bool more = false;
  for (Stream& s : streams_) {
    if (s.count == 0) continue;
    for (std::uint32_t i = 0; i < kBurst && s.next < s.count; ++i) {
      // Only the main loop's Poll() changes the pause, and it does not run
      // in here: checked once per message, then a send that cannot meet a
      // pause. kUnimplemented (a host without flow control): just send.
      if (auto paused = bus.OutgoingPaused(*endpoint_, s.dst); paused.ok() && *paused) {
        ++paused_turns_;
        break;
      }
      std::byte msg[8];
      WriteLe32(msg, s.next);
      WriteLe32(msg + 4, s.count);
      const Status st = bus.SendTo(*endpoint_, s.dst, ConstByteSpan(msg, sizeof(msg)),
                                   rpmsg::Timeout::Milliseconds(100));
      if (!st.ok()) {
        // No buffer within the timeout, or the link went: try again on the
        // next iteration; a link that goes ends every stream.
        if (bus.status().ok()) break;
        s = {};
        break;
      }
      ++s.next;
    }
    if (s.next == s.count) {
      s = {};
    } else if (auto paused = bus.OutgoingPaused(*endpoint_, s.dst); !paused.ok() || !*paused) {
      more = true;
    }
  }
  if (more) node.LoopAgain();
}

}  // namespace tandem::remote::demo
