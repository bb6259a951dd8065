#include "tandem/bulk/pool.h"

#include "tandem/bulk/errors.h"

namespace tandem::bulk {

// --- TxBlock -------------------------------------------------------------

TxBlock& TxBlock::operator=(TxBlock&& other) noexcept {
  if (this != &other) {
    Drop();
    pool_ = other.pool_;
    index_ = other.index_;
    epoch_ = other.epoch_;
    offset_ = other.offset_;
    data_ = other.data_;
    other.pool_ = nullptr;
    other.data_ = {};
  }
  return *this;
}

void TxBlock::Drop() {
  if (pool_ != nullptr) pool_->DropBlock(*this);
}

Status TxBlock::Send(std::uint32_t length, std::uint32_t cookie) {
  if (pool_ == nullptr) return FailedPrecondition(kEmptyHandle);
  return pool_->SendBlock(*this, length, cookie);
}

// --- RxBlock -------------------------------------------------------------

RxBlock& RxBlock::operator=(RxBlock&& other) noexcept {
  if (this != &other) {
    Release().IgnoreError();
    pool_ = other.pool_;
    index_ = other.index_;
    epoch_ = other.epoch_;
    offset_ = other.offset_;
    cookie_ = other.cookie_;
    data_ = other.data_;
    other.pool_ = nullptr;
    other.data_ = {};
  }
  return *this;
}

Status RxBlock::Release() {
  if (pool_ == nullptr) return FailedPrecondition(kEmptyHandle);
  return pool_->ReleaseBlock(*this);
}

// --- Pool ----------------------------------------------------------------

Status Pool::Configure(const PoolConfig& config) {
  if (config.region.base() == nullptr || config.region.size() == 0) {
    return InvalidArgument(kNoPoolMemory);
  }
  if (config.block_size == 0 || config.block_size % kBlockAlign != 0 ||
      config.block_size > config.region.size()) {
    return InvalidArgument(kBadBlockSize);
  }
  std::size_t count = config.region.size() / config.block_size;
  if (count > states_.size()) count = states_.size();
  // Offsets are 32-bit on the wire: the pool ends at 4 GiB.
  const std::uint64_t max_count = (std::uint64_t{1} << 32) / config.block_size;
  if (count > max_count) count = static_cast<std::size_t>(max_count);
  const auto blocks = static_cast<std::uint32_t>(count);
  std::uint32_t owned = config.owned_count;
  if (config.first_owned > blocks) return InvalidArgument(kBadOwnedRange);
  if (owned == kAllBlocks) owned = blocks - config.first_owned;
  if (owned > blocks - config.first_owned) return InvalidArgument(kBadOwnedRange);

  rpmsg::LockGuard guard(lock_);
  for (std::uint32_t i = 0; i < count_; ++i) {
    const BlockState s = states_[i];
    if (s == BlockState::kWriting || s == BlockState::kLent || s == BlockState::kBorrowed) {
      return FailedPrecondition(kBlocksInUse);
    }
  }
  region_ = config.region;
  block_size_ = config.block_size;
  count_ = blocks;
  first_owned_ = config.first_owned;
  owned_count_ = owned;
  ResetLocked();
  return OkStatus();
}

void Pool::Reset() {
  rpmsg::LockGuard guard(lock_);
  ResetLocked();
}

void Pool::ResetLocked() {
  ++epoch_;
  for (std::uint32_t i = 0; i < count_; ++i) {
    states_[i] = Owned(i) ? BlockState::kFree : BlockState::kPeer;
  }
}

Result<TxBlock> Pool::Allocate() {
  TxBlock block;
  {
    rpmsg::LockGuard guard(lock_);
    if (count_ == 0) return FailedPrecondition(kNotConfigured);
    std::uint32_t i = 0;
    while (i < count_ && states_[i] != BlockState::kFree) ++i;
    if (i == count_) return Unavailable(kNoFreeBlock);
    states_[i] = BlockState::kWriting;
    block.pool_ = this;
    block.index_ = i;
    block.epoch_ = epoch_;
    block.offset_ = i * block_size_;
    block.data_ = ByteSpan(region_.base() + block.offset_, block_size_);
  }
  return block;
}

Status Pool::SendBlock(TxBlock& block, std::uint32_t length, std::uint32_t cookie) {
  if (length > block.data_.size()) return InvalidArgument(kLengthTooLarge);
  if (sender_ == nullptr) return FailedPrecondition(kNoSender);
  shm::Region region;
  {
    rpmsg::LockGuard guard(lock_);
    if (block.epoch_ != epoch_) {
      block.pool_ = nullptr;
      block.data_ = {};
      return FailedPrecondition(kStaleHandle);
    }
    // Lent before the message goes out: the peer may answer at once.
    states_[block.index_] = BlockState::kLent;
    region = region_;
  }
  region.CleanForPeer(block.offset_, length);
  std::array<std::byte, kMessageSize> wire;
  EncodeMessage({MessageType::kHandOver, block.offset_, length, cookie}, wire);
  const Status sent = sender_->SendBulk(wire);
  rpmsg::LockGuard guard(lock_);
  if (!sent.ok()) {
    // Not handed over: the handle keeps it, unless a reset (or a hostile
    // release) took it meanwhile.
    if (block.epoch_ == epoch_ && states_[block.index_] == BlockState::kLent) {
      states_[block.index_] = BlockState::kWriting;
    } else {
      block.pool_ = nullptr;
      block.data_ = {};
    }
    return sent;
  }
  ++stats_.handed_over;
  block.pool_ = nullptr;
  block.data_ = {};
  return OkStatus();
}

void Pool::DropBlock(TxBlock& block) {
  rpmsg::LockGuard guard(lock_);
  if (block.epoch_ == epoch_ && states_[block.index_] == BlockState::kWriting) {
    states_[block.index_] = BlockState::kFree;
  }
  block.pool_ = nullptr;
  block.data_ = {};
}

Status Pool::ReleaseBlock(RxBlock& block) {
  const std::uint32_t offset = block.offset_;
  {
    rpmsg::LockGuard guard(lock_);
    const bool current = block.epoch_ == epoch_;
    block.pool_ = nullptr;
    block.data_ = {};
    if (!current) return FailedPrecondition(kStaleHandle);
    states_[block.index_] = BlockState::kPeer;
    ++stats_.released;
  }
  Status sent = FailedPrecondition(kNoSender);
  if (sender_ != nullptr) {
    std::array<std::byte, kMessageSize> wire;
    EncodeMessage({MessageType::kRelease, offset, 0, 0}, wire);
    sent = sender_->SendBulk(wire);
  }
  if (!sent.ok()) {
    rpmsg::LockGuard guard(lock_);
    ++stats_.release_failures;
  }
  return sent;
}

Status Pool::Receive(ConstByteSpan payload, RxBlock& block) {
  if (block.valid()) block.Release().IgnoreError();
  auto parsed = ParseMessage(payload);
  rpmsg::LockGuard guard(lock_);
  if (count_ == 0) {
    ++stats_.rejected;
    return FailedPrecondition(kNotConfigured);
  }
  if (!parsed.ok()) {
    ++stats_.rejected;
    return parsed.status();
  }
  const Message& m = *parsed;
  // 64-bit: offset + length cannot wrap.
  const std::uint64_t pool_bytes = static_cast<std::uint64_t>(count_) * block_size_;
  Status refused;
  if (m.offset >= pool_bytes) {
    refused = DataLoss(kOutsidePool);
  } else if (m.offset % block_size_ != 0) {
    refused = DataLoss(kMisaligned);
  } else if (m.type == MessageType::kHandOver && m.length > block_size_) {
    refused = DataLoss(kLengthPastBlock);
  }
  if (!refused.ok()) {
    ++stats_.rejected;
    return refused;
  }
  const std::uint32_t index = m.offset / block_size_;
  const BlockState state = states_[index];
  if (m.type == MessageType::kRelease) {
    if (state != BlockState::kLent) {
      ++stats_.rejected;
      return DataLoss(kNotLent);
    }
    states_[index] = BlockState::kFree;
    ++stats_.returned;
    return OkStatus();
  }
  if (state == BlockState::kBorrowed) {
    ++stats_.rejected;
    return DataLoss(kAlreadyReceived);
  }
  if (state != BlockState::kPeer) {
    ++stats_.rejected;
    return DataLoss(kBlockIsOurs);
  }
  states_[index] = BlockState::kBorrowed;
  ++stats_.received;
  // Before the RxBlock exists: nothing reads the bytes earlier.
  region_.InvalidateFromPeer(m.offset, m.length);
  block.pool_ = this;
  block.index_ = index;
  block.epoch_ = epoch_;
  block.offset_ = m.offset;
  block.cookie_ = m.cookie;
  block.data_ = ConstByteSpan(region_.base() + m.offset, m.length);
  return OkStatus();
}

PoolStats Pool::stats() const {
  rpmsg::LockGuard guard(lock_);
  PoolStats s = stats_;
  s.blocks = count_;
  for (std::uint32_t i = 0; i < count_; ++i) {
    switch (states_[i]) {
      case BlockState::kFree: ++s.free; break;
      case BlockState::kWriting: ++s.writing; break;
      case BlockState::kLent: ++s.lent; break;
      case BlockState::kPeer: ++s.peer; break;
      case BlockState::kBorrowed: ++s.borrowed; break;
    }
  }
  return s;
}

BlockState Pool::state(std::uint32_t index) const {
  rpmsg::LockGuard guard(lock_);
  return index < count_ ? states_[index] : BlockState::kPeer;
}

}  // namespace tandem::bulk
