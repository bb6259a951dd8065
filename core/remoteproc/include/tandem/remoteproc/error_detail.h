#pragma once
// The numbers behind a failed Load()/Attach() ("segment 0x20080000 size
// 0x10 not inside any carveout"): a Status carries only a static reason, so
// what varies (addresses, sizes, names) is appended here, in a fixed buffer
// that cuts what does not fit. RemoteProc::error_detail() shows it.

#include <array>
#include <cstddef>
#include <cstdint>

namespace tandem::remoteproc {

class ErrorDetail {
 public:
  static constexpr std::size_t kCapacity = 128;  // with the terminating NUL

  void Clear();
  // Appends `text` (null appends nothing).
  void Append(const char* text);
  // Appends `value` in lower-case hex, without a prefix.
  void AppendHex(std::uint64_t value);

  // Always NUL-terminated; "" after Clear().
  const char* c_str() const { return text_.data(); }

 private:
  std::array<char, kCapacity> text_{};
  std::size_t length_ = 0;
};

}  // namespace tandem::remoteproc
