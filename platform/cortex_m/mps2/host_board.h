#pragma once
// The MPS2 board as a remote core driven by a Linux host (the "QEMU
// host-driven" board, platform/qemu/include/tandem/qemu/board.h; docs/qemu.md):
// the board-support table (remote/bsp.h) a firmware's FirmwareMain gets.
//
//   mailbox   UART1, interrupt-driven receive: the RX interrupt assembles
//             4-byte little-endian words; notifyids become a pending mask
//             (coalesced), control words a 16-entry FIFO. mbox_wait sleeps
//             in WFI until the interrupt left a message or the deadline
//             timer (CMSDK Timer0) fired. mbox_send writes the 4 bytes
//             (polled: QEMU's UART transmits at once).
//   clock     CMSDK Timer1 free-running at 25 MHz, extended to 64 bits by
//             its wrap interrupt.
//   console   UART0, polled.
//   watchdog  watchdog_pet increments a counter in the board page of the
//             shared RAM (board.h); the host resets a core that stops.
//   exit      a non-zero code is reported as kCrash; the core then halts.
//   faults    HardFault (every fault escalates to it: the configurable
//             ones are not enabled) prints the fault registers on UART0,
//             sends kCrash and halts; the host ends QEMU.

#include "tandem/remote/bsp.h"

namespace tandem::cortex_m::mps2 {

// Sets up the UARTs, timers and interrupts (once, from main) and returns
// the table, valid for the image's life.
const TandemBsp& HostBoardInit();

}  // namespace tandem::cortex_m::mps2
