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

#include "tandem/base/span.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/rsc/builder.h"
#include "tandem/rsc/wire.h"
#include "tandem/testing/elf_builder.h"

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

// A resource table made of `entries` (rsc builder entry values), in order:
// header, offset array, then the entries back to back. Assembled at run
// time (rsc::Table does the same at compile time, but clang 14 rejects its
// consteval offset computation).
template <typename... E>
Bytes AssembleTable(const E&... entries) {
  constexpr std::size_t kCount = sizeof...(E);
  Bytes out(sizeof(rsc::FwTableHeader) + 4 * kCount, 0);
  const auto put32 = [&out](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  put32(0, rsc::kTableVersion);
  put32(4, static_cast<std::uint32_t>(kCount));
  std::size_t index = 0;
  const auto append = [&](const auto& entry) {
    static_assert(sizeof(entry) % 4 == 0);
    put32(sizeof(rsc::FwTableHeader) + 4 * index++, static_cast<std::uint32_t>(out.size()));
    const auto* p = reinterpret_cast<const std::uint8_t*>(&entry);
    out.insert(out.end(), p, p + sizeof(entry));
  };
  (append(entries), ...);
  return out;
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

inline constexpr rsc::RpmsgVdevEntry<2> kStdVdev = rsc::MakeRpmsgVdev(
    /*notifyid=*/0, kFeatureNs | kFeatureEventIdx | kFeatureUnsupported,
    {{rsc::kAddrAny, kVringAlign, kVringNum, 0xAA}, {rsc::kAddrAny, kVringAlign, kVringNum, 0xBB}});

inline Bytes StdTable() {
  return AssembleTable(rsc::MakeCarveout(kCodeDa, kCodeLen, "code"),
                       rsc::MakeCarveout(rsc::kAddrAny, kDataLen, "data"),
                       rsc::MakeTrace(kTraceDa, kTraceLen, "trace"), kStdVdev);
}

struct Segment {
  std::uint64_t paddr;
  Bytes data;
  std::uint64_t memsz;
};

struct FirmwareSpec {
  bool is_64bit = false;
  std::uint16_t machine = elf::kMachineArm;
  std::uint64_t entry = kEntry;
  Bytes table;  // empty: no .resource_table section
  std::uint64_t table_da = kTableDa;
  bool table_in_segment = true;  // also load the table as a PT_LOAD
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
  spec.table = StdTable();
  spec.segments.push_back({kCodeDa, Pattern(kCodeBytes, 7), kCodeMemsz});
  return spec;
}

inline Bytes StdFirmware(bool is_64bit = false) { return BuildFirmware(StdSpec(is_64bit)); }

// --- Link layout ------------------------------------------------------------
// The boot layout with what a remote vdev runtime (vdev::RemoteLink) needs:
// a "vdev0buffer" carve-out and vrings the host places (FW_RSC_ADDR_ANY) in
// FakePlatform's pool bank. The firmware's table is at kTableDa.
inline constexpr std::uint32_t kLinkBufferSize = 512;
inline constexpr std::uint32_t kLinkBufferArea = 2 * kVringNum * kLinkBufferSize;

inline Bytes LinkTable() {
  return AssembleTable(
      rsc::MakeCarveout(kCodeDa, kCodeLen, "code"),
      rsc::MakeCarveout(rsc::kAddrAny, kLinkBufferArea, "vdev0buffer"),
      rsc::MakeTrace(kTraceDa, kTraceLen, "trace"),
      rsc::MakeRpmsgVdev(0, kFeatureNs | kFeatureEventIdx,
                         {{rsc::kAddrAny, kVringAlign, kVringNum, rsc::kAddrAny},
                          {rsc::kAddrAny, kVringAlign, kVringNum, rsc::kAddrAny}}));
}

// A firmware image of the link layout for `machine`.
inline Bytes LinkFirmware(std::uint16_t machine = elf::kMachineArm) {
  FirmwareSpec spec = StdSpec();
  spec.machine = machine;
  spec.table = LinkTable();
  return BuildFirmware(spec);
}

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

inline constexpr rsc::RpmsgVdevEntry<2> kAttachVdev =
    rsc::MakeRpmsgVdev(0, kFeatureNs,
                       {{kAttachVring0Da, kVringAlign, kVringNum, kAttachNotify0},
                        {kAttachVring1Da, kVringAlign, kVringNum, kAttachNotify1}});

// The attach table; `as_running`: as a previous host left it (status
// DRIVER_OK etc., gfeatures written); `notify0` replaces vring0's notifyid,
// `vring0_da` its address.
inline Bytes AttachTable(bool as_running = true, std::uint32_t notify0 = kAttachNotify0,
                         std::uint32_t vring0_da = kAttachVring0Da) {
  rsc::RpmsgVdevEntry<2> vdev = kAttachVdev;
  vdev.vring[0].da = Le32(vring0_da);
  if (as_running) {
    vdev.body.status = 0x0F;
    vdev.body.gfeatures = Le32(kFeatureNs);
  }
  vdev.vring[0].notifyid = Le32(notify0);
  return AssembleTable(rsc::MakeCarveout(kAttachFwDa, kAttachFwLen, "fw"),
                       rsc::MakeCarveout(kAttachSharedDa, 0x4000, "shared"),
                       rsc::MakeCarveout(kAttachBufferDa, kAttachBufferLen, "vdev0buffer"),
                       rsc::MakeTrace(kAttachTraceDa, kAttachTraceLen, "trace"), vdev);
}

inline Bytes AttachTableAsRunning() { return AttachTable(true); }

}  // namespace tandem::remoteproc::testing
