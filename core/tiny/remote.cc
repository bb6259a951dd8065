#include "tandem/tiny/remote.h"

#include <atomic>
#include <cstring>

#include "tandem/rpmsg/wire.h"
#include "tandem/rsc/wire.h"
#include "tandem/shm/fence.h"
#include "tandem/virtio/features.h"
#include "tandem/virtio/ring_layout.h"

// Written for size (docs/footprint.md): 32-bit arithmetic, no Status
// messages, the table read at offsets the firmware gave. The layouts and
// constants are the rich core's header-only wire definitions.

namespace tandem::tiny {
namespace {

namespace rsc = tandem::rsc;
namespace virtio = tandem::virtio;

// fw_rsc_vdev and its two vrings, from the entry's type word.
struct VdevEntry {
  Le32 type;
  rsc::FwRscVdev vdev;
  rsc::FwRscVdevVring vring[2];
};
static_assert(sizeof(VdevEntry) == 4 + 24 + 2 * 20);
struct CarveoutEntry {
  Le32 type;
  rsc::FwRscCarveout carveout;
};
static_assert(sizeof(CarveoutEntry) == 56);

constexpr std::uint32_t kStatusOffset = 4 + offsetof(rsc::FwRscVdev, status);
// ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK, and neither FAILED nor
// DEVICE_NEEDS_RESET (VirtIO 1.x 2.1, 3.1.1: what Linux and HostLink set).
constexpr std::uint8_t kReadyMask = 0xCF;
constexpr std::uint8_t kReady = 0x0F;
constexpr std::uint8_t kDriverOk = static_cast<std::uint8_t>(virtio::DeviceStatus::kDriverOk);
constexpr std::uint8_t kNeedsReset =
    static_cast<std::uint8_t>(virtio::DeviceStatus::kDeviceNeedsReset);
constexpr std::uint32_t kHeader = sizeof(rpmsg::RpmsgHeader);

// Ring offsets (ring_layout.h, Linux vring_size): avail at 16 * num, used
// at the next `align` boundary after avail.
constexpr std::uint32_t kAvailIdx = 2;
constexpr std::uint32_t kRing = 4;

std::uint16_t Load16(const std::byte* p) {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return FromLittle(v);
}
void Store16(std::byte* p, std::uint16_t v) {
  v = ToLittle(v);
  std::memcpy(p, &v, 2);
}
void Store32(std::byte* p, std::uint32_t v) {
  v = ToLittle(v);
  std::memcpy(p, &v, 4);
}
// Ring indices are naturally aligned 16-bit words (the ring is 16-byte
// aligned): atomic accesses, as in shm::Region's Consume/Publish.
std::uint16_t Acquire16(std::byte* p) {
  return FromLittle(std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(p))
                        .load(std::memory_order_acquire));
}
void Release16(std::byte* p, std::uint16_t v) {
  std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(p))
      .store(ToLittle(v), std::memory_order_release);
}

bool Overlap(std::uint32_t a, std::uint32_t a_size, std::uint32_t b, std::uint32_t b_size) {
  // Both ranges are inside the window (no wrap).
  return a < b + b_size && b < a + a_size;
}

}  // namespace

std::uint8_t* RemoteCore::StatusByte() const {
  return reinterpret_cast<std::uint8_t*>(config_.table + config_.vdev_offset + kStatusOffset);
}

std::byte* RemoteCore::Map(std::uint32_t da, std::uint32_t size) const {
  const Window& w = config_.window;
  const std::uint32_t offset = da - w.da;  // wraps when da < w.da: then > size
  if (da < w.da || offset > w.size || size > w.size - offset) return nullptr;
  return w.base + offset;
}

StatusCode RemoteCore::Fail(Fault fault) {
  fault_ = fault;
  state_ = LinkState::kFailed;
  // VirtIO 1.x 2.1.1: the device has experienced an error from which it
  // can't recover. Layout checks failed before any shared-memory access
  // (kTableLayout) leave the status alone: it may not be ours to touch.
  if (fault != Fault::kTableLayout) {
    std::uint8_t* status = StatusByte();
    std::atomic_ref<std::uint8_t>(*status).store(
        static_cast<std::uint8_t>(
            std::atomic_ref<std::uint8_t>(*status).load(std::memory_order_relaxed) | kNeedsReset),
        std::memory_order_release);
  }
  return StatusCode::kDataLoss;
}

