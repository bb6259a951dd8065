#pragma once
// The `tandem` subcommands. Each returns a process exit code and prints its
// own errors ("tandem <cmd>: what went wrong").

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/base/status.h"
#include "tandem/host/session.h"

namespace tandem::cli {

struct Global {
  std::string name = "rproc0";
  std::string runtime_dir;
  std::string console;  // firmware console file; empty: the runtime dir's <name>.console
};

host::SessionOptions MakeOptions(const Global& g);
// Prints "tandem <command>: <reason> (<code>)" and returns 1. A remote in
// use by another host process (linux_platform::kInstanceInUse) is named with
// that process's pid (SetReportContext tells which remote).
int Report(const char* command, Status s);
void SetReportContext(const Global& g);

int Info(const std::string& firmware);
int Run(const Global& g, const std::string& firmware, bool recovery, bool sample);
int Start(const Global& g, const std::string& firmware);
int Stop(const Global& g);
int StatusCmd(const Global& g);
int Trace(const Global& g);
int Coredump(const Global& g, const std::string& path);
int Sample(const Global& g, int count);
int Ping(const Global& g, int count, std::size_t size);
int Echo(const Global& g, const std::vector<std::string>& words);
int Send(const Global& g, const std::string& channel, const std::vector<std::string>& words,
         std::chrono::milliseconds wait);
int Tty(const Global& g);

struct BenchOptions {
  std::string firmware;
  int count = 20000;
  std::size_t size = 64;
  std::string mode = "both";  // blocking | polling | both
};
int Bench(const Global& g, const BenchOptions& options);

}  // namespace tandem::cli
