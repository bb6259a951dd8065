#include "tandem/remoteproc/trace_buffer.h"

#include <cstring>

namespace tandem::remoteproc {
namespace {

void Reverse(std::span<char> s) {
  if (s.empty()) return;
  std::size_t i = 0;
  std::size_t j = s.size() - 1;
  while (i < j) {
    const char t = s[i];
    s[i] = s[j];
    s[j] = t;
    ++i;
    --j;
  }
}

// Rotates left by `k` (the element at k becomes the first): three reversals,
// linear and in place.
void RotateLeft(std::span<char> s, std::size_t k) {
  if (k == 0 || k >= s.size()) return;
  Reverse(s.first(k));
  Reverse(s.subspan(k));
  Reverse(s);
}

}  // namespace

TraceWriter::TraceWriter(ByteSpan buffer) : buffer_(buffer) {
  if (!buffer_.empty()) std::memset(buffer_.data(), 0, buffer_.size());
}

void TraceWriter::Write(const char* text, std::size_t length) {
  if (buffer_.size() < 2 || text == nullptr) return;
  for (std::size_t i = 0; i < length; ++i) {
    if (text[i] == '\0') continue;
    const std::size_t after = next_ + 1 == buffer_.size() ? 0 : next_ + 1;
    // Plant the new marker first (it overwrites the oldest character), then
    // replace the old marker by the character: the buffer always has a NUL.
    buffer_[after] = std::byte{0};
    buffer_[next_] = static_cast<std::byte>(text[i]);
    next_ = after;
  }
}

std::size_t ArrangeTraceText(std::span<char> buffer) {
  const std::size_t n = buffer.size();
  std::size_t nul = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (buffer[i] == '\0') {
      nul = i;
      break;
    }
  }
  if (nul == n) return n;  // no marker: all of it is text, oldest first
  bool wrapped = false;
  for (std::size_t i = nul + 1; i < n; ++i) {
    if (buffer[i] != '\0') {
      wrapped = true;
      break;
    }
  }
  if (wrapped) RotateLeft(buffer, nul + 1);  // [nul+1, n) then [0, nul]
  // Drop every NUL (the marker, and any a hostile writer left in the old
  // part), keeping the order of the rest.
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (buffer[i] != '\0') buffer[out++] = buffer[i];
  }
  return out;
}

}  // namespace tandem::remoteproc
