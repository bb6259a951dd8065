/*
 * Tandem's native C API for RPMsg (issue #14): a thin C ABI over the C++
 * core's rpmsg::Bus, for both roles and for freestanding firmware.
 *
 *  - Opaque handles in caller-provided storage: every object below is a
 *    struct whose only member is storage sized and aligned for the C++
 *    object it holds (core/capi/rpmsg.cc static_asserts that it fits). No
 *    heap, no exceptions, nothing global.
 *  - Errors: 0 (TANDEM_OK) or one negative TANDEM_E* per tandem::StatusCode
 *    (base/status.h), one to one. tandem_rpmsg_error_name() names a code.
 *  - Shapes follow OpenAMP's lib/include/openamp/rpmsg.h (callbacks with
 *    OpenAMP's parameters in OpenAMP's order: ept, data, len, src, priv;
 *    RPMSG_ADDR_ANY meaning "allocate" for a source and "learn from the first
 *    message" for a destination). tandem/c/openamp.h is the compatibility
 *    layer with OpenAMP's names and error values; tandem/c/rpmsg_service.h
 *    is Zephyr's rpmsg_service. docs/porting-from-openamp.md maps each call.
 *
 * Devices: a tandem_rpmsg_device names one bus. It is bound by the runtime
 * that owns the bus: tandem_remote_node_device() (tandem/c/remote.h) on a
 * remote, the host C API or C++ (tandem/capi/bridge.h) on a host.
 *
 * Threading: the bus's (tandem/rpmsg/bus.h). Callbacks run on the thread
 * that polls the bus, with no bus lock held: they may send, even blocking.
 * Endpoints are created and destroyed on that thread or while nothing polls
 * (the device's endpoint list follows the same rule).
 */
#ifndef TANDEM_C_RPMSG_H_
#define TANDEM_C_RPMSG_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- Error codes: one per tandem::StatusCode, in its order ------------- */
#define TANDEM_OK 0
#define TANDEM_EINVAL (-1)       /* kInvalidArgument: can never work (e.g. payload > MTU) */
#define TANDEM_ERANGE (-2)       /* kOutOfRange: a length or index outside its bounds */
#define TANDEM_EDATALOSS (-3)    /* kDataLoss: the peer broke the protocol; bus latched broken */
#define TANDEM_EUNAVAILABLE (-4) /* kUnavailable: nothing now (no buffer, no message); retry */
#define TANDEM_ETIMEDOUT (-5)    /* kDeadlineExceeded: the timeout expired */
#define TANDEM_ESTATE (-6)       /* kFailedPrecondition: illegal in this state (bus not up) */
#define TANDEM_ENOSPACE (-7)     /* kResourceExhausted: a fixed table or pool is full */
#define TANDEM_ENOTFOUND (-8)    /* kNotFound */
#define TANDEM_EEXIST (-9)       /* kAlreadyExists: address or endpoint taken */
#define TANDEM_ENOTSUP (-10)     /* kUnimplemented: not in this role */
#define TANDEM_EABORTED (-11)    /* kAborted: the link was reset while waiting */
#define TANDEM_EINTERNAL (-12)   /* kInternal: Tandem's own bug */

/* "OK", "INVALID_ARGUMENT", ... as tandem::StatusCodeName; "UNKNOWN" for
 * anything else. */
const char* tandem_rpmsg_error_name(int code);

/* RPMsg addresses (Linux rpmsg.h, OpenAMP RPMSG_ADDR_ANY). */
#define TANDEM_RPMSG_ADDR_ANY 0xFFFFFFFFu
#define TANDEM_RPMSG_NAME_SIZE 32

/* Timeouts in nanoseconds for the calls that may block. */
#define TANDEM_RPMSG_NO_WAIT ((uint64_t)0)
#define TANDEM_RPMSG_WAIT_FOREVER UINT64_MAX

/* Storage sizes, in bytes, for both 32- and 64-bit targets. */
#define TANDEM_RPMSG_DEVICE_STORAGE (32 + 8 * sizeof(void*))
#define TANDEM_RPMSG_ENDPOINT_STORAGE (96 + 20 * sizeof(void*))
#define TANDEM_RPMSG_BUFFER_SLOT_STORAGE (48 + 12 * sizeof(void*))
#define TANDEM_RPMSG_NS_DRIVER_STORAGE (16 + 8 * sizeof(void*))

