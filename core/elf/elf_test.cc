#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/elf/errors.h"
#include "tandem/elf/segment_loader.h"
#include "tandem/testing/elf_builder.h"

namespace tandem::elf {
namespace {

using testing::ElfBuilder;
using Bytes = std::vector<std::uint8_t>;

ConstByteSpan Span(const Bytes& b) {
  return {reinterpret_cast<const std::byte*>(b.data()), b.size()};
}

Bytes Pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
  return b;
}

// A firmware-like image: code at 0x1000 (paddr) running at 0x8000 (vaddr),
// data + bss at 0x2000, a PT_NOTE, and sections including .resource_table.
ElfBuilder GoodBuilder(bool is_64bit) {
  ElfBuilder b(is_64bit, kMachineArm);
  b.Entry(0x8001)
      .AddSegment(kPtLoad, 0x1000, Pattern(40, 1), 40, /*vaddr=*/0x8000)
      .AddSegment(kPtLoad, 0x2000, Pattern(24, 100), 64)
      .AddSegment(kPtNote, 0x9000, Pattern(12, 50), 12)
      .AddSection(".text", kShtProgbits, Pattern(40, 1), 0x8000)
      .AddSection(".data", kShtProgbits, Pattern(24, 100), 0x2000)
      .AddNobits(".bss", 0x2018, 40)
      .AddSection(".resource_table", kShtProgbits, Pattern(20, 200), 0x3000);
  return b;
}

class ElfClassTest : public ::testing::TestWithParam<bool> {
 protected:
  bool is64() const { return GetParam(); }
  // Max value of an address/offset field in this class.
  std::uint64_t max_word() const { return is64() ? ~std::uint64_t{0} : 0xffffffffu; }
};

INSTANTIATE_TEST_SUITE_P(Classes, ElfClassTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Elf64" : "Elf32";
                         });

