// Messages larger than a buffer (rpmsg/large_message.h): the reassembler
// against hand-made fragments (every bad field of the peer's header), and
// LargeEndpoint over both roles of a link in one process (BusPair).
#include "tandem/rpmsg/large_message.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tandem/rpmsg/errors.h"
#include "tandem/testing/rpmsg_helpers.h"

namespace tandem::rpmsg {
namespace {

using namespace large_error;
using testing::AsSpan;
using testing::BusPair;
using testing::Collector;
using testing::Pattern;

// A fragment as a peer would write it, any field as given.
std::vector<std::uint8_t> Fragment(std::uint16_t id, std::uint32_t total, std::uint32_t offset,
                                   ConstByteSpan data, std::uint8_t version = kFragmentVersion,
                                   std::uint8_t flags = 0) {
  FragmentHeader h;
  h.version = version;
  h.flags = flags;
  h.message_id.set(id);
  h.total.set(total);
  h.offset.set(offset);
  std::vector<std::uint8_t> out(kFragmentHeaderSize + data.size());
  std::memcpy(out.data(), &h, kFragmentHeaderSize);
  if (!data.empty()) std::memcpy(out.data() + kFragmentHeaderSize, data.data(), data.size());
  return out;
}

ConstByteSpan Slice(const std::vector<std::uint8_t>& v, std::size_t off, std::size_t n) {
  return AsSpan(v).subspan(off, n);
}

// Storage with guard bytes on both sides: nothing may be written outside.
class Guarded {
 public:
  explicit Guarded(std::size_t capacity) : bytes_(capacity + 2 * kGuard, std::byte{0xA5}) {}
  ByteSpan storage() { return ByteSpan(bytes_.data() + kGuard, bytes_.size() - 2 * kGuard); }
  bool guards_intact() const {
    for (std::size_t i = 0; i < kGuard; ++i) {
      if (bytes_[i] != std::byte{0xA5} || bytes_[bytes_.size() - 1 - i] != std::byte{0xA5}) {
        return false;
      }
    }
    return true;
  }

 private:
  static constexpr std::size_t kGuard = 64;
  std::vector<std::byte> bytes_;
};

class ReassemblerTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kCapacity = 1000;
  static constexpr std::uint64_t kTimeout = 1000;
  Guarded guarded_{kCapacity};
  Reassembler r_{guarded_.storage(), kTimeout};
  std::vector<std::uint8_t> msg_ = Pattern(900, 7);

  Result<bool> Feed(const std::vector<std::uint8_t>& f, std::uint32_t src = 0x400,
                    std::uint64_t now = 10) {
    return r_.Feed(src, AsSpan(f), now);
  }
  // After an error: the partial is gone and a good message still passes.
  void ExpectRecovers() {
    EXPECT_FALSE(r_.in_progress());
    auto done = Feed(Fragment(99, 900, 0, AsSpan(msg_)));
    ASSERT_TRUE(done.ok()) << done.status().message();
    EXPECT_TRUE(*done);
    ASSERT_EQ(r_.message().size(), 900u);
    EXPECT_EQ(std::memcmp(r_.message().data(), msg_.data(), 900), 0);
    EXPECT_TRUE(guarded_.guards_intact());
  }
  void ExpectRefused(Result<bool> r, const char* why_text, StatusCode code) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code);
    EXPECT_STREQ(r.status().message(), why_text);
  }
};

TEST_F(ReassemblerTest, InOrderFragmentsMakeTheMessage) {
  auto a = Feed(Fragment(1, 900, 0, Slice(msg_, 0, 400)));
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(*a);
  EXPECT_TRUE(r_.in_progress());
  EXPECT_EQ(r_.received(), 400u);
  auto b = Feed(Fragment(1, 900, 400, Slice(msg_, 400, 400)));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(*b);
  auto c = Feed(Fragment(1, 900, 800, Slice(msg_, 800, 100)));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(*c);
  EXPECT_EQ(r_.message_src(), 0x400u);
  ASSERT_EQ(r_.message().size(), 900u);
  EXPECT_EQ(std::memcmp(r_.message().data(), msg_.data(), 900), 0);
  EXPECT_EQ(r_.stats().messages, 1u);
  EXPECT_EQ(r_.stats().fragments, 3u);
  EXPECT_EQ(r_.stats().bad, 0u);
  EXPECT_TRUE(guarded_.guards_intact());
}

