#pragma once
// Free-running 16-bit ring indices (VirtIO 1.x 2.7.6, 2.7.8): avail->idx and
// used->idx count up forever and wrap at 2^16; the slot is idx % queue_size.
// Distances are taken modulo 2^16, which is why queue sizes are powers of two
// no larger than 32768.

#include <cstdint>

namespace tandem {

class RingIndex {
 public:
  constexpr RingIndex() = default;
  constexpr explicit RingIndex(std::uint16_t v) : value_(v) {}

  constexpr std::uint16_t value() const { return value_; }
  // Slot in a ring of `size` entries; size must be a power of two.
  constexpr std::uint16_t Slot(std::uint16_t size) const {
    return static_cast<std::uint16_t>(value_ & (size - 1));
  }

  constexpr RingIndex operator+(std::uint16_t n) const {
    return RingIndex(static_cast<std::uint16_t>(value_ + n));
  }
  constexpr RingIndex& operator+=(std::uint16_t n) {
    value_ = static_cast<std::uint16_t>(value_ + n);
    return *this;
  }
  constexpr RingIndex& operator++() { return *this += 1; }
  // Entries from `older` up to (not including) this index, modulo 2^16.
  constexpr std::uint16_t DistanceFrom(RingIndex older) const {
    return static_cast<std::uint16_t>(value_ - older.value_);
  }
  friend constexpr bool operator==(RingIndex a, RingIndex b) { return a.value_ == b.value_; }

 private:
  std::uint16_t value_ = 0;
};

// VIRTIO_RING_F_EVENT_IDX (VirtIO 1.x 2.7.10): having moved an index from
// `old_idx` to `new_idx`, notify the peer iff it asked to be woken at
// `event_idx`, i.e. event_idx lies in [old_idx, new_idx). Written once, here.
constexpr bool NeedEvent(RingIndex event_idx, RingIndex new_idx, RingIndex old_idx) {
  return static_cast<std::uint16_t>(new_idx.value() - event_idx.value() - 1) <
         static_cast<std::uint16_t>(new_idx.value() - old_idx.value());
}

}  // namespace tandem
