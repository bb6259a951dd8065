#include "tandem/shm/region.h"

namespace tandem::shm {

Result<Region> Region::Create(void* base, std::size_t size, std::uint64_t device_address,
                              CacheOps* cache) {
  if (base == nullptr || size == 0) return InvalidArgument("shm region is empty");
  if (reinterpret_cast<std::uintptr_t>(base) % 8 != 0) {
    return InvalidArgument("shm region base must be 8-byte aligned");
  }
  std::uint64_t end;
  if (!CheckedAdd<std::uint64_t>(device_address, size, &end)) {
    return InvalidArgument("shm region device range wraps");
  }
  std::uintptr_t host_end;
  if (!CheckedAdd<std::uintptr_t>(reinterpret_cast<std::uintptr_t>(base), size, &host_end)) {
    return InvalidArgument("shm region host range wraps");
  }
  return Region(static_cast<std::byte*>(base), size, device_address, cache);
}

bool Region::ContainsDeviceRange(std::uint64_t da, std::uint64_t length) const {
  if (da < device_address_) return false;
  return RangeInside<std::uint64_t>(da - device_address_, length, size_);
}

Result<std::size_t> Region::Translate(std::uint64_t da, std::uint64_t length) const {
  if (!ContainsDeviceRange(da, length)) return OutOfRange("device address outside shm region");
  return static_cast<std::size_t>(da - device_address_);
}

Result<std::uint64_t> Region::DeviceAddressOf(std::size_t offset, std::size_t length) const {
  if (!Contains(offset, length)) return OutOfRange("offset outside shm region");
  return device_address_ + offset;
}

Result<Region> Region::Sub(std::size_t offset, std::size_t length) const {
  if (!Contains(offset, length) || length == 0) return OutOfRange("sub-region outside shm region");
  return Region(base_ + offset, length, device_address_ + offset, cache_);
}

Status Region::ReadBytes(std::size_t offset, ByteSpan out) const {
  if (!Contains(offset, out.size())) return OutOfRange("shm read outside region");
  InvalidateFromPeer(offset, out.size());
  if (!out.empty()) std::memcpy(out.data(), base_ + offset, out.size());
  return OkStatus();
}

Status Region::WriteBytes(std::size_t offset, ConstByteSpan in) {
  if (!Contains(offset, in.size())) return OutOfRange("shm write outside region");
  if (!in.empty()) std::memcpy(base_ + offset, in.data(), in.size());
  CleanForPeer(offset, in.size());
  return OkStatus();
}

Status Region::Fill(std::size_t offset, std::size_t length, std::byte value) {
  if (!Contains(offset, length)) return OutOfRange("shm fill outside region");
  if (length != 0) std::memset(base_ + offset, static_cast<int>(value), length);
  CleanForPeer(offset, length);
  return OkStatus();
}

Result<ByteSpan> Region::Bytes(std::size_t offset, std::size_t length) const {
  if (!Contains(offset, length)) return OutOfRange("shm window outside region");
  return ByteSpan(base_ + offset, length);
}

Status Region::PublishLe16(std::size_t offset, std::uint16_t value) {
  if (!AtomicOk<std::uint16_t>(offset)) return OutOfRange("shm index outside region or misaligned");
  std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(base_ + offset))
      .store(ToLittle(value), std::memory_order_release);
  CleanForPeer(offset, sizeof(value));
  return OkStatus();
}

Result<std::uint16_t> Region::ConsumeLe16(std::size_t offset) const {
  if (!AtomicOk<std::uint16_t>(offset)) return OutOfRange("shm index outside region or misaligned");
  InvalidateFromPeer(offset, sizeof(std::uint16_t));
  return FromLittle(
      std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(base_ + offset))
          .load(std::memory_order_acquire));
}

Status Region::StoreLe16(std::size_t offset, std::uint16_t value) {
  if (!AtomicOk<std::uint16_t>(offset)) return OutOfRange("shm index outside region or misaligned");
  std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(base_ + offset))
      .store(ToLittle(value), std::memory_order_relaxed);
  CleanForPeer(offset, sizeof(value));
  return OkStatus();
}

Result<std::uint16_t> Region::LoadLe16(std::size_t offset) const {
  if (!AtomicOk<std::uint16_t>(offset)) return OutOfRange("shm index outside region or misaligned");
  InvalidateFromPeer(offset, sizeof(std::uint16_t));
  return FromLittle(
      std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(base_ + offset))
          .load(std::memory_order_relaxed));
}

Status Region::PublishLe32(std::size_t offset, std::uint32_t value) {
  if (!AtomicOk<std::uint32_t>(offset)) return OutOfRange("shm word outside region or misaligned");
  std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(base_ + offset))
      .store(ToLittle(value), std::memory_order_release);
  CleanForPeer(offset, sizeof(value));
  return OkStatus();
}

Result<std::uint32_t> Region::ConsumeLe32(std::size_t offset) const {
  if (!AtomicOk<std::uint32_t>(offset)) return OutOfRange("shm word outside region or misaligned");
  InvalidateFromPeer(offset, sizeof(std::uint32_t));
  return FromLittle(
      std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(base_ + offset))
          .load(std::memory_order_acquire));
}

void Region::CleanForPeer(std::size_t offset, std::size_t length) const {
  if (cache_ != nullptr && length != 0 && Contains(offset, length)) {
    cache_->Clean(base_ + offset, length);
  }
}

void Region::InvalidateFromPeer(std::size_t offset, std::size_t length) const {
  if (cache_ != nullptr && length != 0 && Contains(offset, length)) {
    cache_->Invalidate(base_ + offset, length);
  }
}

}  // namespace tandem::shm
