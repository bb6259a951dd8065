#pragma once
// Numbers as the launcher's command line and the state file spell them:
// decimal or 0x-hex, parsed strictly (the whole text, no sign). Private to
// platform/linux (launch_args.cc, which the launcher also compiles, and
// core_state.cc).

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::linux_platform {

inline bool ParseU64(std::string_view text, std::uint64_t* out) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

// "0x" and lowercase hex digits.
inline std::string Hex(std::uint64_t value) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, 16);
  (void)ec;  // 16 hex digits always fit
  return "0x" + std::string(buf, end);
}

}  // namespace tandem::linux_platform
