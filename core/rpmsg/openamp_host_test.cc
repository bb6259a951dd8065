// A Tandem remote under an OpenAMP-style host (the driver role of OpenAMP's
// lib/rpmsg/rpmsg_virtio.c). Such a host posts every transmit buffer with
// the whole buffer length (RPMSG_BUFFER_SIZE), and when it recycles one it
// takes the room for its next message from the used ring: used len minus
// the 16-byte header (rpmsg_virtio_get_tx_payload_buffer). A remote that
// returns 0 (VirtIO 1.x 2.7.8: bytes written) makes that 0xFFFFFFF0 and the
// next send fails (OpenAMP issue #349). The remote therefore returns the
// descriptor's length by default (docs/decisions.md); BusConfig's
// used_len_is_buffer_len = false gives the spec's 0 back.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tandem/rpmsg/remote_bus.h"
#include "tandem/rpmsg/wire.h"
#include "tandem/testing/bus_pair.h"
#include "tandem/testing/rpmsg_helpers.h"
#include "tandem/virtio/driver_queue.h"

namespace tandem::rpmsg {
namespace {

using testing::BusPair;
using testing::PairOptions;

constexpr std::uint16_t kNum = 8;
constexpr std::uint32_t kRemoteAddress = 0x40;
constexpr std::uint32_t kHostAddress = 0x400;

class Collector final : public MessageHandler {
 public:
  void OnMessage(Endpoint&, ReceivedMessage& message) override {
    const ConstByteSpan p = message.payload();
    texts.emplace_back(reinterpret_cast<const char*>(p.data()), p.size());
  }
  std::vector<std::string> texts;
};

// The OpenAMP host's transmit side over vring1 of a BusPair whose HostBus is
// not started: the buffers are the second half of the area.
class OpenAmpHost {
 public:
  explicit OpenAmpHost(BusPair& pair) : pair_(pair) {
    const BusConfig c = pair_.config();
    ring_ = c.vring1.ring;
    buffers_ = c.buffers;
    queue_ = virtio::DriverQueue::Create(ring_, kNum, 4096, storage_.desc,
                                         virtio::DriverQueue::Options{c.event_idx})
                 .value();
    for (std::uint32_t i = 0; i < kNum; ++i) free_.push_back(kNum + i);  // tx half
  }

  // rpmsg_virtio_send_offchannel_raw: take a buffer (fresh, or recycled with
  // the used length as its size), write header and payload, post the whole
  // buffer (RPMSG_BUFFER_SIZE), kick.
  void Send(const std::string& text) {
    std::uint32_t index = 0;
    std::uint32_t room = kDefaultBufferSize - kHeaderSize;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      auto used = queue_.TakeUsed(ring_);
      ASSERT_TRUE(used.ok()) << used.status().message();
      // What OpenAMP's host computes: *len -= sizeof(struct rpmsg_hdr).
      ASSERT_EQ(used->written, kDefaultBufferSize)
          << "the remote returned used len " << used->written << "; OpenAMP's next send gets "
          << (used->written - kHeaderSize) << " bytes of room";
      room = used->written - kHeaderSize;
      index =
          static_cast<std::uint32_t>((used->addr - buffers_.device_address()) / kDefaultBufferSize);
    }
    ASSERT_LE(text.size(), room);
    const std::size_t offset = std::size_t{index} * kDefaultBufferSize;
    RpmsgHeader header{};
    header.src = Le32(kHostAddress);
    header.dst = Le32(kRemoteAddress);
    header.len = Le16(static_cast<std::uint16_t>(text.size()));
    ASSERT_TRUE(buffers_.Write(offset, header).ok());
    ASSERT_TRUE(
        buffers_
            .WriteBytes(offset + kHeaderSize,
                        ConstByteSpan(reinterpret_cast<const std::byte*>(text.data()), text.size()))
            .ok());
    const virtio::BufferSpec spec{buffers_.device_address() + offset, kDefaultBufferSize, false};
    ASSERT_TRUE(queue_.Add(ring_, spec).ok());
    ASSERT_TRUE(queue_.KickPrepare(ring_).ok());
  }

  // The used length of every buffer the remote returned so far.
  std::vector<std::uint32_t> DrainUsedLengths() {
    std::vector<std::uint32_t> lengths;
    for (;;) {
      auto used = queue_.TakeUsed(ring_);
      if (!used.ok()) break;
      lengths.push_back(used->written);
      free_.push_back(static_cast<std::uint32_t>((used->addr - buffers_.device_address()) /
                                                 kDefaultBufferSize));
    }
    return lengths;
  }

 private:
  BusPair& pair_;
  shm::Region ring_;
  shm::Region buffers_;
  virtio::DriverQueueStorage<kNum> storage_;
  virtio::DriverQueue queue_;
  std::vector<std::uint32_t> free_;
};

PairOptions Options() {
  PairOptions o;
  o.num = kNum;
  o.name_service = false;  // nothing to announce: vring0 is not used here
  o.start = false;
  return o;
}

TEST(OpenAmpHostTest, RemoteReturnsHostTxBuffersWithTheDescriptorLength) {
  BusPair pair(Options());
  OpenAmpHost host(pair);
  ASSERT_TRUE(pair.StartRemote().ok());
  Endpoint endpoint;
  Collector collector;
  EndpointConfig config;
  config.addr = kRemoteAddress;
  ASSERT_TRUE(pair.remote().CreateEndpoint(endpoint, config, collector).ok());

  // Three rounds through every buffer: from the second on, each send reuses
  // a buffer whose size came from the used ring.
  std::vector<std::string> sent;
  for (int i = 0; i < 3 * kNum; ++i) {
    sent.push_back("openamp " + std::to_string(i));
    host.Send(sent.back());
    if (HasFailure()) return;
    ASSERT_TRUE(pair.remote().Poll().ok());
    if (i % kNum == kNum - 1) {
      EXPECT_EQ(host.DrainUsedLengths(), std::vector<std::uint32_t>(kNum, kDefaultBufferSize));
    }
  }
  EXPECT_EQ(collector.texts, sent);
  EXPECT_TRUE(pair.remote().status().ok());
}

TEST(OpenAmpHostTest, SpecModeReturnsZeroForBuffersTheRemoteOnlyRead) {
  BusPair pair(Options());
  OpenAmpHost host(pair);
  BusConfig config = pair.config();
  config.used_len_is_buffer_len = false;
  ASSERT_TRUE(pair.remote().Start(config).ok());
  Endpoint endpoint;
  Collector collector;
  EndpointConfig econfig;
  econfig.addr = kRemoteAddress;
  ASSERT_TRUE(pair.remote().CreateEndpoint(endpoint, econfig, collector).ok());
  host.Send("spec");
  ASSERT_TRUE(pair.remote().Poll().ok());
  // VirtIO 1.x 2.7.8: the device wrote nothing. Linux's host ignores it;
  // OpenAMP's would compute 0 - 16.
  EXPECT_EQ(host.DrainUsedLengths(), std::vector<std::uint32_t>{0});
  EXPECT_EQ(collector.texts, std::vector<std::string>{"spec"});
}

}  // namespace
}  // namespace tandem::rpmsg
