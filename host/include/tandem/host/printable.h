#pragma once
// Text the remote wrote (its trace buffer, its console) is untrusted: a
// remote can write terminal escape sequences that rewrite the user's screen
// or title, or worse on some terminals. Printable() makes it safe to show:
// printable ASCII, '\n' and '\t' pass; every other byte (ESC and the other
// C0 controls, '\r', DEL, and bytes >= 0x80, which would start UTF-8 or C1
// sequences) becomes a visible "\xNN", and a backslash becomes "\\" so the
// output reads back unambiguously.

#include <string>
#include <string_view>

namespace tandem::host {

std::string Printable(std::string_view text);

}  // namespace tandem::host
