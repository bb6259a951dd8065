#include "tandem/remote/print.h"

#include <cstdint>

namespace tandem::remote {
namespace {

// Writes into a caller buffer, counting what would have been written so the
// result has vsnprintf semantics.
class BufferSink {
 public:
  BufferSink(char* out, std::size_t capacity) : out_(out), capacity_(capacity) {}
  void Put(char c) {
    if (capacity_ > 0 && count_ < capacity_ - 1) out_[count_] = c;
    ++count_;
  }
  std::size_t Finish() {
    if (capacity_ > 0) out_[count_ < capacity_ ? count_ : capacity_ - 1] = '\0';
    return count_;
  }

 private:
  char* out_;
  std::size_t capacity_;
  std::size_t count_ = 0;
};

// Buffers console output and hands it to the board in chunks: one
// console_write per line-ish instead of one per character.
class ConsoleSink {
 public:
  explicit ConsoleSink(const TandemBsp& bsp) : bsp_(bsp) {}
  void Put(char c) {
    buffer_[used_++] = c;
    if (used_ == sizeof(buffer_)) Flush();
  }
  void Flush() {
    if (used_ > 0 && bsp_.console_write != nullptr) bsp_.console_write(bsp_.ctx, buffer_, used_);
    used_ = 0;
  }

 private:
  const TandemBsp& bsp_;
  char buffer_[128];
  std::size_t used_ = 0;
};

enum class Length { kInt, kLong, kLongLong, kSize };

template <typename Sink>
void PutString(Sink& sink, const char* s) {
  if (s == nullptr) s = "(null)";
  while (*s != '\0') sink.Put(*s++);
}

template <typename Sink>
void PutUnsigned(Sink& sink, unsigned long long value, unsigned base, bool upper, bool negative,
                 unsigned width, char pad) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];  // 2^64 has 20 decimal digits
  unsigned n = 0;
  do {
    tmp[n++] = digits[value % base];
    value /= base;
  } while (value != 0);
  unsigned length = n + (negative ? 1u : 0u);
  // With zero padding the sign goes before the zeros ("-0042"), with space
  // padding after the spaces ("  -42"), as printf does.
  if (negative && pad == '0') sink.Put('-');
  for (; length < width; ++length) sink.Put(pad);
  if (negative && pad != '0') sink.Put('-');
  while (n > 0) sink.Put(tmp[--n]);
}

template <typename Sink>
void FormatTo(Sink& sink, const char* format, std::va_list& args) {
  for (const char* p = format; *p != '\0'; ++p) {
    if (*p != '%') {
      sink.Put(*p);
      continue;
    }
    const char* start = p++;
    char pad = ' ';
    if (*p == '0') {
      pad = '0';
      ++p;
    }
    unsigned width = 0;
    // Widths beyond a line are nonsense; the cap keeps the arithmetic small.
    while (*p >= '0' && *p <= '9') {
      if (width < 256) width = width * 10 + static_cast<unsigned>(*p - '0');
      ++p;
    }
    Length length = Length::kInt;
    if (*p == 'l') {
      length = Length::kLong;
      if (*++p == 'l') {
        length = Length::kLongLong;
        ++p;
      }
    } else if (*p == 'z') {
      length = Length::kSize;
      ++p;
    }
    switch (*p) {
      case '%': sink.Put('%'); break;
      case 'c': sink.Put(static_cast<char>(va_arg(args, int))); break;
      case 's': PutString(sink, va_arg(args, const char*)); break;
      case 'd':
      case 'i': {
        long long v = 0;
        switch (length) {
          case Length::kInt: v = va_arg(args, int); break;
          case Length::kLong: v = va_arg(args, long); break;
          case Length::kLongLong: v = va_arg(args, long long); break;
          case Length::kSize: v = va_arg(args, std::ptrdiff_t); break;
        }
        // Negate in unsigned arithmetic so LLONG_MIN does not overflow.
        unsigned long long magnitude =
            v < 0 ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
        PutUnsigned(sink, magnitude, 10, false, v < 0, width, pad);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        unsigned long long v = 0;
        switch (length) {
          case Length::kInt: v = va_arg(args, unsigned); break;
          case Length::kLong: v = va_arg(args, unsigned long); break;
          case Length::kLongLong: v = va_arg(args, unsigned long long); break;
          case Length::kSize: v = va_arg(args, std::size_t); break;
        }
        PutUnsigned(sink, v, *p == 'u' ? 10 : 16, *p == 'X', false, width, pad);
        break;
      }
      case 'p': {
        PutString(sink, "0x");
        PutUnsigned(sink, reinterpret_cast<std::uintptr_t>(va_arg(args, void*)), 16, false, false,
                    width, pad);
        break;
      }
      default:
        // Unknown conversion (or the format ended after '%'): print it
        // verbatim so the mistake is visible, and stop at the terminator.
        for (const char* q = start; q <= p && *q != '\0'; ++q) sink.Put(*q);
        if (*p == '\0') return;
        break;
    }
  }
}

}  // namespace

std::size_t FormatV(char* out, std::size_t capacity, const char* format, std::va_list args) {
  BufferSink sink(out, capacity);
  std::va_list copy;
  va_copy(copy, args);
  FormatTo(sink, format, copy);
  va_end(copy);
  return sink.Finish();
}

std::size_t Format(char* out, std::size_t capacity, const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::size_t n = FormatV(out, capacity, format, args);
  va_end(args);
  return n;
}

void PrintV(const TandemBsp& bsp, const char* format, std::va_list args) {
  ConsoleSink sink(bsp);
  std::va_list copy;
  va_copy(copy, args);
  FormatTo(sink, format, copy);
  va_end(copy);
  sink.Flush();
}

void Print(const TandemBsp& bsp, const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  PrintV(bsp, format, args);
  va_end(args);
}

}  // namespace tandem::remote
