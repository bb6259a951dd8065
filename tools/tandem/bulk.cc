// `tandem bulk [FIRMWARE] [-s BLOCK_SIZE] [-n COUNT]`: bulk zero-copy shared
// buffers (docs/bulk_buffers.md) end to end. Like `tandem bench` it runs a
// simulated core of its own (not the daemon's remote): the demo firmware
// fills COUNT blocks of its "bulk0" carve-out with a pattern and hands them
// over by offset; this process checks every block in place, releases it, and
// prints the bytes per second next to memcpy's, measured in the same run.
#include <cstdio>

#include "bench/bench.h"
#include "commands.h"
#include "default_firmware.h"

namespace tandem::cli {

int Bulk(const Global& g, const BulkOptions& o) {
  bench::RunConfig config;
  config.global = &g;
  config.firmware = o.firmware.empty() ? DefaultFirmware() : o.firmware;
  if (config.firmware.empty()) return Report("bulk", InvalidArgument("no firmware given"));
  if (o.count == 0) return Report("bulk", InvalidArgument("-n must be at least 1"));
  bench::BulkResult r;
  if (Status s = bench::RunBulk(config, o.block_size, o.count, &r); !s.ok()) {
    return Report("bulk", s);
  }
  std::printf("bulk: %llu blocks of %u B from tandem-bulk-source, %llu bad\n",
              static_cast<unsigned long long>(r.blocks), r.block_size,
              static_cast<unsigned long long>(r.bad_blocks));
  std::printf("bulk: %.1f MB in %.3f s: %.1f MB/s (checked and released on the host)\n",
              r.bytes / 1e6, r.seconds, r.bytes_per_s() / 1e6);
  std::printf("memcpy: %.1f MB/s (1 MiB, same run); bulk is %.1f %% of it\n", r.memcpy_gbps * 1e3,
              100 * r.ratio());
  if (r.bad_blocks > 0 || r.blocks != o.count) {
    std::fprintf(stderr, "tandem bulk: %llu of %u blocks bad or missing\n",
                 static_cast<unsigned long long>(r.bad_blocks + (o.count - r.blocks)), o.count);
    return 1;
  }
  return 0;
}

}  // namespace tandem::cli
