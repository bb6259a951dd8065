// vdev::LoadedTable, the remote's reading of what the host patched into its
// resource table, over peer bytes: a table with two RPMsg vdevs (each its
// own vdev<N>buffer carve-out, rings and notifyids, docs/vdevs.md) that the
// input corrupts, read as vdev 0 and as vdev 1. Nothing may crash, read or
// write outside the table or the device window (ASan: both are exact-size
// heap blocks), and a link that is accepted must lie in the window, apart
// from the image and the other vdev's memory of the same link.
//
// Input: byte 0 = mode (bit 0: the rest is the whole table; else it is
// XORed over the well-formed table from offset 0), then table bytes.
// LOADED_TABLE_FUZZ_VERBOSE=1 prints what each input made of each vdev.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "tandem/rsc/builder.h"
#include "tandem/vdev/loaded_table.h"
#include "tandem/virtio/features.h"

namespace {

namespace rsc = tandem::rsc;
namespace vdev = tandem::vdev;

constexpr std::uint32_t kWindowDa = 0x30000000;
constexpr std::uint32_t kWindowSize = 0x8000;
constexpr std::uint32_t kImageDa = 0x10000000;
constexpr std::uint16_t kNum = 4;

struct Table {
  rsc::TableHeader<5> header;
  rsc::TraceEntry trace;
  rsc::CarveoutEntry buffers0;
  rsc::RpmsgVdevEntry<2> vdev0;
  rsc::CarveoutEntry buffers1;
  rsc::RpmsgVdevEntry<2> vdev1;
};
// As a host left it: every address placed in the window, notifyids 0..3.
constexpr Table kTable = {
    .header = rsc::MakeHeader<5>({offsetof(Table, trace), offsetof(Table, buffers0),
                                  offsetof(Table, vdev0), offsetof(Table, buffers1),
                                  offsetof(Table, vdev1)}),
    .trace = rsc::MakeTrace(kWindowDa + 0x7000, 0x400, "trace0"),
    .buffers0 = rsc::MakeCarveout(kWindowDa + 0x1000, 2 * kNum * 512, "vdev0buffer"),
    .vdev0 = rsc::MakeRpmsgVdev(0, 1u << tandem::virtio::kRpmsgFeatureNs,
                                {{kWindowDa, 16, kNum, 0}, {kWindowDa + 0x100, 16, kNum, 1}}),
    .buffers1 = rsc::MakeCarveout(kWindowDa + 0x5000, 2 * kNum * 512, "vdev1buffer"),
    .vdev1 =
        rsc::MakeRpmsgVdev(0, 1u << tandem::virtio::kRpmsgFeatureNs,
                           {{kWindowDa + 0x4000, 16, kNum, 2}, {kWindowDa + 0x4100, 16, kNum, 3}}),
};

bool Inside(std::uint64_t da, std::uint64_t size) {
  return da >= kWindowDa && size <= kWindowSize && da - kWindowDa <= kWindowSize - size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool raw = (data[0] & 1) != 0;
  ++data;
  --size;
  std::size_t table_size = sizeof(Table);
  if (raw) table_size = size < vdev::LoadedTable::kMaxTableSize ? size : 0;
  if (table_size == 0) return 0;
  // Exact-size heap blocks, 8-byte aligned (malloc), so ASan sees any overrun.
  std::unique_ptr<std::byte[]> table(new std::byte[table_size]);
  if (raw) {
    std::memcpy(table.get(), data, table_size);
  } else {
    std::memcpy(table.get(), &kTable, sizeof(Table));
    Table* t = reinterpret_cast<Table*>(table.get());
    t->vdev0.body.status = 0x0F;  // DRIVER_OK
    t->vdev1.body.status = 0x0F;
    for (std::size_t i = 0; i < size && i < table_size; ++i) {
      table[i] ^= static_cast<std::byte>(data[i]);
    }
  }
  std::unique_ptr<std::byte[]> window(new std::byte[kWindowSize]());
  auto region = tandem::shm::Region::Create(window.get(), kWindowSize, kWindowDa);
  if (!region.ok()) std::abort();

  for (std::uint32_t index = 0; index < 2; ++index) {
    vdev::LoadedTableConfig config;
    config.table = tandem::ByteSpan(table.get(), table_size);
    config.device_memory = *region;
    config.image = {kImageDa, 0x1000};
    config.max_vring_num = 256;
    config.vdev_index = index;
    auto loaded = vdev::LoadedTable::Open(config);
    if (!loaded.ok()) continue;
    (void)loaded->ReadStatus();
    (void)loaded->Trace();
    auto link = loaded->ReadLink();
    if (std::getenv("LOADED_TABLE_FUZZ_VERBOSE") != nullptr) {
      std::fprintf(stderr, "vdev %u: %s\n", index,
                   link.ok() ? "link accepted" : link.status().message());
    }
    if (!link.ok()) continue;
    // An accepted link lies in the window, its parts apart.
    const auto& bus = link->bus;
    if (!Inside(bus.vring0.ring.device_address(), bus.vring0.ring.size()) ||
        !Inside(bus.vring1.ring.device_address(), bus.vring1.ring.size()) ||
        !Inside(bus.buffers.device_address(), bus.buffers.size()) ||
        bus.vring0.notifyid == bus.vring1.notifyid) {
      std::abort();
    }
    loaded->SetNeedsReset();
  }
  return 0;
}
