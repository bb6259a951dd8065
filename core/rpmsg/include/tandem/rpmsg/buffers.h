#pragma once
// Buffer handles: who owns an RPMsg buffer, by construction.
//
// Every buffer of a bus is, at any moment, in exactly one place: in a vring
// (the peer has it, or it waits there for the peer), in the bus's free pool,
// or in one of these move-only handles. A handle gives its buffer back when
// it is destroyed, so a buffer can be neither released twice (a moved-from
// handle is empty) nor leaked (the destructor returns it). Bus::stats()
// counts the buffers in each place; tests check the sum never changes.
//
//  * TxBuffer        - a transmit buffer acquired for zero-copy sending.
//                      Write the payload into data() in place, then Send(len).
//                      Destroying it unsent returns it to the free pool.
//  * RxBuffer        - a received message the application holds on to past
//                      its callback (ReceivedMessage::Hold()) or took from a
//                      receive queue. Destroying it (or Release()) returns the
//                      buffer to the peer.
//  * ReceivedMessage - what a receive callback gets: a view of the message,
//                      owned by the bus unless the callback Hold()s it.
//
// Handles hold no pointers into shared memory other than the payload view,
// and nothing of theirs is ever written to shared memory.
//
// Threading: a handle may be moved to, used on and destroyed on any thread
// (the bus takes its lock); one handle must not be used by two threads at
// once. Every handle must be gone before its bus is destroyed.

#include <cstddef>
#include <cstdint>
#include <utility>

#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/rpmsg/wire.h"

namespace tandem::rpmsg {

class Bus;

// Where a buffer is. Meaning of `id` is the role's: the host's buffer index,
// the remote's descriptor chain head.
struct BufferSlot {
  std::uint16_t id = 0;
  std::size_t offset = 0;      // of the buffer (its header) in the buffer region
  std::uint32_t capacity = 0;  // usable bytes, header included
};

class RxBuffer {
 public:
  RxBuffer() = default;
  RxBuffer(RxBuffer&& other) noexcept { MoveFrom(other); }
  RxBuffer& operator=(RxBuffer&& other) noexcept {
    if (this != &other) {
      Release();
      MoveFrom(other);
    }
    return *this;
  }
  RxBuffer(const RxBuffer&) = delete;
  RxBuffer& operator=(const RxBuffer&) = delete;
  ~RxBuffer() { Release(); }

  bool valid() const { return bus_ != nullptr; }
  explicit operator bool() const { return valid(); }
  std::uint32_t src() const { return src_; }
  std::uint32_t dst() const { return dst_; }
  // The payload, in place in shared memory (header already validated; the
  // length is the checked one, copied out of the header once).
  ConstByteSpan payload() const { return payload_; }

  // Returns the buffer to the peer now; the handle becomes empty. A no-op on
  // an empty handle.
  void Release();

 private:
  friend class Bus;
  RxBuffer(Bus* bus, const BufferSlot& slot, std::uint32_t src, std::uint32_t dst,
           ConstByteSpan payload)
      : bus_(bus), slot_(slot), src_(src), dst_(dst), payload_(payload) {}
  void MoveFrom(RxBuffer& other) {
    bus_ = other.bus_;
    slot_ = other.slot_;
    src_ = other.src_;
    dst_ = other.dst_;
    payload_ = other.payload_;
    other.bus_ = nullptr;
    other.payload_ = {};
  }

  Bus* bus_ = nullptr;
  BufferSlot slot_;
  std::uint32_t src_ = 0;
  std::uint32_t dst_ = 0;
  ConstByteSpan payload_;
};

class TxBuffer {
 public:
  TxBuffer() = default;
  TxBuffer(TxBuffer&& other) noexcept { MoveFrom(other); }
  TxBuffer& operator=(TxBuffer&& other) noexcept {
    if (this != &other) {
      Release();
      MoveFrom(other);
    }
    return *this;
  }
  TxBuffer(const TxBuffer&) = delete;
  TxBuffer& operator=(const TxBuffer&) = delete;
  ~TxBuffer() { Release(); }

  bool valid() const { return bus_ != nullptr; }
  explicit operator bool() const { return valid(); }
  // The payload area (MTU bytes) to write in place. Callers must not keep
  // the span after Send() or Release().
  ByteSpan data() const { return data_; }
  std::size_t capacity() const { return data_.size(); }
  std::uint32_t src() const { return src_; }
  std::uint32_t dst() const { return dst_; }
  void set_dst(std::uint32_t dst) { dst_ = dst; }

  // Sends the first `len` bytes of data() from src() to dst(). Consumes the
  // handle, except when len > capacity() (kInvalidArgument; nothing was sent
  // and the handle still owns the buffer). Other errors (bus stopped or
  // broken) return the buffer to the pool and the handle is empty.
  Status Send(std::size_t len);

  // Gives the buffer back unsent; the handle becomes empty.
  void Release();

 private:
  friend class Bus;
  TxBuffer(Bus* bus, const BufferSlot& slot, std::uint32_t src, std::uint32_t dst, ByteSpan data)
      : bus_(bus), slot_(slot), src_(src), dst_(dst), data_(data) {}
  void MoveFrom(TxBuffer& other) {
    bus_ = other.bus_;
    slot_ = other.slot_;
    src_ = other.src_;
    dst_ = other.dst_;
    data_ = other.data_;
    other.bus_ = nullptr;
    other.data_ = {};
  }

  Bus* bus_ = nullptr;
  BufferSlot slot_;
  std::uint32_t src_ = 0;
  std::uint32_t dst_ = 0;
  ByteSpan data_;
};

// What a receive callback gets. The bus owns the buffer and returns it to the
// peer when the callback returns, unless the callback takes it with Hold().
class ReceivedMessage {
 public:
  ReceivedMessage(const ReceivedMessage&) = delete;
  ReceivedMessage& operator=(const ReceivedMessage&) = delete;

  std::uint32_t src() const { return src_; }
  std::uint32_t dst() const { return dst_; }
  // Valid until the callback returns (or, after Hold(), as long as the
  // RxBuffer lives).
  ConstByteSpan payload() const { return payload_; }

  // Takes ownership of the buffer past the callback. Once only: a second
  // call returns an empty handle.
  RxBuffer Hold() { return std::move(buffer_); }
  bool held() const { return !buffer_.valid(); }

 private:
  friend class Bus;
  explicit ReceivedMessage(RxBuffer&& buffer)
      : src_(buffer.src()),
        dst_(buffer.dst()),
        payload_(buffer.payload()),
        buffer_(std::move(buffer)) {}

  std::uint32_t src_;
  std::uint32_t dst_;
  ConstByteSpan payload_;
  RxBuffer buffer_;
};

}  // namespace tandem::rpmsg
