/* The test's OpenAMP-shaped C application (openamp_app.c). */
#ifndef TANDEM_CAPI_OPENAMP_APP_H_
#define TANDEM_CAPI_OPENAMP_APP_H_

#include "tandem/c/openamp.h"

#ifdef __cplusplus
extern "C" {
#endif

int openamp_app_start(tandem_rpmsg_device* dev);
void openamp_app_stop(void);
struct rpmsg_endpoint* openamp_app_echo_ept(void);
int openamp_app_last_send_result(void);
int openamp_app_unbinds(void);

/* zephyr_snippet.c */
int rpmsg_cb(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv);
void init_ipc(void);
void send_to_remote(void* data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
