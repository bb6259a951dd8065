// The demo image's services on a RemoteNode against a real HostBus
// (firmware/common/testing), as the host's rpmsg_client_sample, echo and
// TTY users would drive them.

#include "demo_services.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tandem/remote/echo_service.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_host.h"

namespace tandem::remote::demo {
namespace {

namespace mailbox = remoteproc::mailbox;
using remote::testing::Bytes;
using remote::testing::FakeBoard;
using remote::testing::FakeHost;
using remote::testing::RecordingDriver;

std::string Printable(const std::string& in, std::size_t capacity) {
  std::vector<char> out(capacity + 1, '#');
  const std::size_t n = PrintableText(Bytes(in), out.data(), capacity);
  EXPECT_EQ(out[n], '\0');
  return std::string(out.data());
}

TEST(PrintableText, KeepsPrintableAsciiAndMasksTheRest) {
  EXPECT_EQ(Printable("hello world!", 64), "hello world!");
  EXPECT_EQ(Printable(std::string("a\0b\nc\x7f\xff", 7), 64), "a.b.c..");
  EXPECT_EQ(Printable("truncated", 5), "trun");
  EXPECT_EQ(Printable("", 5), "");
}

// The demo image's three services, created in the image's order, with one
// recording host driver per service name.
class DemoTest : public ::testing::Test {
 protected:
  DemoTest()
      : host_(board_),
        node_(std::make_unique<RemoteNode>(board_.bsp(), host_.node_config("demo"))),
        sample_(*node_),
        echo_(*node_),
        tty_(*node_) {
    EXPECT_TRUE(node_->AddEndpoint(sample_endpoint_, SampleClientService::kName, sample_).ok());
    EXPECT_TRUE(node_->AddEndpoint(echo_endpoint_, EchoService::kName, echo_).ok());
    EXPECT_TRUE(node_->AddEndpoint(tty_endpoint_, TtyService::kName, tty_).ok());
    EXPECT_TRUE(host_.bus().RegisterDriver(SampleClientService::kName, sample_driver_).ok());
    EXPECT_TRUE(host_.bus().RegisterDriver(EchoService::kName, echo_driver_).ok());
    EXPECT_TRUE(host_.bus().RegisterDriver(TtyService::kName, tty_driver_).ok());
  }

  // Boots the host, sends `messages` on `driver`'s channel once it is
  // bound, one per host turn, and shuts the remote down once `replies`
  // replies came back. Returns Run()'s exit code.
  int Exchange(RecordingDriver& driver, const std::vector<std::string>& messages,
               std::size_t replies) {
    std::size_t next = 0;
    bool shutdown = false;
    board_.on_wait = [&] {
      if (board_.waits == 1) host_.Boot();
      host_.Poll().IgnoreError();
      if (!driver.bound.empty() && next < messages.size()) {
        EXPECT_TRUE(driver.bound[0]->TrySend(Bytes(messages[next++])).ok());
      }
      if (!shutdown && driver.messages.size() >= replies) {
        board_.inbox.push_back(mailbox::kShutdown);
        shutdown = true;
      }
    };
    return node_->Run();
  }

  bool Logged(const std::string& text) const {
    return board_.console.find(text) != std::string::npos;
  }

