#pragma once
// Spans: std::span is header-only and available freestanding (also in
// arm-none-eabi's libstdc++), so we use it directly under short names.

#include <cstddef>
#include <span>

namespace tandem {
using ByteSpan = std::span<std::byte>;
using ConstByteSpan = std::span<const std::byte>;

inline ConstByteSpan AsBytes(const char* s, std::size_t n) {
  return {reinterpret_cast<const std::byte*>(s), n};
}
}  // namespace tandem
