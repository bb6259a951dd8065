#pragma once
// "tandem-bulk-source": the remote half of the demo's bulk stream
// (tandem/bulk/stream.h, docs/bulk_buffers.md). On a StreamRequest it
// resets its pool over the "bulk0" carve-out (the host declares it holds no
// block), cuts it into the requested block size and, from the main loop,
// fills free blocks with the pattern and hands them over one after the
// other until `count` were sent; each block the host releases is reused.
// Then StreamDone. The host's messages are untrusted: releases go through
// bulk::Pool::Receive (counted and dropped if bad), requests are checked.

#include <cstdint>

#include "tandem/bulk/pool.h"
#include "tandem/bulk/stream.h"
#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/shm/region.h"

namespace tandem::remote::demo {

class BulkSourceService final : public rpmsg::MessageHandler,
                                public LoopHook,
                                private bulk::Sender {
 public:
  static constexpr const char* kName = bulk::kStreamServiceName;
  // At most this many blocks (4 KiB blocks of a 1 MiB carve-out).
  static constexpr std::size_t kMaxBlocks = 256;

  // `pool_memory`: the carve-out as this image sees it (empty: every
  // request is answered kNoPool).
  BulkSourceService(RemoteNode& node, const shm::Region& pool_memory)
      : node_(node), memory_(pool_memory) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void OnLoop(RemoteNode& node) override;
  const bulk::Pool& pool() const { return pool_; }

 private:
  Status SendBulk(ConstByteSpan message) override;
  void Done(bulk::StreamError error);

  RemoteNode& node_;
  shm::Region memory_;
  rpmsg::NoLock lock_;
  bulk::PoolStorage<kMaxBlocks> storage_;
  bulk::Pool pool_{storage_.span(), lock_, this};
  rpmsg::Endpoint* endpoint_ = nullptr;
  std::uint32_t requester_ = 0;
  std::uint32_t seed_ = 0;
  std::uint32_t remaining_ = 0;
  std::uint32_t sent_ = 0;
  bool streaming_ = false;
};

}  // namespace tandem::remote::demo
