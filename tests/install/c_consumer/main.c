/* An out-of-tree C program over the installed C API (tandem/c/host.h):
 * boots a firmware image on a simulated core, echoes one message over the
 * echo channel and stops the remote.
 *   tandem_c_consumer <launcher> <firmware.elf> <runtime dir> */
#include <stdio.h>
#include <string.h>

#include "tandem/c/host.h"
#include "tandem/c/openamp.h"
#include "tandem/c/rpmsg.h"

#define SECOND_NS ((uint64_t)1000000000u)

static int fail(tandem_host_session* session, const char* what, int rc) {
  fprintf(stderr, "c_consumer: %s: %s (%s)\n", what, tandem_rpmsg_error_name(rc),
          session != NULL ? tandem_host_last_error(session) : "");
  return 1;
}

int main(int argc, char** argv) {
  tandem_host_options options;
  tandem_host_session* session = NULL;
  tandem_host_channel* echo = NULL;
  const char text[] = "hello from a C program outside the tree";
  char reply[512];
  size_t len = 0;
  int rc;

  if (argc != 4) {
    fprintf(stderr, "usage: %s <launcher> <firmware.elf> <runtime dir>\n", argv[0]);
    return 2;
  }
  /* The OpenAMP names are there too, with OpenAMP's values. */
  if (RPMSG_ADDR_ANY != TANDEM_RPMSG_ADDR_ANY || RPMSG_ERR_PARAM != -2003) return 1;

  tandem_host_options_init(&options);
  options.name = "c-consumer";
  options.launcher_path = argv[1];
  options.runtime_dir = argv[3];
  options.console_path = "/dev/null";
  options.die_with_host = 1;
  if ((rc = tandem_host_session_create(&options, &session)) != TANDEM_OK) {
    return fail(session, "create", rc);
  }
  if ((rc = tandem_host_channel_open(session, "rpmsg-openamp-demo-channel", &echo)) != TANDEM_OK) {
    return fail(session, "open", rc);
  }
  if ((rc = tandem_host_boot(session, argv[2])) != TANDEM_OK) return fail(session, "boot", rc);
  if ((rc = tandem_host_channel_wait_bound(echo, 5 * SECOND_NS)) != TANDEM_OK) {
    return fail(session, "the echo channel was not announced", rc);
  }
  if ((rc = tandem_host_channel_send(echo, text, sizeof(text) - 1, 2 * SECOND_NS)) != TANDEM_OK) {
    return fail(session, "send", rc);
  }
  rc = tandem_host_channel_receive(echo, reply, sizeof(reply), &len, NULL, 5 * SECOND_NS);
  if (rc != TANDEM_OK) return fail(session, "receive", rc);
  if (len != sizeof(text) - 1 || memcmp(reply, text, len) != 0) {
    fprintf(stderr, "c_consumer: the echo differs\n");
    return 1;
  }
  if ((rc = tandem_host_stop(session)) != TANDEM_OK) return fail(session, "stop", rc);
  printf("c_consumer: echoed \"%s\" through the installed Tandem (%s)\n", text,
         tandem_host_state_name(tandem_host_get_state(session)));
  tandem_host_channel_close(echo);
  tandem_host_session_destroy(session);
  return 0;
}
