/*
 * OpenAMP's RPMsg API names over Tandem (issue #14), so that an OpenAMP
 * application ports by changing its includes and the device set-up:
 * struct rpmsg_endpoint / rpmsg_device, RPMSG_ADDR_ANY, RPMSG_SUCCESS and
 * RPMSG_ERR_* with OpenAMP's values (lib/include/openamp/rpmsg.h), and
 * rpmsg_send() & co. as thin inline functions over tandem/c/rpmsg.h.
 *
 * Same as OpenAMP: callbacks get (ept, data, len, src, priv); sends return
 * the number of bytes sent or a negative RPMSG_ERR_*; a blocking send waits
 * up to 15 s for a buffer and then fails with RPMSG_ERR_NO_BUFF; a
 * destination of RPMSG_ADDR_ANY is refused with RPMSG_ERR_PARAM; a payload
 * longer than the buffer with RPMSG_ERR_BUFF_SIZE; an endpoint created with
 * dest RPMSG_ADDR_ANY learns it from the first message (ept->dest_addr).
 *
 * Different (docs/porting-from-openamp.md): the device comes from Tandem's
 * runtime (tandem_openamp_rdev()), not rpmsg_init_vdev(); zero-copy needs
 * buffer slots on the device (tandem_rpmsg_device_set_buffer_slots); name
 * service binding is per name (tandem_openamp_ns_bind) instead of one
 * catch-all ns_bind_cb; an endpoint's storage must be zeroed (static, or
 * `= {0}`) before its first rpmsg_create_ept.
 */
#ifndef TANDEM_C_OPENAMP_H_
#define TANDEM_C_OPENAMP_H_

#include <stddef.h>
#include <stdint.h>

#include "tandem/c/rpmsg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RPMSG_NAME_SIZE TANDEM_RPMSG_NAME_SIZE
#define RPMSG_ADDR_ANY TANDEM_RPMSG_ADDR_ANY
#define RPMSG_NS_EPT_ADDR 0x35
#define RPMSG_RESERVED_ADDRESSES 1024

/* OpenAMP's error values. */
#define RPMSG_SUCCESS 0
#define RPMSG_ERROR_BASE (-2000)
#define RPMSG_ERR_NO_MEM (RPMSG_ERROR_BASE - 1)
#define RPMSG_ERR_NO_BUFF (RPMSG_ERROR_BASE - 2)
#define RPMSG_ERR_PARAM (RPMSG_ERROR_BASE - 3)
#define RPMSG_ERR_DEV_STATE (RPMSG_ERROR_BASE - 4)
#define RPMSG_ERR_BUFF_SIZE (RPMSG_ERROR_BASE - 5)
#define RPMSG_ERR_INIT (RPMSG_ERROR_BASE - 6)
#define RPMSG_ERR_ADDR (RPMSG_ERROR_BASE - 7)
#define RPMSG_ERR_PERM (RPMSG_ERROR_BASE - 8)
#define RPMSG_ERR_NXIO (RPMSG_ERROR_BASE - 9)

/* OpenAMP's default wait for a tx buffer (RPMSG_TICK_COUNT ticks), as
 * Linux's 15 s. */
#define TANDEM_OPENAMP_SEND_TIMEOUT_NS ((uint64_t)15000000000u)

struct rpmsg_endpoint;
struct rpmsg_device;

typedef int (*rpmsg_ept_cb)(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src,
                            void* priv);
typedef void (*rpmsg_ns_unbind_cb)(struct rpmsg_endpoint* ept);
typedef void (*rpmsg_ns_bind_cb)(struct rpmsg_device* rdev, const char* name, uint32_t dest);

/* A Tandem device under OpenAMP's name. Get one with tandem_openamp_rdev(). */
struct rpmsg_device {
  tandem_rpmsg_device tandem;
};

/* OpenAMP's public fields, kept up to date by the calls below (addr after
 * create, dest_addr when learned); `tandem` comes first so that the native
 * callback's endpoint converts back to this struct. */
