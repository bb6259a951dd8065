// main() of tandem_core_m4.elf: references the core's public entry points so
// that the linker pulls them (and everything they call) into a bare-metal
// image with no syscalls. If any of them needs malloc, printf, abort, a
// 64-bit atomic from libatomic or anything else a board does not have, the
// link fails; that is the freestanding check of the core (see
// CMakeLists.txt). The image is not meant to be run, only linked and sized.
//
// Values flow through a volatile sink so the optimizer keeps every call.

#include <array>
#include <cstddef>
#include <cstdint>

#include "tandem/base/assert_handler.h"
#include "tandem/base/endian.h"
#include "tandem/base/result.h"
#include "tandem/base/status.h"
#include "tandem/shm/fence.h"
#include "tandem/shm/region.h"

namespace {

volatile std::uint32_t g_sink;

void Sink(std::uint32_t value) { g_sink = g_sink + value; }
void Sink(const tandem::Status& status) {
  Sink(static_cast<std::uint32_t>(status.code()));
  Sink(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(status.message())));
}

// A stand-in for a shared-memory carve-out. A real board links the remote's
// image so that its resource table's device addresses are real RAM.
alignas(64) std::array<std::byte, 4096> g_shared;
constexpr std::uint64_t kSharedDeviceAddress = 0x2001'0000u;

void OnAssert(const char* expr, const char* file, int line) {
  Sink(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(expr)));
  Sink(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(file)));
  Sink(static_cast<std::uint32_t>(line));
}

// --- base ---------------------------------------------------------------
void ReferenceBase() {
  tandem::SetAssertHandler(&OnAssert);
  Sink(static_cast<std::uint32_t>(
      reinterpret_cast<std::uintptr_t>(tandem::StatusCodeName(tandem::StatusCode::kDataLoss))));
  tandem::Le32 word;
  word.set(g_sink);
  Sink(word.get());
}

// --- shm ----------------------------------------------------------------
void ReferenceShm() {
  auto region = tandem::shm::Region::Create(g_shared.data(), g_shared.size(), kSharedDeviceAddress);
  if (!region.ok()) {
    Sink(region.status());
    return;
  }
  tandem::shm::Region& shm = region.value();
  Sink(shm.Write(0, tandem::Le32{}));
  Sink(shm.PublishLe16(8, static_cast<std::uint16_t>(g_sink)));
  tandem::shm::FullFence();
  if (auto index = shm.ConsumeLe16(8); index.ok()) Sink(index.value());
  if (auto offset = shm.Translate(kSharedDeviceAddress + 16, 32); offset.ok()) {
    Sink(static_cast<std::uint32_t>(offset.value()));
  }
  Sink(shm.Fill(64, 64, std::byte{0}));
}

// --- further layers -----------------------------------------------------
// Each layer of the core adds a Reference<Layer>() here when it lands, calling
// its main entry points on objects placed in g_shared, and calls it from
// main() below:
//   virtio:     DriverQueue / DeviceQueue creation, add/get buffer, kick decision
//   rsc:        resource-table parsing of a table in g_shared, the constexpr builder
//   elf:        the ELF reader over a byte span
//   rpmsg:      the device-side bus, endpoint creation, send/receive, name service
//   remoteproc: the lifecycle state machine over a do-nothing Platform
// Keep it referencing only public headers; nothing here may need an OS.

}  // namespace

int main() {
  ReferenceBase();
  ReferenceShm();
  return 0;
}
