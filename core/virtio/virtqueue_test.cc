// Behaviour of the two ends of a split virtqueue over fake shared memory.
#include <gtest/gtest.h>

#include <cstring>

#include "tandem/testing/fake_shm.h"
#include "tandem/testing/virtqueue_pair.h"
#include "tandem/virtio/device_queue.h"
#include "tandem/virtio/driver_queue.h"

namespace tandem::virtio {
namespace {

using tandem::testing::VirtqueuePair;

TEST(Virtqueue, BufferRoundTripCarriesContentAndLength) {
  VirtqueuePair q(8);
  // Driver offers a writable buffer; device fills it; driver reads it back.
  ASSERT_EQ(q.driver().Add(q.ring(), {q.data_da(0), 512, true}).value(), 0);
  EXPECT_EQ(q.driver().num_free(), 7);
  auto chain = q.device().Pop(q.ring()).value();
  Descriptor d = chain.Next(q.device(), q.ring(), q.all()).value();
  EXPECT_TRUE(d.device_writes);
  EXPECT_EQ(d.len, 512u);
  std::memcpy(q.all().Bytes(d.offset, 5).value().data(), "hello", 5);
  EXPECT_EQ(chain.Next(q.device(), q.ring(), q.all()).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(q.device().PushUsed(q.ring(), chain.head(), 5).ok());

  UsedBuffer used = q.driver().TakeUsed(q.ring()).value();
  EXPECT_EQ(used.head, 0);
  EXPECT_EQ(used.written, 5u);
  EXPECT_EQ(used.addr, q.data_da(0));
  EXPECT_EQ(used.len, 512u);
  EXPECT_EQ(std::memcmp(q.data().base(), "hello", 5), 0);
  EXPECT_EQ(q.driver().num_free(), 8);
  EXPECT_EQ(q.driver().TakeUsed(q.ring()).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(q.device().Pop(q.ring()).status().code(), StatusCode::kUnavailable);
}

TEST(Virtqueue, ChainsKeepOrderAndFlags) {
  VirtqueuePair q(8);
  BufferSpec chain[] = {
      {q.data_da(0), 16, false}, {q.data_da(16), 32, false}, {q.data_da(64), 64, true}};
  ASSERT_TRUE(q.driver().Add(q.ring(), chain).ok());
  EXPECT_EQ(q.driver().num_free(), 5);
  auto c = q.device().Pop(q.ring()).value();
  for (const BufferSpec& want : chain) {
    Descriptor d = c.Next(q.device(), q.ring(), q.all()).value();
    EXPECT_EQ(d.addr, want.addr);
    EXPECT_EQ(d.len, want.len);
    EXPECT_EQ(d.device_writes, want.device_writes);
  }
  EXPECT_FALSE(c.Next(q.device(), q.ring(), q.all()).ok());
  ASSERT_TRUE(q.device().PushUsed(q.ring(), c.head(), 64).ok());
  UsedBuffer u = q.driver().TakeUsed(q.ring()).value();
  EXPECT_EQ(u.chain_len, 3);
  EXPECT_EQ(q.driver().num_free(), 8);
}

// 2.7.4.2: device-writable descriptors follow all device-readable ones.
TEST(Virtqueue, DriverRefusesReadableAfterWritable) {
  VirtqueuePair q(8);
  BufferSpec chain[] = {{q.data_da(0), 16, true}, {q.data_da(16), 16, false}};
  EXPECT_EQ(q.driver().Add(q.ring(), chain).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(q.driver().num_free(), 8);
}

TEST(Virtqueue, ExhaustsDescriptorsThenRecovers) {
  VirtqueuePair q(4);
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(i * 64), 64, true}).ok());
  EXPECT_EQ(q.driver().Add(q.ring(), {q.data_da(0), 64, true}).status().code(),
            StatusCode::kResourceExhausted);
  auto c = q.device().Pop(q.ring()).value();
  ASSERT_TRUE(q.device().PushUsed(q.ring(), c.head(), 0).ok());
  ASSERT_TRUE(q.driver().TakeUsed(q.ring()).ok());
  EXPECT_TRUE(q.driver().Add(q.ring(), {q.data_da(0), 64, true}).ok());
}

TEST(Virtqueue, IndicesWrapPast65535) {
  VirtqueuePair q(4);
  for (std::uint32_t i = 0; i < 70000; ++i) {
    ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(0), 8, true}).ok()) << i;
    auto c = q.device().Pop(q.ring());
    ASSERT_TRUE(c.ok()) << i;
    ASSERT_TRUE(q.device().PushUsed(q.ring(), c->head(), 8).ok());
    ASSERT_TRUE(q.driver().TakeUsed(q.ring()).ok()) << i;
  }
  EXPECT_FALSE(q.driver().broken());
  EXPECT_FALSE(q.device().broken());
}

