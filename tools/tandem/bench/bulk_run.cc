// The bulk zero-copy run of `tandem bench` and `tandem bulk`: a session of
// its own (as the other bench runs), the demo's tandem-bulk-source streaming
// blocks through the "bulk0" carve-out to a host::BulkSink that checks every
// block where it lies and releases it.
#include <unistd.h>

#include <chrono>
#include <string>

#include "bench.h"
#include "tandem/host/bulk_sink.h"
#include "tandem/host/session.h"

namespace tandem::cli::bench {

Status RunBulk(const RunConfig& c, std::uint32_t block_size, std::uint32_t count, BulkResult* out) {
  auto options = MakeOptions(*c.global);
  options.name = c.global->name + "-bulk-" + std::to_string(getpid());
  options.console_path = "/dev/null";
  options.die_with_host = true;
  TANDEM_TRY_ASSIGN(auto session, host::Session::Create(options));
  TANDEM_TRY_ASSIGN(auto image, host::Session::ReadFile(c.firmware));
  TANDEM_TRY(session->Boot(std::move(image)));
  Status result;
  {
    host::BulkSink sink;
    result = sink.Register(*session);
    if (result.ok()) result = sink.WaitBound(std::chrono::seconds(5));
    if (result.ok()) {
      // One short stream first: pages of the carve-out faulted in on both sides.
      result = sink.Stream(block_size, 16, std::chrono::seconds(30)).status();
    }
    if (result.ok()) {
      auto report = sink.Stream(block_size, count, std::chrono::seconds(300));
      if (!report.ok()) {
        result = report.status();
      } else if (report->remote_error != bulk::StreamError::kNone) {
        result = FailedPrecondition("the firmware refused the bulk stream");
      } else {
        out->block_size = block_size;
        out->blocks = report->blocks;
        out->bytes = report->bytes;
        out->bad_blocks = report->bad_blocks;
        out->seconds = report->seconds;
      }
    }
    sink.Unregister();
  }
  session->Stop().IgnoreError();
  out->memcpy_gbps = MemcpyGBps(1 << 20, 0.2);
  return result;
}

}  // namespace tandem::cli::bench
