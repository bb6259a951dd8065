#pragma once
// The `tandem` subcommands (docs/cli.md). Every command but `info` and
// `bench` is a request to tandemd, the daemon that owns the remotes (started
// for the user when none runs). Each returns the process exit code and
// prints its own errors: "tandem <cmd>: what went wrong (CODE)".
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/base/status.h"
#include "tandem/client/client.h"
#include "tandem/host/session.h"

namespace tandem::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct Global {
  std::string name = "rproc0";
  std::string runtime_dir;
  std::string console;     // bench only: firmware console file
  std::uint32_t vdev = 0;  // --vdev: the RPMsg vdev (bus) channels and rings are on
  bool json = false;
};

host::SessionOptions MakeOptions(const Global& g);
int Report(const char* command, Status s);
int Report(const char* command, const client::Error& e);

int Info(const std::string& firmware);

// --- through the daemon ---------------------------------------------------------
int List(const Global& g);
int Start(const Global& g, const std::string& firmware);
int Stop(const Global& g);
int Detach(const Global& g);
int StatusCmd(const Global& g);
int Firmware(const Global& g, const std::string& path);
int Recovery(const Global& g, const std::string& value);
// docs/buffers.md: the RPMsg buffers, or the size required from the next start.
int Buffers(const Global& g, const std::string& value);
int Crash(const Global& g);
// tandem event VALUE [-c N] [-w MS]: the priority doorbell's round trip.
int Event(const Global& g, std::uint32_t value, int count, int wait_ms);
int Trace(const Global& g, bool follow);
int Log(const Global& g, bool follow);
int Coredump(const Global& g, const std::string& path, bool postmortem);
int PostMortem(const Global& g, const std::string& policy);
int Rings(const Global& g);
int ResourceTable(const Global& g);
int Channels(const Global& g);
int Run(const Global& g, const std::string& firmware, bool recovery, bool sample);
int DaemonCmd(const Global& g, const std::string& action);
int Demo(const Global& g, const std::string& firmware);

int Sample(const Global& g, int count);
int Ping(const Global& g, int count, std::size_t size);
// large: opt in to messages larger than the MTU (docs/large_messages.md);
// echo then talks to tandem-large-echo. size != 0: a pattern of that many
// bytes instead of words, the echo checked byte for byte.
int Echo(const Global& g, const std::vector<std::string>& words, bool large = false,
         std::size_t size = 0);
int Send(const Global& g, const std::string& channel, const std::vector<std::string>& words,
         std::chrono::milliseconds wait, bool large = false);
int Tty(const Global& g, const std::string& channel = "rpmsg-tty", bool large = false);
// Flow control (docs/flow_control.md): N numbered messages from the demo's
// tandem-stream, read `delay_us` apart; the daemon pauses the remote while
// this client's queue is half full (unless `manual`); `pause_ms` > 0 also
// pauses it by hand once for that long. Checks order and loss.
int Stream(const Global& g, std::uint32_t count, int delay_us, bool manual, int pause_ms);

struct BenchOptions {
  std::string firmware;
  int count = 20000;          // echo round trips per size and mode
  std::size_t size = 0;       // 0: 16, 256 and 496 B
  std::string mode = "both";  // blocking | polling | both
  int stream_count = 0;       // messages per streaming run; 0: default
  bool quick = false;         // short streaming and idle runs (CI)
  bool no_streaming = false;  // echo and limits only
  std::string json;           // write the report as JSON here
  std::string plot_dir;       // write gnuplot pictures here
};
int Bench(const Global& g, const BenchOptions& options);

struct BulkOptions {
  std::string firmware;              // empty: the demo image
  std::uint32_t block_size = 65536;  // bytes per block (a multiple of 64)
  std::uint32_t count = 1000;        // blocks streamed
};
int Bulk(const Global& g, const BulkOptions& options);

}  // namespace tandem::cli