// 2.7.10: with EVENT_IDX the driver notifies only when it crosses the
// device's avail_event; the device interrupts only when crossing used_event.
TEST(Virtqueue, EventIdxSuppressesKicksUntilDeviceAsks) {
  VirtqueuePair q(8, 4096, /*event_idx=*/true);
  ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(0), 8, true}).ok());
  EXPECT_TRUE(q.driver().KickPrepare(q.ring()).value());  // avail_event 0 crossed
  ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(8), 8, true}).ok());
  // Device has not consumed anything: avail_event still 0, so no new kick.
  EXPECT_FALSE(q.driver().KickPrepare(q.ring()).value());
  // Device drains and asks for the next one.
  ASSERT_TRUE(q.device().Pop(q.ring()).ok());
  ASSERT_TRUE(q.device().Pop(q.ring()).ok());
  EXPECT_FALSE(q.device().EnableNotifications(q.ring()).value());
  ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(16), 8, true}).ok());
  EXPECT_TRUE(q.driver().KickPrepare(q.ring()).value());
  EXPECT_FALSE(q.driver().KickPrepare(q.ring()).value());  // nothing new
}

TEST(Virtqueue, DeviceInterruptsOnlyWhenDriverWantsIt) {
  VirtqueuePair q(8, 4096, true);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(i * 8), 8, true}).ok());
  auto a = q.device().Pop(q.ring()).value();
  ASSERT_TRUE(q.device().PushUsed(q.ring(), a.head(), 1).ok());
  EXPECT_TRUE(q.device().NotifyPrepare(q.ring()).value());  // used_event 0 crossed
  auto b = q.device().Pop(q.ring()).value();
  ASSERT_TRUE(q.device().PushUsed(q.ring(), b.head(), 1).ok());
  EXPECT_FALSE(q.device().NotifyPrepare(q.ring()).value());  // driver has not taken #0 yet
  ASSERT_TRUE(q.driver().TakeUsed(q.ring()).ok());           // used_event -> 1
  ASSERT_TRUE(q.driver().TakeUsed(q.ring()).ok());           // used_event -> 2
  auto c = q.device().Pop(q.ring()).value();
  ASSERT_TRUE(q.device().PushUsed(q.ring(), c.head(), 1).ok());
  EXPECT_TRUE(q.device().NotifyPrepare(q.ring()).value());
}

TEST(Virtqueue, DisabledCallbacksSuppressInterruptsBothModes) {
  for (bool event_idx : {false, true}) {
    VirtqueuePair q(8, 4096, event_idx);
    q.driver().DisableCallbacks(q.ring());
    ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(0), 8, true}).ok());
    auto a = q.device().Pop(q.ring()).value();
    ASSERT_TRUE(q.device().PushUsed(q.ring(), a.head(), 1).ok());
    EXPECT_FALSE(q.device().NotifyPrepare(q.ring()).value()) << event_idx;
    // Re-enabling finds the buffer that arrived meanwhile: never stranded.
    EXPECT_TRUE(q.driver().EnableCallbacks(q.ring()).value()) << event_idx;
    ASSERT_TRUE(q.driver().TakeUsed(q.ring()).ok());
    EXPECT_FALSE(q.driver().EnableCallbacks(q.ring()).value());
  }
}

TEST(Virtqueue, NoNotifyFlagSuppressesKicksWithoutEventIdx) {
  VirtqueuePair q(8, 4096, /*event_idx=*/false);
  ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(0), 8, true}).ok());
  EXPECT_TRUE(q.driver().KickPrepare(q.ring()).value());
  q.device().DisableNotifications(q.ring());
  ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(8), 8, true}).ok());
  EXPECT_FALSE(q.driver().KickPrepare(q.ring()).value());
  // The device re-enables and finds the buffer added meanwhile.
  EXPECT_TRUE(q.device().EnableNotifications(q.ring()).value());
  ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(16), 8, true}).ok());
  EXPECT_TRUE(q.driver().KickPrepare(q.ring()).value());
}

