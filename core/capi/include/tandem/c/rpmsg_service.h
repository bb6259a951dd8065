/*
 * Zephyr's rpmsg_service API (include/zephyr/ipc/rpmsg_service.h) over
 * Tandem, so Zephyr code that uses it compiles with only its include
 * changed: endpoints named at registration, addressed by a small integer
 * id afterwards, callbacks in OpenAMP's shape (tandem/c/openamp.h).
 *
 * A fixed table of TANDEM_RPMSG_SERVICE_MAX_ENDPOINTS endpoints on one
 * default device, which the firmware (or host) sets once with
 * tandem_rpmsg_service_set_device(). Registering before the device is set
 * is allowed, as in Zephyr (registration happens before OpenAMP is up): the
 * endpoint is created when the device is set. On a remote each endpoint is
 * created with its name and announced; on a host it is created when the
 * remote announces the name (Zephyr's ns_bind_cb on the master side).
 *
 * Differences from Zephyr: errors are RPMSG_ERR_* (a freestanding core has
 * no errno), not -ENOMEM etc. Threading: register and set_device from one
 * thread before traffic starts; send from any thread.
 */
#ifndef TANDEM_C_RPMSG_SERVICE_H_
#define TANDEM_C_RPMSG_SERVICE_H_

#include <stdbool.h>
#include <stddef.h>

#include "tandem/c/openamp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TANDEM_RPMSG_SERVICE_MAX_ENDPOINTS 8

/* The device every endpoint lives on. Creates the endpoints registered so
 * far. Returns RPMSG_SUCCESS or the first error. NULL forgets the device
 * (destroying the endpoints). */
int tandem_rpmsg_service_set_device(tandem_rpmsg_device* dev);

/* Returns the endpoint's id (>= 0), or RPMSG_ERR_NO_MEM when the table is
 * full, RPMSG_ERR_PARAM for a NULL name or callback. */
int rpmsg_service_register_endpoint(const char* name, rpmsg_ept_cb cb);

/* True once the endpoint knows its peer (the other side spoke, or a host
 * bound it to the announced service). */
bool rpmsg_service_endpoint_is_bound(int endpoint_id);

/* Sends to the endpoint's peer: the number of bytes sent, or RPMSG_ERR_*. */
int rpmsg_service_send(int endpoint_id, const void* data, size_t len);

/* Forgets every registration and the device (tests). */
void tandem_rpmsg_service_reset(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_C_RPMSG_SERVICE_H_ */
