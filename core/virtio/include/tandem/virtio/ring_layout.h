#pragma once
// Split virtqueue memory layout (VirtIO 1.x 2.7, "legacy" contiguous layout
// that remoteproc uses: descriptor table, available ring, then the used ring
// at the next `align` boundary). Wire structs match Linux uapi
// <linux/virtio_ring.h>; ring_layout_test.cc checks them against it.

#include <cstddef>
#include <cstdint>

#include "tandem/base/endian.h"
#include "tandem/base/result.h"

namespace tandem::virtio {

inline constexpr std::uint16_t kDescFlagNext = 1;          // VRING_DESC_F_NEXT
inline constexpr std::uint16_t kDescFlagWrite = 2;         // VRING_DESC_F_WRITE (device writes)
inline constexpr std::uint16_t kDescFlagIndirect = 4;      // VRING_DESC_F_INDIRECT (not negotiated)
inline constexpr std::uint16_t kAvailFlagNoInterrupt = 1;  // VRING_AVAIL_F_NO_INTERRUPT
inline constexpr std::uint16_t kUsedFlagNoNotify = 1;      // VRING_USED_F_NO_NOTIFY

inline constexpr std::uint32_t kMaxQueueSize = 32768;  // 2.7: power of two, max 32768

// struct vring_desc (2.7.5)
struct VringDesc {
  Le64 addr;
  Le32 len;
  Le16 flags;
  Le16 next;
};
static_assert(sizeof(VringDesc) == 16);
static_assert(offsetof(VringDesc, addr) == 0 && offsetof(VringDesc, len) == 8 &&
              offsetof(VringDesc, flags) == 12 && offsetof(VringDesc, next) == 14);

// struct vring_used_elem (2.7.8)
struct VringUsedElem {
  Le32 id;
  Le32 len;
};
static_assert(sizeof(VringUsedElem) == 8);

// Byte offsets of every field of one ring, relative to the ring's start.
// Valid for power-of-two num <= 32768 and power-of-two align.
class RingLayout {
 public:
  static Result<RingLayout> Compute(std::uint32_t num, std::uint32_t align);

  std::uint16_t num() const { return num_; }
  std::uint32_t align() const { return align_; }
  // Total bytes, as Linux's vring_size(num, align).
  std::size_t size() const { return size_; }

  std::size_t desc(std::uint16_t i) const { return i * sizeof(VringDesc); }
  std::size_t avail_flags() const { return avail_; }
  std::size_t avail_idx() const { return avail_ + 2; }
  std::size_t avail_ring(std::uint16_t slot) const { return avail_ + 4 + 2 * std::size_t{slot}; }
  std::size_t used_event() const { return avail_ + 4 + 2 * std::size_t{num_}; }
  std::size_t used_flags() const { return used_; }
  std::size_t used_idx() const { return used_ + 2; }
  std::size_t used_ring(std::uint16_t slot) const {
    return used_ + 4 + sizeof(VringUsedElem) * std::size_t{slot};
  }
  std::size_t avail_event() const { return used_ + 4 + sizeof(VringUsedElem) * std::size_t{num_}; }

 private:
  std::uint16_t num_ = 0;
  std::uint32_t align_ = 0;
  std::size_t avail_ = 0;
  std::size_t used_ = 0;
  std::size_t size_ = 0;
};

// vring_size() without a Result, for constexpr use (firmware tables).
// Precondition: num and align are valid powers of two.
constexpr std::size_t VringSize(std::uint32_t num, std::uint32_t align) {
  const std::size_t before_used = 16 * std::size_t{num} + 2 * (3 + std::size_t{num});
  const std::size_t used = (before_used + align - 1) & ~(std::size_t{align} - 1);
  return used + 2 * 3 + 8 * std::size_t{num};
}

}  // namespace tandem::virtio
