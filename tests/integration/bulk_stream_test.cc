// Bulk zero-copy shared buffers (issue #15, docs/bulk_buffers.md) between
// the host and the demo firmware on the simulated core, two processes over
// real shared memory: the firmware's tandem-bulk-source fills blocks of the
// "bulk0" carve-out with a pattern and hands them over by offset; the host
// (host::BulkSink) checks every block in place and releases it, and the
// firmware reuses it. The throughput is printed next to memcpy's in the
// same run (context, not an assertion).

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tandem/bulk/errors.h"
#include "tandem/bulk/pool.h"
#include "tandem/bulk/stream.h"
#include "tandem/bulk/wire.h"
#include "tandem/host/bulk_sink.h"
#include "tandem/host/session.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using namespace std::chrono_literals;

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("bulk", tag); }

std::vector<std::byte> DemoImage() { return integration::ReadImage(TANDEM_DEMO_ELF); }

class BulkStream : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    auto s = Session::Create(Options(std::to_string(++n).c_str()));
    ASSERT_TRUE(s.ok()) << s.status().message();
    session_ = std::move(s).value();
    ASSERT_TRUE(session_->Boot(DemoImage()).ok()) << session_->rproc().error_detail();
    ASSERT_TRUE(sink_.Register(*session_).ok());
    ASSERT_TRUE(sink_.WaitBound(5s).ok());
  }
  void TearDown() override {
    sink_.Unregister();
    if (session_) {
      EXPECT_TRUE(session_->Stop().ok());
    }
  }

  void ExpectStream(std::uint32_t block_size, std::uint32_t count) {
    const std::uint64_t released_before = sink_.pool_stats().released;
    auto report = sink_.Stream(block_size, count, 60s);
    ASSERT_TRUE(report.ok()) << report.status().message();
    EXPECT_EQ(report->remote_error, bulk::StreamError::kNone);
    EXPECT_EQ(report->remote_sent, count);
    EXPECT_EQ(report->blocks, count);
    EXPECT_EQ(report->bytes, std::uint64_t{count} * block_size);
    EXPECT_EQ(report->bad_blocks, 0u);
    EXPECT_EQ(report->pool.rejected, 0u);
    EXPECT_EQ(report->pool.borrowed, 0u);  // every block released
    EXPECT_EQ(report->pool.released - released_before, count);
    std::printf("bulk %u B x %u: %.1f MB/s\n", block_size, count, report->bytes_per_second() / 1e6);
  }

  std::unique_ptr<Session> session_;
  BulkSink sink_;
};

