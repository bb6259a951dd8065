// Fuzzes what the host reads of a Cortex-M firmware ELF to pick its QEMU
// board (platform/qemu board_for_image.h): the ELF headers and the
// .ARM.attributes section, both untrusted. The first byte picks the entry
// point: even -> ArmCpuArch over the rest (an attributes section), odd ->
// BoardForImage over the rest (a whole ELF). Never crashes, never reads out
// of bounds (ASan), always ends.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tandem/qemu/board_for_image.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // An exact-size heap copy, so an overrun is an ASan report.
  std::vector<std::byte> bytes(size - 1);
  for (std::size_t i = 1; i < size; ++i) bytes[i - 1] = std::byte{data[i]};
  const tandem::ConstByteSpan in(bytes.data(), bytes.size());
  if ((data[0] & 1) == 0) {
    (void)tandem::qemu::ArmCpuArch(in);
  } else {
    auto board = tandem::qemu::BoardForImage(in);
    if (board.ok()) (void)tandem::qemu::BoardCpuName(*board);
  }
  return 0;
}
