/* An OpenAMP remote application written against tandem/c/openamp.h and
 * compiled as C99: the shape of OpenAMP's apps/examples/echo (an endpoint
 * named "rpmsg-openamp-demo-channel" whose callback sends every message
 * back with rpmsg_send), plus a zero-copy variant that holds the received
 * buffer and replies from a tx payload buffer. capi_test.cc runs it. */
#include "openamp_app.h"

#include <string.h>

#include "tandem/c/openamp.h"

static struct rpmsg_endpoint echo_ept;
static struct rpmsg_endpoint nocopy_ept;
static int last_send_result;
static int unbound;

static int echo_cb(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv) {
  (void)src;
  (void)priv;
  last_send_result = rpmsg_send(ept, data, (int)len);
  return RPMSG_SUCCESS;
}

/* Holds the message, copies it into a tx payload buffer, sends that
 * without a copy and then releases the held buffer. */
static int nocopy_cb(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv) {
  uint32_t capacity = 0;
  void* tx;
  (void)priv;
  rpmsg_hold_rx_buffer(ept, data);
  tx = rpmsg_get_tx_payload_buffer(ept, &capacity, 1);
  if (tx == NULL || capacity < len) {
    last_send_result = RPMSG_ERR_NO_BUFF;
    return RPMSG_SUCCESS;
  }
  memcpy(tx, data, len);
  last_send_result = rpmsg_sendto_nocopy(ept, tx, (int)len, src);
  rpmsg_release_rx_buffer(ept, data);
  return RPMSG_SUCCESS;
}

static void on_unbind(struct rpmsg_endpoint* ept) {
  (void)ept;
  ++unbound;
}

int openamp_app_start(tandem_rpmsg_device* dev) {
  struct rpmsg_device* rdev = tandem_openamp_rdev(dev);
  int rc = rpmsg_create_ept(&echo_ept, rdev, "rpmsg-openamp-demo-channel", RPMSG_ADDR_ANY,
                            RPMSG_ADDR_ANY, echo_cb, on_unbind);
  if (rc != RPMSG_SUCCESS) return rc;
  return rpmsg_create_ept(&nocopy_ept, rdev, "nocopy", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, nocopy_cb,
                          on_unbind);
}

void openamp_app_stop(void) {
  rpmsg_destroy_ept(&echo_ept);
  rpmsg_destroy_ept(&nocopy_ept);
}

struct rpmsg_endpoint* openamp_app_echo_ept(void) {
  return &echo_ept;
}
int openamp_app_last_send_result(void) { return last_send_result; }
int openamp_app_unbinds(void) { return unbound; }
