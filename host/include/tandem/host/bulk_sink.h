#pragma once
// The host half of the demo's bulk stream (docs/bulk_buffers.md,
// tandem/bulk/stream.h): binds the remote's "tandem-bulk-source" channel,
// keeps a bulk::Pool over the "bulk0" carve-out as the host maps it (owning
// no block: the remote produces), asks for `count` blocks of `block_size`
// bytes, checks the pattern of every block where it lies in shared memory
// (zero copy) and releases it. What `tandem bulk`, `tandem bench` and the
// two-process test use.
//
// Threading: blocks are received, checked and released on the session's
// event thread (MessageHandler::OnMessage, the release is a blocking send,
// which callbacks may do); Stream() blocks its caller until the stream ends.
// As ChannelPort, a send from Stream() counts itself as a user of the
// channel and OnUnbound waits for it, so no send reaches a freed Channel.
// Register() after the remote booted (the carve-out is mapped then) and
// Unregister() (or destroy) before the session stops: the pool points into
// the mapping.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tandem/bulk/pool.h"
#include "tandem/bulk/stream.h"
#include "tandem/host/session.h"
#include "tandem/hosted/mutex_lock.h"
#include "tandem/rpmsg/channel.h"

namespace tandem::host {

struct BulkStreamReport {
  std::uint32_t block_size = 0;
  std::uint64_t blocks = 0;       // received (each checked and released)
  std::uint64_t bytes = 0;        // their lengths
  std::uint64_t bad_blocks = 0;   // wrong pattern, length or sequence
  std::uint32_t remote_sent = 0;  // the remote's StreamDone
  bulk::StreamError remote_error = bulk::StreamError::kNone;
  double seconds = 0;    // request sent -> last block checked and StreamDone
  bulk::PoolStats pool;  // the host's pool after the stream
  double bytes_per_second() const { return seconds > 0 ? bytes / seconds : 0; }
};

class BulkSink final : public rpmsg::ChannelHandler,
                       public rpmsg::MessageHandler,
                       private bulk::Sender {
 public:
  BulkSink() = default;
  ~BulkSink();
  BulkSink(const BulkSink&) = delete;
  BulkSink& operator=(const BulkSink&) = delete;

  // Finds the carve-out (kNotFound: the firmware has none) and binds the
  // channel when the remote announces it.
  Status Register(Session& session, const char* carveout = bulk::kDemoCarveoutName);
  void Unregister();
  // kDeadlineExceeded if the channel is not bound within `timeout`.
  Status WaitBound(std::chrono::milliseconds timeout);

  // One stream: kInvalidArgument for a block size the pool cannot be cut
  // into, kFailedPrecondition while the channel is unbound, kAborted if it
  // goes away meanwhile, kDeadlineExceeded after `timeout`; the remote's
  // refusal is in the report (remote_error). A report with bad_blocks > 0
  // is returned as it is: the caller decides.
  Result<BulkStreamReport> Stream(std::uint32_t block_size, std::uint32_t count,
                                  std::chrono::milliseconds timeout, std::uint32_t seed = 0x7A11);

  bulk::PoolStats pool_stats() const { return pool_ ? pool_->stats() : bulk::PoolStats{}; }

 private:
  void OnBound(rpmsg::Channel& channel) override;
  void OnUnbound(rpmsg::Channel& channel) override;
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  Status SendBulk(ConstByteSpan message) override;

  Session* session_ = nullptr;
  std::string carveout_;  // its name: looked up again by every Stream()
  shm::Region region_;
  hosted::MutexLock pool_lock_;
  std::vector<bulk::BlockState> storage_;  // one per 64 bytes of the carve-out
  std::unique_ptr<bulk::Pool> pool_;       // made by Register()
  std::mutex stream_mutex_;                // one Stream() at a time

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  rpmsg::Channel* channel_ = nullptr;  // guarded by mutex_
  int senders_ = 0;                    // SendBulk calls using channel_ (OnUnbound waits)
  bool unbound_ = false;               // the channel went away during a stream
  // The running stream (guarded by mutex_).
  bool active_ = false;
  std::uint32_t seed_ = 0;
  std::uint32_t next_sequence_ = 0;
  BulkStreamReport report_;
  bool done_ = false;
};

}  // namespace tandem::host
