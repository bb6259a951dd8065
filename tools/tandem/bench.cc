// `tandem bench`: in one run, the machine's limits and Tandem's figures next
// to them (bench/README.md shows a run, issue #13 the targets):
//   limits     shm cache-line ping-pong between two processes (spin, futex),
//              eventfd ping-pong, memcpy in and out of cache;
//   echo       host -> remote -> host round trips at 16, 256 and 496 B,
//              polling and blocking (min, median, p99, p99.9, max);
//   streaming  one way, both directions, copy and zero-copy, 16 and 496 B;
//   scaling    remote -> host streaming over 1, 16, 256 and 1024 endpoints;
//   idle       CPU of the host and core processes with nothing to do;
//   daemon     the blocking echo through a private tandemd (its added latency);
//   bulk       zero-copy blocks (64 KiB, 4 KiB) through the bulk0 carve-out vs memcpy.
// The pieces are in bench/; progress goes to stderr, the table to stdout.
#include "bench/bench.h"

#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "default_firmware.h"

namespace tandem::cli {

int Bench(const Global& g, const BenchOptions& o) {
  namespace b = bench;
  b::RunConfig config;
  config.global = &g;
  config.firmware = o.firmware.empty() ? DefaultFirmware() : o.firmware;
  if (config.firmware.empty()) return Report("bench", InvalidArgument("no firmware given"));
  config.count = o.count;
  config.stream_count = o.stream_count > 0 ? o.stream_count : (o.quick ? o.count : 200000);
  if (o.size != 0) config.sizes = {o.size};
  config.polling = o.mode != "blocking";
  config.blocking = o.mode != "polling";
  config.idle_seconds = o.quick ? 0.5 : 3;

  b::Report r;
  r.machine = b::MachineSummary();
  r.firmware = config.firmware;
  r.count = o.count;
  const int limit_count = o.count;
  b::Progress("limits: spin, futex and eventfd ping-pong, %d round trips each", limit_count);
  r.spin = b::PingPong(b::PingPongKind::kSpin, limit_count);
  r.futex = b::PingPong(b::PingPongKind::kFutex, limit_count);
  r.eventfd = b::PingPong(b::PingPongKind::kEventfd, limit_count);
  b::Progress("limits: memcpy in and out of cache");
  const double seconds = o.quick ? 0.05 : 0.3;
  r.memcpy_hot_gbps = b::MemcpyGBps(16 << 10, seconds);
  r.memcpy_cold_gbps = b::MemcpyGBps(64 << 20, seconds);

  int rc = 0;
  for (const bool polling : {true, false}) {
    if ((polling && !config.polling) || (!polling && !config.blocking)) continue;
    if (Status s = b::RunEcho(config, polling, r.echoes); !s.ok()) rc = Report("bench", s);
  }
  if (config.blocking && !o.quick) {
    b::Progress("echo through tandemd (a private daemon), 16 B, %d round trips", config.count);
    if (Status s = b::RunDaemonEcho(config, 16, &r.daemon_echo); !s.ok()) {
      rc = Report("bench", s);
    } else {
      r.have_daemon = true;
    }
  }
  if (!o.no_streaming) {
    if (Status s = b::RunStreaming(config, r.streams, r.scaling, r.idle); !s.ok()) {
      rc = Report("bench", s);
    } else {
      r.have_idle = config.idle_seconds > 0;
    }
  }
  if (!o.no_streaming) {
    // Bulk zero-copy blocks (docs/bulk_buffers.md), 64 KiB and 4 KiB.
    for (const std::uint32_t block : {65536u, 4096u}) {
      const std::uint32_t blocks = (o.quick ? (16u << 20) : (256u << 20)) / block;
      b::Progress("bulk: %u zero-copy blocks of %u B, checked on the host", blocks, block);
      b::BulkResult bulk;
      if (Status s = b::RunBulk(config, block, blocks, &bulk); !s.ok()) {
        rc = Report("bench", s);
        break;
      }
      r.bulk.push_back(bulk);
    }
  }
  b::PrintTable(r);
  if (!o.json.empty()) {
    if (Status s = b::WriteJson(r, o.json); !s.ok()) rc = Report("bench", s);
  }
  if (!o.plot_dir.empty()) {
    if (Status s = b::WritePlots(r, o.plot_dir); !s.ok()) rc = Report("bench", s);
  }
  return rc;
}

}  // namespace tandem::cli
