#pragma once
// Counters of one bus, read with Bus::stats() (a consistent snapshot taken
// under the bus lock). Drop counters say why a message from the peer was
// discarded; buffer counters say where every buffer is, so that tests (and a
// debugging user) can check that none is ever lost:
//
//   host:   tx_free + tx_held + tx_in_flight == buffers_per_direction
//           rx_posted + rx_held              == buffers_per_direction
//   remote: tx_held, tx_free and rx_held are the buffers it has taken from
//           the host's rings and not given back.

#include <cstdint>

namespace tandem::rpmsg {

struct Stats {
  // Traffic.
  std::uint64_t rx_messages = 0;    // delivered to an endpoint (callback or queue)
  std::uint64_t tx_messages = 0;    // handed to the peer
  std::uint64_t notifications = 0;  // Notifier::Notify() calls (kicks) made
  std::uint32_t notify_errors = 0;  // Notify() calls that failed

  // Messages from the peer that were dropped; the buffer went back.
  std::uint32_t rx_too_short = 0;    // shorter than an RPMsg header
  std::uint32_t rx_too_big = 0;      // hdr.len beyond the bytes received ("inbound msg too big")
  std::uint32_t rx_bad_buffer = 0;   // remote: descriptor device-writable or larger than a buffer
  std::uint32_t rx_no_endpoint = 0;  // nobody listens on hdr.dst
  std::uint32_t rx_dst_any = 0;      // hdr.dst RPMSG_ADDR_ANY; host: returned unwritten (stale)
  std::uint32_t rx_no_receiver = 0;  // the endpoint has neither a handler nor a queue yet
  std::uint32_t rx_queue_full = 0;   // the endpoint's receive queue was full

  // Name service.
  std::uint32_t ns_malformed = 0;      // failed ParseNsMessage(): size, name, flags, address
  std::uint32_t ns_rejected = 0;       // valid but not applicable: duplicate, unknown, no room
  std::uint32_t ns_duplicate = 0;      // host: CREATE of a name and address that has a channel
  std::uint32_t ns_driver_busy = 0;    // host: channel left unbound: its name's handlers are bound
  std::uint32_t ns_announcements = 0;  // remote: CREATE/DESTROY sent
  std::uint32_t ns_announce_dropped = 0;  // remote: DESTROY that found no room to wait for a buffer

  // Flow control (docs/flow_control.md); only with the feature negotiated.
  std::uint32_t flow_sent = 0;       // our pause/resume requests sent
  std::uint32_t flow_received = 0;   // valid requests from the peer, applied
  std::uint32_t flow_malformed = 0;  // failed ParseFlowMessage(), or header src != payload src
  std::uint32_t flow_unknown = 0;    // valid, but to no endpoint of ours
  std::uint32_t flow_evicted = 0;  // oldest pause dropped for one beyond Endpoint::kMaxPausedPeers

  // Routing cost, in operations (EndpointTable::lookups()/probes()).
  std::uint64_t lookups = 0;
  std::uint64_t lookup_probes = 0;

  // Buffers, by where they are now.
  std::uint32_t buffers_per_direction = 0;
  std::uint32_t tx_free = 0;       // in the local pool, ready to send
  std::uint32_t tx_held = 0;       // in TxBuffer handles
  std::uint32_t tx_in_flight = 0;  // host: sent, not yet returned by the remote
  std::uint32_t rx_held = 0;       // received, not yet returned (RxBuffer, queues, callbacks)
  std::uint32_t rx_posted = 0;     // host: in vring0 (empty, or filled and not yet taken)
};

}  // namespace tandem::rpmsg
