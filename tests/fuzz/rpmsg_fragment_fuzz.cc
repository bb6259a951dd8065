// The reassembler of messages larger than a buffer (rpmsg/large_message.h)
// parsing the peer's fragment headers. The first byte picks the reassembly
// space; the rest is a script of fragments, each: one control byte (bit 0:
// the sender, bits 1-7: time that passes before it, bit 7 also calls the
// tick), a 16-bit length, then that many bytes of fragment as the peer wrote
// it (headers are taken as they come, so every field is fuzzed). Nothing may
// be written outside the space (guard bytes, and ASan on the exact
// allocation), a complete message never exceeds the space or the total its
// first fragment announced, and the counters add up.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tandem/rpmsg/large_message.h"

using namespace tandem;
using namespace tandem::rpmsg;

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr std::size_t kCapacities[] = {0, 1, 13, 100, 484, 1000, 4096, 65536};
  const std::size_t capacity = kCapacities[data[0] % 8];
  constexpr std::size_t kGuard = 32;
  std::vector<std::byte> bytes(capacity + 2 * kGuard, std::byte{0x5A});
  Reassembler r(ByteSpan(bytes.data() + kGuard, capacity), /*timeout_ns=*/1000);
  std::size_t i = 1;
  std::uint64_t now = 1;
  std::uint32_t completed = 0;
  while (i + 3 <= size) {
    const std::uint8_t control = data[i];
    const std::size_t len = data[i + 1] | (data[i + 2] << 8);
    i += 3;
    const std::size_t n = len < size - i ? len : size - i;
    // The fragment in its own allocation: a read past it is an ASan report.
    std::vector<std::byte> fragment(n);
    if (n != 0) std::memcpy(fragment.data(), data + i, n);
    i += n;
    now += static_cast<std::uint64_t>(control >> 1) * 50;
    if ((control & 0x80) != 0) (void)r.Expire(now);
    auto res = r.Feed(0x400 + (control & 1), ConstByteSpan(fragment.data(), n), now);
    if (res.ok() && *res) {
      ++completed;
      Check(r.message().size() <= capacity);
      if (!r.message().empty()) {
        volatile std::byte sink = r.message()[r.message().size() - 1];
        (void)sink;
      }
    } else if (!res.ok()) {
      Check(!r.in_progress());
    }
    Check(r.received() <= capacity);
  }
  for (std::size_t g = 0; g < kGuard; ++g) {
    Check(bytes[g] == std::byte{0x5A});
    Check(bytes[bytes.size() - 1 - g] == std::byte{0x5A});
  }
  const ReassemblyStats& s = r.stats();
  Check(s.messages == completed);
  Check(s.timeouts + s.abandoned <= s.dropped);
  Check(s.messages <= s.fragments);
  return 0;
}
