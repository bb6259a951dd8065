#include "tandem/remoteproc/coredump.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/testing/core_file.h"
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
  ASSERT_EQ(core->program_header_count(), 3u);  // the notes, then the regions
  EXPECT_EQ(core->program_header(0)->type, elf::kPtNote);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto ph = core->program_header(i + 1);
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
  const std::uint64_t notes = CoreNotesSize({false, elf::kMachineArm, 0}, {});
  EXPECT_EQ(w.out.size(), sizeof(elf::Elf32Ehdr) + 3 * sizeof(elf::Elf32Phdr) + notes + 256 + 100);
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
  EXPECT_EQ(core->program_header(1)->paddr, 0x1'2000'0000u);
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
  w.fail_at = 4;  // header, two phdrs, then the notes
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
  ASSERT_EQ(core->program_header_count(), non_devmem + 1);
  for (std::size_t i = 1; i < core->program_header_count(); ++i) {
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
  // The notes say it crashed, and why.
  const auto notes = tandem::testing::ReadCoreNotes(*core);
  ASSERT_TRUE(notes.has_value());
  const auto* tandem = tandem::testing::FindNote(*notes, kTandemNoteOwner, kNtTandemRemote);
  ASSERT_NE(tandem, nullptr);
  auto fields = tandem::testing::TandemFields(*tandem);
  EXPECT_EQ(fields["state"], "crashed");
  EXPECT_EQ(fields["crash_reason"], "fault");
  EXPECT_EQ(fields["crash_count"], "1");
  // What the caller says wins over what RemoteProc fills in.
  CoreNotes given;
  given.name = "rproc7";
  given.crash_reason = "told";
  VectorWriter w2;
  ASSERT_TRUE(rproc.Coredump(w2, given).ok());
  ASSERT_EQ(rproc.CoredumpSize(given).value(), w2.out.size());
  auto core2 = elf::ElfFile::Parse(Span(w2.out));
  ASSERT_TRUE(core2.ok());
  fields = tandem::testing::TandemFields(*tandem::testing::FindNote(
      *tandem::testing::ReadCoreNotes(*core2), kTandemNoteOwner, kNtTandemRemote));
  EXPECT_EQ(fields["name"], "rproc7");
  EXPECT_EQ(fields["crash_reason"], "told");
}

// --- Notes (core_notes.h) -----------------------------------------------------------

struct ArchCase {
  bool is_64bit;
  std::uint16_t machine;
  std::size_t prstatus_size;  // what BFD expects, by architecture
  std::size_t prstatus_pid;
  std::size_t prpsinfo_size;
  std::size_t prpsinfo_fname;
  std::size_t prpsinfo_psargs;
};

// issue #11: gdb "Couldn't find general-purpose registers" for a core with
// no NT_PRSTATUS, or one of another size than the architecture's.
TEST(CoreNotes, PrstatusAndPrpsinfoHaveTheLayoutOfTheMachineAndClass) {
  const ArchCase cases[] = {
      {true, elf::kMachineX86_64, 336, 32, 136, 40, 56},
      {true, elf::kMachineAArch64, 392, 32, 136, 40, 56},
      {true, elf::kMachineRiscV, 376, 32, 136, 40, 56},
      {false, elf::kMachineArm, 148, 24, 124, 28, 44},
      {false, elf::kMachine386, 144, 24, 124, 28, 44},
      {false, elf::kMachineRiscV, 204, 24, 128, 32, 48},
  };
  tandem::testing::FakeShm a(64, 0x20000000);
  const shm::Region regions[] = {a.region()};
  for (const ArchCase& c : cases) {
    SCOPED_TRACE(elf::MachineName(c.machine));
    CoreNotes notes;
    notes.name = "a-remote-with-a-long-name";
    notes.firmware = "/lib/firmware/demo.elf";
    notes.signal = 11;
    notes.pid = 4242;
    VectorWriter w;
    ASSERT_TRUE(WriteElfCore({c.is_64bit, c.machine, 0x1000}, notes, regions, w).ok());
    auto core = elf::ElfFile::Parse(Span(w.out));
    ASSERT_TRUE(core.ok()) << core.status().message();
    EXPECT_EQ(core->is_64bit(), c.is_64bit);
    EXPECT_EQ(core->machine(), c.machine);
    EXPECT_EQ(core->program_header(0)->type, elf::kPtNote);
    const auto parsed = tandem::testing::ReadCoreNotes(*core);
    ASSERT_TRUE(parsed.has_value());
    ASSERT_EQ(parsed->size(), 3u);
    const auto& prstatus = (*parsed)[0];  // first: gdb's crashing thread
    EXPECT_EQ(prstatus.owner, "CORE");
    EXPECT_EQ(prstatus.type, kNtPrstatus);
    ASSERT_EQ(prstatus.desc.size(), c.prstatus_size);
    EXPECT_EQ(tandem::testing::NoteLe32(prstatus.desc.data()), 11u);  // si_signo
    EXPECT_EQ(prstatus.desc[12] | (prstatus.desc[13] << 8), 11);      // pr_cursig
    EXPECT_EQ(tandem::testing::NoteLe32(prstatus.desc.data() + c.prstatus_pid), 4242u);
    const auto& prpsinfo = (*parsed)[1];
    EXPECT_EQ(prpsinfo.type, kNtPrpsinfo);
    ASSERT_EQ(prpsinfo.desc.size(), c.prpsinfo_size);
    EXPECT_EQ(tandem::testing::NoteString(prpsinfo, c.prpsinfo_fname, 16), "demo.elf");
    EXPECT_EQ(tandem::testing::NoteString(prpsinfo, c.prpsinfo_psargs, 80),
              "/lib/firmware/demo.elf");
    EXPECT_EQ((*parsed)[2].owner, kTandemNoteOwner);
    EXPECT_EQ(ElfCoreSize({c.is_64bit, c.machine, 0x1000}, notes, regions).value(), w.out.size());
  }
}

