// The selftest firmware: a tiny image that the platform tests drive over the
// mailbox (command words in tandem/selftest/protocol.h, test-only). It
// exercises what every firmware relies on: the BSP table, the console,
// static constructors, the watchdog, shared memory at device addresses
// (through the core's shm::Region, linked from tandem_core_fw), and the
// host's crash detection (faults on command).

#include <cstdint>
#include <cstring>

#include "tandem/remote/bsp.h"
#include "tandem/remote/print.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/selftest/protocol.h"
#include "tandem/shm/region.h"
#include "tandem/simulated_board/runtime.h"

namespace {

namespace mailbox = tandem::remoteproc::mailbox;
namespace st = tandem::selftest;
using tandem::remote::Print;

// Placeholder resource table (Linux remoteproc.h struct resource_table: ver
// 1, no entries). The selftest needs no vdev; the host finds the section.
struct EmptyResourceTable {
  std::uint32_t ver;
  std::uint32_t num;
  std::uint32_t reserved[2];
};
[[gnu::section(".resource_table"), gnu::used]] EmptyResourceTable g_resource_table = {1, 0, {0, 0}};

// Proves that _start ran .init_array: the constructor reads a volatile, so
// the compiler cannot fold it into constant initialization.
volatile std::uint32_t g_boot_seed = 0xB007;
struct BootMarker {
  BootMarker() : value(g_boot_seed) {}
  std::uint32_t value;
};
BootMarker g_boot_marker;

constexpr std::uint64_t kSendTimeoutNs = 1'000'000'000;

void Send(const TandemBsp& bsp, std::uint32_t message) {
  int rc = bsp.mbox_send(bsp.ctx, message, kSendTimeoutNs);
  if (rc != TANDEM_BSP_OK) Print(bsp, "selftest: send 0x%x failed (%d)\n", message, rc);
}

// Reads the argument block once into a local copy and checks it.
bool ReadArgs(st::Args* out) {
  std::memcpy(out, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(st::kArgsAddress)),
              sizeof(*out));
  return out->magic == st::kArgsMagic && out->length > 0;
}

void WriteResult(std::uint32_t result) {
  auto* args = reinterpret_cast<volatile st::Args*>(static_cast<std::uintptr_t>(st::kArgsAddress));
  args->result = result;
}

// The range as a Region at its device address: in the core, a device
// address is the address (docs/architecture.md decision 8).
tandem::Result<tandem::ByteSpan> Window(const st::Args& args) {
  TANDEM_TRY_ASSIGN(auto region,
                    tandem::shm::Region::Create(
                        reinterpret_cast<void*>(static_cast<std::uintptr_t>(args.device_address)),
                        args.length, args.device_address));
  return region.Bytes(0, args.length);
}

std::uint32_t MemoryCommand(const TandemBsp& bsp, std::uint32_t command) {
  st::Args args;
  if (!ReadArgs(&args)) return st::kReplyError;
  auto window = Window(args);
  if (!window.ok()) {
    Print(bsp, "selftest: bad range: %s\n", window.status().message());
    return st::kReplyError;
  }
  std::uint8_t* bytes = reinterpret_cast<std::uint8_t*>(window->data());
  if (command == st::kCmdWritePattern) {
    for (std::uint32_t i = 0; i < args.length; ++i) bytes[i] = st::Pattern(args.seed, i);
    WriteResult(args.length);
  } else {
    std::uint32_t hash = st::kChecksumInit;
    for (std::uint32_t i = 0; i < args.length; ++i) hash = st::ChecksumStep(hash, bytes[i]);
    WriteResult(hash);
  }
  return st::kReplyDone;
}

[[noreturn]] void NullDeref() {
  std::uint32_t* p = nullptr;
  // Hide the null from the optimizer: a store it can see is to nullptr may
  // be turned into a trap (ud2, SIGILL) instead of a real SIGSEGV.
  __asm__ volatile("" : "+r"(p));
  *reinterpret_cast<volatile std::uint32_t*>(p) = 1;
  __builtin_unreachable();
}

[[noreturn]] void IgnoreAll(const TandemBsp& bsp) {
  for (;;) {
    bsp.watchdog_pet(bsp.ctx);
    std::uint32_t dropped;
    (void)bsp.mbox_wait(bsp.ctx, &dropped, st::kPetIntervalNs);
  }
}

}  // namespace

int FirmwareMain(const TandemBsp& bsp) {
  Print(bsp, "selftest: booted (bsp abi %u, constructors %s)\n", bsp.abi_version,
        g_boot_marker.value == 0xB007 ? "ran" : "MISSING");
  Send(bsp, mailbox::kReady);
  for (;;) {
    bsp.watchdog_pet(bsp.ctx);
    std::uint32_t message = 0;
    int rc = bsp.mbox_wait(bsp.ctx, &message, st::kPetIntervalNs);
    if (rc == TANDEM_BSP_TIMEOUT) continue;
    if (rc != TANDEM_BSP_OK) {
      Print(bsp, "selftest: mailbox failed (%d)\n", rc);
      return 3;
    }
    if (!mailbox::IsControl(message)) {
      Send(bsp, message);  // kick echo
      continue;
    }
    switch (message) {
      case mailbox::kEchoRequest: Send(bsp, mailbox::kEchoReply); break;
      case mailbox::kShutdown:
        Print(bsp, "selftest: shutdown\n");
        Send(bsp, mailbox::kShutdownAck);
        return 0;
      case mailbox::kAbortRequest:
      case st::kCmdNullDeref: NullDeref();
      case st::kCmdIllegalOp: __asm__ volatile("ud2"); break;
      case st::kCmdExit134: bsp.exit(bsp.ctx, 134); break;
      case st::kCmdHang:
        for (;;) __asm__ volatile("pause");
      case st::kCmdIgnoreAll: IgnoreAll(bsp);
      case st::kCmdWritePattern:
      case st::kCmdChecksum: Send(bsp, MemoryCommand(bsp, message)); break;
      case st::kCmdPrint:
        Print(bsp, "selftest: print %s|%u|%d|%x|%zu|%c|%08x|%%\n", "str", 42u, -7, 0xbeefu,
              std::size_t{123}, 'Z', 0x1234u);
        Send(bsp, st::kReplyDone);
        break;
      default: Send(bsp, st::kReplyUnknown); break;
    }
  }
}