TEST_P(ElfClassTest, ParsesGoodFileAndReadsHeaders) {
  ElfBuilder b = GoodBuilder(is64());
  const Bytes file = b.Build();
  const Result<ElfFile> elf = ElfFile::Parse(Span(file));
  ASSERT_TRUE(elf.ok()) << elf.status().message();
  EXPECT_EQ(elf->is_64bit(), is64());
  EXPECT_EQ(elf->machine(), kMachineArm);
  EXPECT_EQ(elf->entry(), 0x8001u);
  ASSERT_EQ(elf->program_header_count(), 3u);

  const ProgramHeader code = elf->program_header(0).value();
  EXPECT_EQ(code.type, kPtLoad);
  EXPECT_EQ(code.paddr, 0x1000u);
  EXPECT_EQ(code.vaddr, 0x8000u);
  EXPECT_EQ(code.filesz, 40u);
  EXPECT_EQ(code.offset, b.segment_offsets[0]);
  const ProgramHeader data = elf->program_header(1).value();
  EXPECT_EQ(data.memsz, 64u);
  EXPECT_EQ(data.filesz, 24u);
  EXPECT_EQ(elf->program_header(2)->type, kPtNote);
  EXPECT_EQ(elf->program_header(3).status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(elf->program_header(3).status().Is(error::kProgramHeaderIndexOutOfRange));

  // null, 4 sections, .shstrtab
  EXPECT_EQ(elf->section_count(), 6u);
  const SectionHeader rsc = elf->FindSection(".resource_table").value();
  EXPECT_EQ(rsc.addr, 0x3000u);
  const ConstByteSpan rsc_data = elf->SectionData(rsc).value();
  const Bytes expected = Pattern(20, 200);
  ASSERT_EQ(rsc_data.size(), expected.size());
  EXPECT_EQ(std::memcmp(rsc_data.data(), expected.data(), expected.size()), 0);
  const ConstByteSpan name = elf->SectionName(rsc).value();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(name.data()), name.size()),
            ".resource_table");

  EXPECT_EQ(elf->FindSection(".text")->size, 40u);
  // Names match exactly, not by prefix.
  EXPECT_EQ(elf->FindSection(".resource").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(elf->FindSection(".resource_table2").status().code(), StatusCode::kNotFound);
  // The last name in the table ends exactly at the table's end.
  EXPECT_EQ(elf->FindSection(".shstrtab")->type, kShtStrtab);
  EXPECT_EQ(elf->FindSection(".shstrtab.").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(elf->section_header(6).status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(elf->section_header(6).status().Is(error::kSectionIndexOutOfRange));
}

TEST_P(ElfClassTest, NobitsSectionHasNoFileData) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  // .bss (section 3) may claim any offset: it occupies no file bytes.
  ElfBuilder::Put(file, b.ShdrField(3, "sh_offset"), max_word());
  const ElfFile elf = ElfFile::Parse(Span(file)).value();
  const SectionHeader bss = elf.FindSection(".bss").value();
  EXPECT_EQ(bss.size, 40u);
  EXPECT_EQ(elf.SectionData(bss).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(elf.SectionData(bss).status().Is(error::kSectionHasNoData));
}

TEST_P(ElfClassTest, RejectsTruncationAtEveryLengthOfTheHeader) {
  const Bytes file = GoodBuilder(is64()).Build();
  const std::size_t header = is64() ? sizeof(Elf64Ehdr) : sizeof(Elf32Ehdr);
  for (std::size_t len = 0; len < header; ++len) {
    EXPECT_FALSE(ElfFile::Parse(Span(file).first(len)).ok()) << "length " << len;
  }
}

TEST_P(ElfClassTest, RejectsTruncationAnywhereBeforeTheSectionTableEnds) {
  // The section header table is the last thing in the file, so every
  // shorter prefix cuts something that Parse must notice.
  const Bytes file = GoodBuilder(is64()).Build();
  for (std::size_t len = 0; len < file.size(); ++len) {
    EXPECT_FALSE(ElfFile::Parse(Span(file).first(len)).ok()) << "length " << len;
  }
}

TEST_P(ElfClassTest, RejectsBadMagic) {
  for (std::size_t i = 0; i < 4; ++i) {
    Bytes file = GoodBuilder(is64()).Build();
    file[i] ^= 0x20;
    const Status s = ElfFile::Parse(Span(file)).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(s.Is(error::kBadMagic)) << s.message();
  }
}

TEST_P(ElfClassTest, RejectsBigEndian) {
  Bytes file = GoodBuilder(is64()).Build();
  file[kIdentData] = kDataBig;
  const Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Is(error::kBigEndian)) << s.message();
  file[kIdentData] = 0;  // ELFDATANONE
  const Status none = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(none.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(none.Is(error::kBadDataEncoding)) << none.message();
}

TEST_P(ElfClassTest, RejectsInvalidClass) {
  for (std::uint8_t cls : {0, 3, 0xff}) {
    Bytes file = GoodBuilder(is64()).Build();
    file[kIdentClass] = cls;
    const Status s = ElfFile::Parse(Span(file)).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(s.Is(error::kBadClass)) << s.message();
  }
}

TEST_P(ElfClassTest, RejectsBadVersions) {
  Bytes file = GoodBuilder(is64()).Build();
  file[kIdentVersion] = 2;
  Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_TRUE(s.Is(error::kUnsupportedIdentVersion)) << s.message();
  ElfBuilder b = GoodBuilder(is64());
  file = b.Build();
  ElfBuilder::Put(file, b.EhdrField("e_version"), 4, 0);
  s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Is(error::kUnsupportedVersion)) << s.message();
}

TEST_P(ElfClassTest, RejectsClassMismatchedWithHeaderSizes) {
  // An ELF64 header claiming ELFCLASS32 (and vice versa) has the wrong
  // e_ehsize for the class it claims.
  Bytes file = GoodBuilder(is64()).Build();
  file[kIdentClass] = is64() ? kClass32 : kClass64;
  EXPECT_FALSE(ElfFile::Parse(Span(file)).ok());
}

TEST_P(ElfClassTest, RejectsHugeProgramHeaderCount) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  ElfBuilder::Put(file, b.EhdrField("e_phnum"), 2, 0xfffe);
  Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kProgramHeadersPastEnd)) << s.message();
  ElfBuilder::Put(file, b.EhdrField("e_phnum"), 2, kPnXnum);
  s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Is(error::kExtendedProgramHeaders)) << s.message();
}

