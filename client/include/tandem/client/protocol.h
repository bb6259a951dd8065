#pragma once
// The tandemd socket protocol, version 1 (docs/daemon.md has the whole
// reference). Shared by the daemon and its clients.
//
// Transport: a Unix SOCK_SEQPACKET socket, <runtime dir>/tandemd.sock, mode
// 0600 in a 0700 directory (owner-only). SEQPACKET keeps message boundaries,
// so one packet is one request, one reply or one RPMsg message.
//
// A connection starts as a control connection: each request is one packet
// holding a JSON object {"op": "...", ...}, answered by exactly one packet
// {"ok": true, ...} or {"ok": false, "error": "<one line>", "code":
// "<StatusCode name>"}, in order. The "open" request turns the connection
// into a channel connection (one local RPMsg endpoint, as a /dev/rpmsgN of
// Linux's rpmsg_char): after its reply every packet, both ways, starts with
// a frame type byte:
//   kFrameMessage  payload: one RPMsg message (to the remote / from it)
//   kFrameEvent    payload: a JSON object {"event": "...", ...}
// Events from the daemon: "down" (the link went away: stop, crash,
// recovery), "up" (announced again; "dst" may have changed), "dropped"
// ("count": messages lost because this client read too slowly),
// "send_failed" ("error", "code": a message could not be sent), "flow"
// (flow control, docs/flow_control.md: "outgoing_paused" when the remote
// paused or resumed this endpoint, "incoming_paused" with "auto": true when
// the daemon paused or resumed the remote for this client's queue, and the
// answer to a kFrameControl request with "reply": true).
// From the client, kFrameControl: a JSON object {"op": "flow"} (query) or
// {"op": "flow", "pause": true|false} (RPMSG_SET_INCOMING_FLOWCONTROL),
// answered by a "flow" event with "reply": true, "supported",
// "incoming_paused", "outgoing_paused", or "error" and "code".
#include <cstddef>
#include <cstdint>
#include <string>

namespace tandem::client {

inline constexpr int kProtocolVersion = 1;
inline constexpr char kSocketName[] = "tandemd.sock";

inline constexpr std::uint8_t kFrameMessage = 0;
inline constexpr std::uint8_t kFrameEvent = 1;
inline constexpr std::uint8_t kFrameControl = 2;  // client -> daemon only

// Largest packet either side sends or accepts: a JSON reply (trace text,
// listings) or one framed message. Larger requests are refused.
inline constexpr std::size_t kMaxPacket = 128 * 1024;  // below a Unix socket's send buffer

// <runtime_dir>/tandemd.sock; runtime_dir empty: the default
// (linux_platform::DefaultRuntimeDirectory()).
std::string SocketPath(const std::string& runtime_dir);

}  // namespace tandem::client