/* Aligned for anything the C++ objects hold (pointers, 64-bit integers). */
#define TANDEM_C_OPAQUE_(bytes)   \
  union {                         \
    void* align_pointer;          \
    uint64_t align_u64;           \
    unsigned char storage[bytes]; \
  } opaque

typedef struct tandem_rpmsg_device {
  TANDEM_C_OPAQUE_(TANDEM_RPMSG_DEVICE_STORAGE);
} tandem_rpmsg_device;

typedef struct tandem_rpmsg_endpoint {
  TANDEM_C_OPAQUE_(TANDEM_RPMSG_ENDPOINT_STORAGE);
} tandem_rpmsg_endpoint;

/* One zero-copy buffer held past a call: a received buffer kept with
 * tandem_rpmsg_hold_rx_buffer() or a transmit buffer taken with
 * tandem_rpmsg_get_tx_buffer(). OpenAMP names these buffers by their data
 * pointer, so the device maps pointer -> handle in an array of slots the
 * caller provides (tandem_rpmsg_device_set_buffer_slots). */
typedef struct tandem_rpmsg_buffer_slot {
  TANDEM_C_OPAQUE_(TANDEM_RPMSG_BUFFER_SLOT_STORAGE);
} tandem_rpmsg_buffer_slot;

typedef struct tandem_rpmsg_ns_driver {
  TANDEM_C_OPAQUE_(TANDEM_RPMSG_NS_DRIVER_STORAGE);
} tandem_rpmsg_ns_driver;

/* A message arrived: `data` (len bytes, in shared memory) from address
 * `src`. Valid until the callback returns unless held. OpenAMP's
 * rpmsg_ept_cb, parameter for parameter; the return value is ignored, as
 * OpenAMP ignores it. */
typedef int (*tandem_rpmsg_endpoint_cb)(tandem_rpmsg_endpoint* ept, void* data, size_t len,
                                        uint32_t src, void* priv);
/* The remote service this endpoint talked to is gone (NS DESTROY or the
 * channel unbound; OpenAMP's rpmsg_ns_unbind_cb). */
typedef void (*tandem_rpmsg_unbind_cb)(tandem_rpmsg_endpoint* ept);
/* The peer announced service `name` at address `dest` (OpenAMP's
 * rpmsg_ns_bind_cb, plus priv). Host role. */
typedef void (*tandem_rpmsg_ns_bind_cb)(tandem_rpmsg_device* dev, const char* name, uint32_t dest,
                                        void* priv);

/* --- Device ------------------------------------------------------------ */
/* Slots for held buffers (zero-copy). Without slots, hold/get_tx return
 * TANDEM_ENOSPACE. `slots` outlives the device's use of it. */
int tandem_rpmsg_device_set_buffer_slots(tandem_rpmsg_device* dev, tandem_rpmsg_buffer_slot* slots,
                                         size_t count);
/* 1 while the link runs (the bus started), 0 otherwise. */
int tandem_rpmsg_device_link_up(const tandem_rpmsg_device* dev);
/* Largest payload (buffer size - 16-byte header), per direction; OpenAMP's
 * rpmsg_get_tx_buffer_size / rpmsg_get_rx_buffer_size. 0 before the link
 * is up. */
size_t tandem_rpmsg_tx_buffer_size(const tandem_rpmsg_device* dev);
size_t tandem_rpmsg_rx_buffer_size(const tandem_rpmsg_device* dev);
/* Buffers per direction (the vring size); 0 before the link is up. */
size_t tandem_rpmsg_buffer_count(const tandem_rpmsg_device* dev);

/* --- Endpoints ----------------------------------------------------------- */
/* Creates `ept` on `dev` (OpenAMP rpmsg_create_ept, plus priv). name: up to
 * 31 characters or NULL/"" (a named endpoint is announced on a remote; on a
 * host nothing is announced, as Linux). src: local address or
 * TANDEM_RPMSG_ADDR_ANY (lowest free from 0x400). dst: default destination,
 * or ANY to learn it from the first message received. unbind may be NULL.
 * TANDEM_EEXIST (address taken / ept already created), TANDEM_ENOSPACE
 * (table full), TANDEM_EINVAL (name too long, NULL cb). */
int tandem_rpmsg_create_ept(tandem_rpmsg_endpoint* ept, tandem_rpmsg_device* dev, const char* name,
                            uint32_t src, uint32_t dst, tandem_rpmsg_endpoint_cb cb,
                            tandem_rpmsg_unbind_cb unbind, void* priv);
/* Unregisters (a remote announces NS DESTROY); buffers it held go back.
 * No-op for an endpoint never created or already destroyed. */
