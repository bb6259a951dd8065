#include "tandem/qemu/boot_stub.h"

#include <array>

#include "tandem/base/status.h"

namespace tandem::qemu {
namespace {

// The stub's code (boot_stub.h), as arm-none-eabi-as encodes it; the three
// `ldr rN, [pc, #imm]` read the literal pool at kLiteralOffset.
constexpr std::array<std::uint8_t, 24> kStubCode = {
    0x05, 0x48,              // ldr r0, [pc, #20]   -> 0x58 (VTOR address)
    0x06, 0x49,              // ldr r1, [pc, #24]   -> 0x5C (vector table)
    0x01, 0x60,              // str r1, [r0]
    0xbf, 0xf3, 0x4f, 0x8f,  // dsb sy
    0xbf, 0xf3, 0x6f, 0x8f,  // isb sy
    0x0a, 0x68,              // ldr r2, [r1]
    0x82, 0xf3, 0x08, 0x88,  // msr msp, r2
    0x02, 0x4b,              // ldr r3, [pc, #8]    -> 0x60 (entry)
    0x18, 0x47,              // bx r3
};
constexpr std::array<std::uint8_t, 2> kLoop = {0xfe, 0xe7};  // b .

static_assert(kStubOffset + kStubCode.size() == kLiteralOffset);
static_assert(kLiteralOffset + 12 == kLoopOffset);
static_assert(kLoopOffset + 4 == kBootFlashSize);

void PutLe32(std::vector<std::byte>& out, std::size_t offset, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[offset + i] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
}

}  // namespace

Result<std::vector<std::byte>> MakeBootFlash(std::uint32_t vector_table, std::uint32_t entry) {
  if ((entry & 1u) == 0) return InvalidArgument("the entry is not a Thumb address (bit 0 clear)");
  if ((vector_table & 0x7Fu) != 0)
    return InvalidArgument("the vector table is not 128-byte aligned");
  std::vector<std::byte> flash(kBootFlashSize, std::byte{0});
  PutLe32(flash, 0, kStubStack);
  PutLe32(flash, 4, static_cast<std::uint32_t>(kStubOffset) | 1u);
  for (std::size_t vector = 2; vector < 16; ++vector) {
    PutLe32(flash, 4 * vector, static_cast<std::uint32_t>(kLoopOffset) | 1u);
  }
  for (std::size_t i = 0; i < kStubCode.size(); ++i) {
    flash[kStubOffset + i] = static_cast<std::byte>(kStubCode[i]);
  }
  PutLe32(flash, kLiteralOffset, kVtorAddress);
  PutLe32(flash, kLiteralOffset + 4, vector_table);
  PutLe32(flash, kLiteralOffset + 8, entry);
  flash[kLoopOffset] = static_cast<std::byte>(kLoop[0]);
  flash[kLoopOffset + 1] = static_cast<std::byte>(kLoop[1]);
  return flash;
}

}  // namespace tandem::qemu
