// Writes the seed corpora for the elf and rsc fuzz harnesses
// (tests/fuzz/corpus/elf/, tests/fuzz/corpus/rsc/) from the same test-only
// builders the unit tests use. Not part of the build; regenerate with
//   g++ -std=c++20 -I include -I . tests/fuzz/elf_rsc_make_seeds.cc -o /tmp/seeds && /tmp/seeds
// (run from the repository root). The real-toolchain seed
// corpus/elf/arm_gcc_firmware.elf comes from tests/fuzz/elf_seed_firmware.cc:
//   arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -std=c++20 -Os -fno-exceptions -fno-rtti \
//     -I include -nostdlib -Wl,-e,Reset -Wl,-z,max-page-size=4 -Wl,-Ttext=0x20000000 \
//     -Wl,--section-start=.resource_table=0x20010000 -s tests/fuzz/elf_seed_firmware.cc \
//     -o tests/fuzz/corpus/elf/arm_gcc_firmware.elf

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tandem/testing/elf_builder.h"
#include "tandem/testing/rsc_tables.h"

namespace {

using tandem::rsc::testing::Bytes;
namespace rt = tandem::rsc::testing;
namespace elf = tandem::elf;

void Write(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
}

Bytes RpmsgTable() {
  return rt::TableBytes({
      rt::CarveoutBytes(0x20000000, 0x40000, "code"),
      rt::TraceBytes(0x20040000, 0x1000, "trace"),
      rt::VdevBytes(tandem::rsc::kVirtioIdRpmsg, 0, 1,
                    {{tandem::rsc::kAddrAny, 16, 256, 0}, {tandem::rsc::kAddrAny, 16, 256, 1}}),
  });
}

Bytes Firmware(bool is_64bit) {
  Bytes code(64);
  for (std::size_t i = 0; i < code.size(); ++i) code[i] = static_cast<std::uint8_t>(i);
  const Bytes table = RpmsgTable();
  elf::testing::ElfBuilder b(is_64bit, is_64bit ? elf::kMachineAArch64 : elf::kMachineArm);
  b.Entry(0x20000001)
      .AddSegment(elf::kPtLoad, 0x20000000, code, 64)
      .AddSegment(elf::kPtLoad, 0x20010000, table, table.size() + 32)
      .AddSegment(elf::kPtNote, 0, {4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'G', 'N', 'U', 0}, 16)
      .AddSection(".text", elf::kShtProgbits, code, 0x20000000)
      .AddSection(".resource_table", elf::kShtProgbits, table, 0x20010000)
      .AddNobits(".bss", 0x20010000 + table.size(), 32);
  return b.Build();
}

}  // namespace

int main() {
  Write("tests/fuzz/corpus/elf/firmware32.elf", Firmware(false));
  Write("tests/fuzz/corpus/elf/firmware64.elf", Firmware(true));
  elf::testing::ElfBuilder minimal(false);
  minimal.AddSegment(elf::kPtLoad, 0x1000, {1, 2, 3, 4}, 4);
  Write("tests/fuzz/corpus/elf/minimal32.elf", minimal.Build());

  Write("tests/fuzz/corpus/rsc/rpmsg.bin", RpmsgTable());
  Write("tests/fuzz/corpus/rsc/all_types.bin",
        rt::TableBytes({
            rt::CarveoutBytes(0x1000, 0x1000, "a"),
            rt::CarveoutBytes(tandem::rsc::kAddrAny, 0x1000, "b"),
            rt::DevmemBytes(0x40000000, 0x40000000, 0x100, "regs"),
            rt::TraceBytes(0x3000, 0x100, "trace"),
            rt::VdevBytes(3, 2, 0, {{0x4000, 64, 16, 2}}, {1, 2, 3, 4, 5}),
            rt::VendorBytes(128, {1, 2, 3, 4}),
            rt::VendorBytes(300, {5, 6, 7, 8}),
        }));
  Write("tests/fuzz/corpus/rsc/empty.bin", rt::TableBytes({}));
  return 0;
}
