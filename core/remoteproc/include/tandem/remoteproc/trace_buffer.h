#pragma once
// The trace buffer (RSC_TRACE): a text log the remote writes into memory the
// host can read (Linux exposes it as debugfs remoteprocN/trace0).
//
// Format (ours; Linux only says "a NUL-terminated string"): a circular
// character buffer of `len` bytes that always holds exactly one NUL written
// by the writer, right after the newest character.
//  - Before it wraps, the text is [0, NUL) and everything after the NUL is
//    still zero (the writer clears the whole buffer first).
//  - Once it has wrapped, the oldest text is [NUL + 1, len) and the newest
//    [0, NUL); chronological order is [NUL + 1, len) then [0, NUL).
// So Linux's debugfs reader (strnlen from the start) still shows readable
// text, the newest part of it, and a reader that knows the format restores
// the order. Capacity: len - 1 characters.
//
// The writer never stores a NUL character from the caller (it is dropped),
// so the only NUL in the buffer is the marker. A concurrent reader may see a
// torn line (the log is for people, not a protocol); it never sees a buffer
// without a NUL, because the writer plants the new NUL before it overwrites
// the old one.
//
// The reader treats the bytes as hostile (they come from the remote): it
// works on a copy, is linear in the buffer size, and handles a buffer with
// no NUL (all of it is text, in order), only NULs (empty), or NULs in the
// middle of the old part (dropped).
//
// No heap, no OS. Threading: a TraceWriter is used by one context at a time
// (the firmware serializes its log calls).

#include <cstddef>
#include <span>

#include "tandem/base/span.h"

namespace tandem::remoteproc {

class TraceWriter {
 public:
  // Clears `buffer` (all zero: empty log) and starts writing at byte 0.
  explicit TraceWriter(ByteSpan buffer);

  // Appends `length` characters, overwriting the oldest once the buffer is
  // full. NUL characters are dropped. A buffer of fewer than 2 bytes holds
  // no text; writes to it do nothing.
  void Write(const char* text, std::size_t length);

  std::size_t capacity() const { return buffer_.size() < 2 ? 0 : buffer_.size() - 1; }

 private:
  ByteSpan buffer_;
  std::size_t next_ = 0;  // index of the NUL marker = where the next char goes
};

// Rearranges `buffer`, a private copy of a trace buffer's bytes, in place
// into chronological text (no NULs) at its start and returns the text's
// length. Bytes past the returned length are unspecified. Linear time, no
// allocation.
std::size_t ArrangeTraceText(std::span<char> buffer);

}  // namespace tandem::remoteproc