  FakeBoard board_;
  FakeHost host_;
  std::unique_ptr<RemoteNode> node_;
  SampleClientService sample_;
  EchoService echo_;
  TtyService tty_;
  rpmsg::Endpoint sample_endpoint_, echo_endpoint_, tty_endpoint_;
  RecordingDriver sample_driver_, echo_driver_, tty_driver_;
};

TEST_F(DemoTest, ServicesGetAddressesInTheImagesCreationOrder) {
  EXPECT_EQ(Exchange(tty_driver_, {}, 0), RemoteNode::kExitClean);
  EXPECT_EQ(sample_driver_.remote_addresses, (std::vector<std::uint32_t>{0x400}));
  EXPECT_EQ(echo_driver_.remote_addresses, (std::vector<std::uint32_t>{0x401}));
  EXPECT_EQ(tty_driver_.remote_addresses, (std::vector<std::uint32_t>{0x402}));
}

TEST_F(DemoTest, SampleClientLogsEachMessageNumberedFromOneAndSendsItBack) {
  EXPECT_EQ(Exchange(sample_driver_, {"hello world!", "hello world!", "bye\n"}, 3),
            RemoteNode::kExitClean);
  ASSERT_EQ(sample_driver_.messages.size(), 3u);
  EXPECT_EQ(sample_driver_.messages[0].text, "hello world!");
  EXPECT_EQ(sample_driver_.messages[2].text, "bye\n");  // the bytes, not the log's copy
  EXPECT_EQ(sample_driver_.messages[0].src, 0x400u);
  EXPECT_TRUE(Logged("[Linux sample client] incoming msg 1: hello world!\n"));
  EXPECT_TRUE(Logged("[Linux sample client] incoming msg 2: hello world!\n"));
  EXPECT_TRUE(Logged("[Linux sample client] incoming msg 3: bye.\n"));
  EXPECT_EQ(sample_.received(), 3u);
}

TEST_F(DemoTest, EchoReturnsExactlyTheSameBytesFromEmptyToTheMtu) {
  const std::string empty;
  const std::string binary("\x00\x01\xff\x7f", 4);
  const std::string full(496, 'm');  // 512-byte buffer - 16-byte header
  EXPECT_EQ(Exchange(echo_driver_, {empty, binary, full}, 3), RemoteNode::kExitClean);
  ASSERT_EQ(echo_driver_.messages.size(), 3u);
  EXPECT_EQ(echo_driver_.messages[0].text, empty);
  EXPECT_EQ(echo_driver_.messages[1].text, binary);
  EXPECT_EQ(echo_driver_.messages[2].text, full);
  EXPECT_EQ(echo_.failed(), 0u);
}

TEST_F(DemoTest, TtyPrefixesRepliesWithItsOwnAddress) {
  EXPECT_EQ(Exchange(tty_driver_, {"Hello Zephyr"}, 1), RemoteNode::kExitClean);
  ASSERT_EQ(tty_driver_.messages.size(), 1u);
  EXPECT_EQ(tty_driver_.messages[0].text, "TTY 0x0402: Hello Zephyr");
  EXPECT_EQ(tty_driver_.messages[0].src, 0x402u);
}

TEST_F(DemoTest, TtyCutsAReplyThatWouldExceedTheMtu) {
  const std::string line(496, 'z');
  EXPECT_EQ(Exchange(tty_driver_, {line}, 1), RemoteNode::kExitClean);
  ASSERT_EQ(tty_driver_.messages.size(), 1u);
  EXPECT_EQ(tty_driver_.messages[0].text, "TTY 0x0402: " + std::string(496 - 12, 'z'));
}

// tandem bench's two ends: the sink and the source (with its loop hook).
class BenchServicesTest : public ::testing::Test {
 protected:
  BenchServicesTest()
      : host_(board_),
        node_(std::make_unique<RemoteNode>(board_.bsp(), host_.node_config("demo"))),
        sink_(*node_),
        source_(*node_) {
    EXPECT_TRUE(node_->AddEndpoint(sink_endpoint_, BenchSinkService::kName, sink_).ok());
    EXPECT_TRUE(node_->AddEndpoint(source_endpoint_, BenchSourceService::kName, source_).ok());
    node_->SetLoopHook(&source_);
    EXPECT_TRUE(host_.bus().RegisterDriver(BenchSinkService::kName, sink_driver_).ok());
    EXPECT_TRUE(host_.bus().RegisterDriver(BenchSourceService::kName, source_driver_).ok());
  }

  // As DemoTest::Exchange, the messages made once the channel is bound
  // (they may name its address).
  int Exchange(RecordingDriver& driver,
               const std::function<std::vector<std::string>(rpmsg::Channel&)>& make,
               std::size_t replies) {
    std::vector<std::string> messages;
    bool made = false;
    std::size_t next = 0;
    bool shutdown = false;
    board_.on_wait = [&] {
      if (board_.waits == 1) host_.Boot();
      host_.Poll().IgnoreError();
      if (!driver.bound.empty() && !made) {
        messages = make(*driver.bound[0]);
        made = true;
      }
      while (!driver.bound.empty() && next < messages.size()) {
        EXPECT_TRUE(driver.bound[0]->TrySend(Bytes(messages[next++])).ok());
      }
      if (!shutdown && driver.messages.size() >= replies) {
        board_.inbox.push_back(mailbox::kShutdown);
        shutdown = true;
      }
    };
    return node_->Run();
  }