TEST(Virtqueue, HasUsedAndHasAvailableReportPending) {
  VirtqueuePair q(8);
  EXPECT_FALSE(q.device().HasAvailable(q.ring()).value());
  ASSERT_TRUE(q.driver().Add(q.ring(), {q.data_da(0), 8, true}).ok());
  EXPECT_TRUE(q.device().HasAvailable(q.ring()).value());
  auto a = q.device().Pop(q.ring()).value();
  EXPECT_FALSE(q.driver().HasUsed(q.ring()).value());
  ASSERT_TRUE(q.device().PushUsed(q.ring(), a.head(), 0).ok());
  EXPECT_TRUE(q.driver().HasUsed(q.ring()).value());
}

TEST(Virtqueue, CreateRejectsBadParameters) {
  testing::FakeShm mem(4096);
  std::vector<DriverDescState> storage(256);
  EXPECT_FALSE(DriverQueue::Create(mem.region(), 256, 4096, storage, {}).ok());  // ring too big
  EXPECT_FALSE(DriverQueue::Create(mem.region(), 6, 16, storage, {}).ok());
  std::vector<DriverDescState> small(4);
  EXPECT_FALSE(DriverQueue::Create(mem.region(), 8, 16, small, {}).ok());
  EXPECT_FALSE(DeviceQueue::Create(mem.region(), 256, 4096, {}).ok());
  EXPECT_TRUE(DeviceQueue::Create(mem.region(), 8, 16, {}).ok());
  DriverQueue unset;
  EXPECT_EQ(unset.Add(mem.region(), {0, 0, false}).status().code(),
            StatusCode::kFailedPrecondition);
}

// The cache hooks are called where a non-coherent platform needs them: the
// descriptor and the index are cleaned after writing, the peer's index is
// invalidated before reading.
TEST(Virtqueue, CallsCacheHooksOnPublishAndConsume) {
  testing::RecordingCache cache;
  testing::FakeShm mem(64 * 1024, 0x10000000, &cache);
  std::vector<DriverDescState> storage(8);
  auto driver = DriverQueue::Create(mem.region(), 8, 64, storage, {}).value();
  auto device = DeviceQueue::Create(mem.region(), 8, 64, {}).value();
  const RingLayout& l = driver.layout();
  cache.calls.clear();
  ASSERT_TRUE(driver.Add(mem.region(), {0x10008000, 16, true}).ok());
  EXPECT_TRUE(cache.Covered(true, mem.data() + l.desc(0), sizeof(VringDesc)));
  EXPECT_TRUE(cache.Covered(true, mem.data() + l.avail_ring(0), 2));
  EXPECT_TRUE(cache.Covered(true, mem.data() + l.avail_idx(), 2));
  cache.calls.clear();
  auto c = device.Pop(mem.region()).value();
  EXPECT_TRUE(cache.Covered(false, mem.data() + l.avail_idx(), 2));
  EXPECT_TRUE(cache.Covered(false, mem.data() + l.avail_ring(0), 2));
  ASSERT_TRUE(c.Next(device, mem.region(), mem.region()).ok());
  EXPECT_TRUE(cache.Covered(false, mem.data() + l.desc(0), sizeof(VringDesc)));
  ASSERT_TRUE(device.PushUsed(mem.region(), c.head(), 4).ok());
  EXPECT_TRUE(cache.Covered(true, mem.data() + l.used_ring(0), sizeof(VringUsedElem)));
  EXPECT_TRUE(cache.Covered(true, mem.data() + l.used_idx(), 2));
  cache.calls.clear();
  ASSERT_TRUE(driver.TakeUsed(mem.region()).ok());
  EXPECT_TRUE(cache.Covered(false, mem.data() + l.used_idx(), 2));
  EXPECT_TRUE(cache.Covered(false, mem.data() + l.used_ring(0), sizeof(VringUsedElem)));
}

}  // namespace
}  // namespace tandem::virtio