TEST_P(ElfClassTest, RejectsProgramHeaderTablePastEnd) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  const std::size_t width = is64() ? 8 : 4;
  for (std::uint64_t phoff :
       {std::uint64_t{file.size()}, std::uint64_t{file.size() - 8}, max_word(), max_word() - 7}) {
    Bytes bad = file;
    ElfBuilder::Put(bad, b.EhdrField("e_phoff"), width, phoff);
    const Status s = ElfFile::Parse(Span(bad)).status();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << phoff;
    EXPECT_TRUE(s.Is(error::kProgramHeadersPastEnd)) << phoff << ": " << s.message();
  }
}

TEST_P(ElfClassTest, RejectsWrongEntrySizes) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  Bytes bad = file;
  ElfBuilder::Put(bad, b.EhdrField("e_phentsize"), 2, b.phdr_size() + 4);
  Status s = ElfFile::Parse(Span(bad)).status();
  EXPECT_TRUE(s.Is(error::kPhentsizeMismatch)) << s.message();
  bad = file;
  ElfBuilder::Put(bad, b.EhdrField("e_shentsize"), 2, b.shdr_size() - 4);
  s = ElfFile::Parse(Span(bad)).status();
  EXPECT_TRUE(s.Is(error::kShentsizeMismatch)) << s.message();
}

TEST_P(ElfClassTest, RejectsLoadSegmentOutsideFile) {
  ElfBuilder b = GoodBuilder(is64());
  const Bytes file = b.Build();
  const ElfBuilder::Field off = b.PhdrField(1, "p_offset");
  // Ends one byte past the file; starts past the file; offset + size wraps.
  for (std::uint64_t p_offset : {std::uint64_t{file.size() - 23}, std::uint64_t{file.size() + 1},
                                 max_word() - 3, max_word()}) {
    Bytes bad = file;
    ElfBuilder::Put(bad, off, p_offset);
    const Status s = ElfFile::Parse(Span(bad)).status();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << p_offset;
    EXPECT_TRUE(s.Is(error::kLoadSegmentPastEnd)) << s.message();
  }
  // A huge filesz (and memsz, so filesz <= memsz holds).
  Bytes bad = file;
  ElfBuilder::Put(bad, b.PhdrField(1, "p_filesz"), max_word());
  ElfBuilder::Put(bad, b.PhdrField(1, "p_memsz"), max_word());
  const Status s = ElfFile::Parse(Span(bad)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kLoadSegmentPastEnd)) << s.message();
}

TEST_P(ElfClassTest, NonLoadSegmentOutsideFileIsOnlyRejectedWhenRead) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  ElfBuilder::Put(file, b.PhdrField(2, "p_offset"), max_word() - 3);  // the PT_NOTE
  const ElfFile elf = ElfFile::Parse(Span(file)).value();
  const Status s = elf.SegmentData(elf.program_header(2).value()).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kSegmentDataPastEnd)) << s.message();
  EXPECT_TRUE(elf.SegmentData(elf.program_header(0).value()).ok());
}

TEST_P(ElfClassTest, RejectsFileszGreaterThanMemsz) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  ElfBuilder::Put(file, b.PhdrField(0, "p_memsz"), 39);
  const Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_TRUE(s.Is(error::kFileszExceedsMemsz)) << s.message();
}

TEST_P(ElfClassTest, RejectsOverlappingLoadSegments) {
  ElfBuilder b = GoodBuilder(is64());
  const Bytes file = b.Build();
  const ElfBuilder::Field paddr1 = b.PhdrField(1, "p_paddr");
  // Segment 0 covers [0x1000, 0x1028).
  for (std::uint64_t p : {0x1000u, 0x1027u, 0x0fe0u /* [0xfe0,0x1020) */, 0x0fc1u}) {
    Bytes bad = file;
    ElfBuilder::Put(bad, paddr1, p);
    const Status s = ElfFile::Parse(Span(bad)).status();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << p;
    EXPECT_TRUE(s.Is(error::kSegmentsOverlap)) << s.message();
  }
  // Touching but not overlapping, on either side, is fine.
  for (std::uint64_t p : {0x1028u, 0x0fc0u}) {
    Bytes ok = file;
    ElfBuilder::Put(ok, paddr1, p);
    EXPECT_TRUE(ElfFile::Parse(Span(ok)).ok()) << p;
  }
}