struct rpmsg_endpoint {
  tandem_rpmsg_endpoint tandem;
  char name[RPMSG_NAME_SIZE];
  struct rpmsg_device* rdev;
  uint32_t addr;
  uint32_t dest_addr;
  rpmsg_ept_cb cb;
  rpmsg_ns_unbind_cb ns_unbind_cb;
  void* priv;
};

/* Storage for one per-name binding (tandem_openamp_ns_bind). */
struct tandem_openamp_ns_driver {
  tandem_rpmsg_ns_driver tandem;
  struct rpmsg_device* rdev;
  rpmsg_ns_bind_cb cb;
};

/* The OpenAMP view of a Tandem device (a pointer to a struct is a pointer
 * to its first member, C11 6.7.2.1p15). */
static inline struct rpmsg_device* tandem_openamp_rdev(tandem_rpmsg_device* dev) {
  return (struct rpmsg_device*)(void*)dev;
}

/* TANDEM_E* -> RPMSG_ERR_*: the error OpenAMP returns in the same case. */
static inline int tandem_openamp_error(int tandem_code) {
  switch (tandem_code) {
    case TANDEM_OK: return RPMSG_SUCCESS;
    case TANDEM_EINVAL: return RPMSG_ERR_PARAM;
    case TANDEM_ERANGE: return RPMSG_ERR_BUFF_SIZE;
    case TANDEM_EUNAVAILABLE: return RPMSG_ERR_NO_BUFF;
    case TANDEM_ETIMEDOUT: return RPMSG_ERR_NO_BUFF; /* OpenAMP: no buffer after the wait */
    case TANDEM_ENOSPACE: return RPMSG_ERR_NO_MEM;
    case TANDEM_ENOTFOUND: return RPMSG_ERR_ADDR;
    case TANDEM_EEXIST: return RPMSG_ERR_ADDR; /* rpmsg_create_ept: address taken */
    case TANDEM_ENOTSUP: return RPMSG_ERR_PERM;
    case TANDEM_EINTERNAL: return RPMSG_ERR_INIT;
    default: return RPMSG_ERR_DEV_STATE; /* ESTATE, EDATALOSS, EABORTED: link not usable */
  }
}

static inline int tandem_openamp_dispatch_(tandem_rpmsg_endpoint* native, void* data, size_t len,
                                           uint32_t src, void* priv) {
  struct rpmsg_endpoint* ept = (struct rpmsg_endpoint*)priv;
  (void)native;
  ept->dest_addr = tandem_rpmsg_ept_dest(&ept->tandem);
  return ept->cb(ept, data, len, src, ept->priv);
}

static inline void tandem_openamp_unbind_(tandem_rpmsg_endpoint* native) {
  struct rpmsg_endpoint* ept = (struct rpmsg_endpoint*)(void*)native;
  /* OpenAMP forgets the destination before calling ns_unbind_cb. */
  ept->dest_addr = RPMSG_ADDR_ANY;
  if (ept->ns_unbind_cb != NULL) ept->ns_unbind_cb(ept);
}

static inline int rpmsg_create_ept(struct rpmsg_endpoint* ept, struct rpmsg_device* rdev,
                                   const char* name, uint32_t src, uint32_t dest, rpmsg_ept_cb cb,
                                   rpmsg_ns_unbind_cb ns_unbind_cb) {
  int rc;
  size_t i = 0;
  if (ept == NULL || rdev == NULL || cb == NULL) return RPMSG_ERR_PARAM;
  for (; name != NULL && name[i] != '\0' && i + 1 < RPMSG_NAME_SIZE; ++i) ept->name[i] = name[i];
  ept->name[i] = '\0';
  ept->rdev = rdev;
  ept->cb = cb;
  ept->ns_unbind_cb = ns_unbind_cb;
  rc = tandem_rpmsg_create_ept(&ept->tandem, &rdev->tandem, name, src, dest,
                               tandem_openamp_dispatch_, tandem_openamp_unbind_, ept);
  ept->addr = tandem_rpmsg_ept_addr(&ept->tandem);
  ept->dest_addr = tandem_rpmsg_ept_dest(&ept->tandem);
  return tandem_openamp_error(rc);
}

