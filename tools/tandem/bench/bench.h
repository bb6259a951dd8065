#pragma once
// The pieces of `tandem bench` (tools/tandem/bench.cc runs them in order):
// the machine's limits (limits.cc), the RPMsg runs over a real simulated
// core (rpmsg_runs.cc) and the report: table, JSON and gnuplot pictures
// (report.cc). Nothing here is a test: no figure is ever asserted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../commands.h"
#include "tandem/base/status.h"

namespace tandem::cli::bench {

// Progress lines for long runs, on stderr ("bench: ...").
void Progress(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Round-trip times in microseconds, sorted, with their order statistics.
struct Latency {
  double min = 0, median = 0, p99 = 0, p999 = 0, max = 0;
  std::vector<double> sorted_us;
};
Latency Summarize(std::vector<double> samples_us);

// ---- limits.cc: the machine, measured in the same run.
enum class PingPongKind { kSpin, kFutex, kEventfd };
const char* PingPongName(PingPongKind kind);
// Two processes bounce a cache line (spin, futex) or a token through two
// eventfds; `count` round trips after count / 10 of warm-up.
Latency PingPong(PingPongKind kind, int count);
// memcpy bandwidth in GB/s (bytes copied per second) over a `bytes` buffer,
// copied repeatedly for about `seconds`.
double MemcpyGBps(std::size_t bytes, double seconds);

// ---- rpmsg_runs.cc: RPMsg over a simulated core.
struct RunConfig {
  const Global* global = nullptr;
  std::string firmware;
  int count = 20000;          // echo round trips per size and mode
  int stream_count = 200000;  // messages per streaming run
  std::vector<std::size_t> sizes{16, 256, 496};
  bool polling = true, blocking = true;
  double idle_seconds = 3;
  std::vector<int> endpoint_counts{1, 16, 256, 1024};
};

struct EchoResult {
  std::size_t size = 0;
  bool polling = false;
  Latency rtt;
};
struct StreamResult {
  std::string direction;  // "host->remote" | "remote->host"
  bool zero_copy = false;
  std::size_t size = 0;
  int endpoints = 1;
  std::uint64_t messages = 0;
  double seconds = 0;
  double msgs_per_s() const { return seconds > 0 ? messages / seconds : 0; }
  double bytes_per_s() const { return msgs_per_s() * size; }
};
struct IdleResult {
  double seconds = 0;
  double host_cpu_percent = 0;  // of one CPU, all the host process's threads
  double core_cpu_percent = 0;  // the tandem-core process
};

Status RunEcho(const RunConfig& config, bool polling, std::vector<EchoResult>& out);
Status RunStreaming(const RunConfig& config, std::vector<StreamResult>& streams,
                    std::vector<StreamResult>& scaling, IdleResult& idle);

// ---- daemon_run.cc: the client path through a private tandemd (blocking
// echo of `size` bytes over a ChannelClient), `config.count` round trips.
Status RunDaemonEcho(const RunConfig& config, std::size_t size, Latency* out);

// ---- bulk_run.cc: bulk zero-copy shared buffers (docs/bulk_buffers.md):
// the demo's tandem-bulk-source streams `count` blocks of `block_size`
// bytes through its "bulk0" carve-out to a host::BulkSink, which checks
// each in place and releases it; memcpy of the pool's size (1 MiB) in the
// same run for comparison.
struct BulkResult {
  std::uint32_t block_size = 0;
  std::uint64_t blocks = 0;
  std::uint64_t bytes = 0;
  std::uint64_t bad_blocks = 0;
  double seconds = 0;
  double memcpy_gbps = 0;
  double bytes_per_s() const { return seconds > 0 ? bytes / seconds : 0; }
  double ratio() const { return memcpy_gbps > 0 ? bytes_per_s() / (memcpy_gbps * 1e9) : 0; }
};
Status RunBulk(const RunConfig& config, std::uint32_t block_size, std::uint32_t count,
               BulkResult* out);

// ---- report.cc
struct Report {
  std::string machine;  // one line: CPU model, CPUs
  std::string firmware;
  int count = 0;
  Latency spin, futex, eventfd;
  double memcpy_hot_gbps = 0, memcpy_cold_gbps = 0;
  std::vector<EchoResult> echoes;
  std::vector<StreamResult> streams, scaling;
  IdleResult idle;
  bool have_idle = false;
  // Bulk zero-copy blocks remote -> host (bulk_run.cc).
  std::vector<BulkResult> bulk;
  // Blocking echo through tandemd (16 B), next to the direct one.
  Latency daemon_echo;
  bool have_daemon = false;
};
std::string MachineSummary();
void PrintTable(const Report& r);
Status WriteJson(const Report& r, const std::string& path);
// gnuplot SVGs and PNGs in `dir`: latency histogram and CDF (polling vs
// blocking), scaling curve. A clear message and ok if gnuplot is absent.
Status WritePlots(const Report& r, const std::string& dir);

}  // namespace tandem::cli::bench