RemoteCore::RemoteCore(const Config& config, Endpoint* endpoints, std::uint8_t capacity)
    : config_(config), endpoints_(endpoints), capacity_(capacity) {
  // The firmware's own configuration: the entries inside the table, num a
  // power of two Linux accepts, room for a header in a buffer. Checked once;
  // nothing else is touched if it is wrong.
  const std::uint32_t vdev_end = config.vdev_offset + sizeof(VdevEntry);
  const std::uint32_t carveout_end = config.carveout_offset + sizeof(CarveoutEntry);
  const std::uint16_t num = config.num;
  if (config.table == nullptr || vdev_end > config.table_size || vdev_end < sizeof(VdevEntry) ||
      carveout_end > config.table_size || carveout_end < sizeof(CarveoutEntry) || num == 0 ||
      (num & (num - 1)) != 0 || num > rpmsg::kMaxBuffersPerDirection ||
      config.buffer_size <= kHeader) {
    Fail(Fault::kTableLayout);
  }
}

Endpoint* RemoteCore::OpenAt(const char* name, MessageFunction function, void* context) {
  if (count_ == capacity_) return nullptr;
  Endpoint& e = endpoints_[count_];
  e.name = name;
  e.function = function;
  e.context = context;
  e.addr = rpmsg::kFirstDynamicAddress + count_++;
  e.announced = false;
  if (name != nullptr) ++pending_;
  return &e;
}

bool RemoteCore::LinkUp() {
  // One read of what the host wrote; every check below works on the copy.
  VdevEntry v;
  CarveoutEntry c;
  std::memcpy(&v, config_.table + config_.vdev_offset, sizeof(v));
  std::memcpy(&c, config_.table + config_.carveout_offset, sizeof(c));
  if (v.type.get() != rsc::kRscVdev || v.vdev.id.get() != rsc::kVirtioIdRpmsg ||
      v.vdev.num_of_vrings != 2 || c.type.get() != rsc::kRscCarveout) {
    Fail(Fault::kNotRpmsgVdev);
    return false;
  }
  // VirtIO 1.x 3.1.1: the driver accepts only features the device offered;
  // and we implement only VIRTIO_RPMSG_F_NS (a table that offers EVENT_IDX
  // is the firmware's mistake, refused rather than half served).
  const std::uint32_t gfeatures = v.vdev.gfeatures.get();
  const std::uint32_t ns = 1u << virtio::kRpmsgFeatureNs;
  if ((gfeatures & ~(v.vdev.dfeatures.get() & ns)) != 0) {
    Fail(Fault::kFeatures);
    return false;
  }
  ns_ = gfeatures != 0;

  const std::uint32_t num = config_.num;
  std::uint32_t da[2];
  std::uint32_t size[2];
  Queue* queues[2] = {&tx_, &rx_};
  for (int i = 0; i < 2; ++i) {
    const rsc::FwRscVdevVring& r = v.vring[i];
    const std::uint32_t align = r.align.get();
    da[i] = r.da.get();
    // The host cannot change num; align must be a power of two, at least
    // 16 (VirtIO 1.x 2.7) and small enough for 32-bit arithmetic.
    if (r.num.get() != num || align < 16 || align > 0x10000 || (align & (align - 1)) != 0 ||
        da[i] % 16 != 0) {
      Fail(Fault::kVring);
      return false;
    }
    const std::uint32_t used = (16 * num + 6 + 2 * num + align - 1) & ~(align - 1);
    size[i] = used + 6 + 8 * num;  // virtio::VringSize(num, align)
    std::byte* ring = Map(da[i], size[i]);
    if (ring == nullptr) {
      Fail(Fault::kVring);
      return false;
    }
    Queue& q = *queues[i];
    q.desc = ring;
    q.avail = ring + 16 * num;
    q.used = ring + used;
    q.last_avail = 0;
    q.used_idx = 0;
    q.notifyid = r.notifyid.get();
  }
  const std::uint32_t area = 2 * num * config_.buffer_size;
  const std::uint32_t buffers = c.carveout.da.get();
  if (c.carveout.len.get() < area || (buffers_ = Map(buffers, area)) == nullptr) {
    Fail(Fault::kBuffers);
    return false;
  }
  if (Overlap(da[0], size[0], da[1], size[1]) || Overlap(da[0], size[0], buffers, area) ||
      Overlap(da[1], size[1], buffers, area)) {
    Fail(Fault::kVring);
    return false;
  }
  // Our own used flags: hear of every host message (vring1); vring0 is set
  // in Poll().
  Store16(rx_.used, 0);
  return true;
}