void tandem_rpmsg_destroy_ept(tandem_rpmsg_endpoint* ept);

uint32_t tandem_rpmsg_ept_addr(const tandem_rpmsg_endpoint* ept);
uint32_t tandem_rpmsg_ept_dest(const tandem_rpmsg_endpoint* ept);
/* 1 once the endpoint is created and knows its destination (OpenAMP's
 * is_rpmsg_ept_ready). */
int tandem_rpmsg_ept_ready(const tandem_rpmsg_endpoint* ept);
const char* tandem_rpmsg_ept_name(const tandem_rpmsg_endpoint* ept);
void* tandem_rpmsg_ept_priv(const tandem_rpmsg_endpoint* ept);
tandem_rpmsg_device* tandem_rpmsg_ept_device(const tandem_rpmsg_endpoint* ept);

/* --- Sending (copying) ---------------------------------------------------- */
/* To the endpoint's destination, waiting up to the bus's send timeout (15 s,
 * as Linux and OpenAMP) for a buffer. */
int tandem_rpmsg_send(tandem_rpmsg_endpoint* ept, const void* data, size_t len);
/* Never blocks: TANDEM_EUNAVAILABLE when no buffer is free. */
int tandem_rpmsg_trysend(tandem_rpmsg_endpoint* ept, const void* data, size_t len);
int tandem_rpmsg_send_timeout(tandem_rpmsg_endpoint* ept, const void* data, size_t len,
                              uint64_t timeout_ns);
int tandem_rpmsg_sendto(tandem_rpmsg_endpoint* ept, uint32_t dst, const void* data, size_t len,
                        uint64_t timeout_ns);
/* From any source address (Linux rpmsg_send_offchannel); the endpoint only
 * names the device. */
int tandem_rpmsg_send_offchannel(tandem_rpmsg_endpoint* ept, uint32_t src, uint32_t dst,
                                 const void* data, size_t len, uint64_t timeout_ns);

/* --- Zero-copy sending ---------------------------------------------------- */
/* Takes a transmit buffer; *data is its payload area, *capacity its size
 * (the MTU). Send it with tandem_rpmsg_send_nocopy, or give it back with
 * tandem_rpmsg_release_tx_buffer. Needs a free buffer slot (TANDEM_ENOSPACE). */
int tandem_rpmsg_get_tx_buffer(tandem_rpmsg_endpoint* ept, void** data, uint32_t* capacity,
                               uint64_t timeout_ns);
/* Sends the first `len` bytes of a buffer from get_tx_buffer, to `dst`
 * (TANDEM_RPMSG_ADDR_ANY: the endpoint's destination). The buffer is gone
 * after any result but TANDEM_EINVAL (len > capacity, or not our buffer). */
int tandem_rpmsg_send_nocopy(tandem_rpmsg_endpoint* ept, uint32_t dst, void* data, size_t len);
int tandem_rpmsg_release_tx_buffer(tandem_rpmsg_endpoint* ept, void* data);

/* --- Holding received buffers ------------------------------------------- */
/* Inside the receive callback of `ept`, with the callback's `data`: keeps
 * the buffer past the callback (OpenAMP rpmsg_hold_rx_buffer). Release it
 * with tandem_rpmsg_release_rx_buffer(ept, data) from any thread (on a
 * Cortex-M0/M0+/M23, which has no atomic compare-and-swap: from the thread
 * that polls, or with interrupts masked).
 * TANDEM_ESTATE outside the callback or for another pointer,
 * TANDEM_ENOSPACE without a free slot. */
int tandem_rpmsg_hold_rx_buffer(tandem_rpmsg_endpoint* ept, void* data);
int tandem_rpmsg_release_rx_buffer(tandem_rpmsg_endpoint* ept, void* data);

/* --- Name service (host role) -------------------------------------------- */
/* Calls bind(dev, name, dest, priv) when the remote announces `name` (one
 * channel at a time per driver, as a Linux rpmsg driver); create an
 * endpoint with dst = dest there. When that service goes away, every
 * endpoint of the device whose destination is `dest` gets its unbind
 * callback. TANDEM_ENOTSUP on a remote (Linux hosts announce nothing). */
int tandem_rpmsg_ns_bind(tandem_rpmsg_ns_driver* driver, tandem_rpmsg_device* dev, const char* name,
                         tandem_rpmsg_ns_bind_cb bind, void* priv);
void tandem_rpmsg_ns_unbind(tandem_rpmsg_ns_driver* driver);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_C_RPMSG_H_ */
