// The C API of tandem/c/rpmsg.h over rpmsg::Bus. Each opaque C struct holds
// one of the *Impl objects below, constructed in place: no heap, no
// exceptions, no RTTI (a core layer). Status codes become TANDEM_E* one to
// one (ToErrorCode), so nothing is lost but the reason text.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>

#include "tandem/base/span.h"
#include "tandem/capi/bridge.h"
#include "tandem/rpmsg/buffers.h"
#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/errors.h"

namespace tandem::capi {
namespace {

// Marks storage that holds a constructed object. C storage is zeroed
// (static, or `= {0}`) before first use, as OpenAMP's structs are.
constexpr std::uint32_t kDeviceMagic = 0x54444556;    // "TDEV"
constexpr std::uint32_t kEndpointMagic = 0x54455054;  // "TEPT"
constexpr std::uint32_t kDriverMagic = 0x54445256;    // "TDRV"

struct EndpointImpl;

enum SlotState : std::uint8_t { kSlotFree = 0, kSlotBusy, kSlotRx, kSlotTx };

// One held buffer. The state is claimed with a compare-and-swap, so a
// received buffer may be released from another thread than the one that
// holds the next (OpenAMP allows rpmsg_release_rx_buffer from any thread).
struct SlotImpl {
  std::atomic<std::uint8_t> state{kSlotFree};
  // Written only by the thread that claimed the slot (state kSlotBusy),
  // read by others looking for their buffer: atomic.
  std::atomic<EndpointImpl*> owner{nullptr};
  std::atomic<const void*> data{nullptr};
  rpmsg::RxBuffer rx;
  rpmsg::TxBuffer tx;
};

struct DeviceImpl {
  std::uint32_t magic = kDeviceMagic;
  tandem_rpmsg_device* self = nullptr;
  rpmsg::Bus* bus = nullptr;
  DriverRegistrar* registrar = nullptr;
  tandem_rpmsg_buffer_slot* slots = nullptr;  // each holds a SlotImpl
  std::size_t slot_count = 0;
  SlotImpl& slot(std::size_t i) const {
    return *std::launder(reinterpret_cast<SlotImpl*>(slots[i].opaque.storage));
  }
  EndpointImpl* endpoints = nullptr;  // created through this API, newest first
};

// Calls the endpoint's C callback. A member, not a base, of EndpointImpl:
// the magic word must come first, before any vtable pointer.
struct Dispatcher final : rpmsg::MessageHandler {
  explicit Dispatcher(EndpointImpl& e) : owner(e) {}
  void OnMessage(rpmsg::Endpoint& ep, rpmsg::ReceivedMessage& message) override;
  EndpointImpl& owner;
};

struct EndpointImpl {
  std::uint32_t magic = kEndpointMagic;
  Dispatcher dispatcher{*this};
  rpmsg::Endpoint endpoint;
  tandem_rpmsg_endpoint* self = nullptr;
  DeviceImpl* device = nullptr;
  tandem_rpmsg_endpoint_cb cb = nullptr;
  tandem_rpmsg_unbind_cb unbind = nullptr;
  void* priv = nullptr;
  // The message whose callback runs now (for hold_rx_buffer); poll thread.
  rpmsg::ReceivedMessage* current = nullptr;
  EndpointImpl* next = nullptr;
};

struct DriverImpl;

// A channel driver: a remote's announcement calls the C bind callback.
struct Binder final : rpmsg::ChannelHandler {
  explicit Binder(DriverImpl& d) : owner(d) {}
  void OnBound(rpmsg::Channel& channel) override;
  // OpenAMP's rpmsg_virtio_ns_callback on NS DESTROY: the endpoint talking
  // to that address gets its ns_unbind_cb.
  void OnUnbound(rpmsg::Channel& channel) override;
  DriverImpl& owner;
};

struct DriverImpl {
  std::uint32_t magic = kDriverMagic;
  Binder binder{*this};
  DeviceImpl* device = nullptr;
  tandem_rpmsg_ns_bind_cb bind = nullptr;
  void* priv = nullptr;
};

static_assert(sizeof(DeviceImpl) <= sizeof(tandem_rpmsg_device::opaque));
static_assert(alignof(DeviceImpl) <= alignof(tandem_rpmsg_device));
static_assert(sizeof(EndpointImpl) <= sizeof(tandem_rpmsg_endpoint::opaque));
static_assert(alignof(EndpointImpl) <= alignof(tandem_rpmsg_endpoint));
static_assert(sizeof(SlotImpl) <= sizeof(tandem_rpmsg_buffer_slot::opaque));
static_assert(alignof(SlotImpl) <= alignof(tandem_rpmsg_buffer_slot));
static_assert(sizeof(DriverImpl) <= sizeof(tandem_rpmsg_ns_driver::opaque));
static_assert(alignof(DriverImpl) <= alignof(tandem_rpmsg_ns_driver));
static_assert(TANDEM_RPMSG_ADDR_ANY == rpmsg::kAddrAny);
static_assert(TANDEM_RPMSG_NAME_SIZE == rpmsg::kNameSize);

// The magic word is the first member of each Impl, so it can be read
// before knowing whether the object was constructed.
std::uint32_t MagicOf(const void* storage) {
  std::uint32_t magic;
  std::memcpy(&magic, storage, sizeof(magic));
  return magic;
}

DeviceImpl* Device(const tandem_rpmsg_device* dev) {
  if (dev == nullptr || MagicOf(dev->opaque.storage) != kDeviceMagic) return nullptr;
  return std::launder(
      reinterpret_cast<DeviceImpl*>(const_cast<unsigned char*>(dev->opaque.storage)));
}

EndpointImpl* Endpoint(const tandem_rpmsg_endpoint* ept) {
  if (ept == nullptr || MagicOf(ept->opaque.storage) != kEndpointMagic) return nullptr;
  return std::launder(
      reinterpret_cast<EndpointImpl*>(const_cast<unsigned char*>(ept->opaque.storage)));
}

// A created endpoint on a bound device, or null.
EndpointImpl* Created(tandem_rpmsg_endpoint* ept) {
  EndpointImpl* e = Endpoint(ept);
  return e != nullptr && e->endpoint.created() && e->device != nullptr ? e : nullptr;
}

// Moves a slot from `expected` to `desired` if it is in `expected`. A
// compare-and-swap where the core has one; ARMv6-M and ARMv8-M Baseline
// (Cortex-M0/M0+/M23) have no exclusive accesses, and their firmware calls
// the C API from its one main-loop thread (rpmsg.h says so), so a load and
// a store do there.
bool ClaimState(std::atomic<std::uint8_t>& state, std::uint8_t expected, std::uint8_t desired) {
#if defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
  if (state.load(std::memory_order_acquire) != expected) return false;
  state.store(desired, std::memory_order_relaxed);
  return true;
#else
  return state.compare_exchange_strong(expected, desired, std::memory_order_acquire);
#endif
}

SlotImpl* ClaimFreeSlot(DeviceImpl& device) {
  for (std::size_t i = 0; i < device.slot_count; ++i) {
    if (ClaimState(device.slot(i).state, kSlotFree, kSlotBusy)) {
      return &device.slot(i);
    }
  }
  return nullptr;
}

// Claims the slot of `owner` in `state` whose buffer starts at `data`.
SlotImpl* ClaimSlot(DeviceImpl& device, const EndpointImpl* owner, std::uint8_t state,
                    const void* data) {
  for (std::size_t i = 0; i < device.slot_count; ++i) {
    SlotImpl& slot = device.slot(i);
    if (slot.state.load(std::memory_order_acquire) != state) continue;
    if (slot.owner.load(std::memory_order_relaxed) != owner ||
        slot.data.load(std::memory_order_relaxed) != data) {
      continue;
    }
    if (ClaimState(slot.state, state, kSlotBusy)) return &slot;
  }
  return nullptr;
}

void FreeSlot(SlotImpl& slot) {
  slot.owner.store(nullptr, std::memory_order_relaxed);
  slot.data.store(nullptr, std::memory_order_relaxed);
  slot.state.store(kSlotFree, std::memory_order_release);
}

void Dispatcher::OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& message) {
  owner.current = &message;
  const ConstByteSpan payload = message.payload();
  // OpenAMP hands the callback a non-const pointer into the buffer.
  void* data = const_cast<std::byte*>(payload.data());
  owner.cb(owner.self, data, payload.size(), message.src(), owner.priv);
  owner.current = nullptr;
}

void Binder::OnBound(rpmsg::Channel& channel) {
  owner.bind(owner.device->self, channel.name(), channel.remote_address(), owner.priv);
}

void Binder::OnUnbound(rpmsg::Channel& channel) {
  const std::uint32_t remote = channel.remote_address();
  for (EndpointImpl* e = owner.device->endpoints; e != nullptr; e = e->next) {
    if (e->unbind != nullptr && e->endpoint.peer() == remote) e->unbind(e->self);
  }
}

void Unlink(DeviceImpl& device, EndpointImpl& endpoint) {
  for (EndpointImpl** p = &device.endpoints; *p != nullptr; p = &(*p)->next) {
    if (*p == &endpoint) {
      *p = endpoint.next;
      return;
    }
  }
}

// Returns every buffer `owner` holds (destroy_ept).
void ReleaseSlotsOf(DeviceImpl& device, const EndpointImpl* owner) {
  for (std::size_t i = 0; i < device.slot_count; ++i) {
    SlotImpl& slot = device.slot(i);
    for (std::uint8_t state : {kSlotRx, kSlotTx}) {
      if (slot.owner.load(std::memory_order_relaxed) != owner) break;
      if (ClaimState(slot.state, state, kSlotBusy)) {
        slot.rx.Release();
        slot.tx.Release();
        FreeSlot(slot);
        break;
      }
    }
  }
}

ConstByteSpan Bytes(const void* data, std::size_t len) {
  return ConstByteSpan(static_cast<const std::byte*>(data), data == nullptr ? 0 : len);
}

int Send(tandem_rpmsg_endpoint* ept, std::uint32_t src, std::uint32_t dst, const void* data,
         std::size_t len, std::uint64_t timeout_ns, bool default_timeout) {
  EndpointImpl* e = Created(ept);
  if (e == nullptr) return TANDEM_ESTATE;
  if (data == nullptr && len != 0) return TANDEM_EINVAL;
  rpmsg::Bus& bus = *e->device->bus;
  const ConstByteSpan payload = Bytes(data, len);
  if (src != rpmsg::kAddrAny) {
    return ToErrorCode(bus.SendOffChannel(e->endpoint, src, dst, payload, ToTimeout(timeout_ns)));
  }
  if (dst != rpmsg::kAddrAny) {
    return ToErrorCode(bus.SendTo(e->endpoint, dst, payload, ToTimeout(timeout_ns)));
  }
  if (default_timeout) return ToErrorCode(bus.Send(e->endpoint, payload));
  return ToErrorCode(bus.Send(e->endpoint, payload, ToTimeout(timeout_ns)));
}

}  // namespace

