/*
 * The Linux host runtime for C programs (issue #14): one remote managed by
 * a host::Session (load + start an ELF, stop, state; tandem/host/session.h)
 * and clients of its named channels (host::ChannelPort).
 *
 * Hosted code: unlike the freestanding C API (tandem/c/rpmsg.h), sessions
 * and channels are allocated here and handed out as opaque pointers; free
 * them with the matching destroy/close. Errors are TANDEM_E* codes
 * (tandem/c/rpmsg.h), one per tandem::StatusCode; tandem_host_last_error()
 * gives the message of the last failed call on a session, for humans.
 *
 * Threading: every call may be made from any thread, except that a session
 * is destroyed only once its channels are closed and no call on it runs.
 * Remoteproc's lifecycle is the session's: tandem_host_boot() is
 * remoteproc's load + start, tandem_host_stop() the shutdown handshake.
 */
#ifndef TANDEM_C_HOST_H_
#define TANDEM_C_HOST_H_

#include <stddef.h>
#include <stdint.h>

#include "tandem/c/rpmsg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tandem_host_session tandem_host_session;
typedef struct tandem_host_channel tandem_host_channel;

/* remoteproc states (remoteproc/state.h), in its order. */
typedef enum tandem_host_state {
  TANDEM_HOST_OFFLINE = 0,
  TANDEM_HOST_LOADED,
  TANDEM_HOST_RUNNING,
  TANDEM_HOST_CRASHED,
  TANDEM_HOST_ATTACHED,
  TANDEM_HOST_DETACHED
} tandem_host_state;

typedef struct tandem_host_options {
  const char* name;          /* instance name (state file, shared memory names); "rproc0" */
  const char* runtime_dir;   /* state files; NULL: the default */
  const char* launcher_path; /* the simulated core (tandem-core); NULL: the built one */
  const char* console_path;  /* the firmware's console; NULL: stderr */
  int die_with_host;         /* nonzero: the core ends with this process */
} tandem_host_options;

/* All NULL / 0: the defaults above. */
void tandem_host_options_init(tandem_host_options* options);

/* Creates a session; *out is freed with tandem_host_session_destroy. */
int tandem_host_session_create(const tandem_host_options* options, tandem_host_session** out);
/* Stops nothing: a running remote is reset (as host::Session's destructor). */
void tandem_host_session_destroy(tandem_host_session* session);

/* Loads the ELF at `elf_path` and starts it (offline -> running). */
int tandem_host_boot(tandem_host_session* session, const char* elf_path);
/* The shutdown handshake, then offline. */
int tandem_host_stop(tandem_host_session* session);
tandem_host_state tandem_host_get_state(const tandem_host_session* session);
/* "offline", "loaded", "running", "crashed", "attached", "detached". */
const char* tandem_host_state_name(tandem_host_state state);
/* Waits until the RPMsg link runs (the remote booted and the host bus
 * started): TANDEM_OK or TANDEM_ETIMEDOUT. */
int tandem_host_wait_link_up(tandem_host_session* session, uint64_t timeout_ns);
/* The message of the last call on `session` that failed ("" if none). */
const char* tandem_host_last_error(const tandem_host_session* session);

/* The session's RPMsg bus as a device for tandem/c/rpmsg.h and
 * tandem/c/openamp.h (endpoints, tandem_rpmsg_ns_bind). */
tandem_rpmsg_device* tandem_host_device(tandem_host_session* session);

/* A client of the channel the remote announces as `name`: open it before
 * tandem_host_boot (it binds when the announcement comes). */
int tandem_host_channel_open(tandem_host_session* session, const char* name,
                             tandem_host_channel** out);
/* The same on RPMsg vdev `vdev` (0 to 3, in table order) of a remote with
 * several: each is a bus of its own (docs/vdevs.md). TANDEM_EINVAL beyond
 * the last. */
int tandem_host_channel_open_vdev(tandem_host_session* session, uint32_t vdev, const char* name,
                                  tandem_host_channel** out);
void tandem_host_channel_close(tandem_host_channel* channel);
/* Waits until the channel is bound: TANDEM_OK or TANDEM_ETIMEDOUT. */
int tandem_host_channel_wait_bound(tandem_host_channel* channel, uint64_t timeout_ns);
/* The channel's addresses (TANDEM_RPMSG_ADDR_ANY while unbound). */
uint32_t tandem_host_channel_local_address(const tandem_host_channel* channel);
uint32_t tandem_host_channel_remote_address(const tandem_host_channel* channel);
/* Sends to the remote service, waiting up to timeout_ns for a buffer. */
int tandem_host_channel_send(tandem_host_channel* channel, const void* data, size_t len,
                             uint64_t timeout_ns);
/* Copies the next message into data[0, capacity): *len its length, *src
 * its source (either may be NULL). TANDEM_ERANGE if it does not fit (it
 * stays queued), TANDEM_ETIMEDOUT / TANDEM_EUNAVAILABLE (timeout 0). */
int tandem_host_channel_receive(tandem_host_channel* channel, void* data, size_t capacity,
                                size_t* len, uint32_t* src, uint64_t timeout_ns);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_C_HOST_H_ */