TEST_F(ReassemblerTest, EmptyAndFullSizeMessages) {
  auto e = Feed(Fragment(1, 0, 0, {}));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(*e);
  EXPECT_TRUE(r_.message().empty());
  const auto full = Pattern(kCapacity, 3);
  auto f = Feed(Fragment(2, kCapacity, 0, AsSpan(full)));
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(*f);
  EXPECT_EQ(std::memcmp(r_.message().data(), full.data(), kCapacity), 0);
  EXPECT_TRUE(guarded_.guards_intact());
}

TEST_F(ReassemblerTest, ShortFragmentIsRefused) {
  std::vector<std::uint8_t> shortf(kFragmentHeaderSize - 1, 0);
  ExpectRefused(Feed(shortf), kFragmentTooShort, StatusCode::kDataLoss);
  ExpectRefused(Feed({}), kFragmentTooShort, StatusCode::kDataLoss);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, UnknownVersionOrFlagsAreRefused) {
  ExpectRefused(Feed(Fragment(1, 10, 0, Slice(msg_, 0, 10), 2)), kFragmentBadVersion,
                StatusCode::kDataLoss);
  ExpectRefused(Feed(Fragment(1, 10, 0, Slice(msg_, 0, 10), kFragmentVersion, 1)),
                kFragmentBadVersion, StatusCode::kDataLoss);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, TotalBeyondTheProtocolOrTheSpaceIsRefused) {
  ExpectRefused(Feed(Fragment(1, kMaxLargeMessage + 1, 0, Slice(msg_, 0, 10))),
                kFragmentTotalTooLarge, StatusCode::kDataLoss);
  ExpectRefused(Feed(Fragment(1, 0xFFFFFFFF, 0, Slice(msg_, 0, 10))), kFragmentTotalTooLarge,
                StatusCode::kDataLoss);
  ExpectRefused(Feed(Fragment(1, kCapacity + 1, 0, Slice(msg_, 0, 10))), kNoReassemblySpace,
                StatusCode::kResourceExhausted);
  EXPECT_EQ(r_.stats().no_space, 1u);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, OffsetOrLengthPastTheTotalIsRefused) {
  ExpectRefused(Feed(Fragment(1, 10, 0, Slice(msg_, 0, 11))), kFragmentPastTotal,
                StatusCode::kDataLoss);
  ExpectRefused(Feed(Fragment(1, 10, 11, Slice(msg_, 0, 1))), kFragmentPastTotal,
                StatusCode::kDataLoss);
  // offset + length wraps in 32 bits.
  ExpectRefused(Feed(Fragment(1, 100, 0xFFFFFFF0, Slice(msg_, 0, 0x20))), kFragmentPastTotal,
                StatusCode::kDataLoss);
  // In the middle of a message too, and the partial goes.
  ASSERT_TRUE(Feed(Fragment(1, 900, 0, Slice(msg_, 0, 400))).ok());
  const auto longer = Pattern(501, 8);  // one byte past the total
  ExpectRefused(Feed(Fragment(1, 900, 400, AsSpan(longer))), kFragmentPastTotal,
                StatusCode::kDataLoss);
  EXPECT_EQ(r_.stats().dropped, 1u);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, EmptyFragmentOfANonEmptyMessageIsRefused) {
  ExpectRefused(Feed(Fragment(1, 10, 0, {})), kFragmentEmpty, StatusCode::kDataLoss);
  ASSERT_TRUE(Feed(Fragment(1, 900, 0, Slice(msg_, 0, 400))).ok());
  ExpectRefused(Feed(Fragment(1, 900, 400, {})), kFragmentEmpty, StatusCode::kDataLoss);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, WrongOrderIsRefused) {
  // A continuation with nothing in progress (its first fragment was lost).
  ExpectRefused(Feed(Fragment(1, 900, 400, Slice(msg_, 400, 400))), kFragmentOutOfOrder,
                StatusCode::kDataLoss);
  // A gap: fragment 2 of 3 missing.
  ASSERT_TRUE(Feed(Fragment(2, 900, 0, Slice(msg_, 0, 400))).ok());
  ExpectRefused(Feed(Fragment(2, 900, 800, Slice(msg_, 800, 100))), kFragmentOutOfOrder,
                StatusCode::kDataLoss);
  EXPECT_EQ(r_.stats().dropped, 1u);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, DuplicateAndOverlappingFragmentsAreRefused) {
  const auto first = Fragment(1, 900, 0, Slice(msg_, 0, 400));
  ASSERT_TRUE(Feed(first).ok());
  ExpectRefused(Feed(first), kFragmentOverlap, StatusCode::kDataLoss);  // duplicate
  ASSERT_TRUE(Feed(first).ok());                                        // starts again
  ExpectRefused(Feed(Fragment(1, 900, 300, Slice(msg_, 300, 400))), kFragmentOverlap,
                StatusCode::kDataLoss);
  EXPECT_EQ(r_.stats().dropped, 2u);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, ChangedTotalIsRefused) {
  ASSERT_TRUE(Feed(Fragment(1, 900, 0, Slice(msg_, 0, 400))).ok());
  ExpectRefused(Feed(Fragment(1, 800, 400, Slice(msg_, 400, 400))), kFragmentTotalChanged,
                StatusCode::kDataLoss);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, InterleavedMessagesAreRefused) {
  // Another message id in the middle.
  ASSERT_TRUE(Feed(Fragment(1, 900, 0, Slice(msg_, 0, 400))).ok());
  ExpectRefused(Feed(Fragment(2, 900, 400, Slice(msg_, 400, 400))), kFragmentInterleaved,
                StatusCode::kDataLoss);
  // Another sender in the middle, same id.
  ASSERT_TRUE(Feed(Fragment(3, 900, 0, Slice(msg_, 0, 400))).ok());
  ExpectRefused(Feed(Fragment(3, 900, 400, Slice(msg_, 400, 400)), 0x401), kFragmentInterleaved,
                StatusCode::kDataLoss);
  EXPECT_EQ(r_.stats().dropped, 2u);
  ExpectRecovers();
}