void InitDevice(tandem_rpmsg_device& device, rpmsg::Bus& bus, DriverRegistrar* registrar) {
  DeviceImpl* d = new (device.opaque.storage) DeviceImpl;
  d->self = &device;
  d->bus = &bus;
  d->registrar = registrar;
}

rpmsg::Endpoint& EndpointOf(tandem_rpmsg_endpoint& endpoint) {
  EndpointImpl* e = Endpoint(&endpoint);
  if (e == nullptr) e = new (endpoint.opaque.storage) EndpointImpl;
  return e->endpoint;
}

int ToErrorCode(const Status& status) {
  // TANDEM_E* are -StatusCode (static_asserts in the table test), so the
  // map is one to one by construction.
  return -static_cast<int>(status.code());
}

StatusCode ToStatusCode(int code) {
  if (code > 0 || code < TANDEM_EINTERNAL) return StatusCode::kInternal;
  return static_cast<StatusCode>(-code);
}

rpmsg::Timeout ToTimeout(std::uint64_t timeout_ns) {
  if (timeout_ns == TANDEM_RPMSG_WAIT_FOREVER) return rpmsg::Timeout::Forever();
  return rpmsg::Timeout::Nanoseconds(timeout_ns);
}

}  // namespace tandem::capi

using tandem::capi::DeviceImpl;
using tandem::capi::DriverImpl;
using tandem::capi::EndpointImpl;
using tandem::capi::SlotImpl;
using tandem::capi::ToErrorCode;
using tandem::capi::ToTimeout;
namespace rpmsg = tandem::rpmsg;

