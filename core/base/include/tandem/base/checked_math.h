#pragma once
// Overflow-checked arithmetic for addresses and lengths from untrusted input.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tandem {

// a + b, or false if it overflows T.
template <typename T>
[[nodiscard]] constexpr bool CheckedAdd(T a, T b, T* out) {
  return !__builtin_add_overflow(a, b, out);
}
template <typename T>
[[nodiscard]] constexpr bool CheckedMul(T a, T b, T* out) {
  return !__builtin_mul_overflow(a, b, out);
}

// True iff [offset, offset + length) lies inside [0, size) without overflow.
template <typename T>
[[nodiscard]] constexpr bool RangeInside(T offset, T length, T size) {
  static_assert(std::is_unsigned_v<T>);
  return offset <= size && length <= size - offset;
}

constexpr bool IsPowerOfTwo(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Rounds up to a power-of-two alignment; false on overflow.
template <typename T>
[[nodiscard]] constexpr bool AlignUp(T v, T align, T* out) {
  T sum;
  if (!CheckedAdd<T>(v, align - 1, &sum)) return false;
  *out = sum & ~(align - 1);
  return true;
}

}  // namespace tandem