TEST_F(ReassemblerTest, ANewFirstFragmentAbandonsTheIncompleteMessage) {
  ASSERT_TRUE(Feed(Fragment(1, 900, 0, Slice(msg_, 0, 400))).ok());
  auto b = Feed(Fragment(2, 10, 0, Slice(msg_, 0, 10)));
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(*b);
  EXPECT_EQ(r_.message().size(), 10u);
  EXPECT_EQ(r_.stats().abandoned, 1u);
  EXPECT_EQ(r_.stats().dropped, 1u);
  EXPECT_EQ(r_.stats().bad, 0u);
}

TEST_F(ReassemblerTest, AnIncompleteMessageTimesOut) {
  ASSERT_TRUE(Feed(Fragment(1, 900, 0, Slice(msg_, 0, 400)), 0x400, 100).ok());
  EXPECT_TRUE(r_.Expire(100 + kTimeout).ok());  // not older than the timeout yet
  EXPECT_TRUE(r_.in_progress());
  const Status s = r_.Expire(101 + kTimeout);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(s.Is(kReassemblyTimedOut));
  EXPECT_FALSE(r_.in_progress());
  EXPECT_EQ(r_.stats().timeouts, 1u);
  // Feed notices a stale partial too: the late continuation is out of order.
  ASSERT_TRUE(Feed(Fragment(2, 900, 0, Slice(msg_, 0, 400)), 0x400, 5000).ok());
  ExpectRefused(Feed(Fragment(2, 900, 400, Slice(msg_, 400, 400)), 0x400, 5000 + 2 * kTimeout),
                kFragmentOutOfOrder, StatusCode::kDataLoss);
  EXPECT_EQ(r_.stats().timeouts, 2u);
  // A clock that goes backwards expires nothing.
  ASSERT_TRUE(Feed(Fragment(3, 900, 0, Slice(msg_, 0, 400)), 0x400, 9000).ok());
  EXPECT_TRUE(r_.Expire(10).ok());
  EXPECT_TRUE(r_.in_progress());
}

