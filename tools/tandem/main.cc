// tandem: the command line tool for the whole remote-processor lifecycle and
// for RPMsg traffic. See docs/cli.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace tandem::cli;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  CLI::App app{
      "tandem: remoteproc, VirtIO and RPMsg for AMP systems (simulated remote core on Linux)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tandem ") + TANDEM_VERSION);
  Global g;
  app.add_option("-n,--name", g.name, "remote processor instance name")
      ->default_val("rproc0")
      ->check([](const std::string& v) {
        return tandem::linux_platform::IsValidCoreName(v) ? std::string()
                                                          : std::string("1..32 of [A-Za-z0-9_.-]");
      });
  app.add_option("--runtime-dir", g.runtime_dir,
                 "where state files live (default: $TANDEM_RUNTIME_DIR, $XDG_RUNTIME_DIR/tandem or "
                 "/tmp/tandem-$UID)");
  app.add_option("--console", g.console, "file for the firmware's console output");

  std::string firmware;
  bool no_recovery = false;
  bool sample_flag = false;
  int count = 100;
  std::size_t size = 64;
  std::string path;
  std::string channel;
  std::vector<std::string> words;
  int wait_ms = 2000;
  BenchOptions bench;

  auto* info = app.add_subcommand("info", "show a firmware's ELF segments and resource table");
  info->add_option("firmware", firmware, "firmware ELF")->required()->check(CLI::ExistingFile);

  auto* run =
      app.add_subcommand("run", "boot a firmware and supervise it until Ctrl-C, then stop it");
  run->add_option("firmware", firmware, "firmware ELF")->required()->check(CLI::ExistingFile);
  run->add_flag("--no-recovery", no_recovery,
                "leave a crashed remote crashed (Linux: recovery disabled)");
  run->add_flag("--sample", sample_flag, "run the rpmsg-client-sample exchange when announced");

  auto* start = app.add_subcommand("start", "boot a firmware and leave it running (detached)");
  start->add_option("firmware", firmware, "firmware ELF")->required()->check(CLI::ExistingFile);

  auto* stop =
      app.add_subcommand("stop", "stop the running remote (shutdown handshake, then reset)");
  auto* status =
      app.add_subcommand("status", "show whether the remote runs, and where its memory is");
  auto* trace = app.add_subcommand("trace", "print the remote's trace buffer (RSC_TRACE)");
  auto* coredump = app.add_subcommand("coredump", "write an ELF core file of the remote's memory");
  coredump->add_option("file", path, "output file")->required();

  auto* sample = app.add_subcommand("sample", "run Linux's rpmsg-client-sample exchange");
  int sample_count = 100;  // its own: ping's default must not become sample's
  sample->add_option("-c,--count", sample_count, "messages")
      ->default_val(100)
      ->check(CLI::Range(1, 1000000));

  auto* ping = app.add_subcommand("ping", "echo round trips on rpmsg-openamp-demo-channel");
  ping->add_option("-c,--count", count, "round trips")
      ->default_val(10)
      ->check(CLI::Range(1, 10000000));
  ping->add_option("-s,--size", size, "payload bytes")->default_val(32)->check(CLI::Range(0, 496));

  auto* echo = app.add_subcommand("echo", "send text to the echo service and print the reply");
  echo->add_option("text", words, "text")->required();

  auto* send = app.add_subcommand("send", "send text to any announced channel and print replies");
  send->add_option("channel", channel, "channel name, e.g. rpmsg-tty")->required();
  send->add_option("text", words, "text")->required();
  send->add_option("-w,--wait", wait_ms, "milliseconds to wait for replies")
      ->default_val(2000)
      ->check(CLI::Range(0, 3600000));

  auto* tty = app.add_subcommand("tty", "lines from stdin to rpmsg-tty, replies to stdout");

  auto* benchcmd = app.add_subcommand(
      "bench", "echo round-trip latency and throughput, next to the raw shared-memory limits");
  benchcmd->add_option("firmware", bench.firmware,
                       "firmware ELF serving rpmsg-openamp-demo-channel");
  benchcmd->add_option("-c,--count", bench.count, "round trips per mode")
      ->default_val(20000)
      ->check(CLI::Range(100, 10000000));
  benchcmd->add_option("-s,--size", bench.size, "payload bytes")
      ->default_val(64)
      ->check(CLI::Range(1, 496));
  benchcmd->add_option("-m,--mode", bench.mode, "blocking, polling or both")
      ->default_val("both")
      ->check(CLI::IsMember({"blocking", "polling", "both"}));

  // docs/cli.md: argument errors exit 2 (CLI11's own codes are 100+), and
  // an unknown command is named.
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto& extras = app.remaining();
    if (!extras.empty() && app.get_subcommands().empty()) {
      std::fprintf(stderr, "tandem: unknown command '%s' (see tandem --help)\n", extras[0].c_str());
    } else {
      app.exit(e);
    }
    return 2;
  }

  SetReportContext(g);
  if (*info) return Info(firmware);
  if (*run) return Run(g, firmware, !no_recovery, sample_flag);
  if (*start) return Start(g, firmware);
  if (*stop) return Stop(g);
  if (*status) return StatusCmd(g);
  if (*trace) return Trace(g);
  if (*coredump) return Coredump(g, path);
  if (*sample) return Sample(g, sample_count);
  if (*ping) return Ping(g, count, size);
  if (*echo) return Echo(g, words);
  if (*send) return Send(g, channel, words, std::chrono::milliseconds(wait_ms));
  if (*tty) return Tty(g);
  if (*benchcmd) return Bench(g, bench);
  return 2;
}
