#include "tandem/host/bulk_sink.h"

#include <cstring>

#include "tandem/bulk/errors.h"
#include "tandem/bulk/wire.h"

namespace tandem::host {

namespace {
constexpr rpmsg::Timeout kSendTimeout = rpmsg::Timeout::Seconds(5);
}  // namespace

BulkSink::~BulkSink() { Unregister(); }

Status BulkSink::Register(Session& session, const char* carveout) {
  if (session_ != nullptr) return FailedPrecondition("already registered");
  TANDEM_TRY_ASSIGN(shm::Region region, session.Carveout(carveout));
  region_ = region;
  carveout_ = carveout;
  storage_.assign(region.size() / bulk::kBlockAlign, bulk::BlockState::kPeer);
  pool_ = std::make_unique<bulk::Pool>(storage_, pool_lock_, static_cast<bulk::Sender*>(this));
  session_ = &session;
  return session.RegisterDriver(bulk::kStreamServiceName, *this);
}

void BulkSink::Unregister() {
  if (session_ == nullptr) return;
  session_->UnregisterDriver(*this);  // no callback runs after this
  session_ = nullptr;
}

Status BulkSink::WaitBound(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return channel_ != nullptr; })) {
    return DeadlineExceeded("tandem-bulk-source not announced");
  }
  return OkStatus();
}

void BulkSink::OnBound(rpmsg::Channel& channel) {
  channel.SetHandler(*this).IgnoreError();  // a freshly bound channel accepts a handler
  std::lock_guard<std::mutex> lock(mutex_);
  channel_ = &channel;
  cv_.notify_all();
}

void BulkSink::OnUnbound(rpmsg::Channel& channel) {
  (void)channel;
  // The remote is gone or reset: we hold nothing of its any more.
  if (pool_) pool_->Reset();
  std::unique_lock<std::mutex> lock(mutex_);
  channel_ = nullptr;
  if (active_) unbound_ = true;
  cv_.notify_all();
  // The Channel is freed when this returns (the bus may reuse it for
  // another announcement): wait until no Stream() caller sends on it. A
  // vdev reset aborted blocked sends before unbinding, so this is short.
  cv_.wait(lock, [&] { return senders_ == 0; });
}

Status BulkSink::SendBulk(ConstByteSpan message) {
  rpmsg::Channel* channel;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    channel = channel_;
    if (channel == nullptr) return FailedPrecondition("tandem-bulk-source not bound");
    ++senders_;
  }
  // Releases go from OnMessage, inside the bus's Poll(): if the remote
  // paused us, its resume cannot arrive while we wait, so we do not wait
  // (the release fails, counted by the pool, and the remote gets the block
  // back at its next pool reset) rather than stall reception.
  auto paused = session_->bus().OutgoingPaused(channel->endpoint());
  const Status s = paused.ok() && *paused ? Unavailable("the remote paused tandem-bulk-source")
                                          : channel->Send(message, kSendTimeout);
  std::lock_guard<std::mutex> lock(mutex_);
  if (--senders_ == 0) cv_.notify_all();
  return s;
}

void BulkSink::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  (void)endpoint;
  const ConstByteSpan payload = message.payload();
  if (bulk::IsBulkMessage(payload)) {
    bulk::RxBlock block;
    if (!pool_->Receive(payload, block).ok()) return;  // refused, counted by the pool
    std::uint32_t sequence, seed, block_size;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sequence = next_sequence_++;
      seed = seed_;
      block_size = report_.block_size;
    }
    // In place, in the carve-out: the zero-copy read.
    const bool good = block.cookie() == sequence && block.data().size() == block_size &&
                      bulk::CheckPattern(block.data(), sequence, seed);
    const std::uint64_t bytes = block.data().size();
    block.Release().IgnoreError();  // counted in the pool's release_failures
    std::lock_guard<std::mutex> lock(mutex_);
    ++report_.blocks;
    report_.bytes += bytes;
    if (!good) ++report_.bad_blocks;
    if (done_) cv_.notify_all();
    return;
  }
  bulk::StreamDone done;
  if (!bulk::ReadStreamMessage(payload, bulk::kStreamDoneType, &done)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_) return;
  done_ = true;
  report_.remote_sent = done.sent.get();
  report_.remote_error = static_cast<bulk::StreamError>(done.error.get());
  cv_.notify_all();
}

Result<BulkStreamReport> BulkSink::Stream(std::uint32_t block_size, std::uint32_t count,
                                          std::chrono::milliseconds timeout, std::uint32_t seed) {
  std::lock_guard<std::mutex> stream(stream_mutex_);
  if (!pool_) return FailedPrecondition("not registered");
  // A stream starts with the host holding nothing (it released every block
  // of the last one on the event thread, or the link was reset).
  pool_->Reset();
  // Where the carve-out is now: a recovery (or a new boot) remapped it
  // since Register() or the last stream.
  TANDEM_TRY_ASSIGN(shm::Region region, session_->Carveout(carveout_.c_str()));
  if (region.size() != region_.size()) {
    return FailedPrecondition("the bulk carve-out changed size since Register()");
  }
  region_ = region;
  TANDEM_TRY(pool_->Configure({region_, block_size, 0, 0}));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (channel_ == nullptr) return FailedPrecondition("tandem-bulk-source not bound");
    report_ = BulkStreamReport{};
    report_.block_size = block_size;
    next_sequence_ = 0;
    seed_ = seed;
    done_ = false;
    unbound_ = false;
    active_ = true;
  }
  bulk::StreamRequest request;
  request.type.set(bulk::kStreamRequestType);
  request.block_size.set(block_size);
  request.count.set(count);
  request.seed.set(seed);
  const auto start = std::chrono::steady_clock::now();
  if (const Status s =
          SendBulk(ConstByteSpan(reinterpret_cast<const std::byte*>(&request), sizeof(request)));
      !s.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    active_ = false;
    return s;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  const bool finished = cv_.wait_for(
      lock, timeout, [&] { return unbound_ || (done_ && report_.blocks >= report_.remote_sent); });
  const auto end = std::chrono::steady_clock::now();
  active_ = false;
  if (unbound_) return Aborted("tandem-bulk-source went away during the stream");
  if (!finished) return DeadlineExceeded("bulk stream not finished in time");
  BulkStreamReport report = report_;
  lock.unlock();
  report.seconds = std::chrono::duration<double>(end - start).count();
  report.pool = pool_->stats();
  return report;
}

}  // namespace tandem::host