TEST_F(ReassemblerTest, ParseFragmentHeaderAlone) {
  auto h = ParseFragmentHeader(AsSpan(Fragment(0xBEEF, 20, 5, Slice(msg_, 0, 15))));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->message_id.get(), 0xBEEFu);
  EXPECT_EQ(h->total.get(), 20u);
  EXPECT_EQ(h->offset.get(), 5u);
}

// --- LargeEndpoint over a link ----------------------------------------------------

class TestClock final : public Clock {
 public:
  std::uint64_t NowNs() override { return now; }
  std::uint64_t now = 1;
};

class Sink final : public LargeMessageHandler {
 public:
  void OnLargeMessage(Endpoint&, std::uint32_t src, ConstByteSpan m) override {
    messages.emplace_back(reinterpret_cast<const std::uint8_t*>(m.data()),
                          reinterpret_cast<const std::uint8_t*>(m.data()) + m.size());
    last_src = src;
  }
  void OnLargeMessageError(Endpoint&, const Status& e) override { errors.push_back(e); }
  std::vector<std::vector<std::uint8_t>> messages;
  std::vector<Status> errors;
  std::uint32_t last_src = 0;
};

testing::PairOptions ThirtyTwoBuffers() {
  testing::PairOptions o;
  o.num = 32;  // a 8 KiB message is 17 fragments
  return o;
}

class LargeLink : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pair_.remote().CreateEndpoint(remote_ep_, {}, remote_large_).ok());
    EndpointConfig hc;
    hc.peer = remote_ep_.address();
    ASSERT_TRUE(pair_.host().CreateEndpoint(host_ep_, hc, host_large_).ok());
  }
  void Negotiate(bool on) {
    host_large_.SetNegotiated(on);
    remote_large_.SetNegotiated(on);
  }

  BusPair pair_{ThirtyTwoBuffers()};
  TestClock clock_;
  std::vector<std::byte> host_space_ = std::vector<std::byte>(16384);
  std::vector<std::byte> remote_space_ = std::vector<std::byte>(8192);
  Sink host_sink_, remote_sink_;
  LargeEndpoint host_large_{host_space_, host_sink_, clock_};
  LargeEndpoint remote_large_{remote_space_, remote_sink_, clock_};
  Endpoint host_ep_, remote_ep_;
};

TEST_F(LargeLink, NegotiatedMessagesGoWholeBothWays) {
  Negotiate(true);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{484}, std::size_t{485},
                           std::size_t{600}, std::size_t{4000}, std::size_t{7000}}) {
    const auto m = Pattern(size, static_cast<std::uint8_t>(size));
    ASSERT_TRUE(host_large_.Send(host_ep_, remote_ep_.address(), AsSpan(m), Timeout::None()).ok())
        << size;
    pair_.Pump();
    ASSERT_EQ(remote_sink_.messages.size(), 1u) << size;
    EXPECT_EQ(remote_sink_.messages.back(), m);
    // And back, from the remote to whoever spoke.
    ASSERT_TRUE(
        remote_large_.Send(remote_ep_, remote_sink_.last_src, AsSpan(m), Timeout::None()).ok());
    pair_.Pump();
    ASSERT_EQ(host_sink_.messages.size(), 1u);
    EXPECT_EQ(host_sink_.messages.back(), m);
    remote_sink_.messages.clear();
    host_sink_.messages.clear();
  }
  EXPECT_TRUE(host_sink_.errors.empty());
  EXPECT_TRUE(remote_sink_.errors.empty());
  // 7000 bytes in 484-byte pieces: 15 fragments.
  EXPECT_EQ(remote_large_.stats().messages, 7u);
}

