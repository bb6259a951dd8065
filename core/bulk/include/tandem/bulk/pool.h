#pragma once
// Bulk zero-copy shared buffers (docs/bulk_buffers.md).
//
// A Pool is one side's view of a shared carve-out cut into equal blocks.
// Data never moves: a side that owns a block allocates it (TxBlock), writes
// it in place and hands it over by sending its offset (Send); the other side
// receives a read-only view of it (RxBlock) and gives it back (Release).
//
//   owner:  Allocate() -> TxBlock -> Send(length) ... peer reads ... Release
//           message -> the block is free again
//   borrower: Receive(hand-over) -> RxBlock -> read data() -> Release() (or
//           destroy it)
//
// Ownership is in the types: handles are move-only; a handle handed over or
// released is empty, and every call on an empty handle is a checked
// kFailedPrecondition (kEmptyHandle), never a second hand-over or release.
// A handle that outlives a Reset() is inert (kStaleHandle).
//
// Trust: the peer's messages are untrusted (docs/hostile_peer.md). Who owns
// which block is recorded in `storage`, memory this side owns privately (not
// the carve-out): a hand-over is accepted only for a block inside the pool,
// at a block boundary, with a length within the block, that the peer owns by
// our record (not one we own, hand over or already hold); a release only for
// a block we handed over. Anything else is dropped with one kDataLoss reason
// (errors.h) and counted; nothing changes. The peer can change the bytes of
// a block it handed over while we read them: treat them as untrusted input.
//
// Cache (non-coherent platforms, shm/cache.h): Send() cleans the bytes
// handed over before the message goes out; Receive() invalidates them before
// the RxBlock is made. The region's CacheOps are used.
//
// No heap: the block states live in caller storage (PoolStorage<N>).
//
// Threading: every call may come from any thread; the pool's state is
// guarded by the injected rpmsg::Lock (NoLock on single-threaded firmware),
// which is never held while a message is sent.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/bulk/wire.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/shm/region.h"

namespace tandem::bulk {

// Blocks are multiples of this (a cache line on every supported core), so
// that cache maintenance of one block never touches its neighbour.
inline constexpr std::uint32_t kBlockAlign = 64;

enum class BlockState : std::uint8_t {
  kFree,      // ours, not in use
  kWriting,   // ours, in a TxBlock
  kLent,      // ours, handed over: the peer reads it until it releases it
  kPeer,      // the peer's
  kBorrowed,  // the peer's, handed to us: in an RxBlock until released
};

// How the pool sends its 16-byte messages to the peer (an RPMsg endpoint:
// EndpointSender in endpoint_sender.h, or a host channel). May block,
// bounded; never called with the pool's lock held.
class Sender {
 public:
  virtual Status SendBulk(ConstByteSpan message) = 0;

 protected:
  ~Sender() = default;
};

inline constexpr std::uint32_t kAllBlocks = 0xFFFFFFFF;

struct PoolConfig {
  // The pool's memory: the carve-out (or a part of it), as this side maps it.
  shm::Region region;
  // Bytes per block: a non-zero multiple of kBlockAlign, at most the region.
  std::uint32_t block_size = 0;
  // Blocks [first_owned, first_owned + owned_count) are ours after
  // Configure() and Reset(), the rest the peer's. A producer that streams to
  // the peer owns all (the default); its consumer owns none (owned_count 0).
  std::uint32_t first_owned = 0;
  std::uint32_t owned_count = kAllBlocks;
};

struct PoolStats {
  std::uint32_t blocks = 0;
  std::uint32_t free = 0;
  std::uint32_t writing = 0;
  std::uint32_t lent = 0;
  std::uint32_t peer = 0;
  std::uint32_t borrowed = 0;
  std::uint64_t handed_over = 0;       // blocks we sent
  std::uint64_t received = 0;          // hand-overs accepted
  std::uint64_t released = 0;          // blocks we gave back
  std::uint64_t returned = 0;          // our blocks the peer gave back
  std::uint64_t rejected = 0;          // peer messages refused (kDataLoss)
  std::uint64_t release_failures = 0;  // release messages that could not be sent
};

class Pool;

// A block of ours being written. Move-only.
class TxBlock {
 public:
  TxBlock() = default;
  TxBlock(TxBlock&& other) noexcept { *this = static_cast<TxBlock&&>(other); }
  TxBlock& operator=(TxBlock&& other) noexcept;
  TxBlock(const TxBlock&) = delete;
  TxBlock& operator=(const TxBlock&) = delete;
  // Unsent: the block is free again.
  ~TxBlock() { Drop(); }

  bool valid() const { return pool_ != nullptr; }
  // The whole block (empty for an empty handle).
  ByteSpan data() const { return data_; }
  std::uint32_t offset() const { return offset_; }