StatusCode RemoteCore::Poll() {
  if (fault_ == Fault::kTableLayout) return StatusCode::kDataLoss;
  const std::uint8_t status =
      std::atomic_ref<std::uint8_t>(*StatusByte())
          .load(std::memory_order_acquire);  // pairs with the host's release of the status
  if (state_ == LinkState::kFailed) {
    if ((status & kDriverOk) != 0) return StatusCode::kDataLoss;
    state_ = LinkState::kWaiting;  // the host reset the device: start over
    fault_ = Fault::kNone;
  }
  if ((status & kReadyMask) != kReady) {
    if (state_ == LinkState::kRunning) {  // link down: announce again next time
      state_ = LinkState::kWaiting;
      pending_ = 0;
      for (std::uint8_t i = 0; i < count_; ++i) {
        endpoints_[i].announced = false;
        if (endpoints_[i].name != nullptr) ++pending_;
      }
    }
    return StatusCode::kUnavailable;
  }
  if (state_ == LinkState::kWaiting) {
    if (!LinkUp()) return StatusCode::kDataLoss;
    state_ = LinkState::kRunning;
  }
  if (pending_ != 0) Announce();

  // Every message the host sent, at most num per call (the host may keep
  // posting; the next Poll() continues).
  bool consumed = false;
  for (std::uint32_t n = 0; n < config_.num && state_ == LinkState::kRunning; ++n) {
    Buffer b;
    const int got = Take(rx_, false, b);
    if (got <= 0) break;
    // The header, copied out once (it may sit at any alignment).
    rpmsg::RpmsgHeader h;
    std::memcpy(&h, buffers_ + b.offset, kHeader);
    const std::uint32_t len = h.len.get();
    if (len > b.len - kHeader) return Fail(Fault::kMessage);  // Take(): b.len >= kHeader
    const std::uint32_t dst = h.dst.get();
    for (std::uint8_t i = 0; i < count_; ++i) {
      const Endpoint& e = endpoints_[i];
      if (e.addr == dst && e.function != nullptr) {
        e.function(e.context, h.src.get(), ConstByteSpan(buffers_ + b.offset + kHeader, len));
        break;
      }
    }
    // Messages to no endpoint (and the host's own announcements) are
    // dropped. VirtIO 1.x 2.7.8 says len is what the device wrote (0);
    // like the rich core (decision in docs/decisions.md) we return the
    // descriptor's length, which OpenAMP hosts need and Linux ignores.
    if (state_ != LinkState::kRunning) break;  // a callback's Send() failed the link
    Give(rx_, b.head, b.len);
    consumed = true;
  }
  if (state_ != LinkState::kRunning) return StatusCode::kDataLoss;
  if (consumed) Kick(rx_);
  // VRING_USED_F_NO_NOTIFY on vring0 unless an announcement waits for a
  // host receive buffer. Re-checked every Poll(), so one posted in between
  // is seen at the next one.
  Store16(tx_.used, pending_ != 0 ? 0 : virtio::kUsedFlagNoNotify);
  return StatusCode::kOk;
}

