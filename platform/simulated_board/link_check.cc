// Link checks of the firmware runtime (firmware/CMakeLists.txt): each CASE
// is linked as a whole image with the runtime and firmware.ld. CASE 0 must
// link, so a broken harness cannot pass as "failed as expected"; CASE 1
// allocates and must fail: the runtime has no operator new on purpose.

#include "tandem/simulated_board/runtime.h"

namespace {
struct Base {
  virtual ~Base() = default;
  virtual int Value() const = 0;
};
struct Derived final : Base {
  int Value() const override { return 7; }
};
}  // namespace

int FirmwareMain(const TandemBsp&) {
#if CASE == 0
  // Virtual calls, a static object with a constructor: all provided.
  static Derived object;
  const Base& base = object;
  return base.Value();
#elif CASE == 1
  // Escapes through a volatile, so the allocation cannot be elided.
  static Base* volatile heap;
  heap = new Derived;
  return heap->Value();
#endif
}
