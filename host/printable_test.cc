#include "tandem/host/printable.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::host {
namespace {

TEST(Printable, KeepsPrintableAsciiNewlinesAndTabs) {
  EXPECT_EQ(Printable("[demo] booted\n\tok 100%\n"), "[demo] booted\n\tok 100%\n");
}

TEST(Printable, ShowsTerminalEscapesInsteadOfSendingThem) {
  // Clear screen, set the window title, ring the bell: all made visible.
  EXPECT_EQ(Printable("\x1b[2J\x1b]0;pwned\x07"), "\\x1b[2J\\x1b]0;pwned\\x07");
  EXPECT_EQ(Printable("a\rb"), "a\\x0db");
  EXPECT_EQ(Printable(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(Printable("\x7f"), "\\x7f");
}

TEST(Printable, ShowsHighBytesAndC1Controls) {
  EXPECT_EQ(Printable("\x9b"
                      "31m"),
            "\\x9b31m");  // C1 CSI
  EXPECT_EQ(Printable("\xc3\xa9"), "\\xc3\\xa9");
}

TEST(Printable, EscapesBackslashSoTheOutputIsUnambiguous) {
  EXPECT_EQ(Printable("\\x1b"), "\\\\x1b");
}

}  // namespace
}  // namespace tandem::host
