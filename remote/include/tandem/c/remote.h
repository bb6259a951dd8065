/*
 * The remote runtime for C firmware (issue #14): a RemoteNode (the
 * firmware's main loop, its RPMsg link and its log; tandem/remote/
 * remote_node.h) in caller-provided storage, and its RPMsg device for
 * tandem/c/rpmsg.h or tandem/c/openamp.h.
 *
 * A C firmware: init the node, create its endpoints on the node's device
 * (named ones are announced each time the link comes up, in creation order,
 * from address 0x400), then run:
 *
 *   static tandem_remote_node node;
 *   tandem_remote_node_init(&node, bsp, &config);   (or the board's helper)
 *   rpmsg_create_ept(&ept, tandem_openamp_rdev(tandem_remote_node_device(&node)),
 *                    "rpmsg-openamp-demo-channel", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, cb, NULL);
 *   return tandem_remote_node_run(&node);
 *
 * Run() is OpenAMP's "while (1) platform_poll()" plus the host contract
 * (docs/firmware.md): DRIVER_OK, kicks, shutdown, vdev reset, watchdog.
 * Callbacks run inside it, on the firmware's one thread.
 *
 * Here and not in core/capi because the remote runtime sits on the board
 * ABI (bsp.h), which the core does not know.
 */
#ifndef TANDEM_C_REMOTE_H_
#define TANDEM_C_REMOTE_H_

#include <stddef.h>
#include <stdint.h>

#include "tandem/c/rpmsg.h"
#include "tandem/remote/bsp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exit codes of tandem_remote_node_run (RemoteNode::kExit*). */
#define TANDEM_REMOTE_EXIT_CLEAN 0     /* the host shut the remote down */
#define TANDEM_REMOTE_EXIT_BAD_TABLE 2 /* the image's own resource table is unusable */
#define TANDEM_REMOTE_EXIT_MAILBOX 3   /* the board's mailbox failed */

/* Sized for the node, its bus bookkeeping for 256-entry vrings and its
 * device; tandem/c/remote.cc static_asserts that it fits. */
#define TANDEM_REMOTE_NODE_STORAGE (8192 + 512 * sizeof(void*))

typedef struct tandem_remote_node {
  TANDEM_C_OPAQUE_(TANDEM_REMOTE_NODE_STORAGE);
} tandem_remote_node;

typedef struct tandem_remote_node_config {
  const char* name;     /* prefix of the log's "<name>: booted" */
  void* resource_table; /* the image's .resource_table object */
  size_t resource_table_size;
  void* device_memory; /* every address the host may hand out, mapped */
  size_t device_memory_size;
  uint64_t device_memory_address; /* the device address of device_memory */
  uint64_t image_address;         /* the image: vrings and buffers must not overlap it */
  uint64_t image_size;
  uint32_t buffer_size; /* 0: Linux's 512 bytes */
} tandem_remote_node_config;

/* TANDEM_OK, or TANDEM_EINVAL for a config that cannot work (no table, an
 * unmappable device window). */
int tandem_remote_node_init(tandem_remote_node* node, const TandemBsp* bsp,
                            const tandem_remote_node_config* config);
/* The node's RPMsg device; valid once init succeeded. */
tandem_rpmsg_device* tandem_remote_node_device(tandem_remote_node* node);
/* The firmware's life; returns a TANDEM_REMOTE_EXIT_* for the board. */
int tandem_remote_node_run(tandem_remote_node* node);
/* 1 while the RPMsg link runs (DRIVER_OK seen, bus started). */
int tandem_remote_node_link_up(const tandem_remote_node* node);
/* One line to the console and the trace buffer (printf subset:
 * remote/print.h; a newline is added). */
void tandem_remote_node_log(tandem_remote_node* node, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_C_REMOTE_H_ */
