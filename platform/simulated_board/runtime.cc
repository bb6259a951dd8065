// The firmware runtime for the Linux simulated core: ELF entry, static
// constructors, and the few library functions a freestanding C++ image
// needs. Nothing of libc or libstdc++ is linked (-nostdlib).
//
// memcpy/memset use x86 string instructions, and the remaining byte loops
// carry an empty asm barrier: a compiler recognises a plain copy or fill
// loop as the memcpy/memset idiom and would compile these functions into
// calls to themselves (GCC's -ftree-loop-distribute-patterns, clang's
// loop-idiom pass).

#include "tandem/simulated_board/runtime.h"

#include <cstddef>
#include <cstdint>

#include "tandem/remote/bsp.h"

extern "C" {

// From firmware.ld.
using InitFunction = void (*)();
extern InitFunction __init_array_start[];
extern InitFunction __init_array_end[];

// The ELF entry (firmware.ld: ENTRY(_start)). The board calls it as a C
// function with the board-support table in the first argument register; it
// runs on the board's stack.
[[noreturn]] void _start(const TandemBsp* bsp) {
  // A table we do not understand leaves no way to report anything: stop
  // with an illegal instruction, which the host sees as a crash (SIGILL).
  if (bsp == nullptr || bsp->abi_version != TANDEM_BSP_ABI_VERSION ||
      bsp->size < sizeof(TandemBsp) || bsp->exit == nullptr) {
    __builtin_trap();
  }
  for (InitFunction* init = __init_array_start; init < __init_array_end; ++init) (*init)();
  int code = FirmwareMain(*bsp);
  bsp->exit(bsp->ctx, code);
  __builtin_trap();  // exit() must not return
}

// Keeps the compiler from turning the enclosing loop into a library call.
#define TANDEM_NO_IDIOM() __asm__ volatile("" ::: "memory")

void* memcpy(void* __restrict dst, const void* __restrict src, std::size_t n) {
  void* d = dst;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void* memmove(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d <= s || d >= s + n) return memcpy(dst, src, n);  // forward copy is safe
  for (std::size_t i = n; i > 0; --i) {
    d[i - 1] = s[i - 1];
    TANDEM_NO_IDIOM();
  }
  return dst;
}

void* memset(void* dst, int value, std::size_t n) {
  void* d = dst;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(value) : "memory");
  return dst;
}

int memcmp(const void* a, const void* b, std::size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    TANDEM_NO_IDIOM();
  }
  return 0;
}

std::size_t strlen(const char* s) {
  std::size_t n = 0;
  while (s[n] != '\0') {
    ++n;
    TANDEM_NO_IDIOM();
  }
  return n;
}

// A pure virtual call is our own bug: stop loudly.
void __cxa_pure_virtual() { __builtin_trap(); }

// Static destructors never run: the core ends by being reset or by exit(),
// as on a microcontroller. Registering one is therefore a no-op.
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

}  // extern "C"

// Virtual destructors make the compiler emit deleting destructors, which
// reference operator delete even if nothing is ever deleted. They are never
// called (there is no operator new), so reaching one is a bug. operator new
// is left undefined on purpose: a firmware that allocates fails to link.
void operator delete(void*) noexcept { __builtin_trap(); }
void operator delete(void*, std::size_t) noexcept { __builtin_trap(); }
