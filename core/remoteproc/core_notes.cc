#include "tandem/remoteproc/core_notes.h"

#include <array>
#include <cstring>

namespace tandem::remoteproc {
namespace {

// Sizes and offsets from <linux/elfcore.h> per architecture; the same
// numbers BFD's grok_prstatus / grok_psinfo match by note size
// (elf64-x86-64.c, elfnn-aarch64.c, elfnn-riscv.c, elf32-arm.c,
// elf32-i386.c). pr_cursig is at 12 in all of them.
constexpr PrLayout kLayouts[] = {
    // machine, 64, prstatus size, pid, reg, reg size, prpsinfo size, pid, fname, psargs
    {62, true, 336, 32, 112, 27 * 8, 136, 24, 40, 56},   // x86-64
    {183, true, 392, 32, 112, 34 * 8, 136, 24, 40, 56},  // AArch64
    {243, true, 376, 32, 112, 32 * 8, 136, 24, 40, 56},  // RISC-V 64
    {40, false, 148, 24, 72, 18 * 4, 124, 12, 28, 44},   // ARM
    {3, false, 144, 24, 72, 17 * 4, 124, 12, 28, 44},    // i386
    {243, false, 204, 24, 72, 32 * 4, 128, 16, 32, 48},  // RISC-V 32
};
constexpr std::size_t kMaxDesc = 392;
constexpr bool FitsMaxDesc() {
  for (const PrLayout& l : kLayouts) {
    if (l.prstatus_size > kMaxDesc || l.prpsinfo_size > kMaxDesc) return false;
    if (l.prstatus_reg + l.reg_size > l.prstatus_size) return false;
    if (l.prpsinfo_psargs + 80 > l.prpsinfo_size) return false;
  }
  return true;
}
static_assert(FitsMaxDesc());
constexpr std::size_t kCursigOffset = 12;
constexpr std::size_t kFnameSize = 16;
constexpr std::size_t kPsargsSize = 80;
constexpr char kCoreOwner[] = "CORE";

constexpr std::uint64_t Pad4(std::uint64_t n) { return (n + 3) & ~std::uint64_t{3}; }

std::size_t Length(const char* s, std::size_t max) {
  std::size_t n = 0;
  if (s == nullptr) return 0;
  while (n < max && s[n] != '\0') ++n;
  return n;
}

void PutLe(std::byte* at, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i)
    at[i] = std::byte(static_cast<std::uint8_t>(value >> (8 * i)));
}

// Decimal digits of `v` into `out` (at least 20 bytes); returns the count.
std::size_t Decimal(std::int64_t value, char* out) {
  char digits[20];
  std::size_t n = 0;
  const bool negative = value < 0;
  std::uint64_t v =
      negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  std::size_t len = 0;
  if (negative) out[len++] = '-';
  while (n > 0) out[len++] = digits[--n];
  return len;
}

// One "key=value\n" line of the TANDEM note, streamed so that no buffer
// holds the whole text.
struct Line {
  const char* key;
  const char* value;  // a string, or nullptr with `number`
  bool is_number;
  std::int64_t number;
};

// Streams bytes to the writer through a small buffer.
class Sink {
 public:
  explicit Sink(CoredumpWriter& out) : out_(out) {}
  Status Put(const void* data, std::size_t n) {
    const auto* p = static_cast<const std::byte*>(data);
    while (n > 0) {
      if (used_ == buffer_.size()) TANDEM_TRY(Flush());
      const std::size_t take = n < buffer_.size() - used_ ? n : buffer_.size() - used_;
      std::memcpy(buffer_.data() + used_, p, take);
      used_ += take;
      p += take;
      n -= take;
    }
    return OkStatus();
  }
  Status Zeros(std::size_t n) {
    const std::byte zero[4] = {};
    while (n > 0) {
      const std::size_t take = n < sizeof(zero) ? n : sizeof(zero);
      TANDEM_TRY(Put(zero, take));
      n -= take;
    }
    return OkStatus();
  }
  Status Flush() {
    if (used_ == 0) return OkStatus();
    const Status s = out_.Write(ConstByteSpan(buffer_.data(), used_));
    used_ = 0;
    return s;
  }

 private:
  CoredumpWriter& out_;
  std::array<std::byte, 256> buffer_{};
  std::size_t used_ = 0;
};

std::size_t LineLength(const Line& line) {
  char digits[24];
  const std::size_t value =
      line.is_number ? Decimal(line.number, digits) : Length(line.value, kMaxNoteValue);
  return std::strlen(line.key) + 1 + value + 1;
}

Status PutLine(Sink& sink, const Line& line) {
  TANDEM_TRY(sink.Put(line.key, std::strlen(line.key)));
  TANDEM_TRY(sink.Put("=", 1));
  if (line.is_number) {
    char digits[24];
    TANDEM_TRY(sink.Put(digits, Decimal(line.number, digits)));
  } else {
    const std::size_t n = Length(line.value, kMaxNoteValue);
    for (std::size_t i = 0; i < n; ++i) {
      // One line per key: a newline in a crash detail must not start another.
      const auto c = static_cast<unsigned char>(line.value[i]);
      const char safe = c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c);
      TANDEM_TRY(sink.Put(&safe, 1));
    }
  }
  return sink.Put("\n", 1);
}