TEST_P(ElfClassTest, OverlapIgnoresNonLoadAndEmptySegments) {
  ElfBuilder b(is64());
  b.AddSegment(kPtLoad, 0x1000, Pattern(16, 0), 16)
      .AddSegment(kPtNote, 0x1000, Pattern(16, 0), 16)
      .AddSegment(kPtLoad, 0x1004, {}, 0);
  const Bytes file = b.Build();
  EXPECT_TRUE(ElfFile::Parse(Span(file)).ok());
}

TEST_P(ElfClassTest, RejectsSegmentWrappingTheAddressSpace) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  // 64 bytes at max - 16: the end wraps.
  ElfBuilder::Put(file, b.PhdrField(1, "p_paddr"), max_word() - 16);
  const Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_TRUE(s.Is(error::kSegmentWraps)) << s.message();
  // Ending exactly at the last address is fine.
  ElfBuilder::Put(file, b.PhdrField(1, "p_paddr"), max_word() - 63);
  EXPECT_TRUE(ElfFile::Parse(Span(file)).ok());
}

TEST_P(ElfClassTest, RejectsTooManyLoadSegments) {
  ElfBuilder b(is64());
  for (std::size_t i = 0; i <= kMaxLoadSegments; ++i)
    b.AddSegment(kPtLoad, 0x1000 * (i + 1), {}, 16);
  const Bytes file = b.Build();
  const Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.Is(error::kTooManyLoadSegments)) << s.message();
}

TEST_P(ElfClassTest, RejectsSectionOutsideFile) {
  ElfBuilder b = GoodBuilder(is64());
  const Bytes file = b.Build();
  const ElfBuilder::Field off = b.ShdrField(4, "sh_offset");  // .resource_table
  for (std::uint64_t sh_offset : {std::uint64_t{file.size() - 19}, max_word() - 3, max_word()}) {
    Bytes bad = file;
    ElfBuilder::Put(bad, off, sh_offset);
    const Status s = ElfFile::Parse(Span(bad)).status();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss);
    EXPECT_TRUE(s.Is(error::kSectionDataPastEnd)) << s.message();
  }
  Bytes bad = file;
  ElfBuilder::Put(bad, b.ShdrField(4, "sh_size"), max_word());
  const Status s = ElfFile::Parse(Span(bad)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kSectionDataPastEnd)) << s.message();
}

TEST_P(ElfClassTest, RejectsSectionTableOutsideFile) {
  ElfBuilder b = GoodBuilder(is64());
  const Bytes file = b.Build();
  const std::size_t width = is64() ? 8 : 4;
  for (std::uint64_t shoff : {std::uint64_t{b.shoff + 8}, max_word() - 7}) {
    Bytes bad = file;
    ElfBuilder::Put(bad, b.EhdrField("e_shoff"), width, shoff);
    const Status s = ElfFile::Parse(Span(bad)).status();
    EXPECT_TRUE(s.Is(error::kSectionHeadersPastEnd)) << shoff << ": " << s.message();
  }
  Bytes bad = file;
  ElfBuilder::Put(bad, b.EhdrField("e_shnum"), 2, 0xfeff);
  const Status s = ElfFile::Parse(Span(bad)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kSectionHeadersPastEnd)) << s.message();
}

TEST_P(ElfClassTest, RejectsShstrndxOutOfRange) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  ElfBuilder::Put(file, b.EhdrField("e_shstrndx"), 2, 6);  // == e_shnum
  Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kShstrndxOutOfRange)) << s.message();
  ElfBuilder::Put(file, b.EhdrField("e_shstrndx"), 2, kShnXindex);
  s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Is(error::kExtendedShstrndx)) << s.message();
  // Pointing at a section that is not a string table.
  ElfBuilder::Put(file, b.EhdrField("e_shstrndx"), 2, 1);
  s = ElfFile::Parse(Span(file)).status();
  EXPECT_TRUE(s.Is(error::kNameTableNotStrtab)) << s.message();
}

