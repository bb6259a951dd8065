#pragma once
// A driver queue and a device queue over one ring in fake shared memory, with
// a data area for buffers behind the ring: the reusable mock of both ends.

#include <array>
#include <cstdint>
#include <vector>

#include "tandem/testing/fake_shm.h"
#include "tandem/virtio/device_queue.h"
#include "tandem/virtio/driver_queue.h"

namespace tandem::testing {

class VirtqueuePair {
 public:
  static constexpr std::size_t kRingArea = 64 * 1024;

  explicit VirtqueuePair(std::uint16_t num = 8, std::uint32_t align = 4096, bool event_idx = true,
                         std::size_t data_size = 64 * 1024)
      : mem_(kRingArea + data_size), storage_(num) {
    ring_ = mem_.region().Sub(0, kRingArea).value();
    data_ = mem_.region().Sub(kRingArea, data_size).value();
    driver_ = virtio::DriverQueue::Create(ring_, num, align, storage_, {event_idx}).value();
    device_ = virtio::DeviceQueue::Create(ring_, num, align, {event_idx}).value();
  }

  shm::Region& ring() { return ring_; }
  shm::Region& data() { return data_; }
  // Whole memory (ring + data): buffers must be inside this.
  shm::Region& all() { return mem_.region(); }
  std::byte* raw() { return mem_.data(); }
  virtio::DriverQueue& driver() { return driver_; }
  virtio::DeviceQueue& device() { return device_; }
  std::uint64_t data_da(std::size_t offset = 0) const { return data_.device_address() + offset; }

 private:
  FakeShm mem_;
  std::vector<virtio::DriverDescState> storage_;
  shm::Region ring_;
  shm::Region data_;
  virtio::DriverQueue driver_;
  virtio::DeviceQueue device_;
};

}  // namespace tandem::testing
