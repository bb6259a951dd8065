// Host test of the firmware's freestanding formatter (built into a normal
// test binary from platform/linux/CMakeLists.txt).

#include "tandem/remote/print.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <string>

namespace tandem::remote {
namespace {

// The format is a parameter on purpose (it is always a literal at the call
// sites); clang's -Wformat-security cannot see that through the wrapper.
#pragma GCC diagnostic ignored "-Wformat-security"
std::string Fmt(const char* format, auto... args) {
  char buf[256];
  std::size_t n = Format(buf, sizeof(buf), format, args...);
  EXPECT_EQ(n, std::string(buf).size());
  return buf;
}

TEST(FirmwarePrint, FormatsTheSupportedConversions) {
  EXPECT_EQ(Fmt("incoming msg %u (src: 0x%x)", 42u, 0x400u), "incoming msg 42 (src: 0x400)");
  EXPECT_EQ(Fmt("%d %i %d", -7, 0, INT_MIN), "-7 0 -2147483648");
  EXPECT_EQ(Fmt("%s|%c|%%", "abc", 'Z'), "abc|Z|%");
  EXPECT_EQ(Fmt("%X", 0xbeefu), "BEEF");
  EXPECT_EQ(Fmt("%zu %lu %llu", std::size_t{123}, 4000000000ul, 18446744073709551615ull),
            "123 4000000000 18446744073709551615");
  EXPECT_EQ(Fmt("%lld %llx", LLONG_MIN, 0x1234567890abcdefull),
            "-9223372036854775808 1234567890abcdef");
  EXPECT_EQ(Fmt("%p", reinterpret_cast<void*>(std::uintptr_t{0x10000000})), "0x10000000");
  EXPECT_EQ(Fmt("%s", static_cast<const char*>(nullptr)), "(null)");
}

TEST(FirmwarePrint, WidthPadsWithZerosOrSpaces) {
  EXPECT_EQ(Fmt("%08x", 0x1234u), "00001234");
  EXPECT_EQ(Fmt("%4u|", 7u), "   7|");
  EXPECT_EQ(Fmt("%5d|%05d", -42, -42), "  -42|-0042");
  EXPECT_EQ(Fmt("%2u", 12345u), "12345");  // width is a minimum
}

TEST(FirmwarePrint, UnknownConversionsAreShownVerbatim) {
  EXPECT_EQ(Fmt("a %q b"), "a %q b");
  EXPECT_EQ(Fmt("trailing %"), "trailing %");
}

TEST(FirmwarePrint, TruncatesLikeSnprintf) {
  char buf[8];
  std::size_t n = Format(buf, sizeof(buf), "%s", "0123456789");
  EXPECT_EQ(n, 10u);
  EXPECT_STREQ(buf, "0123456");
  EXPECT_EQ(Format(nullptr, 0, "%u", 12345u), 5u);
}

struct Capture {
  std::string text;
  int writes = 0;
};

extern "C" void CaptureWrite(void* ctx, const char* s, std::size_t n) {
  auto* c = static_cast<Capture*>(ctx);
  c->text.append(s, n);
  ++c->writes;
}

TEST(FirmwarePrint, PrintWritesToTheBoardConsoleInChunks) {
  Capture capture;
  TandemBsp bsp{};
  bsp.abi_version = TANDEM_BSP_ABI_VERSION;
  bsp.size = sizeof(bsp);
  bsp.ctx = &capture;
  bsp.console_write = CaptureWrite;
  Print(bsp, "hello %s %u\n", "core", 1u);
  EXPECT_EQ(capture.text, "hello core 1\n");
  EXPECT_EQ(capture.writes, 1);
  // Longer than the internal buffer: several writes, nothing lost.
  std::string long_text(300, 'x');
  capture = {};
  Print(bsp, "%s!", long_text.c_str());
  EXPECT_EQ(capture.text, long_text + "!");
  EXPECT_GT(capture.writes, 1);
}

}  // namespace
}  // namespace tandem::remote
