#include "tandem/rsc/builder.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "tandem/elf/elf_file.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::rsc {
namespace {

// Sizes from Linux remoteproc.h (type word + body).
static_assert(sizeof(CarveoutEntry) == 4 + 52);
static_assert(sizeof(DevmemEntry) == 4 + 52);
static_assert(sizeof(TraceEntry) == 4 + 44);
static_assert(sizeof(RpmsgVdevEntry<2>) == 4 + 24 + 2 * 20);
static_assert(sizeof(VdevEntry<1, 6>) == 4 + 24 + 20 + 8);  // config padded to 4
static_assert(sizeof(TableHeader<3>) == 16 + 3 * 4);
static_assert(sizeof(TableHeader<0>) == 16);

template <typename T>
ConstByteSpan BytesOf(const T& table) {
  return {reinterpret_cast<const std::byte*>(&table), sizeof(table)};
}

using ThreeEntryTable = Table<CarveoutEntry, TraceEntry, RpmsgVdevEntry<2>>;

constexpr ThreeEntryTable kTable{
    MakeCarveout(0x20000000, 0x40000, "code", /*flags=*/5),
    MakeTrace(0x20040000, 0x1000, "trace"),
    MakeRpmsgVdev(/*notifyid=*/3, /*dfeatures=*/1,
                  {{kAddrAny, 16, 256, 0}, {0x20050000, 4096, 512, 1}}),
};

// The header the builder computed, checked against offsets worked out by
// hand from the Linux sizes: 28-byte header, +56 carveout, +48 trace.
static_assert(kTable.header.ver.get() == 1);
static_assert(kTable.header.num.get() == 3);
static_assert(kTable.header.offset[0].get() == 28);
static_assert(kTable.header.offset[1].get() == 84);
static_assert(kTable.header.offset[2].get() == 132);
static_assert(sizeof(kTable) == 132 + 68);
static_assert(kTable.get<2>().body.num_of_vrings == 2);
static_assert(kTable.get<2>().body.id.get() == kVirtioIdRpmsg);

TEST(RscBuilder, TableBytesParseToTheDeclaredValues) {
  const Result<ResourceTable> t = ResourceTable::Parse(BytesOf(kTable));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 3u);

  const Carveout c = t->entry(0)->carveout();
  EXPECT_EQ(c.da, 0x20000000u);
  EXPECT_EQ(c.len, 0x40000u);
  EXPECT_EQ(c.pa, kAddrAny);
  EXPECT_EQ(c.flags, 5u);
  EXPECT_STREQ(c.name.c_str(), "code");

  const Trace tr = t->entry(1)->trace();
  EXPECT_EQ(tr.da, 0x20040000u);
  EXPECT_EQ(tr.len, 0x1000u);
  EXPECT_STREQ(tr.name.c_str(), "trace");

  const Vdev v = t->entry(2)->vdev();
  EXPECT_EQ(v.offset, 132u);
  EXPECT_EQ(v.id, kVirtioIdRpmsg);
  EXPECT_EQ(v.notifyid, 3u);
  EXPECT_EQ(v.dfeatures, 1u);
  EXPECT_EQ(v.gfeatures, 0u);
  EXPECT_EQ(v.config_len, 0u);
  ASSERT_EQ(v.vrings().size(), 2u);
  EXPECT_EQ(v.vrings()[0].da, kAddrAny);
  EXPECT_EQ(v.vrings()[0].align, 16u);
  EXPECT_EQ(v.vrings()[0].num, 256u);
  EXPECT_EQ(v.vrings()[0].notifyid, 0u);
  EXPECT_EQ(v.vrings()[1].da, 0x20050000u);
  EXPECT_EQ(v.vrings()[1].align, 4096u);
  EXPECT_EQ(v.vrings()[1].num, 512u);
  EXPECT_EQ(v.vrings()[1].notifyid, 1u);
  EXPECT_EQ(v.vrings()[1].pa, 0u);
}

