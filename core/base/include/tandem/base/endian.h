#pragma once
// Little-endian wire integers. VirtIO 1.x (VIRTIO_F_VERSION_1), RPMsg and the
// remoteproc resource table are little-endian on every platform; these types
// store the bytes in wire order so a struct made of them has exactly the
// wire layout (checked with static_assert where the structs are defined).

#include <bit>
#include <cstdint>
#include <type_traits>

namespace tandem {

template <typename T>
constexpr T ByteSwap(T v) {
  static_assert(std::is_unsigned_v<T>);
  if constexpr (sizeof(T) == 1) {
    return v;
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(__builtin_bswap16(v));
  } else if constexpr (sizeof(T) == 4) {
    return static_cast<T>(__builtin_bswap32(v));
  } else {
    return static_cast<T>(__builtin_bswap64(v));
  }
}

template <typename T>
constexpr T ToLittle(T host) {
  if constexpr (std::endian::native == std::endian::little) {
    return host;
  } else {
    return ByteSwap(host);
  }
}
template <typename T>
constexpr T FromLittle(T wire) {
  return ToLittle(wire);
}

// A T stored little-endian. Trivially copyable, no padding, alignment of T
// (wire structs are naturally aligned in VirtIO and RPMsg).
template <typename T>
class LeInt {
  static_assert(std::is_unsigned_v<T>);

 public:
  using ValueType = T;
  constexpr LeInt() = default;
  constexpr explicit LeInt(T host) : raw_(ToLittle(host)) {}
  constexpr T get() const { return FromLittle(raw_); }
  constexpr void set(T host) { raw_ = ToLittle(host); }
  constexpr T raw() const { return raw_; }
  static constexpr LeInt FromRaw(T raw) {
    LeInt v;
    v.raw_ = raw;
    return v;
  }
  friend constexpr bool operator==(LeInt a, LeInt b) { return a.raw_ == b.raw_; }

 private:
  T raw_ = 0;
};

using Le16 = LeInt<std::uint16_t>;
using Le32 = LeInt<std::uint32_t>;
using Le64 = LeInt<std::uint64_t>;
static_assert(sizeof(Le16) == 2 && alignof(Le16) == 2);
static_assert(sizeof(Le32) == 4 && alignof(Le32) == 4);
static_assert(sizeof(Le64) == 8);
static_assert(std::is_trivially_copyable_v<Le64>);

}  // namespace tandem
