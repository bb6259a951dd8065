// Writes seed inputs for the remoteproc_load fuzzer:
//   remoteproc_make_seeds <dir>   (tests/fuzz/corpus/remoteproc_load)
// Firmware images from test_firmware.h (boot layout, ELF32/ELF64, fixed
// vrings, no table) and the attach layout's table as a running remote
// leaves it.

#include <cstdio>
#include <fstream>
#include <string>

#include "tandem/testing/test_firmware.h"

namespace fw = tandem::remoteproc::testing;

namespace {

bool Save(const std::string& dir, const char* name, const fw::Bytes& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const fw::Bytes fixed_vrings = fw::AssembleTable(
      tandem::rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      tandem::rsc::MakeCarveout(0x20020000, 0x2000, "vdev0buffer"),
      tandem::rsc::MakeRpmsgVdev(0, 1, {{0x2000A000, 4096, 8, 0}, {0x2000C000, 4096, 8, 1}}));
  fw::FirmwareSpec fixed = fw::StdSpec();
  fixed.table = fixed_vrings;
  fw::FirmwareSpec no_table;
  no_table.segments.push_back({fw::kCodeDa, fw::Pattern(64, 3), 256});

  bool ok = Save(dir, "seed_std_elf32", fw::StdFirmware(false));
  ok &= Save(dir, "seed_std_elf64", fw::StdFirmware(true));
  ok &= Save(dir, "seed_fixed_vrings", fw::BuildFirmware(fixed));
  ok &= Save(dir, "seed_no_table", fw::BuildFirmware(no_table));
  ok &= Save(dir, "seed_attach_table", fw::AttachTableAsRunning());
  return ok ? 0 : 1;
}
