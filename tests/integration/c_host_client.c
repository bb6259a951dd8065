/* A host program in C (C11) over tandem/c/host.h, run by c_api_test.cc
 * against the c_echo image: boot, echo over a channel port, an
 * OpenAMP-shaped host endpoint bound through the name service, stop.
 * Returns 0, or the number of the step that failed (what went wrong is
 * written to `why`). */
#include "c_host_client.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tandem/c/host.h"
#include "tandem/c/openamp.h"

#define SECOND_NS ((uint64_t)1000000000u)

static struct rpmsg_endpoint sample_ept;
/* Written by the session's event thread (callbacks), read here. */
static atomic_int sample_replies;

static int sample_reply(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src,
                        void* priv) {
  (void)ept;
  (void)src;
  (void)priv;
  if (len == 12 && memcmp(data, "hello world!", 12) == 0) atomic_fetch_add(&sample_replies, 1);
  return RPMSG_SUCCESS;
}

/* The remote announced rpmsg-client-sample: talk to it, as Linux's
 * rpmsg_client_sample probe does. */
static void sample_bound(struct rpmsg_device* rdev, const char* name, uint32_t dest) {
  if (rpmsg_create_ept(&sample_ept, rdev, name, RPMSG_ADDR_ANY, dest, sample_reply, NULL) ==
      RPMSG_SUCCESS) {
    (void)rpmsg_send(&sample_ept, "hello world!", 12);
  }
}

int c_host_client_run(const char* elf, const char* runtime_dir, const char* name, char* why,
                      size_t why_size) {
  tandem_host_options options;
  tandem_host_session* session = NULL;
  tandem_host_channel* echo = NULL;
  struct tandem_openamp_ns_driver sample_driver;
  char reply[512];
  size_t len = 0;
  uint32_t src = 0;
  int rc, step = 0, i;
  const char text[] = "hello from C";

  memset(&sample_driver, 0, sizeof(sample_driver));
  tandem_host_options_init(&options);
  options.name = name;
  options.runtime_dir = runtime_dir;
  options.console_path = "/dev/null";
  options.die_with_host = 1;
#define CHECK(cond, what)                                       \
  do {                                                          \
    ++step;                                                     \
    if (!(cond)) {                                              \
      snprintf(why, why_size, "step %d: %s (%s)", step, what,   \
               session ? tandem_host_last_error(session) : ""); \
      goto out;                                                 \
    }                                                           \
  } while (0)

  rc = tandem_host_session_create(&options, &session);
  CHECK(rc == TANDEM_OK, "create");
  CHECK(tandem_host_get_state(session) == TANDEM_HOST_OFFLINE, "offline at first");
  rc = tandem_host_channel_open(session, "rpmsg-openamp-demo-channel", &echo);
  CHECK(rc == TANDEM_OK, "open the echo channel");
  rc = tandem_openamp_ns_bind(&sample_driver, tandem_openamp_rdev(tandem_host_device(session)),
                              "rpmsg-client-sample", sample_bound);
  CHECK(rc == RPMSG_SUCCESS, "bind rpmsg-client-sample");
  rc = tandem_host_boot(session, elf);
  CHECK(rc == TANDEM_OK, "boot");
  CHECK(tandem_host_get_state(session) == TANDEM_HOST_RUNNING, "running");
  CHECK(strcmp(tandem_host_state_name(TANDEM_HOST_RUNNING), "running") == 0, "state name");
  CHECK(tandem_host_wait_link_up(session, 5 * SECOND_NS) == TANDEM_OK, "link up");
  CHECK(tandem_rpmsg_device_link_up(tandem_host_device(session)) == 1, "the device says so too");
  CHECK(tandem_rpmsg_buffer_count(tandem_host_device(session)) == 256, "256 buffers");
  CHECK(tandem_host_channel_wait_bound(echo, 5 * SECOND_NS) == TANDEM_OK, "echo bound");
  CHECK(tandem_host_channel_remote_address(echo) == 0x401, "echo is the second endpoint");
  rc = tandem_host_channel_send(echo, text, sizeof(text) - 1, 2 * SECOND_NS);
  CHECK(rc == TANDEM_OK, "send");
  rc = tandem_host_channel_receive(echo, reply, sizeof(reply), &len, &src, 2 * SECOND_NS);
  CHECK(rc == TANDEM_OK, "receive");
  CHECK(len == sizeof(text) - 1 && memcmp(reply, text, len) == 0, "the same bytes back");
  CHECK(src == 0x401, "from the echo endpoint");
  rc = tandem_host_channel_receive(echo, reply, sizeof(reply), &len, &src, 0);
  CHECK(rc == TANDEM_EUNAVAILABLE, "nothing more");
  for (i = 0; i < 200 && atomic_load(&sample_replies) == 0; ++i) {
    (void)tandem_host_channel_receive(echo, reply, sizeof(reply), &len, &src, SECOND_NS / 100);
  }
  CHECK(atomic_load(&sample_replies) == 1,
        "the client sample answered the OpenAMP-shaped host endpoint");
  rc = tandem_host_stop(session);
  CHECK(rc == TANDEM_OK, "stop");
  CHECK(tandem_host_get_state(session) == TANDEM_HOST_OFFLINE, "offline after stop");
  rc = tandem_host_channel_send(echo, text, 1, 0);
  CHECK(rc == TANDEM_ESTATE, "no channel once stopped");
  step = 0;
#undef CHECK
out:
  tandem_rpmsg_ns_unbind(&sample_driver.tandem);
  rpmsg_destroy_ept(&sample_ept);
  tandem_host_channel_close(echo);
  tandem_host_session_destroy(session);
  return step;
}