int RemoteCore::Take(Queue& q, bool tx, Buffer& out) {
  const std::uint16_t num = config_.num;
  // Acquire: the descriptor and the ring entry are visible once idx is.
  const std::uint16_t avail = Acquire16(q.avail + kAvailIdx);
  const std::uint16_t ahead = static_cast<std::uint16_t>(avail - q.last_avail);
  if (ahead == 0) return 0;
  if (ahead > num) {
    Fail(Fault::kAvailIdx);
    return -1;
  }
  const std::uint16_t head = Load16(q.avail + kRing + 2 * (q.last_avail & (num - 1)));
  if (head >= num) {
    Fail(Fault::kDescIndex);
    return -1;
  }
  // One read of the descriptor (16 bytes, 16-byte aligned).
  virtio::VringDesc d;
  std::memcpy(&d, q.desc + 16 * head, sizeof(d));
  const std::uint64_t addr = d.addr.get();
  const std::uint32_t len = d.len.get();
  const std::uint16_t flags = d.flags.get();
  // Host receive buffers (vring0) are device-writable in the first half of
  // the area, its transmit buffers (vring1) device-readable in the second.
  const std::uint32_t half = config_.num * std::uint32_t{config_.buffer_size};
  const std::uint32_t base = static_cast<std::uint32_t>(addr) - config_.window.da -
                             static_cast<std::uint32_t>(buffers_ - config_.window.base) -
                             (tx ? 0 : half);
  const bool writable = (flags & virtio::kDescFlagWrite) != 0;
  if ((addr >> 32) != 0 || (flags & virtio::kDescFlagIndirect) != 0 || writable != tx ||
      base >= half || len < kHeader || len > half - base) {
    Fail(Fault::kDescriptor);
    return -1;
  }
  ++q.last_avail;
  out.offset = base + (tx ? 0 : half);
  out.len = len;
  out.head = head;
  return 1;
}

void RemoteCore::Give(Queue& q, std::uint16_t head, std::uint32_t len) {
  std::byte* elem = q.used + kRing + 8 * (q.used_idx & (config_.num - 1));
  Store32(elem, head);
  Store32(elem + 4, len);
  // Release: the element (and the buffer we wrote) before the index.
  Release16(q.used + kAvailIdx, ++q.used_idx);
}

void RemoteCore::Kick(const Queue& q) {
  // Used idx published above before the driver's flags are read: a host
  // that sets NO_INTERRUPT and then re-checks used idx cannot miss us.
  shm::FullFence();
  if ((Load16(q.avail) & virtio::kAvailFlagNoInterrupt) == 0 && config_.notify != nullptr) {
    config_.notify(config_.notify_context, q.notifyid);
  }
}

StatusCode RemoteCore::SendFrom(std::uint32_t src, std::uint32_t dst, const void* data,
                                std::uint32_t size) {
  if (state_ != LinkState::kRunning) return StatusCode::kFailedPrecondition;
  if (size > std::uint32_t{config_.buffer_size} - kHeader) return StatusCode::kInvalidArgument;
  Buffer b;
  const int got = Take(tx_, true, b);
  if (got < 0) return StatusCode::kDataLoss;
  if (got == 0) return StatusCode::kUnavailable;
  if (b.len < kHeader + size) return Fail(Fault::kDescriptor);
  const rpmsg::RpmsgHeader h = rpmsg::MakeHeader(src, dst, static_cast<std::uint16_t>(size));
  std::memcpy(buffers_ + b.offset, &h, kHeader);
  std::memcpy(buffers_ + b.offset + kHeader, data, size);
  Give(tx_, b.head, kHeader + size);
  Kick(tx_);
  return StatusCode::kOk;
}

StatusCode RemoteCore::Send(const Endpoint& from, std::uint32_t dst, ConstByteSpan payload) {
  return SendFrom(from.addr, dst, payload.data(), static_cast<std::uint32_t>(payload.size()));
}

void RemoteCore::Announce() {
  // Linux announces only if VIRTIO_RPMSG_F_NS was negotiated.
  if (!ns_) {
    pending_ = 0;
    return;
  }
  for (std::uint8_t i = 0; i < count_; ++i) {
    Endpoint& e = endpoints_[i];
    if (e.name == nullptr || e.announced) continue;
    rpmsg::NsMessage m;  // zeroed name: no stale bytes reach the host
    for (std::size_t k = 0; k + 1 < rpmsg::kNameSize && e.name[k] != '\0'; ++k) {
      m.name[k] = e.name[k];
    }
    m.addr.set(e.addr);
    m.flags.set(static_cast<std::uint32_t>(rpmsg::NsFlags::kCreate));
    if (SendFrom(e.addr, rpmsg::kNsAddress, &m, sizeof(m)) != StatusCode::kOk) return;
    e.announced = true;
    --pending_;
  }
}

}  // namespace tandem::tiny
