/*
 * c_echo: a firmware image written in C against Tandem's C API, in
 * OpenAMP's names (tandem/c/openamp.h), to show what porting an OpenAMP
 * remote application looks like. It serves the same two services as the
 * C++ demo image (firmware/demo), in the same order:
 *
 *   0x400  rpmsg-client-sample         remote half of Linux's rpmsg_client_sample:
 *                                      logs "[Linux sample client] incoming msg N: <text>"
 *                                      and sends the same bytes back
 *   0x401  rpmsg-openamp-demo-channel  echo, byte for byte (OpenAMP's
 *                                      apps/examples/echo)
 *
 * Compiled for the simulated core (x86-64, tandem_add_firmware) and with
 * arm-none-eabi-gcc in the cortex-m4 preset. Uses no C library: text for
 * the log is made printable here.
 */
#include <stddef.h>
#include <stdint.h>

#include "tandem/c/openamp.h"
#include "tandem/c/remote.h"
#include "tandem/c/simulated_board.h"

#define SAMPLE_SERVICE "rpmsg-client-sample"
#define ECHO_SERVICE "rpmsg-openamp-demo-channel"

static tandem_remote_node node;
static struct rpmsg_endpoint sample_ept;
static struct rpmsg_endpoint echo_ept;
static unsigned sample_messages;

/* Text from the peer reaches the log only printable and NUL-terminated
 * (as the C++ demo's PrintableText). */
static void printable(const void* data, size_t len, char* out, size_t capacity) {
  const unsigned char* bytes = (const unsigned char*)data;
  size_t n = 0;
  for (; n < len && n + 1 < capacity; ++n) {
    out[n] = (bytes[n] >= 0x20 && bytes[n] < 0x7F) ? (char)bytes[n] : '.';
  }
  out[n] = '\0';
}

/* Linux's rpmsg_client_sample sends "hello world!" and answers each reply
 * until it has received 100; each of ours goes back to whoever sent it. */
static int sample_cb(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv) {
  char text[160];
  int sent;
  (void)priv;
  ++sample_messages;
  printable(data, len, text, sizeof(text));
  tandem_remote_node_log(&node, "[Linux sample client] incoming msg %u: %s", sample_messages, text);
  sent = rpmsg_sendto(ept, data, (int)len, src);
  if (sent < 0) {
    tandem_remote_node_log(&node, "[Linux sample client] reply %u failed: %d", sample_messages,
                           sent);
  }
  return RPMSG_SUCCESS;
}

static int echo_cb(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv) {
  int sent;
  (void)priv;
  sent = rpmsg_sendto(ept, data, (int)len, src);
  if (sent < 0) tandem_remote_node_log(&node, "c_echo: echo failed: %d", sent);
  return RPMSG_SUCCESS;
}

int tandem_firmware_main(const TandemBsp* bsp) {
  struct rpmsg_device* rdev;
  int rc = tandem_simulated_board_node_init(&node, bsp, "c_echo");
  if (rc != TANDEM_OK) return TANDEM_REMOTE_EXIT_BAD_TABLE;
  rdev = tandem_openamp_rdev(tandem_remote_node_device(&node));
  /* Created before the link is up: announced once the host sets DRIVER_OK,
   * and again after every vdev reset. */
  rc = rpmsg_create_ept(&sample_ept, rdev, SAMPLE_SERVICE, RPMSG_ADDR_ANY, RPMSG_ADDR_ANY,
                        sample_cb, NULL);
  if (rc != RPMSG_SUCCESS) tandem_remote_node_log(&node, "c_echo: %s: %d", SAMPLE_SERVICE, rc);
  rc = rpmsg_create_ept(&echo_ept, rdev, ECHO_SERVICE, RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, echo_cb,
                        NULL);
  if (rc != RPMSG_SUCCESS) tandem_remote_node_log(&node, "c_echo: %s: %d", ECHO_SERVICE, rc);
  return tandem_remote_node_run(&node);
}
