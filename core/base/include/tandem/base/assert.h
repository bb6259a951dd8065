#pragma once
// Asserts are for our own programming errors only, never for data from the
// peer (that is a Status). They stay on in release builds: a broken
// invariant in a protocol stack must stop, not corrupt shared memory.

namespace tandem {
[[noreturn]] void AssertFail(const char* expr, const char* file, int line);
}  // namespace tandem

#define TANDEM_ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : ::tandem::AssertFail(#expr, __FILE__, __LINE__))
