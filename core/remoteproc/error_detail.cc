#include "tandem/remoteproc/error_detail.h"

namespace tandem::remoteproc {

void ErrorDetail::Clear() {
  text_.fill('\0');
  length_ = 0;
}

void ErrorDetail::Append(const char* text) {
  if (text == nullptr) return;
  while (*text != '\0' && length_ + 1 < text_.size()) text_[length_++] = *text++;
  text_[length_] = '\0';
}

void ErrorDetail::AppendHex(std::uint64_t value) {
  char digits[17];
  std::size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  char text[17];
  for (std::size_t i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  Append(text);
}

}  // namespace tandem::remoteproc
