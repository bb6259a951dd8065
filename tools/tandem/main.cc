// tandem: the command line tool for the whole remote-processor lifecycle and
// for RPMsg traffic, a client of tandemd (docs/cli.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "default_firmware.h"
#include "tandem/linux/core_state.h"

namespace {

using namespace tandem::cli;

bool IsOneOf(const std::string& v, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (v == w) return true;
  }
  return false;
}

// Linux's verbs name the remote first, as their sysfs paths do:
// `tandem state rproc0 start`. NAME may be left out (then -n, or rproc0);
// a lone argument is NAME unless it is one of the verb's values (or, for
// files, looks like a path). Returns false for a bad NAME.
bool SplitNameValue(const std::vector<std::string>& args, bool value_is_word,
                    std::initializer_list<const char*> words, Global& g, std::string& value) {
  if (args.size() == 2) {
    g.name = args[0];
    value = args[1];
  } else if (args.size() == 1) {
    const std::string& a = args[0];
    const bool is_value =
        value_is_word ? IsOneOf(a, words)
                      : (a.find('/') != std::string::npos || a.find('.') != std::string::npos);
    (is_value ? value : g.name) = a;
  }
  return tandem::linux_platform::IsValidCoreName(g.name);
}

int BadName(const Global& g) {
  std::fprintf(stderr, "tandem: bad remote name '%s': 1..32 of [A-Za-z0-9_.-]\n", g.name.c_str());
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  CLI::App app{"tandem: remoteproc, VirtIO and RPMsg for AMP systems (a client of tandemd)"};
  app.require_subcommand(1);
  // Global options (-n, --json, --vdev ...) also after the verb: `tandem send X hi --vdev 1`.
  app.fallthrough();
  app.set_version_flag("--version", std::string("tandem ") + TANDEM_VERSION);
  Global g;
  app.add_option("-n,--name", g.name, "remote processor instance name")->default_val("rproc0");
  app.add_option("--runtime-dir", g.runtime_dir,
                 "the daemon's directory: state files and its socket (default: "
                 "$TANDEM_RUNTIME_DIR, $XDG_RUNTIME_DIR/tandem or /tmp/tandem-$UID)");
  app.add_flag("--json", g.json, "machine-readable output (verbs that report something)");
  app.add_option("--vdev", g.vdev,
                 "the RPMsg vdev (bus) of a remote with several, in table order: channels are "
                 "opened and rings read there (docs/vdevs.md)")
      ->default_val(0)
      ->check(CLI::Range(0u, tandem::host::Session::kMaxVdevs - 1));

  std::string firmware, path, channel, action;
  std::vector<std::string> words, args;
  bool no_recovery = false, sample_flag = false, follow = false;
  int count = 10;
  std::size_t size = 32;
  int wait_ms = 2000;
  BenchOptions bench;

  auto* info = app.add_subcommand("info", "show a firmware's ELF segments and resource table");
  info->add_option("firmware", firmware, "firmware ELF")->required()->check(CLI::ExistingFile);

  auto* list = app.add_subcommand("list", "list the remotes the daemon knows, with their state");

  auto* run = app.add_subcommand(
      "run", "boot a firmware and print what happens to it until Ctrl-C, then stop it");
  run->add_option("firmware", firmware, "firmware ELF")->required()->check(CLI::ExistingFile);
  run->add_flag("--no-recovery", no_recovery,
                "leave a crashed remote crashed (Linux: recovery disabled)");
  run->add_flag("--sample", sample_flag, "run the rpmsg-client-sample exchange first");

  auto* start = app.add_subcommand("start", "boot a firmware (or the one set with `firmware`)");
  start->add_option("firmware", firmware, "firmware ELF")->check(CLI::ExistingFile);
  auto* stop = app.add_subcommand("stop", "stop the remote (shutdown handshake, then reset)");
  stop->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  auto* state = app.add_subcommand("state", "show the state, or start|stop|detach (Linux's state)");
  state->add_option("args", args, "[NAME] [start|stop|detach]")->expected(0, 2);
  auto* status = app.add_subcommand("status", "state, firmware, recovery, crashes, channels");
  status->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  auto* fw = app.add_subcommand("firmware", "show or set the firmware file (Linux's firmware)");
  fw->add_option("args", args, "[NAME] [FILE]")->expected(0, 2);
  auto* recovery =
      app.add_subcommand("recovery", "show, or enabled|disabled|recover (Linux's recovery)");
  recovery->add_option("args", args, "[NAME] [enabled|disabled|recover]")->expected(0, 2);
  auto* buffers = app.add_subcommand(
      "buffers", "show the RPMsg buffers, or require a size for the next start (auto|BYTES)");
  buffers->add_option("args", args, "[NAME] [auto|BYTES]")->expected(0, 2);
  auto* crash = app.add_subcommand("crash", "report a crash of the remote (Linux's debugfs crash)");
  crash->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  auto* trace = app.add_subcommand("trace", "print the remote's trace buffer (RSC_TRACE)");
  trace->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  trace->add_flag("-f,--follow", follow, "keep printing what the remote adds, until Ctrl-C");
  auto* log =
      app.add_subcommand("log", "the daemon's log of the remote (what Linux puts in dmesg)");
  log->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  log->add_flag("-f,--follow", follow, "keep printing new lines, until Ctrl-C");
  auto* coredump = app.add_subcommand("coredump", "write an ELF core file of the remote's memory");
  coredump->add_option("args", args, "[NAME] FILE")->expected(1, 2)->required();
  bool postmortem = false;
  coredump->add_flag("--postmortem", postmortem,
                     "the core kept at the last crash, before recovery rebooted the remote");
  auto* pm = app.add_subcommand(
      "postmortem",
      "the last crash: reason, time, trace, core kept; or enabled|disabled (Linux's "
      "coredump knob)");
  pm->add_option("args", args, "[NAME] [enabled|disabled]")->expected(0, 2);
  auto* rings =
      app.add_subcommand("rings", "live vring state: indices, buffers, counters (read-only)");
  rings->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  auto* rsc = app.add_subcommand("rsc", "the resource table as loaded (read-only)");
  rsc->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  auto* channels = app.add_subcommand("channels", "the channels the remote announced");
  channels->add_option("name", args, "remote (default: -n)")->expected(0, 1);
  auto* daemon = app.add_subcommand("daemon", "tandemd itself: status (default), start or stop");
  daemon->add_option("action", action, "status|start|stop")
      ->check(CLI::IsMember({"status", "start", "stop"}));

  auto* demo = app.add_subcommand(
      "demo", "the Linux <-> Zephyr client-sample scenario end to end: boot, sample, tty, stop");
  std::string demo_firmware = DefaultFirmware();
  demo->add_option("firmware", demo_firmware, "firmware ELF (default: the demo image)")
      ->check(CLI::ExistingFile);
  auto* sample = app.add_subcommand("sample", "run Linux's rpmsg-client-sample exchange");
  int sample_count = 100;
  sample->add_option("-c,--count", sample_count, "messages")
      ->default_val(100)
      ->check(CLI::Range(1, 1000000));
  auto* ping = app.add_subcommand("ping", "echo round trips on rpmsg-openamp-demo-channel");
  ping->add_option("-c,--count", count, "round trips")
      ->default_val(10)
      ->check(CLI::Range(1, 100000000));
  ping->add_option("-s,--size", size, "payload bytes (at most the channel's mtu)")
      ->default_val(32)
      ->check(CLI::Range(0, 65520));
  auto* event = app.add_subcommand(
      "event", "a priority event beside RPMsg (docs/doorbell.md): send VALUE, print the reply");
  std::uint32_t event_value = 0;
  int event_count = 1;
  int event_wait_ms = 1000;
  event->add_option("value", event_value, "0..0xffffff (0x... accepted)")
      ->required()
      ->check(CLI::Range(0u, 0xFFFFFFu));
  event->add_option("-c,--count", event_count, "round trips (timed in the daemon)")
      ->default_val(1)
      ->check(CLI::Range(1, 1000000));
  event->add_option("-w,--wait", event_wait_ms, "milliseconds to wait for each reply; 0: none")
      ->default_val(1000)
      ->check(CLI::Range(0, 60000));
  auto* echo = app.add_subcommand("echo", "send text to the echo service and print the reply");
  echo->add_option("text", words, "text");
  bool large = false;
  std::size_t echo_size = 0;
  echo->add_flag("--large", large,
                 "to tandem-large-echo, messages larger than the MTU (docs/large_messages.md)");
  echo->add_option("-s,--size", echo_size,
                   "send SIZE bytes of a pattern instead of text and check the echo")
      ->check(CLI::Range(std::size_t{1}, std::size_t{65536}));
  auto* send = app.add_subcommand("send", "send text to any announced channel and print replies");
  send->add_option("channel", channel, "channel name, e.g. rpmsg-tty")->required();
  send->add_option("text", words, "text")->required();
  send->add_option("-w,--wait", wait_ms, "milliseconds to wait for replies")
      ->default_val(2000)
      ->check(CLI::Range(0, 3600000));
  send->add_flag("--large", large,
                 "messages larger than the MTU, if the link and the service take them");
  auto* tty = app.add_subcommand("tty", "lines from stdin to rpmsg-tty, replies to stdout");
  std::string tty_channel = "rpmsg-tty";
  tty->add_option("channel", tty_channel, "channel (default rpmsg-tty)");
  tty->add_flag("--large", large,
                "lines go whole, not split at the MTU, if the link and the service take "
                "large messages (e.g. tandem tty tandem-large-echo --large)");
  auto* streamcmd = app.add_subcommand(
      "stream", "numbered messages from tandem-stream, flow-controlled (docs/flow_control.md)");
  std::uint32_t stream_count = 10000;
  int stream_delay_us = 0;
  bool stream_manual = false;
  int stream_pause_ms = 0;
  streamcmd->add_option("-c,--count", stream_count, "messages")
      ->default_val(10000)
      ->check(CLI::Range(1u, 10000000u));
  streamcmd->add_option("-d,--delay", stream_delay_us, "microseconds between reads (a slow reader)")
      ->default_val(0)
      ->check(CLI::Range(0, 1000000));
  streamcmd->add_flag("--manual", stream_manual, "no automatic pause by the daemon");
  streamcmd
      ->add_option("-p,--pause", stream_pause_ms,
                   "pause the remote by hand for MS ms after a quarter")
      ->default_val(0)
      ->check(CLI::Range(0, 60000));

  auto* benchcmd = app.add_subcommand(
      "bench", "latency, streaming, scaling and idle cost, next to the machine's limits");
  benchcmd->add_option("firmware", bench.firmware,
                       "firmware ELF serving rpmsg-openamp-demo-channel");
  benchcmd->add_option("-c,--count", bench.count, "echo round trips per size and mode")
      ->default_val(20000)
      ->check(CLI::Range(100, 10000000));
  benchcmd
      ->add_option("-s,--size", bench.size,
                   "echo payload bytes only (default 16, 256, 496; at most the mtu)")
      ->check(CLI::Range(1, 65520));
  benchcmd->add_option("--stream-count", bench.stream_count, "messages per streaming run")
      ->check(CLI::Range(100, 100000000));
  benchcmd->add_flag("--quick", bench.quick, "short streaming and idle runs");
  benchcmd->add_flag("--no-streaming", bench.no_streaming, "limits and echo only");
  benchcmd->add_option("--json", bench.json, "also write the report as JSON to this file");
  benchcmd->add_option("--plot", bench.plot_dir, "write gnuplot SVG/PNG pictures to this dir");
  benchcmd->add_option("-m,--mode", bench.mode, "blocking, polling or both")
      ->default_val("both")
      ->check(CLI::IsMember({"blocking", "polling", "both"}));

  BulkOptions bulk;
  auto* bulkcmd = app.add_subcommand(
      "bulk", "stream zero-copy blocks from the remote's bulk0 carve-out, checked, vs memcpy");
  bulkcmd->add_option("firmware", bulk.firmware, "firmware ELF serving tandem-bulk-source");
  bulkcmd->add_option("-s,--block-size", bulk.block_size, "bytes per block, a multiple of 64")
      ->default_val(65536)
      ->check(CLI::Range(64, 1 << 20));
  bulkcmd->add_option("-n,--count", bulk.count, "blocks to stream")
      ->default_val(1000)
      ->check(CLI::Range(1, 100000000));

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
    return kExitUsage;
  }
  if (*info) return Info(firmware);
  if (*benchcmd) return Bench(g, bench);
  if (*bulkcmd) return Bulk(g, bulk);

  std::string value;
  if (*state) {
    if (!SplitNameValue(args, true, {"start", "stop", "detach"}, g, value)) return BadName(g);
  } else if (*pm) {
    if (!SplitNameValue(args, true, {"enabled", "disabled"}, g, value)) return BadName(g);
  } else if (*recovery) {
    if (!SplitNameValue(args, true, {"enabled", "disabled", "recover"}, g, value))
      return BadName(g);
  } else if (*buffers) {
    // A value is "auto" or digits; anything else is a name.
    if (args.size() == 2) {
      g.name = args[0];
      value = args[1];
    } else if (args.size() == 1) {
      const bool is_value =
          args[0] == "auto" || args[0].find_first_not_of("0123456789") == std::string::npos;
      (is_value ? value : g.name) = args[0];
    }
  } else if (*fw || *coredump) {
    if (!SplitNameValue(args, false, {}, g, value)) return BadName(g);
    if (*coredump && value.empty()) {
      std::fprintf(stderr, "tandem coredump: which file? (tandem coredump [NAME] FILE)\n");
      return kExitUsage;
    }
  } else if (!args.empty()) {
    g.name = args[0];
  }
  if (!tandem::linux_platform::IsValidCoreName(g.name)) return BadName(g);

  if (*list) return List(g);
  if (*run) return Run(g, firmware, !no_recovery, sample_flag);
  if (*start) return Start(g, firmware);
  if (*stop) return Stop(g);
  if (*state) {
    if (value.empty()) return StatusCmd(g);
    if (value == "start") return Start(g, "");
    if (value == "stop") return Stop(g);
    return Detach(g);
  }
  if (*status) return StatusCmd(g);
  if (*fw) return Firmware(g, value);
  if (*recovery) return Recovery(g, value);
  if (*buffers) return Buffers(g, value);
  if (*crash) return Crash(g);
  if (*event) return Event(g, event_value, event_count, event_wait_ms);
  if (*trace) return Trace(g, follow);
  if (*log) return Log(g, follow);
  if (*coredump) return Coredump(g, value, postmortem);
  if (*pm) return PostMortem(g, value);
  if (*rings) return Rings(g);
  if (*rsc) return ResourceTable(g);
  if (*channels) return Channels(g);
  if (*daemon) return DaemonCmd(g, action.empty() ? "status" : action);
  if (*demo) return Demo(g, demo_firmware);
  if (*sample) return Sample(g, sample_count);
  if (*ping) return Ping(g, count, size);
  if (*echo) return Echo(g, words, large, echo_size);
  if (*send) return Send(g, channel, words, std::chrono::milliseconds(wait_ms), large);
  if (*tty) return Tty(g, tty_channel, large);
  if (*streamcmd) {
    return Stream(g, stream_count, stream_delay_us, stream_manual, stream_pause_ms);
  }
  return kExitUsage;
}
