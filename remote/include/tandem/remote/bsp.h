#pragma once
/*
 * The board-support table: everything a firmware image gets from the board
 * it runs on (docs/architecture.md decision 8: "its memory, a doorbell, a timer
 * and a console"). Everything else goes through shared memory.
 *
 * This is a C ABI shared by two separately built programs: the firmware ELF
 * (freestanding, on the remote runtime) and the board that calls it (on the
 * simulated board, the Linux platform's `tandem-core` launcher,
 * platform/linux/launcher; on a Cortex-M board, its start-up code). It is
 * the remote runtime's board interface, so it lives with the remote runtime
 * and the launcher includes it from here: there is exactly one definition.
 *
 * Calling convention: the board calls the ELF entry point as a C function
 *   void entry(const TandemBsp* bsp);
 * with the table in the first argument register (x86-64 SysV: %rdi). The
 * table and everything it points to stay valid until the core ends.
 *
 * Versioning: abi_version changes when a field changes meaning; fields are
 * only ever appended, and `size` is sizeof(TandemBsp) as the board built it,
 * so a firmware checks `size` before using a field newer than itself.
 *
 * Threading: the firmware runs on one thread; the functions are not meant
 * to be called concurrently (the Linux board tolerates it anyway).
 *
 * Plain C on purpose (no C++ in the ABI), and no pointers into shared memory:
 * `ctx` is the board's private state, opaque to the firmware.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TANDEM_BSP_ABI_VERSION 1u

/* Return values of mbox_send / mbox_wait. */
#define TANDEM_BSP_OK 0
#define TANDEM_BSP_TIMEOUT 1     /* nothing arrived / no space in time */
#define TANDEM_BSP_EINVAL (-1)   /* e.g. a notifyid >= 64 */
#define TANDEM_BSP_EBROKEN (-2)  /* the mailbox page is corrupt */
#define TANDEM_BSP_EABORTED (-3) /* the board is shutting the mailbox down */

/* A timeout that never expires. */
#define TANDEM_BSP_FOREVER UINT64_MAX

typedef struct TandemBsp {
  uint32_t abi_version; /* TANDEM_BSP_ABI_VERSION */
  uint32_t size;        /* sizeof(TandemBsp) as the board built it */
  void* ctx;            /* first argument of every function below */

  /* Sends one 32-bit mailbox message to the host: a vring notifyid (< 64,
   * coalesced with other kicks of the same id) or a control message
   * (>= 0xFFFFFF00, queued, never lost). Waits up to timeout_ns for room in
   * the control queue. */
  int (*mbox_send)(void* ctx, uint32_t msg, uint64_t timeout_ns);
  /* Waits up to timeout_ns for one message from the host; stores it in *msg.
   * A timeout of 0 polls. */
  int (*mbox_wait)(void* ctx, uint32_t* msg, uint64_t timeout_ns);
  /* Monotonic time in nanoseconds (the core's timer). */
  uint64_t (*now_ns)(void* ctx);
  /* Writes n bytes to the board's console (no formatting, no NUL needed). */
  void (*console_write)(void* ctx, const char* s, size_t n);
  /* Tells the board's watchdog the firmware is alive. If the firmware stops
   * calling this for longer than the watchdog timeout, the board resets the
   * core and the host sees a watchdog crash. */
  void (*watchdog_pet)(void* ctx);
  /* Ends the core with an exit code (0 = clean). Does not return. A firmware
   * whose entry returns ends as well. */
  void (*exit)(void* ctx, int code);
} TandemBsp;

#ifdef __cplusplus
} /* extern "C" */
#endif
