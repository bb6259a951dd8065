#include "tandem/remoteproc/trace_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace tandem::remoteproc {
namespace {

struct Trace {
  explicit Trace(std::size_t n) : mem(n, std::byte{0x5a}), writer(ByteSpan(mem)) {}
  void Write(const std::string& s) { writer.Write(s.data(), s.size()); }
  // What a reader that knows the format returns (works on a copy).
  std::string Read() const {
    std::vector<char> copy(mem.size());
    if (!mem.empty()) std::memcpy(copy.data(), mem.data(), mem.size());
    const std::size_t n = ArrangeTraceText(copy);
    return std::string(copy.data(), n);
  }
  // What Linux's debugfs trace reader shows: strnlen from the start.
  std::string LinuxRead() const {
    const char* p = reinterpret_cast<const char*>(mem.data());
    return std::string(p, strnlen(p, mem.size()));
  }
  std::size_t Nuls() const {
    std::size_t n = 0;
    for (std::byte b : mem) n += b == std::byte{0};
    return n;
  }
  std::vector<std::byte> mem;
  TraceWriter writer;
};

std::string Arrange(std::string bytes) {
  const std::size_t n = ArrangeTraceText(std::span<char>(bytes.data(), bytes.size()));
  return bytes.substr(0, n);
}

TEST(TraceBuffer, WriterClearsTheBufferSoANewLogIsEmpty) {
  Trace t(16);
  EXPECT_EQ(t.Nuls(), 16u);
  EXPECT_EQ(t.Read(), "");
  EXPECT_EQ(t.writer.capacity(), 15u);
}

TEST(TraceBuffer, TextBeforeWrapReadsInOrderAndLinuxSeesAllOfIt) {
  Trace t(16);
  t.Write("boot\n");
  t.Write("ok\n");
  EXPECT_EQ(t.Read(), "boot\nok\n");
  EXPECT_EQ(t.LinuxRead(), "boot\nok\n");
}

TEST(TraceBuffer, ExactlyFullBufferHoldsCapacityCharacters) {
  Trace t(8);
  t.Write("abcdefg");
  EXPECT_EQ(t.Read(), "abcdefg");
  EXPECT_EQ(t.Nuls(), 1u);
}

TEST(TraceBuffer, WrapKeepsTheNewestCapacityCharactersInChronologicalOrder) {
  Trace t(8);
  t.Write("abcdefgh");  // one past capacity: 'a' is overwritten
  EXPECT_EQ(t.Read(), "bcdefgh");
  t.Write("XYZ");
  EXPECT_EQ(t.Read(), "efghXYZ");
  // Linux's reader shows the newest part, [0, NUL).
  EXPECT_EQ(t.LinuxRead(), "XYZ");
}

TEST(TraceBuffer, ManyWrapsMatchAModelOfTheLastCharacters) {
  for (std::size_t size : {2u, 3u, 7u, 64u}) {
    Trace t(size);
    std::string all;
    std::mt19937 rng(static_cast<unsigned>(size));
    for (int i = 0; i < 500; ++i) {
      std::string chunk(rng() % 11, ' ');
      for (char& c : chunk) c = static_cast<char>('a' + rng() % 26);
      t.Write(chunk);
      all += chunk;
      const std::size_t keep = std::min(all.size(), size - 1);
      ASSERT_EQ(t.Read(), all.substr(all.size() - keep)) << "size " << size << " step " << i;
      ASSERT_EQ(t.Nuls() >= 1, true);
    }
  }
}

TEST(TraceBuffer, NulCharactersFromTheCallerAreDropped) {
  Trace t(16);
  t.Write(std::string("a\0b", 3));
  EXPECT_EQ(t.Read(), "ab");
}

TEST(TraceBuffer, TinyBuffersHoldNothingAndNeverOverflow) {
  std::byte one[1] = {std::byte{7}};
  TraceWriter w1(ByteSpan(one, 1));
  w1.Write("abc", 3);
  EXPECT_EQ(one[0], std::byte{0});
  EXPECT_EQ(w1.capacity(), 0u);
  TraceWriter w0(ByteSpan{});
  w0.Write("abc", 3);
  EXPECT_EQ(w0.capacity(), 0u);
  EXPECT_EQ(Arrange(""), "");
}

TEST(TraceBuffer, HostileBufferWithoutNulIsReturnedWhole) {
  EXPECT_EQ(Arrange("garbage!"), "garbage!");
}

TEST(TraceBuffer, HostileBufferOfOnlyNulsIsEmpty) { EXPECT_EQ(Arrange(std::string(32, '\0')), ""); }

TEST(TraceBuffer, HostileNulsInTheOldPartAreDroppedAndOrderKept) {
  // marker at 2; old part "x\0y\0z" contains stray NULs.
  EXPECT_EQ(Arrange(std::string("AB\0x\0y\0z", 8)), "xyzAB");
}

TEST(TraceBuffer, RandomGarbageNeverYieldsNulsOrGrows) {
  std::mt19937 rng(99);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 0 : rng());
    std::size_t non_nul = 0;
    for (char c : bytes) non_nul += c != '\0';
    const std::string text = Arrange(bytes);
    ASSERT_EQ(text.size(), non_nul);  // every non-NUL byte kept exactly once
    ASSERT_EQ(text.find('\0'), std::string::npos);
  }
}

}  // namespace
}  // namespace tandem::remoteproc