  // Hands the first `length` bytes to the peer: cleans them from the cache,
  // sends the hand-over. On success the handle is empty (the block is the
  // peer's to read until it releases it). On a send error the handle keeps
  // the block. kInvalidArgument (kLengthTooLarge) past the block;
  // kFailedPrecondition for an empty or stale handle.
  Status Send(std::uint32_t length, std::uint32_t cookie = 0);

 private:
  friend class Pool;
  void Drop();
  Pool* pool_ = nullptr;
  std::uint32_t index_ = 0;
  std::uint32_t epoch_ = 0;
  std::uint32_t offset_ = 0;
  ByteSpan data_;
};

// A block the peer handed us. Move-only.
class RxBlock {
 public:
  RxBlock() = default;
  RxBlock(RxBlock&& other) noexcept { *this = static_cast<RxBlock&&>(other); }
  RxBlock& operator=(RxBlock&& other) noexcept;
  RxBlock(const RxBlock&) = delete;
  RxBlock& operator=(const RxBlock&) = delete;
  // Releases the block (errors counted in PoolStats::release_failures).
  ~RxBlock() { Release().IgnoreError(); }

  bool valid() const { return pool_ != nullptr; }
  // The bytes the peer handed over (`length` of the hand-over). The peer
  // may still write them: untrusted input.
  ConstByteSpan data() const { return data_; }
  std::uint32_t offset() const { return offset_; }
  std::uint32_t cookie() const { return cookie_; }

  // Gives the block back to the peer; the handle is empty afterwards, even
  // if the release message could not be sent (then the error is returned
  // and counted: the peer does not get the block back until it resets its
  // pool). kFailedPrecondition for an empty handle.
  Status Release();

 private:
  friend class Pool;
  Pool* pool_ = nullptr;
  std::uint32_t index_ = 0;
  std::uint32_t epoch_ = 0;
  std::uint32_t offset_ = 0;
  std::uint32_t cookie_ = 0;
  ConstByteSpan data_;
};

class Pool {
 public:
  // `storage`: one entry per block, this side's private memory; the pool
  // has at most storage.size() blocks. `lock` guards it; `sender` carries
  // the messages (may be set later, before the first Send/Release).
  Pool(std::span<BlockState> storage, rpmsg::Lock& lock, Sender* sender = nullptr)
      : states_(storage), lock_(lock), sender_(sender) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void set_sender(Sender* sender) { sender_ = sender; }

  // (Re)cuts the pool: block_count() = min(region.size() / block_size,
  // storage size); ownership as config says. kInvalidArgument for a bad
  // config; kFailedPrecondition (kBlocksInUse) while a block is being
  // written, lent or borrowed (Reset() first if the peer is known to hold
  // nothing). Handles of the previous configuration become stale.
  Status Configure(const PoolConfig& config);
  // The link went down, or the peer declared it holds nothing: every block
  // goes back to its configured owner, every handle becomes stale.
  void Reset();

  // A free block of ours. kUnavailable (kNoFreeBlock) when there is none;
  // kFailedPrecondition before Configure().
  Result<TxBlock> Allocate();

  // A message from the peer (the payload of an RPMsg message on the pool's
  // endpoint). A hand-over fills `*block` (which must be empty or is
  // released first); a release frees our block and leaves `*block` empty.
  // kDataLoss with a reason from errors.h for anything refused (counted in
  // stats().rejected, nothing changes); kFailedPrecondition before
  // Configure().
  Status Receive(ConstByteSpan payload, RxBlock& block);

  std::uint32_t block_size() const { return block_size_; }
  std::uint32_t block_count() const { return count_; }
  const shm::Region& region() const { return region_; }
  PoolStats stats() const;
  // One block's state by our record (kPeer past the pool).
  BlockState state(std::uint32_t index) const;

 private:
  friend class TxBlock;
  friend class RxBlock;
  Status SendBlock(TxBlock& block, std::uint32_t length, std::uint32_t cookie);
  void DropBlock(TxBlock& block);
  Status ReleaseBlock(RxBlock& block);
  void ResetLocked();
  bool Owned(std::uint32_t index) const {
    return index >= first_owned_ && index - first_owned_ < owned_count_;
  }

  std::span<BlockState> states_;
  rpmsg::Lock& lock_;
  Sender* sender_ = nullptr;
  shm::Region region_;
  std::uint32_t block_size_ = 0;
  std::uint32_t count_ = 0;
  std::uint32_t first_owned_ = 0;
  std::uint32_t owned_count_ = 0;
  std::uint32_t epoch_ = 1;
  PoolStats stats_;
};

// Block-state storage for a pool of at most N blocks.
template <std::size_t N>
struct PoolStorage {
  std::array<BlockState, N> states{};
  std::span<BlockState> span() { return states; }
};

}  // namespace tandem::bulk