  static std::string Le(std::uint64_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out += static_cast<char>(v >> (8 * i));
    return out;
  }
  static std::string Request(std::uint32_t count, std::uint32_t size, std::uint32_t base,
                             std::uint32_t n, std::uint32_t zero_copy) {
    return Le(count, 4) + Le(size, 4) + Le(base, 4) + Le(n, 4) + Le(zero_copy, 4);
  }

  FakeBoard board_;
  FakeHost host_;
  std::unique_ptr<RemoteNode> node_;
  BenchSinkService sink_;
  BenchSourceService source_;
  rpmsg::Endpoint sink_endpoint_, source_endpoint_;
  RecordingDriver sink_driver_, source_driver_;
};

TEST_F(BenchServicesTest, SinkCountsMessagesAndAnswersEachQueryWithTheCountSinceTheLast) {
  auto make = [](rpmsg::Channel&) {
    return std::vector<std::string>{"D", std::string(496, 'D'), "D", "?", "D", "?"};
  };
  EXPECT_EQ(Exchange(sink_driver_, make, 2), RemoteNode::kExitClean);
  ASSERT_EQ(sink_driver_.messages.size(), 2u);
  EXPECT_EQ(sink_driver_.messages[0].text, Le(3, 8));
  EXPECT_EQ(sink_driver_.messages[1].text, Le(1, 8));
}

TEST_F(BenchServicesTest, SourceStreamsTheRequestCopiedOrInPlaceThenAnEndMarker) {
  auto make = [](rpmsg::Channel& c) {
    return std::vector<std::string>{Request(300, 16, c.local_address(), 1, 0),
                                    Request(300, 496, c.local_address(), 1, 1)};
  };
  // 600 messages through 256 buffers: the source waits for the host's.
  EXPECT_EQ(Exchange(source_driver_, make, 602), RemoteNode::kExitClean);
  ASSERT_EQ(source_driver_.messages.size(), 602u);
  EXPECT_EQ(source_driver_.messages[0].text.size(), 16u);
  EXPECT_EQ(source_driver_.messages[300].text, Le(300, 8));
  EXPECT_EQ(source_driver_.messages[301].text.size(), 496u);
  EXPECT_EQ(source_driver_.messages[601].text, Le(300, 8));
}

TEST_F(BenchServicesTest, SourceRefusesABadRequestAndSendsNothing) {
  auto make = [](rpmsg::Channel& c) {
    return std::vector<std::string>{Request(10, 497, c.local_address(), 1, 0),  // above the MTU
                                    Request(10, 16, c.local_address(), 0, 0),   // no destination
                                    Request(10, 16, 0xFFFFFFF0u, 0x20, 0),      // wraps
                                    "short"};
  };
  EXPECT_EQ(Exchange(source_driver_, make, 4), RemoteNode::kExitClean);
  ASSERT_EQ(source_driver_.messages.size(), 4u);
  for (const auto& m : source_driver_.messages) EXPECT_EQ(m.text, Le(0, 8));
}

// tandem-large-echo with a host that does not accept Tandem's large-message
// bit (the fake host accepts only NS and EVENT_IDX, as Linux): a plain echo
// of messages up to the MTU, never a fragment header on what it sends
// (docs/large_messages.md).
class LargeEchoTest : public ::testing::Test {
 protected:
  LargeEchoTest()
      : host_(board_),
        node_(std::make_unique<RemoteNode>(board_.bsp(), host_.node_config("demo"))),
        large_(*node_) {
    EXPECT_TRUE(node_->AddEndpoint(endpoint_, LargeEchoService::kName, large_).ok());
    EXPECT_TRUE(host_.bus().RegisterDriver(LargeEchoService::kName, driver_).ok());
  }

  int Exchange(const std::vector<std::string>& messages, std::size_t replies) {
    std::size_t next = 0;
    bool shutdown = false;
    board_.on_wait = [&] {
      if (board_.waits == 1) host_.Boot();
      host_.Poll().IgnoreError();
      if (!driver_.bound.empty() && next < messages.size()) {
        EXPECT_TRUE(driver_.bound[0]->TrySend(Bytes(messages[next++])).ok());
      }
      if (!shutdown && driver_.messages.size() >= replies) {
        board_.inbox.push_back(mailbox::kShutdown);
        shutdown = true;
      }
    };
    return node_->Run();
  }