TEST_P(ElfClassTest, RejectsSectionNameTableWithoutFinalNul) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  file[b.shstrtab_offset + b.shstrtab_size - 1] = 'x';  // ".shstrtabx" runs off the end
  const Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kNameTableNotTerminated)) << s.message();
}

TEST_P(ElfClassTest, RejectsSectionNameOutsideNameTable) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  ElfBuilder::Put(file, b.ShdrField(2, "sh_name"), b.shstrtab_size);
  const Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_TRUE(s.Is(error::kSectionNameOutsideTable)) << s.message();
}

TEST_P(ElfClassTest, SectionNameAtLastByteIsEmpty) {
  // sh_name pointing at the final NUL is the empty name, inside the table.
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  ElfBuilder::Put(file, b.ShdrField(2, "sh_name"), b.shstrtab_size - 1);
  const ElfFile elf = ElfFile::Parse(Span(file)).value();
  EXPECT_EQ(elf.SectionName(elf.section_header(2).value())->size(), 0u);
  const Status s = elf.FindSection(".data").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.Is(error::kSectionNotFound)) << s.message();
}

TEST_P(ElfClassTest, HandlesFilesWithoutSections) {
  ElfBuilder b = GoodBuilder(is64());
  Bytes file = b.Build();
  const std::size_t width = is64() ? 8 : 4;
  ElfBuilder::Put(file, b.EhdrField("e_shnum"), 2, 0);
  // e_shnum 0 with a section table means extended numbering.
  Status s = ElfFile::Parse(Span(file)).status();
  EXPECT_TRUE(s.Is(error::kExtendedSectionCount)) << s.message();
  ElfBuilder::Put(file, b.EhdrField("e_shoff"), width, 0);
  s = ElfFile::Parse(Span(file)).status();
  EXPECT_TRUE(s.Is(error::kShstrndxWithoutSections)) << s.message();
  ElfBuilder::Put(file, b.EhdrField("e_shstrndx"), 2, 0);
  const ElfFile elf = ElfFile::Parse(Span(file)).value();
  EXPECT_EQ(elf.section_count(), 0u);
  s = elf.FindSection(".text").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.Is(error::kNoSectionNameTable)) << s.message();
}

TEST_P(ElfClassTest, CheckMachineNamesWhatItFound) {
  const Bytes file = GoodBuilder(is64()).Build();
  const ElfFile elf = ElfFile::Parse(Span(file)).value();
  EXPECT_TRUE(elf.CheckMachine(kMachineArm).ok());
  const Status s = elf.CheckMachine(kMachineRiscV);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Is(error::kWrongMachineArm)) << s.message();

  ElfBuilder other(is64(), 0x1234);
  const Bytes odd = other.Build();
  const Status unknown = ElfFile::Parse(Span(odd))->CheckMachine(kMachineArm);
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(unknown.Is(error::kWrongMachineUnknown)) << unknown.message();
}

TEST(ElfMachine, NamesKnownMachines) {
  EXPECT_STREQ(MachineName(40), "ARM");
  EXPECT_STREQ(MachineName(62), "x86-64");
  EXPECT_STREQ(MachineName(183), "AArch64");
  EXPECT_STREQ(MachineName(243), "RISC-V");
  EXPECT_STREQ(MachineName(3), "x86");
  EXPECT_STREQ(MachineName(7), "unknown");
}

// The sink's own error, to show that LoadSegments returns it unchanged.
inline constexpr char kSinkRefused[] = "sink refused";

