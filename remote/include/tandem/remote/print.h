#pragma once
// A tiny freestanding formatted print for firmware consoles.
//
//   Print(bsp, "incoming msg %u (src: 0x%x)\n", len, src);
//
// Supports %s %c %d %i %u %x %X %p %% with the length modifiers l, ll, z
// (e.g. %zu, %lu, %llx) and a zero-padded or space-padded width (%08x, %4u).
// No floating point. Output longer than the internal buffer is written in
// pieces; a NULL %s prints "(null)". Unknown conversions are printed as-is.

#include <cstdarg>
#include <cstddef>

#include "tandem/remote/bsp.h"

namespace tandem::remote {

// Formats into out[0, capacity) and NUL-terminates it when capacity > 0.
// Returns the number of characters the full output needs (like vsnprintf),
// so a result >= capacity means it was truncated.
std::size_t FormatV(char* out, std::size_t capacity, const char* format, std::va_list args);
std::size_t Format(char* out, std::size_t capacity, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

// Formats and writes to the board console.
void PrintV(const TandemBsp& bsp, const char* format, std::va_list args);
void Print(const TandemBsp& bsp, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace tandem::remote
