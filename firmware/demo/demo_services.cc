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

}  // namespace tandem::remote::demo