TEST(CoreNotes, PrpsinfoNamesTheRemoteWithoutAFirmwarePath) {
  for (const char* firmware : {static_cast<const char*>(nullptr), "", "dir/"}) {
    CoreNotes notes;
    notes.name = "a-remote-with-a-long-name";
    notes.firmware = firmware;
    VectorWriter w;
    ASSERT_TRUE(WriteElfCore({true, elf::kMachineX86_64, 0}, notes, {}, w).ok());
    auto core = elf::ElfFile::Parse(Span(w.out));
    ASSERT_TRUE(core.ok());
    const auto parsed = tandem::testing::ReadCoreNotes(*core);
    ASSERT_TRUE(parsed.has_value());
    const auto* prpsinfo = tandem::testing::FindNote(*parsed, "CORE", kNtPrpsinfo);
    ASSERT_NE(prpsinfo, nullptr);
    EXPECT_EQ(tandem::testing::NoteString(*prpsinfo, 40, 16), "a-remote-with-a");  // cut to 15
  }
}

TEST(CoreNotes, UnknownMachineGetsOnlyTheTandemNote) {
  tandem::testing::FakeShm a(64, 0x20000000);
  const shm::Region regions[] = {a.region()};
  VectorWriter w;
  ASSERT_TRUE(WriteElfCore({false, 0, 0}, regions, w).ok());
  auto core = elf::ElfFile::Parse(Span(w.out));
  ASSERT_TRUE(core.ok());
  const auto parsed = tandem::testing::ReadCoreNotes(*core);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].owner, kTandemNoteOwner);
  // x32 (x86-64 in ELF32) has no layout of ours either.
  EXPECT_EQ(FindPrLayout({false, elf::kMachineX86_64, 0}), nullptr);
}

TEST(CoreNotes, TandemNoteHoldsOneLinePerFieldWithControlBytesBlanked) {
  CoreNotes notes;
  notes.name = "rproc0";
  notes.firmware = "/fw/faulty.elf";
  notes.state = "crashed";
  notes.crash_reason = "fault";
  notes.crash_detail = "killed\nby SIGSEGV\nname=evil";
  notes.crash_count = 3;
  notes.signal = 11;
  const std::string long_value(5000, 'x');
  notes.firmware = long_value.c_str();
  VectorWriter w;
  ASSERT_TRUE(WriteElfCore({true, elf::kMachineX86_64, 0}, notes, {}, w).ok());
  auto core = elf::ElfFile::Parse(Span(w.out));
  ASSERT_TRUE(core.ok());
  const auto parsed = tandem::testing::ReadCoreNotes(*core);
  ASSERT_TRUE(parsed.has_value());
  const auto* note = tandem::testing::FindNote(*parsed, kTandemNoteOwner, kNtTandemRemote);
  ASSERT_NE(note, nullptr);
  ASSERT_FALSE(note->desc.empty());
  EXPECT_EQ(note->desc.back(), 0);  // NUL-terminated text
  auto fields = tandem::testing::TandemFields(*note);
  EXPECT_EQ(fields.size(), 7u);
  EXPECT_EQ(fields["name"], "rproc0");
  EXPECT_EQ(fields["firmware"], std::string(kMaxNoteValue, 'x'));
  EXPECT_EQ(fields["state"], "crashed");
  EXPECT_EQ(fields["crash_reason"], "fault");
  EXPECT_EQ(fields["crash_detail"], "killed by SIGSEGV name=evil");
  EXPECT_EQ(fields["crash_count"], "3");
  EXPECT_EQ(fields["signal"], "11");
}

TEST(CoreNotes, WriterErrorInsideTheNotesStopsTheDump) {
  CoreNotes notes;
  const std::string long_value(1000, 'y');  // more than one buffer of note text
  notes.crash_detail = long_value.c_str();
  for (int fail_at = 2; fail_at < 8; ++fail_at) {
    VectorWriter w;
    w.fail_at = fail_at;
    EXPECT_EQ(WriteElfCore({true, elf::kMachineX86_64, 0}, notes, {}, w).code(),
              StatusCode::kUnavailable)
        << fail_at;
  }
}

}  // namespace
}  // namespace tandem::remoteproc
