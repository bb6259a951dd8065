/* The Zephyr rpmsg_service snippet of the reference
 * (../shared/reference/000_1f0becb41644939d.txt, "Initializing RPMsg" and
 * "Sending Messages"), verbatim except the include: it must compile
 * against Tandem as C. capi_test.cc drives init_ipc() and send_to_remote(). */
#include "tandem/c/rpmsg_service.h"

static int endpoint_id;

int rpmsg_cb(struct rpmsg_endpoint *ept, void *data, size_t len, uint32_t src, void *priv) {
    // Handle incoming message
    return RPMSG_SUCCESS;
}

void init_ipc(void) {
    // Register an endpoint
    endpoint_id = rpmsg_service_register_endpoint("my_channel", rpmsg_cb);
}

void send_to_remote(void *data, size_t len) {
    rpmsg_service_send(endpoint_id, data, len);
}