TEST_F(LargeLink, WithoutNegotiationNoFragmentIsEverSent) {
  Negotiate(false);
  const auto big = Pattern(600, 1);
  const std::uint64_t before = pair_.host().stats().tx_messages;
  const Status s = host_large_.Send(host_ep_, remote_ep_.address(), AsSpan(big), Timeout::None());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Is(kPayloadTooLarge));
  EXPECT_EQ(pair_.host().stats().tx_messages, before);
  EXPECT_EQ(host_large_.max_message(pair_.host()), pair_.host().mtu());
  // A message that fits goes as a plain message, byte for byte: a plain
  // endpoint on the other side (Linux, OpenAMP) sees exactly it.
  Collector plain;
  ASSERT_TRUE(pair_.remote().SetHandler(remote_ep_, plain).ok());
  const auto small = Pattern(496, 2);
  ASSERT_TRUE(
      host_large_.Send(host_ep_, remote_ep_.address(), AsSpan(small), Timeout::None()).ok());
  pair_.Pump();
  ASSERT_EQ(plain.messages.size(), 1u);
  EXPECT_EQ(plain.messages[0].payload, small);
}

TEST_F(LargeLink, TheReceiversSpaceLimitsTheMessage) {
  Negotiate(true);
  const auto m = Pattern(8193, 4);  // one more than the remote's space
  ASSERT_TRUE(host_large_.Send(host_ep_, remote_ep_.address(), AsSpan(m), Timeout::None()).ok());
  pair_.Pump();
  EXPECT_TRUE(remote_sink_.messages.empty());
  ASSERT_FALSE(remote_sink_.errors.empty());
  EXPECT_TRUE(remote_sink_.errors[0].Is(kNoReassemblySpace));
  EXPECT_EQ(remote_large_.stats().no_space, 1u);
  // The rest of that message's fragments are refused one by one (no message
  // in progress), and the next message passes.
  const auto ok = Pattern(8192, 5);
  ASSERT_TRUE(host_large_.Send(host_ep_, remote_ep_.address(), AsSpan(ok), Timeout::None()).ok());
  pair_.Pump();
  ASSERT_EQ(remote_sink_.messages.size(), 1u);
  EXPECT_EQ(remote_sink_.messages[0], ok);
}

// A hostile peer writes fragment headers by hand through the plain bus API.
TEST_F(LargeLink, HostilePeerFragmentsAreRefusedOneByOne) {
  Negotiate(true);
  const auto data = Pattern(400, 9);
  struct Case {
    std::vector<std::uint8_t> bytes;
    const char* reason;
  };
  const Case cases[] = {
      {std::vector<std::uint8_t>(5, 0), kFragmentTooShort},
      {Fragment(1, 400, 0, AsSpan(data), 9), kFragmentBadVersion},
      {Fragment(1, 100, 0, AsSpan(data)), kFragmentPastTotal},
      {Fragment(1, 1u << 30, 0, AsSpan(data)), kFragmentTotalTooLarge},
      {Fragment(1, 20000, 0, AsSpan(data)), kNoReassemblySpace},
      {Fragment(1, 800, 400, AsSpan(data)), kFragmentOutOfOrder},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(pair_.remote()
                    .SendTo(remote_ep_, host_ep_.address(), AsSpan(c.bytes), Timeout::None())
                    .ok());
    pair_.Pump();
    ASSERT_FALSE(host_sink_.errors.empty()) << c.reason;
    EXPECT_EQ(host_sink_.errors.back().message(), c.reason) << host_sink_.errors.back().message();
  }
  EXPECT_EQ(host_sink_.errors.size(), std::size(cases));
  EXPECT_TRUE(host_sink_.messages.empty());
  EXPECT_EQ(host_large_.stats().bad, std::size(cases));
}

TEST_F(LargeLink, ExpireIsTheTickThatDropsAnIncompleteMessage) {
  Negotiate(true);
  const auto data = Pattern(400, 9);
  ASSERT_TRUE(pair_.remote()
                  .SendTo(remote_ep_, host_ep_.address(), AsSpan(Fragment(1, 800, 0, AsSpan(data))),
                          Timeout::None())
                  .ok());
  pair_.Pump();
  EXPECT_TRUE(host_large_.reassembler().in_progress());
  host_large_.Expire();
  EXPECT_TRUE(host_large_.reassembler().in_progress());
  clock_.now += kDefaultReassemblyTimeoutNs + 1;
  host_large_.Expire();
  EXPECT_FALSE(host_large_.reassembler().in_progress());
  EXPECT_EQ(host_large_.stats().timeouts, 1u);
}

}  // namespace
}  // namespace tandem::rpmsg
