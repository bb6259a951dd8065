#pragma once
// tandem::tiny::Remote: the smallest RPMsg remote, for a Cortex-M with a few
// KB of flash to spare (docs/footprint.md). The device side of one rpmsg
// vdev with Linux's wire format (rpmsg/wire.h: 16-byte rpmsg_hdr, the name
// service at 0x35) and its name service announcements, a compile-time number
// of endpoints with a callback each, and the same hostile-peer rules as the
// rich core (docs/style.md practice 3), in under 2 KB of code and 96 B +
// 20 B per endpoint of state on a Cortex-M. What it gives up against vdev::RemoteLink +
// rpmsg::RemoteBus: blocking sends, zero-copy buffer handles, receive queues,
// endpoint destruction, EVENT_IDX, locking (one thread), a table it parses
// itself (the firmware names the offsets of its vdev and vdev0buffer entries,
// which it built with rsc/builder.h), and Status messages (a StatusCode and a
// Fault say what went wrong).
//
// How it reads the link (as vdev::LoadedTable does, in less code): the vdev
// status byte of the loaded table with one acquire load; once the host set
// ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK (and neither FAILED nor
// DEVICE_NEEDS_RESET), the vdev and carve-out entries once into a private
// copy, then checks: entry types and VirtIO id 7, two vrings of the size the
// firmware declared, 16-byte aligned, power-of-two align, inside the device
// window, not overlapping each other or the buffer area; gfeatures a subset
// of what the firmware offered (it should offer only VIRTIO_RPMSG_F_NS: no
// EVENT_IDX here); the vdev0buffer carve-out holding 2 * num buffers in the
// window. The buffer area is split as Linux does: the first half holds the
// host's receive buffers (posted in vring0, remote -> host), the second its
// transmit buffers (sent in vring1, host -> remote).
//
// Peer bytes read later, each validated before use: avail idx (at most num
// ahead of what we consumed), the head index (< num), the descriptor (no
// INDIRECT; address and length inside the right half of the buffer area; the
// right direction; only the first descriptor of a chain is used, so a
// descriptor loop is never walked), the rpmsg header (16 + len within the
// descriptor; copied out once). Every loop is bounded by num. A violation
// latches the link failed (Poll() returns kDataLoss and fault() says which
// rule), sets DEVICE_NEEDS_RESET in the status byte (VirtIO 1.x 2.1.1), and
// touches nothing more until the host clears DRIVER_OK (a reset or reload).
//
// Notifications: the device honours VRING_AVAIL_F_NO_INTERRUPT (a full
// fence between publishing used idx and reading the flags, practice 12) and
// sets VRING_USED_F_NO_NOTIFY on vring0 while it does not need to hear of
// new host receive buffers (no announcement pending).
//
// Contract: one thread (the firmware's main loop) calls everything,
// callbacks included; no ISR-safe call. Callbacks run inside Poll() and may
// Send(). The payload a callback sees lies in shared memory the host could
// still write: copy what you must not see change. No heap, no exceptions,
// no RTTI, no OS call.

#include <cstddef>
#include <cstdint>

#include "tandem/base/span.h"
#include "tandem/base/status.h"

namespace tandem::tiny {

// Which hostile-peer rule failed (fault()), or what of the table is wrong.
enum class Fault : std::uint8_t {
  kNone = 0,
  kTableLayout,   // the configured offsets do not fit the table
  kNotRpmsgVdev,  // entry type / VirtIO id / number of vrings
  kFeatures,      // gfeatures not a subset of what we offered and implement (NS)
  kVring,         // num, align, alignment, outside the window, overlap
  kBuffers,       // vdev0buffer too small, not placed, outside the window
  kAvailIdx,      // avail idx more than num ahead
  kDescIndex,     // head index >= num
  kDescriptor,    // INDIRECT, wrong direction, address or length out of range
  kMessage,       // rpmsg header len beyond its descriptor
};

enum class LinkState : std::uint8_t { kWaiting, kRunning, kFailed };

// A message callback: `src` is the sender's address, `payload` the bytes
// after the header (valid only during the call).
using MessageFunction = void (*)(void* context, std::uint32_t src, ConstByteSpan payload);
// The doorbell: tell the host that vring `notifyid` has news.
using NotifyFunction = void (*)(void* context, std::uint32_t notifyid);

// One endpoint. Its address is kFirstDynamicAddress (0x400) + its index.
struct Endpoint {
  const char* name = nullptr;  // announced if non-null (at most 31 chars)
  MessageFunction function = nullptr;
  void* context = nullptr;
  std::uint32_t addr = 0;
  bool announced = false;
};

// Device addresses the host may hand out, mapped: [da, da + size) is at
// `base` for this CPU (on a Cortex-M usually base == da).
struct Window {
  std::uint32_t da = 0;
  std::byte* base = nullptr;
  std::uint32_t size = 0;
};

struct Config {
  // The image's own loaded resource table (the host patches it).
  std::byte* table = nullptr;
  std::uint32_t table_size = 0;
  // Offsets in `table` of the rpmsg fw_rsc_vdev entry and of the
  // vdev0buffer fw_rsc_carveout entry, from their type word
  // (offsetof(MyTable, vdev) with rsc/builder.h).
  std::uint32_t vdev_offset = 0;
  std::uint32_t carveout_offset = 0;
  Window window;
  // Entries per vring as the table declares them (a power of two) and
  // bytes per buffer (Linux: 512; RemoteProc's rpmsg_buffer_size).
  std::uint16_t num = 0;
  std::uint16_t buffer_size = 512;
  NotifyFunction notify = nullptr;
  void* notify_context = nullptr;
};

// The part that does not depend on the endpoint count.
class RemoteCore {
 public:
  // One step of the main loop: follows the vdev status (link up: announce;
  // DRIVER_OK gone: link down), retries pending announcements, and hands
  // every message the host sent (at most num per call) to its endpoint.
  // kOk: running; kUnavailable: waiting for DRIVER_OK; kDataLoss: failed
  // (fault()), until the host clears DRIVER_OK.
  StatusCode Poll();

