// Cache maintenance at the RPMsg level, for a core whose shared memory is
// not coherent (a Cortex-M7 with its D-cache on; QEMU does not model
// caches, so the recording fake proves the hooks run at the right places):
// a sender cleans a message's header and payload before the kick, a
// receiver invalidates them before it reads, copy and zero-copy alike, in
// both directions. The rings' own maintenance is virtqueue_test's.

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "tandem/rpmsg/wire.h"
#include "tandem/testing/rpmsg_helpers.h"

namespace tandem::rpmsg {
namespace {

using tandem::testing::RecordingCache;
using testing::AsSpan;
using testing::BusPair;
using testing::PairOptions;
using testing::Pattern;

// Header and payload are maintained separately (the header is written
// field by field through the Region, the payload as one range).
bool MessageCovered(const RecordingCache& cache, bool clean, const std::byte* payload,
                    std::size_t len) {
  return cache.Covered(clean, payload - kHeaderSize, kHeaderSize) &&
         cache.Covered(clean, payload, len);
}

struct CachedPair {
  CachedPair() : pair(Options(&cache)) {}
  static PairOptions Options(RecordingCache* c) {
    PairOptions o;
    o.cache = c;
    return o;
  }
  RecordingCache cache;  // before pair: the pair's memory uses it
  BusPair pair;
};

TEST(RpmsgCache, ACopySendIsCleanedAndItsReceiveInvalidatedBothWays) {
  CachedPair c;
  std::array<RxBuffer, 4> remote_queue, host_queue;
  Endpoint remote_ep, host_ep;
  ASSERT_TRUE(c.pair.remote().CreateEndpoint(remote_ep, {nullptr, 0x500}, remote_queue).ok());
  ASSERT_TRUE(c.pair.host().CreateEndpoint(host_ep, {nullptr, 0x600, 0x500}, host_queue).ok());
  const auto msg = Pattern(100, 3);

  // Host -> remote.
  c.cache.calls.clear();
  ASSERT_TRUE(c.pair.host().Send(host_ep, AsSpan(msg)).ok());
  const auto sent = c.cache.calls;
  c.cache.calls.clear();
  ASSERT_TRUE(c.pair.remote().Poll().ok());
  auto held = c.pair.remote().ReceiveHeld(remote_ep, Timeout::None());
  ASSERT_TRUE(held.ok()) << held.status().message();
  const std::byte* payload = held->payload().data();
  EXPECT_EQ(std::memcmp(payload, msg.data(), msg.size()), 0);
  RecordingCache host_side;
  host_side.calls = sent;
  EXPECT_TRUE(MessageCovered(host_side, true, payload, msg.size()))
      << "the host did not clean what it wrote before the kick";
  EXPECT_TRUE(MessageCovered(c.cache, false, payload, msg.size()))
      << "the remote read the message without invalidating it";
  held->Release();

  // Remote -> host (copy receive).
  c.cache.calls.clear();
  ASSERT_TRUE(c.pair.remote().SendTo(remote_ep, 0x600, AsSpan(msg), Timeout::None()).ok());
  RecordingCache remote_side;
  remote_side.calls = c.cache.calls;
  c.cache.calls.clear();
  ASSERT_TRUE(c.pair.host().Poll().ok());
  auto got = c.pair.host().ReceiveHeld(host_ep, Timeout::None());
  ASSERT_TRUE(got.ok()) << got.status().message();
  const std::byte* rx_payload = got->payload().data();
  EXPECT_TRUE(MessageCovered(remote_side, true, rx_payload, msg.size()));
  EXPECT_TRUE(MessageCovered(c.cache, false, rx_payload, msg.size()));
}

TEST(RpmsgCache, AZeroCopySendCleansWhatTheApplicationWroteInPlace) {
  CachedPair c;
  std::array<RxBuffer, 4> remote_queue, host_queue;
  Endpoint remote_ep, host_ep;
  ASSERT_TRUE(c.pair.remote().CreateEndpoint(remote_ep, {nullptr, 0x500}, remote_queue).ok());
  ASSERT_TRUE(c.pair.host().CreateEndpoint(host_ep, {nullptr, 0x600, 0x500}, host_queue).ok());
  auto tx = c.pair.remote().AcquireTx(remote_ep, 0x600, Timeout::None());
  ASSERT_TRUE(tx.ok()) << tx.status().message();
  const auto msg = Pattern(300, 9);
  std::memcpy(tx->data().data(), msg.data(), msg.size());  // in place, no cache call
  const std::byte* payload = tx->data().data();
  c.cache.calls.clear();
  ASSERT_TRUE(tx->Send(msg.size()).ok());
  EXPECT_TRUE(MessageCovered(c.cache, true, payload, msg.size()));
}

}  // namespace
}  // namespace tandem::rpmsg