extern "C" {

const char* tandem_rpmsg_error_name(int code) {
  if (code > 0 || code < TANDEM_EINTERNAL) return "UNKNOWN";
  return tandem::StatusCodeName(static_cast<tandem::StatusCode>(-code));
}

int tandem_rpmsg_device_set_buffer_slots(tandem_rpmsg_device* dev, tandem_rpmsg_buffer_slot* slots,
                                         size_t count) {
  DeviceImpl* d = tandem::capi::Device(dev);
  if (d == nullptr) return TANDEM_ESTATE;
  if (slots == nullptr && count != 0) return TANDEM_EINVAL;
  for (std::size_t i = 0; i < d->slot_count; ++i) {
    if (d->slot(i).state.load(std::memory_order_acquire) != tandem::capi::kSlotFree) {
      return TANDEM_ESTATE;  // buffers still held in the old slots
    }
  }
  for (std::size_t i = 0; i < count; ++i) new (slots[i].opaque.storage) SlotImpl;
  d->slots = slots;
  d->slot_count = count;
  return TANDEM_OK;
}

int tandem_rpmsg_device_link_up(const tandem_rpmsg_device* dev) {
  DeviceImpl* d = tandem::capi::Device(dev);
  return d != nullptr && d->bus->status().ok() ? 1 : 0;
}

size_t tandem_rpmsg_tx_buffer_size(const tandem_rpmsg_device* dev) {
  DeviceImpl* d = tandem::capi::Device(dev);
  return d == nullptr ? 0 : d->bus->mtu();
}

size_t tandem_rpmsg_rx_buffer_size(const tandem_rpmsg_device* dev) {
  // One buffer size for both directions (Linux's virtio_rpmsg_bus.c).
  return tandem_rpmsg_tx_buffer_size(dev);
}

size_t tandem_rpmsg_buffer_count(const tandem_rpmsg_device* dev) {
  DeviceImpl* d = tandem::capi::Device(dev);
  return d == nullptr ? 0 : d->bus->buffer_count();
}

int tandem_rpmsg_create_ept(tandem_rpmsg_endpoint* ept, tandem_rpmsg_device* dev, const char* name,
                            uint32_t src, uint32_t dst, tandem_rpmsg_endpoint_cb cb,
                            tandem_rpmsg_unbind_cb unbind, void* priv) {
  DeviceImpl* d = tandem::capi::Device(dev);
  if (ept == nullptr || cb == nullptr) return TANDEM_EINVAL;
  if (d == nullptr) return TANDEM_ESTATE;
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  if (e != nullptr && e->endpoint.created()) return TANDEM_EEXIST;
  if (e == nullptr) e = new (ept->opaque.storage) EndpointImpl;
  e->self = ept;
  e->device = d;
  e->cb = cb;
  e->unbind = unbind;
  e->priv = priv;
  rpmsg::EndpointConfig config;
  config.name = name;
  config.addr = src;
  config.peer = dst;
  const tandem::Status s = d->bus->CreateEndpoint(e->endpoint, config, e->dispatcher);
  if (!s.ok()) return ToErrorCode(s);
  e->next = d->endpoints;
  d->endpoints = e;
  return TANDEM_OK;
}

void tandem_rpmsg_destroy_ept(tandem_rpmsg_endpoint* ept) {
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  if (e == nullptr) return;
  if (e->device != nullptr) {
    tandem::capi::ReleaseSlotsOf(*e->device, e);
    tandem::capi::Unlink(*e->device, *e);
    e->device->bus->DestroyEndpoint(e->endpoint);
  }
  // Leaves zeroed storage, ready for another create.
  e->~EndpointImpl();
  std::memset(ept->opaque.storage, 0, sizeof(ept->opaque.storage));
}

uint32_t tandem_rpmsg_ept_addr(const tandem_rpmsg_endpoint* ept) {
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  return e != nullptr && e->endpoint.created() ? e->endpoint.address() : TANDEM_RPMSG_ADDR_ANY;
}

uint32_t tandem_rpmsg_ept_dest(const tandem_rpmsg_endpoint* ept) {
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  return e != nullptr && e->endpoint.created() ? e->endpoint.peer() : TANDEM_RPMSG_ADDR_ANY;
}

int tandem_rpmsg_ept_ready(const tandem_rpmsg_endpoint* ept) {
  return tandem_rpmsg_ept_dest(ept) != TANDEM_RPMSG_ADDR_ANY ? 1 : 0;
}

const char* tandem_rpmsg_ept_name(const tandem_rpmsg_endpoint* ept) {
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  return e != nullptr ? e->endpoint.name() : "";
}

void* tandem_rpmsg_ept_priv(const tandem_rpmsg_endpoint* ept) {
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  return e != nullptr ? e->priv : nullptr;
}

tandem_rpmsg_device* tandem_rpmsg_ept_device(const tandem_rpmsg_endpoint* ept) {
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  return e == nullptr || e->device == nullptr ? nullptr : e->device->self;
}

int tandem_rpmsg_send(tandem_rpmsg_endpoint* ept, const void* data, size_t len) {
  return tandem::capi::Send(ept, rpmsg::kAddrAny, rpmsg::kAddrAny, data, len, 0, true);
}

int tandem_rpmsg_trysend(tandem_rpmsg_endpoint* ept, const void* data, size_t len) {
  return tandem::capi::Send(ept, rpmsg::kAddrAny, rpmsg::kAddrAny, data, len, TANDEM_RPMSG_NO_WAIT,
                            false);
}

int tandem_rpmsg_send_timeout(tandem_rpmsg_endpoint* ept, const void* data, size_t len,
                              uint64_t timeout_ns) {
  return tandem::capi::Send(ept, rpmsg::kAddrAny, rpmsg::kAddrAny, data, len, timeout_ns, false);
}

int tandem_rpmsg_sendto(tandem_rpmsg_endpoint* ept, uint32_t dst, const void* data, size_t len,
                        uint64_t timeout_ns) {
  // Linux and OpenAMP refuse RPMSG_ADDR_ANY as a destination here.
  if (dst == rpmsg::kAddrAny) return TANDEM_EINVAL;
  return tandem::capi::Send(ept, rpmsg::kAddrAny, dst, data, len, timeout_ns, false);
}

int tandem_rpmsg_send_offchannel(tandem_rpmsg_endpoint* ept, uint32_t src, uint32_t dst,
                                 const void* data, size_t len, uint64_t timeout_ns) {
  if (src == rpmsg::kAddrAny || dst == rpmsg::kAddrAny) return TANDEM_EINVAL;
  return tandem::capi::Send(ept, src, dst, data, len, timeout_ns, false);
}

int tandem_rpmsg_get_tx_buffer(tandem_rpmsg_endpoint* ept, void** data, uint32_t* capacity,
                               uint64_t timeout_ns) {
  if (data == nullptr) return TANDEM_EINVAL;
  *data = nullptr;
  EndpointImpl* e = tandem::capi::Created(ept);
  if (e == nullptr) return TANDEM_ESTATE;
  SlotImpl* slot = tandem::capi::ClaimFreeSlot(*e->device);
  if (slot == nullptr) return TANDEM_ENOSPACE;
  // OpenAMP takes the destination at send time (rpmsg_sendto_nocopy): an
  // endpoint that has none yet addresses the buffer to itself until then.
  std::uint32_t dst = e->endpoint.peer();
  if (dst == rpmsg::kAddrAny) dst = e->endpoint.address();
  auto tx = e->device->bus->AcquireTx(e->endpoint, dst, ToTimeout(timeout_ns));
  if (!tx.ok()) {
    tandem::capi::FreeSlot(*slot);
    return ToErrorCode(tx.status());
  }
  slot->tx = std::move(tx).value();
  void* payload = slot->tx.data().data();
  slot->owner.store(e, std::memory_order_relaxed);
  slot->data.store(payload, std::memory_order_relaxed);
  slot->state.store(tandem::capi::kSlotTx, std::memory_order_release);
  *data = payload;
  if (capacity != nullptr) *capacity = static_cast<uint32_t>(slot->tx.capacity());
  return TANDEM_OK;
}

int tandem_rpmsg_send_nocopy(tandem_rpmsg_endpoint* ept, uint32_t dst, void* data, size_t len) {
  EndpointImpl* e = tandem::capi::Created(ept);
  if (e == nullptr) return TANDEM_ESTATE;
  SlotImpl* slot = tandem::capi::ClaimSlot(*e->device, e, tandem::capi::kSlotTx, data);
  if (slot == nullptr) return TANDEM_EINVAL;  // not a buffer of ours
  if (dst == rpmsg::kAddrAny) dst = e->endpoint.peer();
  if (dst == rpmsg::kAddrAny || len > slot->tx.capacity()) {
    // Nothing sent; the caller still owns the buffer.
    slot->state.store(tandem::capi::kSlotTx, std::memory_order_release);
    return dst == rpmsg::kAddrAny ? TANDEM_ESTATE : TANDEM_EINVAL;
  }
  slot->tx.set_dst(dst);
  const tandem::Status s = slot->tx.Send(len);
  slot->tx.Release();  // a no-op once sent
  tandem::capi::FreeSlot(*slot);
  return ToErrorCode(s);
}

int tandem_rpmsg_release_tx_buffer(tandem_rpmsg_endpoint* ept, void* data) {
  EndpointImpl* e = tandem::capi::Created(ept);
  if (e == nullptr) return TANDEM_ESTATE;
  SlotImpl* slot = tandem::capi::ClaimSlot(*e->device, e, tandem::capi::kSlotTx, data);
  if (slot == nullptr) return TANDEM_EINVAL;
  slot->tx.Release();
  tandem::capi::FreeSlot(*slot);
  return TANDEM_OK;
}

int tandem_rpmsg_hold_rx_buffer(tandem_rpmsg_endpoint* ept, void* data) {
  EndpointImpl* e = tandem::capi::Created(ept);
  if (e == nullptr || e->current == nullptr) return TANDEM_ESTATE;
  if (e->current->held() || e->current->payload().data() != data) return TANDEM_ESTATE;
  SlotImpl* slot = tandem::capi::ClaimFreeSlot(*e->device);
  if (slot == nullptr) return TANDEM_ENOSPACE;
  slot->rx = e->current->Hold();
  slot->owner.store(e, std::memory_order_relaxed);
  slot->data.store(data, std::memory_order_relaxed);
  slot->state.store(tandem::capi::kSlotRx, std::memory_order_release);
  return TANDEM_OK;
}

int tandem_rpmsg_release_rx_buffer(tandem_rpmsg_endpoint* ept, void* data) {
  EndpointImpl* e = tandem::capi::Endpoint(ept);
  if (e == nullptr || e->device == nullptr) return TANDEM_ESTATE;
  SlotImpl* slot = tandem::capi::ClaimSlot(*e->device, e, tandem::capi::kSlotRx, data);
  if (slot == nullptr) return TANDEM_EINVAL;
  slot->rx.Release();
  tandem::capi::FreeSlot(*slot);
  return TANDEM_OK;
}

int tandem_rpmsg_ns_bind(tandem_rpmsg_ns_driver* driver, tandem_rpmsg_device* dev, const char* name,
                         tandem_rpmsg_ns_bind_cb bind, void* priv) {
  DeviceImpl* d = tandem::capi::Device(dev);
  if (driver == nullptr || bind == nullptr) return TANDEM_EINVAL;
  if (d == nullptr) return TANDEM_ESTATE;
  // A remote never gets announcements from a Linux host.
  if (d->registrar == nullptr) return TANDEM_ENOTSUP;
  if (tandem::capi::MagicOf(driver->opaque.storage) == tandem::capi::kDriverMagic) {
    return TANDEM_EEXIST;
  }
  DriverImpl* impl = new (driver->opaque.storage) DriverImpl;
  impl->device = d;
  impl->bind = bind;
  impl->priv = priv;
  const tandem::Status s = d->registrar->RegisterDriver(name, impl->binder);
  if (!s.ok()) {
    impl->~DriverImpl();
    std::memset(driver->opaque.storage, 0, sizeof(driver->opaque.storage));
  }
  return ToErrorCode(s);
}

void tandem_rpmsg_ns_unbind(tandem_rpmsg_ns_driver* driver) {
  if (driver == nullptr ||
      tandem::capi::MagicOf(driver->opaque.storage) != tandem::capi::kDriverMagic) {
    return;
  }
  DriverImpl* impl = std::launder(reinterpret_cast<DriverImpl*>(driver->opaque.storage));
  impl->device->registrar->UnregisterDriver(impl->binder);
  impl->~DriverImpl();
  std::memset(driver->opaque.storage, 0, sizeof(driver->opaque.storage));
}

}  // extern "C"