  FakeBoard board_;
  FakeHost host_;
  std::unique_ptr<RemoteNode> node_;
  LargeEchoService large_;
  rpmsg::Endpoint endpoint_;
  RecordingDriver driver_;
};

TEST_F(LargeEchoTest, WithoutTheBitItIsAPlainEchoUpToTheMtu) {
  const std::string empty;
  const std::string binary("\x01\x00\x00\x00\x00\x00\x10\x00", 8);  // looks like a header
  const std::string full(496, 'L');
  EXPECT_EQ(Exchange({empty, binary, full}, 3), RemoteNode::kExitClean);
  ASSERT_EQ(driver_.messages.size(), 3u);
  EXPECT_EQ(driver_.messages[0].text, empty);
  EXPECT_EQ(driver_.messages[1].text, binary);
  EXPECT_EQ(driver_.messages[2].text, full);
  EXPECT_FALSE(large_.large().negotiated());
  EXPECT_EQ(large_.large().stats().fragments, 0u);
  EXPECT_EQ(large_.large().stats().bad, 0u);
}

// tandem-stream honours the host's pause (docs/flow_control.md): once the
// host pauses it, nothing more is sent beyond what the host already had;
// after the resume the stream goes on where it stopped, in order, whole.
TEST(StreamServiceTest, StopsWhilePausedAndResumesWhereItStopped) {
  FakeBoard board;
  FakeHost host(board);
  RemoteNode node(board.bsp(), host.node_config("demo"));
  StreamService stream(node);
  rpmsg::Endpoint endpoint;
  RecordingDriver driver;
  ASSERT_TRUE(node.AddEndpoint(endpoint, StreamService::kName, stream).ok());
  node.SetLoopHook(&stream);
  ASSERT_TRUE(host.bus().RegisterDriver(StreamService::kName, driver).ok());
  constexpr std::uint32_t kCount = 600;
  enum class Step { kRequest, kPause, kPaused, kDone } step = Step::kRequest;
  std::size_t at_pause = 0;
  int paused_turns = 0;
  board.on_wait = [&] {
    if (board.waits == 1) host.Boot();
    host.Poll().IgnoreError();
    if (driver.bound.empty()) return;
    rpmsg::Channel& ch = *driver.bound[0];
    switch (step) {
      case Step::kRequest: {
        EXPECT_TRUE(host.bus().flow_control());
        const std::string request{static_cast<char>(kCount & 0xFF), static_cast<char>(kCount >> 8),
                                  0, 0};
        EXPECT_TRUE(ch.TrySend(Bytes(request)).ok());
        step = Step::kPause;
        break;
      }
      case Step::kPause:
        if (driver.messages.empty()) break;
        EXPECT_TRUE(host.bus().SetIncomingFlow(ch.endpoint(), true).ok());
        at_pause = driver.messages.size();
        step = Step::kPaused;
        break;
      case Step::kPaused:
        // The remote saw the pause at its next poll: at most one burst more.
        if (++paused_turns < 20) break;
        EXPECT_LE(driver.messages.size(), at_pause + StreamService::kBurst);
        EXPECT_LT(driver.messages.size(), kCount);
        EXPECT_GT(stream.paused_turns(), 0u);
        EXPECT_TRUE(host.bus().SetIncomingFlow(ch.endpoint(), false).ok());
        step = Step::kDone;
        break;
      case Step::kDone:
        if (driver.messages.size() >= kCount && board.inbox.empty()) {
          board.inbox.push_back(mailbox::kShutdown);
        }
        break;
    }
  };
  EXPECT_EQ(node.Run(), RemoteNode::kExitClean);
  ASSERT_EQ(driver.messages.size(), kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) {
    const std::string& m = driver.messages[i].text;
    ASSERT_EQ(m.size(), 8u);
    const std::uint32_t seq = static_cast<std::uint8_t>(m[0]) |
                              static_cast<std::uint32_t>(static_cast<std::uint8_t>(m[1])) << 8;
    EXPECT_EQ(seq, i);
  }
}

}  // namespace
}  // namespace tandem::remote::demo
