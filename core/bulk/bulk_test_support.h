#pragma once
// Two pools over one fake carve-out, wired to each other: what one side
// sends the other receives on Pump(). Test-only.

#include <array>
#include <cstring>
#include <deque>
#include <vector>

#include "tandem/bulk/pool.h"
#include "tandem/testing/fake_shm.h"

namespace tandem::bulk::testing {

// Records every message; fails the next `fail_next` sends with kAborted.
class RecordingSender final : public Sender {
 public:
  Status SendBulk(ConstByteSpan message) override {
    if (fail_next > 0) {
      --fail_next;
      return Aborted("link down");
    }
    sent.emplace_back(message.begin(), message.end());
    return OkStatus();
  }
  std::deque<std::vector<std::byte>> sent;
  int fail_next = 0;
};

inline std::array<std::byte, kMessageSize> Wire(MessageType type, std::uint32_t offset,
                                                std::uint32_t length, std::uint32_t cookie = 0) {
  std::array<std::byte, kMessageSize> out;
  EncodeMessage({type, offset, length, cookie}, out);
  return out;
}

inline std::array<std::byte, kMessageSize> RawWire(std::uint32_t type, std::uint32_t offset,
                                                   std::uint32_t length, std::uint32_t cookie) {
  WireMessage w;
  w.type.set(type);
  w.offset.set(offset);
  w.length.set(length);
  w.cookie.set(cookie);
  std::array<std::byte, kMessageSize> out;
  std::memcpy(out.data(), &w, sizeof(w));
  return out;
}

// A producer (owns every block) and a consumer (owns none) over one region.
struct PoolPair {
  static constexpr std::uint32_t kBlocks = 8;
  explicit PoolPair(std::uint32_t block_size = 256, shm::CacheOps* cache = nullptr)
      : shm(block_size * kBlocks, 0x30000000, cache) {
    producer.set_sender(&to_consumer);
    consumer.set_sender(&to_producer);
    (void)producer.Configure({shm.region(), block_size, 0, kAllBlocks});
    (void)consumer.Configure({shm.region(), block_size, 0, 0});
  }
  // Delivers one message the consumer sent to the producer.
  Status PumpToProducer() {
    std::vector<std::byte> m = to_producer.sent.front();
    to_producer.sent.pop_front();
    RxBlock none;
    return producer.Receive(m, none);
  }
  Status PumpToConsumer(RxBlock& out) {
    std::vector<std::byte> m = to_consumer.sent.front();
    to_consumer.sent.pop_front();
    return consumer.Receive(m, out);
  }

  tandem::testing::FakeShm shm;
  rpmsg::NoLock lock;
  RecordingSender to_consumer;
  RecordingSender to_producer;
  PoolStorage<kBlocks> producer_storage;
  PoolStorage<kBlocks> consumer_storage;
  Pool producer{producer_storage.span(), lock};
  Pool consumer{consumer_storage.span(), lock};
};

}  // namespace tandem::bulk::testing