struct TandemLines {
  Line lines[7];
};

TandemLines LinesOf(const CoreNotes& notes) {
  return {{{"name", notes.name, false, 0},
           {"firmware", notes.firmware, false, 0},
           {"state", notes.state, false, 0},
           {"crash_reason", notes.crash_reason, false, 0},
           {"crash_detail", notes.crash_detail, false, 0},
           {"crash_count", nullptr, true, notes.crash_count},
           {"signal", nullptr, true, notes.signal}}};
}

std::uint64_t TandemDescSize(const CoreNotes& notes) {
  std::uint64_t n = 1;  // the NUL
  for (const Line& line : LinesOf(notes).lines) n += LineLength(line);
  return n;
}

std::uint64_t NoteSize(std::size_t owner_with_nul, std::uint64_t desc) {
  return 12 + Pad4(owner_with_nul) + Pad4(desc);
}

Status PutHeader(Sink& sink, const char* owner, std::uint64_t desc, std::uint32_t type) {
  const std::size_t namesz = std::strlen(owner) + 1;
  std::byte h[12];
  PutLe(h, namesz, 4);
  PutLe(h + 4, desc, 4);
  PutLe(h + 8, type, 4);
  TANDEM_TRY(sink.Put(h, sizeof(h)));
  TANDEM_TRY(sink.Put(owner, namesz));
  return sink.Zeros(Pad4(namesz) - namesz);
}

Status PutCoreNote(Sink& sink, std::uint32_t type, const std::byte* desc, std::size_t size) {
  TANDEM_TRY(PutHeader(sink, kCoreOwner, size, type));
  TANDEM_TRY(sink.Put(desc, size));
  return sink.Zeros(Pad4(size) - size);
}

void PutString(std::byte* at, const char* s, std::size_t field) {
  // NUL-terminated within the field, as the kernel's strscpy.
  const std::size_t n = Length(s, field - 1);
  if (n > 0) std::memcpy(at, s, n);
}

// What follows the last '/' of `path` (all of it without one).
const char* BaseName(const char* path) {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}

}  // namespace

const PrLayout* FindPrLayout(const CoreFormat& format) {
  for (const PrLayout& l : kLayouts) {
    if (l.machine == format.machine && l.is_64bit == format.is_64bit) return &l;
  }
  return nullptr;
}

std::uint64_t CoreNotesSize(const CoreFormat& format, const CoreNotes& notes) {
  std::uint64_t n = NoteSize(sizeof(kTandemNoteOwner), TandemDescSize(notes));
  if (const PrLayout* l = FindPrLayout(format)) {
    n += NoteSize(sizeof(kCoreOwner), l->prstatus_size);
    n += NoteSize(sizeof(kCoreOwner), l->prpsinfo_size);
  }
  return n;
}

Status WriteCoreNotes(const CoreFormat& format, const CoreNotes& notes, CoredumpWriter& out) {
  Sink sink(out);
  if (const PrLayout* l = FindPrLayout(format)) {
    // gdb takes the first NT_PRSTATUS as the crashing thread's registers.
    std::array<std::byte, kMaxDesc> desc{};
    const auto signal = static_cast<std::uint32_t>(notes.signal);
    PutLe(desc.data(), signal, 4);                  // pr_info.si_signo
    PutLe(desc.data() + kCursigOffset, signal, 2);  // pr_cursig
    PutLe(desc.data() + l->prstatus_pid, static_cast<std::uint32_t>(notes.pid), 4);
    TANDEM_TRY(PutCoreNote(sink, kNtPrstatus, desc.data(), l->prstatus_size));

    desc = {};
    PutLe(desc.data() + l->prpsinfo_pid, static_cast<std::uint32_t>(notes.pid), 4);
    // As a process core's: the executable's base name, which gdb compares
    // with the file it is given (the remote's name without a firmware path).
    const bool has_firmware = notes.firmware != nullptr && *BaseName(notes.firmware) != '\0';
    PutString(desc.data() + l->prpsinfo_fname, has_firmware ? BaseName(notes.firmware) : notes.name,
              kFnameSize);
    PutString(desc.data() + l->prpsinfo_psargs, notes.firmware, kPsargsSize);
    TANDEM_TRY(PutCoreNote(sink, kNtPrpsinfo, desc.data(), l->prpsinfo_size));
  }
  const std::uint64_t desc = TandemDescSize(notes);
  TANDEM_TRY(PutHeader(sink, kTandemNoteOwner, desc, kNtTandemRemote));
  for (const Line& line : LinesOf(notes).lines) TANDEM_TRY(PutLine(sink, line));
  TANDEM_TRY(sink.Zeros(1 + Pad4(desc) - desc));  // the NUL and the padding
  return sink.Flush();
}

}  // namespace tandem::remoteproc
