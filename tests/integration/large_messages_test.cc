// Messages larger than a buffer end to end (docs/large_messages.md): a host
// Session and the demo firmware on a simulated core in its own process,
// over real shared memory. The demo offers Tandem's large-message bit (11)
// and the host accepts it: tandem-large-echo echoes 600 B, 4 KiB and its
// 16 KiB maximum whole, content-checked. demo_2k does not offer the bit (a
// peer that does not know it): the same service is a plain echo, a message
// larger than the MTU is refused on the host with "payload larger than the
// MTU", and what comes back is never a fragment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "tandem/host/session.h"
#include "tandem/rpmsg/errors.h"
#include "tandem/rpmsg/large_message.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using namespace std::chrono_literals;

constexpr const char* kLargeEcho = "tandem-large-echo";
constexpr std::size_t kFirmwareMax = 16384;  // LargeEchoService::kMaxMessage

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("large", tag); }

std::vector<std::byte> Pattern(std::size_t size, int seed) {
  std::vector<std::byte> p(size);
  for (std::size_t k = 0; k < size; ++k) {
    p[k] = static_cast<std::byte>(seed * 31 + k * 7 + (k >> 9));
  }
  return p;
}

// The host's opted-in endpoint: messages arrive whole on the event thread
// and are queued for the test thread.
class LargeClient final : private rpmsg::LargeMessageHandler, private rpmsg::Clock {
 public:
  LargeClient(Session& session, std::uint32_t peer, bool negotiated)
      : session_(session), space_(64 * 1024), large_(space_, *this, *this) {
    large_.SetNegotiated(negotiated);
    rpmsg::EndpointConfig c;
    c.peer = peer;
    created_ = session_.CreateEndpoint(endpoint_, c, large_);
  }
  ~LargeClient() { session_.DestroyEndpoint(endpoint_); }
  Status created() const { return created_; }

  Status Send(const std::vector<std::byte>& m) {
    return large_.Send(endpoint_, endpoint_.peer(), m, rpmsg::Timeout::Seconds(2));
  }
  bool Next(std::vector<std::byte>* out) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, 5s, [&] { return !messages_.empty(); })) return false;
    *out = std::move(messages_.front());
    messages_.pop_front();
    return true;
  }
  std::uint32_t errors() const { return errors_.load(); }

 private:
  void OnLargeMessage(rpmsg::Endpoint&, std::uint32_t, ConstByteSpan m) override {
    std::vector<std::byte> copy(m.size());
    if (!m.empty()) std::memcpy(copy.data(), m.data(), m.size());
    {
      std::lock_guard lock(mutex_);
      messages_.push_back(std::move(copy));
    }
    cv_.notify_all();
  }
  void OnLargeMessageError(rpmsg::Endpoint&, const Status&) override { errors_.fetch_add(1); }
  std::uint64_t NowNs() override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  }

  Session& session_;
  std::vector<std::byte> space_;
  rpmsg::LargeEndpoint large_;
  rpmsg::Endpoint endpoint_;
  Status created_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::vector<std::byte>> messages_;
  std::atomic<std::uint32_t> errors_{0};
};

void ExpectEcho(LargeClient& client, const std::vector<std::byte>& m) {
  const Status s = client.Send(m);
  ASSERT_TRUE(s.ok()) << m.size() << ": " << s.message();
  std::vector<std::byte> in;
  ASSERT_TRUE(client.Next(&in)) << "no echo of " << m.size() << " bytes";
  ASSERT_EQ(in.size(), m.size());
  if (!m.empty()) {
    ASSERT_EQ(std::memcmp(in.data(), m.data(), m.size()), 0) << m.size();
  }
}

TEST(LargeMessages, TheDemoNegotiatesAndEchoesMessagesLargerThanABuffer) {
  auto made = Session::Create(Options("demo"));
  ASSERT_TRUE(made.ok()) << made.status().message();
  Session& s = **made;
  ChannelPort port(s, kLargeEcho);
  ASSERT_TRUE(port.Register().ok());
  ASSERT_TRUE(s.Boot(integration::ReadImage(TANDEM_DEMO_ELF)).ok()) << s.rproc().error_detail();
  ASSERT_TRUE(port.WaitBound(5s).ok());
  ASSERT_TRUE(s.buffers().large_messages);
  ASSERT_EQ(s.bus().mtu(), 496u);

  LargeClient client(s, port.remote_address(), /*negotiated=*/true);
  ASSERT_TRUE(client.created().ok()) << client.created().message();
  int seed = 0;
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{484}, std::size_t{485}, std::size_t{496},
        std::size_t{600}, std::size_t{4000}, std::size_t{4096}, std::size_t{9999}, kFirmwareMax}) {
    ExpectEcho(client, Pattern(size, ++seed));
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 200; ++i) {
    ExpectEcho(client, Pattern(497 + static_cast<std::size_t>(i) * 79 % (kFirmwareMax - 497), i));
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(client.errors(), 0u);
  const auto stats = s.bus().stats();
  EXPECT_EQ(stats.rx_too_big + stats.rx_too_short + stats.rx_bad_buffer, 0u);
  ASSERT_TRUE(s.Stop().ok());
  EXPECT_TRUE(s.last_stop().graceful);
}

TEST(LargeMessages, APeerThatDoesNotNegotiateIsNeverSentAFragment) {
  auto made = Session::Create(Options("plain"));
  ASSERT_TRUE(made.ok()) << made.status().message();
  Session& s = **made;
  ChannelPort port(s, kLargeEcho);
  ASSERT_TRUE(port.Register().ok());
  // demo_2k's table does not offer bit 11: the host does not accept it, the
  // firmware's large echo is a plain echo.
  ASSERT_TRUE(s.Boot(integration::ReadImage(TANDEM_DEMO_2K_ELF)).ok()) << s.rproc().error_detail();
  ASSERT_TRUE(port.WaitBound(5s).ok());
  EXPECT_FALSE(s.buffers().large_messages);
  const std::size_t mtu = s.bus().mtu();
  ASSERT_EQ(mtu, 2032u);

  {
    // The host's opted-in endpoint follows the link: not negotiated.
    LargeClient client(s, port.remote_address(), s.buffers().large_messages);
    ASSERT_TRUE(client.created().ok());
    const std::uint64_t sent_before = s.bus().stats().tx_messages;
    const Status refused = client.Send(Pattern(4000, 1));
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(refused.Is(rpmsg::kPayloadTooLarge)) << refused.message();
    EXPECT_STREQ(refused.message(), "payload larger than the MTU");
    EXPECT_EQ(s.bus().stats().tx_messages, sent_before);  // nothing went out
    // Up to the MTU, plain messages both ways, content-checked.
    ExpectEcho(client, Pattern(600, 2));
    ExpectEcho(client, Pattern(mtu, 3));
  }
  // A plain client (what Linux's rpmsg_char is) gets exactly its bytes
  // back, no fragment header.
  const auto m = Pattern(100, 4);
  ASSERT_TRUE(port.Send(m, rpmsg::Timeout::Seconds(2)).ok());
  std::vector<std::byte> in(mtu);
  auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->len, m.size());
  EXPECT_EQ(std::memcmp(in.data(), m.data(), m.size()), 0);
}

}  // namespace
}  // namespace tandem::host
