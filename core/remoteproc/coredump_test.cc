#include "tandem/remoteproc/coredump.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/testing/fake_rproc_platform.h"
#include "tandem/testing/fake_shm.h"
#include "tandem/testing/test_firmware.h"

namespace tandem::remoteproc {
namespace {

using testing::Bytes;
using testing::FakePlatform;
using testing::Span;
namespace fw = testing;

constexpr std::uint16_t kEtCore = 4;

class VectorWriter final : public CoredumpWriter {
 public:
  Status Write(ConstByteSpan bytes) override {
    ++calls;
    if (calls == fail_at) return Unavailable("disk full");
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    out.insert(out.end(), p, p + bytes.size());
    return OkStatus();
  }
  Bytes out;
  int calls = 0;
  int fail_at = -1;
};

void Fill(shm::Region& r, std::uint8_t seed) {
  for (std::size_t i = 0; i < r.size(); ++i)
    r.base()[i] = std::byte(static_cast<std::uint8_t>(seed + i));
}

TEST(WriteElfCore, Elf32CoreHasOnePtLoadPerRegionWithItsBytes) {
  tandem::testing::FakeShm a(256, 0x20000000), b(100, 0x30001000);
  Fill(a.region(), 1);
  Fill(b.region(), 77);
  const shm::Region regions[] = {a.region(), b.region()};
  VectorWriter w;
  ASSERT_TRUE(WriteElfCore({false, elf::kMachineArm, 0x20000101}, regions, w).ok());
  auto core = elf::ElfFile::Parse(Span(w.out));
  ASSERT_TRUE(core.ok()) << core.status().message();
  EXPECT_EQ(core->type(), kEtCore);
  EXPECT_FALSE(core->is_64bit());
  EXPECT_EQ(core->machine(), elf::kMachineArm);
  EXPECT_EQ(core->entry(), 0x20000101u);
  ASSERT_EQ(core->program_header_count(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto ph = core->program_header(i);
    ASSERT_TRUE(ph.ok());
    EXPECT_EQ(ph->type, elf::kPtLoad);
    EXPECT_EQ(ph->vaddr, regions[i].device_address());
    EXPECT_EQ(ph->paddr, regions[i].device_address());
    EXPECT_EQ(ph->filesz, regions[i].size());
    EXPECT_EQ(ph->memsz, regions[i].size());
    const auto data = core->SegmentData(*ph);
    ASSERT_TRUE(data.ok());
    ASSERT_EQ(data->size(), regions[i].size());
    EXPECT_EQ(std::memcmp(data->data(), regions[i].base(), regions[i].size()), 0);
  }
  EXPECT_EQ(w.out.size(), sizeof(elf::Elf32Ehdr) + 2 * sizeof(elf::Elf32Phdr) + 256 + 100);
}

TEST(WriteElfCore, Elf64CoreCarriesAddressesAbove4GiB) {
  tandem::testing::FakeShm a(64, 0x1'2000'0000);
  Fill(a.region(), 5);
  const shm::Region regions[] = {a.region()};
  VectorWriter w;
  ASSERT_TRUE(WriteElfCore({true, elf::kMachineAArch64, 0}, regions, w).ok());
  auto core = elf::ElfFile::Parse(Span(w.out));
  ASSERT_TRUE(core.ok()) << core.status().message();
  EXPECT_TRUE(core->is_64bit());
  EXPECT_EQ(core->program_header(0)->paddr, 0x1'2000'0000u);
  // The same region cannot be described by an ELF32 core.
  VectorWriter w32;
  EXPECT_EQ(WriteElfCore({false, elf::kMachineArm, 0}, regions, w32).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(w32.out.empty());  // checked before anything is written
}

TEST(WriteElfCore, WriterErrorStopsTheDump) {
  tandem::testing::FakeShm a(64, 0x20000000);
  const shm::Region regions[] = {a.region()};
  VectorWriter w;
  w.fail_at = 3;  // header, phdr, then data
  EXPECT_EQ(WriteElfCore({false, elf::kMachineArm, 0}, regions, w).code(),
            StatusCode::kUnavailable);
}

TEST(RemoteProcCoredump, DumpsEveryMappedRegionExceptDevmem) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeDevmem(0x40000000, 0x40000000, 0x1000, "regs"),
      rsc::MakeTrace(fw::kTraceDa, fw::kTraceLen, "trace"),
      rsc::MakeRpmsgVdev(0, 1, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}}));
  FakePlatform platform;
  platform.AddBank(0x40000000, 0x1000);
  RemoteProc rproc(platform, Options{});
  fw::FirmwareSpec spec = fw::StdSpec();
  spec.table = table;
  const Bytes image = fw::BuildFirmware(spec);
  VectorWriter early;
  ASSERT_TRUE(rproc.Load(Span(image)).ok()) << rproc.error_detail();
  EXPECT_EQ(rproc.Coredump(early).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(rproc.Start().ok());

  VectorWriter w;
  ASSERT_TRUE(rproc.Coredump(w).ok());
  auto core = elf::ElfFile::Parse(Span(w.out));
  ASSERT_TRUE(core.ok()) << core.status().message();
  EXPECT_EQ(core->type(), kEtCore);
  EXPECT_EQ(core->machine(), elf::kMachineArm);
  EXPECT_EQ(core->entry(), fw::kEntry);
  std::size_t non_devmem = 0;
  for (const MappedRegion& m : rproc.mapped_regions()) non_devmem += m.kind != MemoryKind::kDevmem;
  EXPECT_EQ(rproc.mapped_regions().size(), non_devmem + 1);
  ASSERT_EQ(core->program_header_count(), non_devmem);
  for (std::size_t i = 0; i < core->program_header_count(); ++i) {
    const auto ph = core->program_header(i);
    ASSERT_TRUE(ph.ok());
    EXPECT_NE(ph->paddr, 0x40000000u);
    const auto data = core->SegmentData(*ph);
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(Bytes(reinterpret_cast<const std::uint8_t*>(data->data()),
                    reinterpret_cast<const std::uint8_t*>(data->data()) + data->size()),
              platform.Read(ph->paddr, static_cast<std::size_t>(ph->filesz)));
  }
  // The code carveout is in the dump with the loaded image.
  bool found_code = false;
  for (std::size_t i = 0; i < core->program_header_count(); ++i) {
    found_code |= core->program_header(i)->paddr == fw::kCodeDa &&
                  core->program_header(i)->filesz == fw::kCodeLen;
  }
  EXPECT_TRUE(found_code);
}

TEST(RemoteProcCoredump, Elf64FirmwareGivesAnElf64CoreAndCrashedRemotesCanBeDumped) {
  FakePlatform platform;
  Options options;
  options.recovery = false;
  RemoteProc rproc(platform, options);
  const Bytes image = fw::StdFirmware(/*is_64bit=*/true);
  ASSERT_TRUE(rproc.Boot(Span(image)).ok());
  rproc.ReportCrash(CrashReason::kFault, "");
  VectorWriter w;
  ASSERT_TRUE(rproc.Coredump(w).ok());
  auto core = elf::ElfFile::Parse(Span(w.out));
  ASSERT_TRUE(core.ok());
  EXPECT_TRUE(core->is_64bit());
}

}  // namespace
}  // namespace tandem::remoteproc