static inline void rpmsg_destroy_ept(struct rpmsg_endpoint* ept) {
  if (ept == NULL) return;
  tandem_rpmsg_destroy_ept(&ept->tandem);
  ept->addr = RPMSG_ADDR_ANY;
  ept->dest_addr = RPMSG_ADDR_ANY;
  ept->rdev = NULL;
}

static inline unsigned int is_rpmsg_ept_ready(struct rpmsg_endpoint* ept) {
  if (ept == NULL) return 0;
  ept->dest_addr = tandem_rpmsg_ept_dest(&ept->tandem);
  return ept->dest_addr != RPMSG_ADDR_ANY ? 1u : 0u;
}

/* The core of every send: OpenAMP's rpmsg_send_offchannel_raw (wait != 0
 * blocks up to 15 s). Returns len or RPMSG_ERR_*. */
static inline int rpmsg_send_offchannel_raw(struct rpmsg_endpoint* ept, uint32_t src, uint32_t dst,
                                            const void* data, int len, int wait) {
  int rc;
  const uint64_t timeout = wait ? TANDEM_OPENAMP_SEND_TIMEOUT_NS : TANDEM_RPMSG_NO_WAIT;
  if (ept == NULL || ept->rdev == NULL || data == NULL || dst == RPMSG_ADDR_ANY || len < 0) {
    return RPMSG_ERR_PARAM;
  }
  if (tandem_rpmsg_device_link_up(&ept->rdev->tandem) &&
      (size_t)len > tandem_rpmsg_tx_buffer_size(&ept->rdev->tandem)) {
    return RPMSG_ERR_BUFF_SIZE;
  }
  if (src == ept->addr || src == RPMSG_ADDR_ANY) {
    rc = tandem_rpmsg_sendto(&ept->tandem, dst, data, (size_t)len, timeout);
  } else {
    rc = tandem_rpmsg_send_offchannel(&ept->tandem, src, dst, data, (size_t)len, timeout);
  }
  return rc == TANDEM_OK ? len : tandem_openamp_error(rc);
}

static inline int rpmsg_send(struct rpmsg_endpoint* ept, const void* data, int len) {
  if (ept == NULL) return RPMSG_ERR_PARAM;
  ept->dest_addr = tandem_rpmsg_ept_dest(&ept->tandem);
  return rpmsg_send_offchannel_raw(ept, ept->addr, ept->dest_addr, data, len, 1);
}
static inline int rpmsg_sendto(struct rpmsg_endpoint* ept, const void* data, int len,
                               uint32_t dst) {
  if (ept == NULL) return RPMSG_ERR_PARAM;
  return rpmsg_send_offchannel_raw(ept, ept->addr, dst, data, len, 1);
}
static inline int rpmsg_send_offchannel(struct rpmsg_endpoint* ept, uint32_t src, uint32_t dst,
                                        const void* data, int len) {
  return rpmsg_send_offchannel_raw(ept, src, dst, data, len, 1);
}
static inline int rpmsg_trysend(struct rpmsg_endpoint* ept, const void* data, int len) {
  if (ept == NULL) return RPMSG_ERR_PARAM;
  ept->dest_addr = tandem_rpmsg_ept_dest(&ept->tandem);
  return rpmsg_send_offchannel_raw(ept, ept->addr, ept->dest_addr, data, len, 0);
}
static inline int rpmsg_trysendto(struct rpmsg_endpoint* ept, const void* data, int len,
                                  uint32_t dst) {
  if (ept == NULL) return RPMSG_ERR_PARAM;
  return rpmsg_send_offchannel_raw(ept, ept->addr, dst, data, len, 0);
}
static inline int rpmsg_trysend_offchannel(struct rpmsg_endpoint* ept, uint32_t src, uint32_t dst,
                                           const void* data, int len) {
  return rpmsg_send_offchannel_raw(ept, src, dst, data, len, 0);
}

