#pragma once
// WordAssembler: the host's side of the mailbox framing on the UART byte
// stream (board.h, kMailboxWordBytes): bytes in, 32-bit little-endian words
// out, each checked to be a mailbox message (a notifyid < 64 or a control
// word). Everything in the stream comes from the emulated core and is
// untrusted: the first word that is neither latches the stream broken.

#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/remoteproc/mailbox.h"

namespace tandem::qemu {

class WordAssembler {
 public:
  // Feeds `bytes`; calls on_word(word) for every complete, valid word, in
  // order. Returns false (and stays broken: later bytes are ignored) at the
  // first invalid word, whose value bad_word() then gives.
  template <typename OnWord>
  bool Feed(std::span<const std::byte> bytes, OnWord&& on_word) {
    for (std::byte b : bytes) {
      if (broken_) return false;
      partial_ |= static_cast<std::uint32_t>(b) << (8 * filled_);
      if (++filled_ < 4) continue;
      const std::uint32_t word = partial_;
      partial_ = 0;
      filled_ = 0;
      if (!IsMessage(word)) {
        broken_ = true;
        bad_word_ = word;
        return false;
      }
      on_word(word);
    }
    return !broken_;
  }

  static constexpr bool IsMessage(std::uint32_t word) {
    return remoteproc::mailbox::IsMessage(word);
  }
  bool broken() const { return broken_; }
  std::uint32_t bad_word() const { return bad_word_; }
  // Bytes of a word not complete yet.
  std::size_t pending_bytes() const { return filled_; }

 private:
  std::uint32_t partial_ = 0;
  std::size_t filled_ = 0;
  bool broken_ = false;
  std::uint32_t bad_word_ = 0;
};

}  // namespace tandem::qemu
