#pragma once
// A bounds-checked view of one shared-memory region.
//
// The region is mapped at `base` in this process and appears at
// `device_address` in the device-address space both cores agree on (the
// addresses in the resource table, vring descriptors and RPMsg buffers).
// Nothing written to shared memory is a pointer; offsets and device addresses
// are translated here with overflow-checked arithmetic.
//
// Every accessor checks bounds and returns a Status; none can touch memory
// outside [base, base + size). Reads of peer-written bytes invalidate the
// cache first, writes clean it after (see cache.h).
//
// Threading: a Region is an immutable view; any number of threads may use
// copies of it concurrently. Concurrent access to the same bytes is governed
// by the protocol on top (Publish/Consume give it the ordering it needs).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "tandem/base/checked_math.h"
#include "tandem/base/endian.h"
#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/shm/cache.h"

namespace tandem::shm {

class Region {
 public:
  constexpr Region() = default;

  // base must be 8-byte aligned; the device range [device_address,
  // device_address + size) must not wrap.
  static Result<Region> Create(void* base, std::size_t size, std::uint64_t device_address,
                               CacheOps* cache = nullptr);

  std::byte* base() const { return base_; }
  std::size_t size() const { return size_; }
  std::uint64_t device_address() const { return device_address_; }
  CacheOps* cache() const { return cache_; }

  bool Contains(std::size_t offset, std::size_t length) const {
    return RangeInside<std::size_t>(offset, length, size_);
  }
  // True iff the device range [da, da + length) lies inside this region.
  bool ContainsDeviceRange(std::uint64_t da, std::uint64_t length) const;

  // Device address -> offset, checking that [da, da + length) is inside.
  Result<std::size_t> Translate(std::uint64_t da, std::uint64_t length) const;
  // Offset -> device address, checking that [offset, offset + length) is inside.
  Result<std::uint64_t> DeviceAddressOf(std::size_t offset, std::size_t length = 0) const;

  // A sub-view [offset, offset + length) keeping device addresses consistent.
  Result<Region> Sub(std::size_t offset, std::size_t length) const;

  // Checked copies of trivially copyable wire types (Le16/Le32/Le64 and
  // structs made of them). A read is a single copy: the caller validates the
  // local copy, never the shared bytes again.
  template <typename T>
  Result<T> Read(std::size_t offset) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!Contains(offset, sizeof(T))) return OutOfRange("shm read outside region");
    InvalidateFromPeer(offset, sizeof(T));
    T out;
    std::memcpy(&out, base_ + offset, sizeof(T));
    return out;
  }
  template <typename T>
  Status Write(std::size_t offset, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!Contains(offset, sizeof(T))) return OutOfRange("shm write outside region");
    std::memcpy(base_ + offset, &value, sizeof(T));
    CleanForPeer(offset, sizeof(T));
    return OkStatus();
  }
  Status ReadBytes(std::size_t offset, ByteSpan out) const;
  Status WriteBytes(std::size_t offset, ConstByteSpan in);
  Status Fill(std::size_t offset, std::size_t length, std::byte value);

  // A window for zero-copy access. The caller is responsible for the cache
  // hooks (CleanForPeer after writing, InvalidateFromPeer before reading).
  Result<ByteSpan> Bytes(std::size_t offset, std::size_t length) const;

  // Index words handed between the two sides (see fence.h). The offset must
  // be naturally aligned.
  //   Publish*: store-release; everything we wrote before is visible first.
  //   Consume*: load-acquire; what the peer wrote before publishing is visible after.
  //   Load*/Store*: relaxed single-copy-atomic access for flags and event
  //   indices, whose ordering is given by an explicit FullFence().
  Status PublishLe16(std::size_t offset, std::uint16_t value);
  Result<std::uint16_t> ConsumeLe16(std::size_t offset) const;
  Status StoreLe16(std::size_t offset, std::uint16_t value);
  Result<std::uint16_t> LoadLe16(std::size_t offset) const;
  Status PublishLe32(std::size_t offset, std::uint32_t value);
  Result<std::uint32_t> ConsumeLe32(std::size_t offset) const;

  // Cache hooks on a sub-range (no-ops on a coherent platform). Out-of-range
  // requests are clamped away, never forwarded.
  void CleanForPeer(std::size_t offset, std::size_t length) const;
  void InvalidateFromPeer(std::size_t offset, std::size_t length) const;

 private:
  constexpr Region(std::byte* base, std::size_t size, std::uint64_t da, CacheOps* cache)
      : base_(base), size_(size), device_address_(da), cache_(cache) {}

  template <typename T>
  bool AtomicOk(std::size_t offset) const {
    return Contains(offset, sizeof(T)) &&
           (reinterpret_cast<std::uintptr_t>(base_ + offset) % alignof(T)) == 0;
  }

  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  std::uint64_t device_address_ = 0;
  CacheOps* cache_ = nullptr;
};

}  // namespace tandem::shm
