#include "tandem/virtio/ring_layout.h"

#include "tandem/base/checked_math.h"
#include "tandem/virtio/errors.h"

namespace tandem::virtio {

Result<RingLayout> RingLayout::Compute(std::uint32_t num, std::uint32_t align) {
  // 2.7: "Queue Size value is always a power of 2. The maximum Queue Size
  // value is 32768."
  if (!IsPowerOfTwo(num) || num > kMaxQueueSize) {
    return InvalidArgument(kBadRingSize);
  }
  // The used ring holds 32-bit fields, so it must be at least 4-aligned;
  // remoteproc tables normally say 4096 (the legacy page alignment).
  if (!IsPowerOfTwo(align) || align < 4) {
    return InvalidArgument(kBadRingAlign);
  }
  RingLayout l;
  l.num_ = static_cast<std::uint16_t>(num);
  l.align_ = align;
  l.avail_ = sizeof(VringDesc) * std::size_t{num};
  // avail: flags, idx, ring[num], used_event
  const std::size_t avail_end = l.avail_ + 2 * (3 + std::size_t{num});
  if (!AlignUp<std::size_t>(avail_end, align, &l.used_)) {
    return InvalidArgument(kRingAlignOverflow);
  }
  // used: flags, idx, ring[num], avail_event
  const std::size_t used_bytes = 2 * 3 + sizeof(VringUsedElem) * std::size_t{num};
  if (!CheckedAdd<std::size_t>(l.used_, used_bytes, &l.size_)) {
    return InvalidArgument(kRingSizeOverflow);
  }
  return l;
}

}  // namespace tandem::virtio