  // Sends `payload` from `from` to `dst` in a buffer the host posted.
  // kFailedPrecondition: link not running; kInvalidArgument: payload larger
  // than buffer_size - 16; kUnavailable: no host buffer free (retry after
  // Poll()); kDataLoss: the host broke the ring (fault()).
  StatusCode Send(const Endpoint& from, std::uint32_t dst, ConstByteSpan payload);

  LinkState state() const { return state_; }
  Fault fault() const { return fault_; }
  // What the host accepted (valid while running).
  bool name_service() const { return ns_; }

 protected:
  // Checks the configuration (kTableLayout: Poll() then always fails).
  RemoteCore(const Config& config, Endpoint* endpoints, std::uint8_t capacity);
  Endpoint* OpenAt(const char* name, MessageFunction function, void* context);

 private:
  // The device side of one split virtqueue (pointers into the window).
  struct Queue {
    std::byte* desc = nullptr;
    std::byte* avail = nullptr;
    std::byte* used = nullptr;
    std::uint16_t last_avail = 0;
    std::uint16_t used_idx = 0;
    std::uint32_t notifyid = 0;
  };
  struct Buffer {
    std::uint32_t offset;  // in the buffer area
    std::uint32_t len;
    std::uint16_t head;
  };

  bool LinkUp();
  // 1: a buffer, 0: none, -1: failed. `tx`: vring0 (host receive buffers).
  int Take(Queue& q, bool tx, Buffer& out);
  void Give(Queue& q, std::uint16_t head, std::uint32_t len);
  void Kick(const Queue& q);
  StatusCode SendFrom(std::uint32_t src, std::uint32_t dst, const void* data, std::uint32_t size);
  void Announce();
  StatusCode Fail(Fault fault);
  std::byte* Map(std::uint32_t da, std::uint32_t size) const;
  std::uint8_t* StatusByte() const;

  Config config_;
  Queue tx_;  // vring0: remote -> host
  Queue rx_;  // vring1: host -> remote
  std::byte* buffers_ = nullptr;
  Endpoint* endpoints_;
  std::uint8_t capacity_;
  std::uint8_t count_ = 0;
  std::uint8_t pending_ = 0;  // announcements not yet sent
  LinkState state_ = LinkState::kWaiting;
  Fault fault_ = Fault::kNone;
  bool ns_ = false;
};

// A remote with room for kEndpoints endpoints (no heap: the storage is
// part of the object; place it in .bss).
template <std::size_t kEndpoints>
class Remote : public RemoteCore {
  static_assert(kEndpoints >= 1 && kEndpoints <= 255);

 public:
  explicit Remote(const Config& config)
      : RemoteCore(config, endpoints_, static_cast<std::uint8_t>(kEndpoints)) {}

  // Adds an endpoint (announced once the link runs, if `name` is set).
  // nullptr when all kEndpoints are in use. Main loop only.
  Endpoint* Open(const char* name, MessageFunction function, void* context) {
    return OpenAt(name, function, context);
  }
  // The same with a member function `void T::kMethod(std::uint32_t src,
  // ConstByteSpan payload)` of `object` as the callback.
  template <auto kMethod, class T>
  Endpoint* Open(const char* name, T& object) {
    return OpenAt(
        name,
        [](void* context, std::uint32_t src, ConstByteSpan payload) {
          (static_cast<T*>(context)->*kMethod)(src, payload);
        },
        &object);
  }

 private:
  Endpoint endpoints_[kEndpoints];
};

}  // namespace tandem::tiny