// The hand-written style: named members, header from offsetof.
struct FirmwareRscTable {
  TableHeader<4> header;
  CarveoutEntry code;
  DevmemEntry regs;
  TraceEntry trace;
  VdevEntry<1, 6> console;
};

constexpr FirmwareRscTable kNamedTable = {
    .header =
        MakeHeader<4>({offsetof(FirmwareRscTable, code), offsetof(FirmwareRscTable, regs),
                       offsetof(FirmwareRscTable, trace), offsetof(FirmwareRscTable, console)}),
    .code = MakeCarveout(kAddrAny, 0x8000, "a-name-of-exactly-31-characters"),
    .regs = MakeDevmem(0x40000000, 0x4000a000, 0x1000, "uart"),
    .trace = MakeTrace(0x20040000, 0x400, "log"),
    .console = MakeVdev(/*virtio_id=*/3, /*notifyid=*/9, /*dfeatures=*/0, {{0x20060000, 64, 16, 2}},
                        {1, 2, 3, 4, 5, 6}),
};

TEST(RscBuilder, NamedStructTableParses) {
  const Result<ResourceTable> t = ResourceTable::Parse(BytesOf(kNamedTable));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 4u);
  EXPECT_EQ(t->entry(0)->offset(), offsetof(FirmwareRscTable, code));
  EXPECT_STREQ(t->entry(0)->carveout().name.c_str(), "a-name-of-exactly-31-characters");
  EXPECT_EQ(t->entry(0)->carveout().da, kAddrAny);
  const Devmem d = t->entry(1)->devmem();
  EXPECT_EQ(d.da, 0x40000000u);
  EXPECT_EQ(d.pa, 0x4000a000u);
  EXPECT_STREQ(d.name.c_str(), "uart");
  EXPECT_EQ(t->entry(2)->trace().len, 0x400u);
  const Vdev v = t->entry(3)->vdev();
  EXPECT_EQ(v.id, 3u);
  EXPECT_EQ(v.notifyid, 9u);
  ASSERT_EQ(v.vrings().size(), 1u);
  EXPECT_EQ(v.vrings()[0].num, 16u);
  ASSERT_EQ(v.config.size(), 6u);
  const std::uint8_t expected[] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(std::memcmp(v.config.data(), expected, 6), 0);
}

TEST(RscBuilder, EmptyHeaderIsAValidTable) {
  constexpr TableHeader<0> kEmpty = MakeEmptyHeader();
  const Result<ResourceTable> t = ResourceTable::Parse(BytesOf(kEmpty));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 0u);
}

// The way firmware uses it: a table in section .resource_table of this very
// executable, found by the ELF reader and parsed from the file bytes.
[[gnu::section(".resource_table"), gnu::used]] constinit Table<CarveoutEntry, RpmsgVdevEntry<2>>
    resource_table{
        MakeCarveout(0x10000000, 0x20000, "fw-image"),
        MakeRpmsgVdev(0, 1, {{kAddrAny, 16, 64, 0}, {kAddrAny, 16, 64, 1}}),
    };

TEST(RscBuilder, TableInResourceTableSectionIsFoundInTheElfFile) {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  ASSERT_TRUE(in.good());
  const std::vector<char> file{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
  const elf::ElfFile elf =
      elf::ElfFile::Parse({reinterpret_cast<const std::byte*>(file.data()), file.size()}).value();
  const elf::SectionHeader section = elf.FindSection(".resource_table").value();
  const ConstByteSpan bytes = elf.SectionData(section).value();
  ASSERT_GE(bytes.size(), sizeof(resource_table));
  const ResourceTable t = ResourceTable::Parse(bytes.first(sizeof(resource_table))).value();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_STREQ(t.entry(0)->carveout().name.c_str(), "fw-image");
  EXPECT_EQ(t.entry(1)->vdev().vrings()[1].notifyid, 1u);
  // And the bytes in the file are the bytes in memory.
  EXPECT_EQ(std::memcmp(bytes.data(), &resource_table, sizeof(resource_table)), 0);
}

}  // namespace
}  // namespace tandem::rsc