TEST_F(BulkStream, TheCarveOutIsMappedOnTheHost) {
  auto region = session_->Carveout(bulk::kDemoCarveoutName);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(region->size(), 0x100000u);
  EXPECT_EQ(region->device_address() % 4096, 0u);
  EXPECT_EQ(session_->Carveout("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(BulkStream, FourKiBBlocksArriveIntact) { ExpectStream(4096, 1000); }

TEST_F(BulkStream, SixtyFourKiBBlocksArriveIntact) { ExpectStream(65536, 200); }

TEST_F(BulkStream, BlocksAreReusedAcrossStreamsOfDifferentSizes) {
  // 200 blocks of 64 KiB through a pool of 16: each is reused ~12 times.
  ExpectStream(65536, 200);
  ExpectStream(4096, 600);
  ExpectStream(16384, 100);
}

TEST_F(BulkStream, ABadBlockSizeIsRefusedOnBothSides) {
  // The host refuses what its pool cannot be cut into...
  EXPECT_TRUE(sink_.Stream(100, 1, 5s).status().Is(bulk::kBadBlockSize));
  EXPECT_TRUE(sink_.Stream(2u << 20, 1, 5s).status().Is(bulk::kBadBlockSize));
  // ... and the stream still works afterwards.
  ExpectStream(4096, 10);
}

TEST_F(BulkStream, TheStreamSurvivesARestartOfTheRemote) {
  ExpectStream(4096, 50);
  sink_.Unregister();
  ASSERT_TRUE(session_->Stop().ok());
  ASSERT_TRUE(session_->Boot(DemoImage()).ok());
  BulkSink again;
  ASSERT_TRUE(again.Register(*session_).ok());
  ASSERT_TRUE(again.WaitBound(5s).ok());
  auto report = again.Stream(8192, 50, 60s);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->blocks, 50u);
  EXPECT_EQ(report->bad_blocks, 0u);
  again.Unregister();
}

std::array<std::byte, bulk::kMessageSize> Wire(bulk::MessageType type, std::uint32_t offset,
                                               std::uint32_t length) {
  std::array<std::byte, bulk::kMessageSize> out;
  bulk::EncodeMessage({type, offset, length, 0}, out);
  return out;
}

TEST_F(BulkStream, TheFirmwareRefusesAHostileHostAndStreamsOn) {
  // The host side played by hand: a stream of 4 blocks is started, then
  // releases and hand-overs that break every rule are sent to the firmware.
  sink_.Unregister();
  {
    ChannelPort port(*session_, bulk::kStreamServiceName);
    ASSERT_TRUE(port.Register().ok());
    ASSERT_TRUE(port.WaitBound(5s).ok());
    bulk::StreamRequest request;
    request.type.set(bulk::kStreamRequestType);
    request.block_size.set(4096);
    request.count.set(4);
    request.seed.set(1);
    ASSERT_TRUE(
        port.Send(ConstByteSpan(reinterpret_cast<const std::byte*>(&request), sizeof(request)))
            .ok());
    std::vector<std::uint32_t> lent;
    std::byte in[64];
    for (int i = 0; i < 5; ++i) {  // 4 hand-overs and the end of the stream
      auto got = port.Receive(in, rpmsg::Timeout::Seconds(10));
      ASSERT_TRUE(got.ok());
      auto m = bulk::ParseMessage(ConstByteSpan(in, got->len));
      if (m.ok()) lent.push_back(m->offset);
    }
    ASSERT_EQ(lent.size(), 4u);
    using bulk::MessageType;
    const std::array<std::byte, bulk::kMessageSize> hostile[] = {
        Wire(MessageType::kRelease, 0x100000, 0),     // outside the pool
        Wire(MessageType::kRelease, 0xFFFFF000, 0),   // far outside
        Wire(MessageType::kRelease, lent[0] + 8, 0),  // misaligned
        Wire(MessageType::kRelease, 8 * 4096, 0),     // a block never lent
        Wire(MessageType::kHandOver, lent[1], 4096),  // the firmware's own block
        Wire(MessageType::kHandOver, 0, 0xFFFFFFFF),  // past the block
    };
    for (const auto& m : hostile) ASSERT_TRUE(port.Send(m).ok());
    ASSERT_TRUE(port.Send(Wire(MessageType::kRelease, lent[2], 0)).ok());  // fine
    ASSERT_TRUE(port.Send(Wire(MessageType::kRelease, lent[2], 0)).ok());  // twice
    for (int i = 0; i < 200; ++i) {                                        // a flood
      ASSERT_TRUE(port.Send(Wire(MessageType::kRelease, lent[3] + 64, 0)).ok());
    }
  }
  // The firmware is still serving, and a new stream resets its pool.
  ASSERT_TRUE(sink_.Register(*session_).ok());
  ASSERT_TRUE(sink_.WaitBound(5s).ok());
  ExpectStream(4096, 100);
  auto trace = session_->Trace();
  ASSERT_TRUE(trace.ok());
  EXPECT_NE(trace->find("bulk: host message refused: bulk offset outside the pool"),
            std::string::npos);
  EXPECT_NE(trace->find("bulk offset not at a block boundary"), std::string::npos);
  EXPECT_NE(trace->find("bulk hand-over of a block we own"), std::string::npos);
  EXPECT_EQ(session_->state(), remoteproc::State::kRunning);
}

}  // namespace
}  // namespace tandem::host