/* --- Zero copy --------------------------------------------------------- */
static inline void* rpmsg_get_tx_payload_buffer(struct rpmsg_endpoint* ept, uint32_t* len,
                                                int wait) {
  void* data = NULL;
  if (ept == NULL) return NULL;
  if (tandem_rpmsg_get_tx_buffer(&ept->tandem, &data, len,
                                 wait ? TANDEM_OPENAMP_SEND_TIMEOUT_NS : TANDEM_RPMSG_NO_WAIT) !=
      TANDEM_OK) {
    return NULL;
  }
  return data;
}
static inline int rpmsg_send_offchannel_nocopy(struct rpmsg_endpoint* ept, uint32_t src,
                                               uint32_t dst, const void* data, int len) {
  int rc;
  /* The buffer was addressed from the endpoint when it was taken. */
  if (ept == NULL || data == NULL || len < 0 || (src != ept->addr && src != RPMSG_ADDR_ANY)) {
    return RPMSG_ERR_PARAM;
  }
  rc = tandem_rpmsg_send_nocopy(&ept->tandem, dst, (void*)(uintptr_t)data, (size_t)len);
  return rc == TANDEM_OK ? len : tandem_openamp_error(rc);
}
static inline int rpmsg_sendto_nocopy(struct rpmsg_endpoint* ept, const void* data, int len,
                                      uint32_t dst) {
  if (ept == NULL) return RPMSG_ERR_PARAM;
  return rpmsg_send_offchannel_nocopy(ept, ept->addr, dst, data, len);
}
static inline int rpmsg_send_nocopy(struct rpmsg_endpoint* ept, const void* data, int len) {
  if (ept == NULL) return RPMSG_ERR_PARAM;
  return rpmsg_send_offchannel_nocopy(ept, ept->addr, RPMSG_ADDR_ANY, data, len);
}
static inline int rpmsg_release_tx_buffer(struct rpmsg_endpoint* ept, void* txbuf) {
  if (ept == NULL || txbuf == NULL) return RPMSG_ERR_PARAM;
  return tandem_openamp_error(tandem_rpmsg_release_tx_buffer(&ept->tandem, txbuf));
}
/* OpenAMP returns nothing from these; a failure (no slot, not inside the
 * callback) leaves the buffer to the bus. */
static inline void rpmsg_hold_rx_buffer(struct rpmsg_endpoint* ept, void* rxbuf) {
  if (ept != NULL) (void)tandem_rpmsg_hold_rx_buffer(&ept->tandem, rxbuf);
}
static inline void rpmsg_release_rx_buffer(struct rpmsg_endpoint* ept, void* rxbuf) {
  if (ept != NULL) (void)tandem_rpmsg_release_rx_buffer(&ept->tandem, rxbuf);
}

static inline int rpmsg_get_tx_buffer_size(struct rpmsg_endpoint* ept) {
  if (ept == NULL || ept->rdev == NULL) return RPMSG_ERR_PARAM;
  return (int)tandem_rpmsg_tx_buffer_size(&ept->rdev->tandem);
}
static inline int rpmsg_get_rx_buffer_size(struct rpmsg_endpoint* ept) {
  if (ept == NULL || ept->rdev == NULL) return RPMSG_ERR_PARAM;
  return (int)tandem_rpmsg_rx_buffer_size(&ept->rdev->tandem);
}

/* --- Name service (host role) ------------------------------------------ */
static inline void tandem_openamp_bind_(tandem_rpmsg_device* dev, const char* name, uint32_t dest,
                                        void* priv) {
  struct tandem_openamp_ns_driver* driver = (struct tandem_openamp_ns_driver*)priv;
  (void)dev;
  driver->cb(driver->rdev, name, dest);
}
/* OpenAMP passes one ns_bind_cb to rpmsg_init_vdev() for every unknown
 * name; Tandem binds per name, like a Linux rpmsg driver's id_table. */
static inline int tandem_openamp_ns_bind(struct tandem_openamp_ns_driver* driver,
                                         struct rpmsg_device* rdev, const char* name,
                                         rpmsg_ns_bind_cb cb) {
  if (driver == NULL || rdev == NULL || cb == NULL) return RPMSG_ERR_PARAM;
  driver->rdev = rdev;
  driver->cb = cb;
  return tandem_openamp_error(
      tandem_rpmsg_ns_bind(&driver->tandem, &rdev->tandem, name, tandem_openamp_bind_, driver));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_C_OPENAMP_H_ */
