#pragma once
// Data-cache maintenance by address for Cortex-M cores with a D-cache and
// no coherency with the other core (Cortex-M7; ARMv7-M Architecture
// Reference Manual B2.2.7 "Cache maintenance operations", the SCB registers
// at 0xE000EF50..0xE000EF78): shm::CacheOps for the shared memory's
// Regions, so every write the core makes to the rings and buffers is cleaned
// to memory before the host is told, and every read of what the host wrote
// is preceded by an invalidate (the rule of tandem/shm/cache.h).
//
// Compiled in by configuration (CMake TANDEM_CORTEX_M_DCACHE, on for the
// cortex-m7 preset): a core without a D-cache pays nothing. The firmware
// still decides whether to turn the cache on (SCB->CCR.DC); these
// operations are harmless with it off. QEMU does not model caches: the
// host test (tests/data_cache_test.cc) checks the register writes with a
// recording Hardware, and core/rpmsg's cache_test and virtio's
// virtqueue_test that the hooks run at the right places.
//
// Header-only so that it is the same code on the target and in that test.

#include <cstddef>
#include <cstdint>

#include "tandem/shm/cache.h"

namespace tandem::cortex_m {

inline constexpr std::uintptr_t kDcimvac = 0xE000EF5Cu;  // invalidate by address, to PoC
inline constexpr std::uintptr_t kDccmvac = 0xE000EF68u;  // clean by address, to PoC
// The Cortex-M7's data cache line (Cortex-M7 TRM, "L1 caches").
inline constexpr std::uint32_t kCortexM7LineSize = 32;

// The real registers. DSB after the operations so they complete before the
// doorbell (or the read) that follows; ISB so later instructions see them.
struct MmioCacheRegisters {
  static void Write(std::uintptr_t reg, std::uint32_t value) {
    *reinterpret_cast<volatile std::uint32_t*>(reg) = value;
  }
  static void Barrier() {
#if defined(__ARM_ARCH)
    __asm__ volatile("dsb sy\n\tisb sy" ::: "memory");
#endif
  }
};

template <class Hardware = MmioCacheRegisters>
class DataCache final : public shm::CacheOps {
 public:
  explicit DataCache(Hardware hardware = {}, std::uint32_t line_size = kCortexM7LineSize)
      : hw_(hardware), line_(line_size) {}

  void Clean(const void* addr, std::size_t len) override { EachLine(kDccmvac, addr, len); }
  void Invalidate(const void* addr, std::size_t len) override { EachLine(kDcimvac, addr, len); }

  Hardware& hardware() { return hw_; }

 private:
  // Every line that holds a byte of [addr, addr + len), then one barrier.
  void EachLine(std::uintptr_t reg, const void* addr, std::size_t len) {
    if (len == 0) return;
    const auto first = reinterpret_cast<std::uintptr_t>(addr);
    const std::uintptr_t last =
        len - 1 > UINTPTR_MAX - first ? UINTPTR_MAX : first + (len - 1);  // inclusive
    const std::uintptr_t mask = ~static_cast<std::uintptr_t>(line_ - 1);
    for (std::uintptr_t a = first & mask;; a += line_) {
      hw_.Write(reg, static_cast<std::uint32_t>(a));
      if (a >= (last & mask)) break;
    }
    hw_.Barrier();
  }

  Hardware hw_;
  std::uint32_t line_;
};

}  // namespace tandem::cortex_m
