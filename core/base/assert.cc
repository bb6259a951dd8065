#include "tandem/base/assert.h"

#include "tandem/base/assert_handler.h"

namespace tandem {
namespace {
AssertHandler g_assert_handler = nullptr;
}  // namespace

void SetAssertHandler(AssertHandler handler) { g_assert_handler = handler; }

void AssertFail(const char* expr, const char* file, int line) {
  if (g_assert_handler != nullptr) g_assert_handler(expr, file, line);
  __builtin_trap();
}

}  // namespace tandem
