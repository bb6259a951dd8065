#pragma once
// The contract between the simulated board's C runtime (runtime.cc) and a
// firmware image.
//
// The runtime provides the ELF entry `_start(const TandemBsp*)`: it checks
// the board-support table, runs static constructors (.init_array), calls
// FirmwareMain() and ends the core with its return value through bsp.exit.
// .bss needs no clearing: the host's ELF loader zero-fills p_memsz beyond
// p_filesz, as a boot ROM does for a real remote core.
//
// It also provides what the compiler may call in freestanding code
// (memcpy, memmove, memset, memcmp, strlen, __cxa_pure_virtual,
// __cxa_atexit). It deliberately does NOT provide operator new: a firmware
// that allocates fails to link.

#include "tandem/remote/bsp.h"

// Every firmware image defines this. Its return value is the core's exit
// code (0 = clean end).
int FirmwareMain(const TandemBsp& bsp);
