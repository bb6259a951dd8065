#pragma once
// Lets a hosted platform report assertion failures (print, log) before the
// core traps. The core itself has no I/O.

namespace tandem {
using AssertHandler = void (*)(const char* expr, const char* file, int line);
// Not thread-safe; call once at start-up.
void SetAssertHandler(AssertHandler handler);
}  // namespace tandem
