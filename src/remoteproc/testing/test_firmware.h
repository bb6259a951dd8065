#pragma once
// Test-only: firmware images and resource tables for the remoteproc tests,
// the fuzz seeds and the fuzz harness. Builds real ELF files with the elf
// layer's test builder (src/elf/elf_test_builder.h) and tables with the
// rsc constexpr builder, so the bytes are what a firmware build produces.
//
// Two layouts, both inside FakePlatform's default banks:
//  * the "boot" firmware (StdFirmware): carveout "code" 0x20000000+64 KiB
//    holding the image, the table (at kTableDa) and the trace buffer; an
//    FW_RSC_ADDR_ANY carveout "data"; an rpmsg vdev with ANY vrings.
//  * the "attach" layout (AttachTable): a table a previous host already
//    filled in, with fixed addresses only, at kAttachTableDa.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "src/elf/elf_test_builder.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/rsc/builder.h"

namespace tandem::remoteproc::testing {

using Bytes = std::vector<std::uint8_t>;

inline Bytes Pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 13);
  return b;
}

template <typename T>
Bytes TableBytes(const T& table) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &table, sizeof(T));
  return b;
}

inline ConstByteSpan Span(const Bytes& b) {
  return {reinterpret_cast<const std::byte*>(b.data()), b.size()};
}

// --- Boot layout ----------------------------------------------------------
inline constexpr std::uint32_t kCodeDa = 0x20000000;
inline constexpr std::uint32_t kCodeLen = 0x10000;
inline constexpr std::uint32_t kTableDa = 0x20008000;
inline constexpr std::uint32_t kTraceDa = 0x2000F000;
inline constexpr std::uint32_t kTraceLen = 0x400;
inline constexpr std::uint32_t kDataLen = 0x2000;
inline constexpr std::uint32_t kVringNum = 8;
inline constexpr std::uint32_t kVringAlign = 4096;
inline constexpr std::uint64_t kEntry = 0x20000101;
inline constexpr std::uint32_t kFeatureNs = 1u << 0;
inline constexpr std::uint32_t kFeatureEventIdx = 1u << 29;
inline constexpr std::uint32_t kFeatureUnsupported = 1u << 5;
inline constexpr std::size_t kCodeBytes = 0x100;  // file bytes of the code segment
inline constexpr std::size_t kCodeMemsz = 0x300;  // memsz: 0x200 bytes of .bss

using StdTableType = rsc::Table<rsc::CarveoutEntry, rsc::CarveoutEntry, rsc::TraceEntry,
                                rsc::RpmsgVdevEntry<2>>;
inline constexpr StdTableType kStdTable{
    rsc::MakeCarveout(kCodeDa, kCodeLen, "code"),
    rsc::MakeCarveout(rsc::kAddrAny, kDataLen, "data"),
    rsc::MakeTrace(kTraceDa, kTraceLen, "trace"),
    rsc::MakeRpmsgVdev(/*notifyid=*/0, kFeatureNs | kFeatureEventIdx | kFeatureUnsupported,
                       {{rsc::kAddrAny, kVringAlign, kVringNum, 0xAA},
                        {rsc::kAddrAny, kVringAlign, kVringNum, 0xBB}}),
};

struct Segment {
  std::uint64_t paddr;
  Bytes data;
  std::uint64_t memsz;
};

struct FirmwareSpec {
  bool is_64bit = false;
  std::uint16_t machine = elf::kMachineArm;
  std::uint64_t entry = kEntry;
  Bytes table;                       // empty: no .resource_table section
  std::uint64_t table_da = kTableDa;
  bool table_in_segment = true;      // also load the table as a PT_LOAD
  std::vector<Segment> segments;
};

inline Bytes BuildFirmware(const FirmwareSpec& spec) {
  elf::testing::ElfBuilder b(spec.is_64bit, spec.machine);
  b.Entry(spec.entry);
  for (const Segment& s : spec.segments) b.AddSegment(elf::kPtLoad, s.paddr, s.data, s.memsz);
  if (!spec.table.empty() && spec.table_in_segment) {
    b.AddSegment(elf::kPtLoad, spec.table_da, spec.table, spec.table.size());
  }
  b.AddSection(".text", elf::kShtProgbits, Pattern(16, 1), kCodeDa);
  if (!spec.table.empty()) {
    b.AddSection(".resource_table", elf::kShtProgbits, spec.table, spec.table_da);
  }
  return b.Build();
}

inline FirmwareSpec StdSpec(bool is_64bit = false) {
  FirmwareSpec spec;
  spec.is_64bit = is_64bit;
  spec.table = TableBytes(kStdTable);
  spec.segments.push_back({kCodeDa, Pattern(kCodeBytes, 7), kCodeMemsz});
  return spec;
}

inline Bytes StdFirmware(bool is_64bit = false) { return BuildFirmware(StdSpec(is_64bit)); }

// --- Attach layout ----------------------------------------------------------
inline constexpr std::uint32_t kAttachFwDa = 0x20040000;
inline constexpr std::uint32_t kAttachFwLen = 0x10000;
inline constexpr std::uint32_t kAttachTableDa = 0x20040000;
inline constexpr std::uint32_t kAttachTraceDa = 0x2004F000;
inline constexpr std::uint32_t kAttachTraceLen = 0x100;
inline constexpr std::uint32_t kAttachSharedDa = 0x20050000;
inline constexpr std::uint32_t kAttachVring0Da = 0x20050000;
inline constexpr std::uint32_t kAttachVring1Da = 0x20052000;
inline constexpr std::uint32_t kAttachBufferDa = 0x20060000;
inline constexpr std::uint32_t kAttachBufferLen = 2 * kVringNum * 512;
inline constexpr std::uint32_t kAttachNotify0 = 5;
inline constexpr std::uint32_t kAttachNotify1 = 6;

using AttachTableType = rsc::Table<rsc::CarveoutEntry, rsc::CarveoutEntry, rsc::CarveoutEntry,
                                   rsc::TraceEntry, rsc::RpmsgVdevEntry<2>>;
inline constexpr AttachTableType kAttachTable{
    rsc::MakeCarveout(kAttachFwDa, kAttachFwLen, "fw"),
    rsc::MakeCarveout(kAttachSharedDa, 0x4000, "shared"),
    rsc::MakeCarveout(kAttachBufferDa, kAttachBufferLen, "vdev0buffer"),
    rsc::MakeTrace(kAttachTraceDa, kAttachTraceLen, "trace"),
    rsc::MakeRpmsgVdev(0, kFeatureNs,
                       {{kAttachVring0Da, kVringAlign, kVringNum, kAttachNotify0},
                        {kAttachVring1Da, kVringAlign, kVringNum, kAttachNotify1}}),
};

// The attach table as a previous host left it: status DRIVER_OK etc.,
// gfeatures written.
inline Bytes AttachTableAsRunning() {
  AttachTableType t = kAttachTable;
  t.get<4>().body.status = 0x0F;
  t.get<4>().body.gfeatures = Le32(kFeatureNs);
  return TableBytes(t);
}

}  // namespace tandem::remoteproc::testing