// Records what LoadSegments asked for.
class RecordingSink final : public SegmentSink {
 public:
  struct Op {
    bool zero;
    std::uint64_t da;
    Bytes data;
    std::uint64_t length;
  };
  Status Write(std::uint64_t da, ConstByteSpan data) override {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    ops.push_back({false, da, Bytes(p, p + data.size()), data.size()});
    return fail_at == ops.size() ? DataLoss(kSinkRefused) : OkStatus();
  }
  Status Zero(std::uint64_t da, std::uint64_t length) override {
    ops.push_back({true, da, {}, length});
    return fail_at == ops.size() ? DataLoss(kSinkRefused) : OkStatus();
  }
  std::vector<Op> ops;
  std::size_t fail_at = 0;  // 1-based op number that fails; 0 never
};

TEST_P(ElfClassTest, LoadSegmentsCopiesToPhysicalAddressesAndZeroFills) {
  ElfBuilder b(is64());
  b.AddSegment(kPtLoad, 0x1000, Pattern(40, 1), 40, /*vaddr=*/0x8000)
      .AddSegment(kPtNote, 0x9000, Pattern(12, 50), 12)
      .AddSegment(kPtLoad, 0x5000, {}, 0)  // memsz 0: nothing to load
      .AddSegment(kPtLoad, 0x2000, Pattern(24, 100), 64)
      .AddSegment(kPtLoad, 0x3000, {}, 32);  // pure .bss
  const Bytes file = b.Build();
  const ElfFile elf = ElfFile::Parse(Span(file)).value();
  RecordingSink sink;
  ASSERT_TRUE(LoadSegments(elf, sink).ok());
  ASSERT_EQ(sink.ops.size(), 4u);
  EXPECT_FALSE(sink.ops[0].zero);
  EXPECT_EQ(sink.ops[0].da, 0x1000u);  // p_paddr, not p_vaddr
  EXPECT_EQ(sink.ops[0].data, Pattern(40, 1));
  EXPECT_FALSE(sink.ops[1].zero);
  EXPECT_EQ(sink.ops[1].da, 0x2000u);
  EXPECT_EQ(sink.ops[1].data, Pattern(24, 100));
  EXPECT_TRUE(sink.ops[2].zero);
  EXPECT_EQ(sink.ops[2].da, 0x2018u);
  EXPECT_EQ(sink.ops[2].length, 40u);
  EXPECT_TRUE(sink.ops[3].zero);
  EXPECT_EQ(sink.ops[3].da, 0x3000u);
  EXPECT_EQ(sink.ops[3].length, 32u);
  for (const auto& op : sink.ops) EXPECT_NE(op.da, 0x9000u) << "PT_NOTE must not be loaded";
}

TEST(ElfLoad, StopsAtFirstSinkError) {
  ElfBuilder b(false);
  b.AddSegment(kPtLoad, 0x1000, Pattern(8, 1), 16).AddSegment(kPtLoad, 0x2000, Pattern(8, 1), 8);
  const Bytes file = b.Build();
  const ElfFile elf = ElfFile::Parse(Span(file)).value();
  RecordingSink sink;
  sink.fail_at = 2;  // the zero-fill of the first segment
  const Status s = LoadSegments(elf, sink);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(kSinkRefused)) << s.message();
  EXPECT_EQ(sink.ops.size(), 2u);
}

// A real file from the toolchain: the test binary itself (ELF64 x86-64 on
// the hosts we test on).
TEST(ElfRealFile, ParsesOwnExecutable) {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  ASSERT_TRUE(in.good());
  const Bytes file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const Result<ElfFile> elf = ElfFile::Parse(Span(file));
  ASSERT_TRUE(elf.ok()) << elf.status().message();
  EXPECT_TRUE(elf->is_64bit());
  EXPECT_EQ(elf->machine(), kMachineX86_64);
  EXPECT_TRUE(elf->CheckMachine(kMachineX86_64).ok());
  const SectionHeader text = elf->FindSection(".text").value();
  EXPECT_GT(text.size, 0u);
  EXPECT_TRUE(elf->SectionData(text).ok());
  std::size_t loads = 0;
  for (std::size_t i = 0; i < elf->program_header_count(); ++i)
    loads += elf->program_header(i)->type == kPtLoad;
  EXPECT_GE(loads, 1u);
}

}  // namespace
}  // namespace tandem::elf
