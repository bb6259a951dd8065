#include "commands.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/host/client_sample.h"
#include "tandem/host/printable.h"
#include "tandem/linux/core_state.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::cli {

using client::ChannelClient;
using client::ChannelSpec;
using client::Client;
using client::ClientOptions;
using client::Error;
using client::Json;
using host::Session;
using host::SessionOptions;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr const char* kEchoChannel = "rpmsg-openamp-demo-channel";
constexpr const char* kTtyChannel = "rpmsg-tty";
constexpr const char* kLargeEchoChannel = "tandem-large-echo";
constexpr const char* kSampleChannel = "rpmsg-client-sample";

std::string RuntimeDir(const Global& g) {
  return g.runtime_dir.empty() ? linux_platform::DefaultRuntimeDirectory() : g.runtime_dir;
}

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) {
    if (!s.empty()) s += ' ';
    s += w;
  }
  return s;
}

// Ctrl-C: commands that run until interrupted look at this flag; their
// waits are short, so they notice within a slice.
std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted = true; }
void CatchInterrupt() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void SaySpawned(pid_t pid, const Global& g) {
  if (pid > 0) {
    std::fprintf(stderr, "tandem: started tandemd (pid %d) for %s\n", static_cast<int>(pid),
                 RuntimeDir(g).c_str());
  }
}

ClientOptions Options(const Global& g) {
  ClientOptions o;
  o.runtime_dir = g.runtime_dir;
  return o;
}

// One request to the daemon; prints the error and returns false on failure.
bool Call(const char* command, const Global& g, Json request, Json* reply, int* rc) {
  Client c;
  Error e = Client::Connect(Options(g), &c);
  if (e.ok()) {
    SaySpawned(c.started_pid(), g);
    if (!request.contains("remote")) request["remote"] = g.name;
    e = c.Call(request, reply);
  }
  if (!e.ok()) {
    *rc = Report(command, e);
    return false;
  }
  return true;
}

Error OpenChannel(const Global& g, const std::string& channel, ChannelClient* out,
                  bool large = false) {
  ChannelSpec spec;
  spec.remote = g.name;
  spec.channel = channel;
  spec.large = large;
  spec.vdev = g.vdev;
  Error e = ChannelClient::Open(Options(g), spec, out);
  if (e.ok()) SaySpawned(out->started_pid(), g);
  return e;
}

void PrintJson(const Json& j) { std::printf("%s\n", j.dump(2).c_str()); }

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
  return buf;
}

void PrintStatus(const Json& s) {
  std::printf("%s: %s", s.value("name", "").c_str(), s.value("state", "").c_str());
  if (s.contains("core_pid")) std::printf(" (core pid %d)", s["core_pid"].get<int>());
  std::printf("\n");
  const std::string fw = s.value("firmware", "");
  std::printf("  firmware  %s\n", fw.empty() ? "(none)" : fw.c_str());
  if (s.contains("core")) std::printf("  core      %s\n", s.value("core", "").c_str());
  std::printf("  recovery  %s, coredump %s, watchdog %s\n", s.value("recovery", "").c_str(),
              s.value("coredump", "").c_str(),
              s.value("watchdog_ms", 0u) == 0
                  ? "off"
                  : (std::to_string(s.value("watchdog_ms", 0u)) + " ms").c_str());
  std::printf("  rpmsg     link %s, %u channel(s)\n", s.value("link", "").c_str(),
              s.value("channels", 0u));
  if (s.contains("buffers") && s["buffers"].value("buffer_size", 0u) != 0) {
    const Json& b = s["buffers"];
    std::printf("  buffers   %u x %u bytes (mtu %u)%s\n", b.value("buffers", 0u),
                b.value("buffer_size", 0u), b.value("mtu", 0u),
                b.value("negotiated", false) ? ", VIRTIO_RPMSG_F_BUFSZ" : "");
  }
  if (s.contains("postmortem")) {
    std::printf("  post-mortem of crash %u: core %s (tandem postmortem %s)\n",
                s["postmortem"].value("sequence", 0u), s["postmortem"].value("core", "").c_str(),
                s.value("name", "").c_str());
  }
  const unsigned crashes = s.value("crashes", 0u);
  if (crashes > 0 && s.contains("last_crash")) {
    std::printf("  crashes   %u, last: %s: %s (recovery: %s)\n", crashes,
                s["last_crash"].value("reason", "").c_str(),
                s["last_crash"].value("detail", "").c_str(), s.value("last_recovery", "").c_str());
  }
  std::printf("  console   %s\n", s.value("console", "").c_str());
}

}  // namespace

SessionOptions MakeOptions(const Global& g) {
  SessionOptions o;
  o.name = g.name;
  o.runtime_dir = g.runtime_dir;
  o.console_path = g.console.empty() ? RuntimeDir(g) + "/" + g.name + ".console" : g.console;
  return o;
}

int Report(const char* command, Status s) {
  std::fprintf(stderr, "tandem %s: %s (%s)\n", command, s.message(), StatusCodeName(s.code()));
  return kExitFailed;
}

int Report(const char* command, const Error& e) {
  std::fprintf(stderr, "tandem %s: %s (%s)\n", command, e.message.c_str(), StatusCodeName(e.code));
  return kExitFailed;
}

// --- info ----------------------------------------------------------------------

int Info(const std::string& firmware) {
  auto image = Session::ReadFile(firmware);
  if (!image.ok())
    return Report("info", Error{image.status().code(), firmware + ": " + image.status().message()});
  auto elf = elf::ElfFile::Parse(*image);
  if (!elf.ok())
    return Report("info", Error{elf.status().code(), firmware + ": " + elf.status().message()});
  std::printf("%s: ELF%d %s, entry 0x%" PRIx64 "\n", firmware.c_str(), elf->is_64bit() ? 64 : 32,
              elf::MachineName(elf->machine()), elf->entry());
  for (std::size_t i = 0; i < elf->program_header_count(); ++i) {
    auto ph = elf->program_header(i);
    if (!ph.ok() || ph->type != elf::kPtLoad) continue;
    std::printf("  PT_LOAD  paddr 0x%08" PRIx64 "  filesz 0x%06" PRIx64 "  memsz 0x%06" PRIx64
                "  %c%c%c\n",
                ph->paddr, ph->filesz, ph->memsz, (ph->flags & 4) ? 'R' : '-',
                (ph->flags & 2) ? 'W' : '-', (ph->flags & 1) ? 'X' : '-');
  }
  auto section = elf->FindSection(".resource_table");
  if (!section.ok()) {
    std::printf("  no .resource_table: the remote gets no resources\n");
    return 0;
  }
  auto bytes = elf->SectionData(*section);
  if (!bytes.ok())
    return Report("info", Error{bytes.status().code(), firmware + ": " + bytes.status().message()});
  auto table = rsc::ResourceTable::Parse(*bytes);
  if (!table.ok()) return Report("info: resource table", table.status());
  std::printf("resource table at 0x%" PRIx64 " (%zu bytes), %zu entries:\n", section->addr,
              bytes->size(), table->size());
  auto addr = [](std::uint32_t da) {
    static char buf[2][16];
    static int which = 0;
    which ^= 1;
    if (da == rsc::kAddrAny) return "ANY";
    std::snprintf(buf[which], sizeof(buf[which]), "0x%08x", da);
    return static_cast<const char*>(buf[which]);
  };
  for (const rsc::Entry& e : table->entries()) {
    switch (e.kind()) {
      case rsc::EntryKind::kCarveout: {
        const auto& c = e.carveout();
        std::printf("  carveout  %-14s da %-10s len 0x%x\n", c.name.c_str(), addr(c.da), c.len);
        break;
      }
      case rsc::EntryKind::kDevmem: {
        const auto& d = e.devmem();
        std::printf("  devmem    %-14s da %-10s pa 0x%08x len 0x%x\n", d.name.c_str(), addr(d.da),
                    d.pa, d.len);
        break;
      }
      case rsc::EntryKind::kTrace: {
        const auto& t = e.trace();
        std::printf("  trace     %-14s da %-10s len 0x%x\n", t.name.c_str(), addr(t.da), t.len);
        break;
      }
      case rsc::EntryKind::kVdev: {
        const auto& v = e.vdev();
        std::printf("  vdev      id %u%s dfeatures 0x%x, %u vrings\n", v.id,
                    v.id == rsc::kVirtioIdRpmsg ? " (rpmsg)" : "", v.dfeatures, v.num_of_vrings);
        for (std::size_t i = 0; i < v.vrings().size(); ++i) {
          const auto& r = v.vrings()[i];
          std::printf("    vring%zu  da %-10s align %u num %u notifyid %s\n", i, addr(r.da),
                      r.align, r.num,
                      r.notifyid == rsc::kAddrAny ? "ANY" : std::to_string(r.notifyid).c_str());
        }
        break;
      }
      case rsc::EntryKind::kVendor:
        std::printf("  vendor    type %u, %zu bytes\n", e.vendor().type, e.vendor().body.size());
        break;
      case rsc::EntryKind::kInvalid: std::printf("  (invalid entry)\n"); break;
    }
  }
  return 0;
}

// --- remoteproc, through the daemon ----------------------------------------------------

namespace {
// Absolute, so that the daemon (another cwd) finds it.
std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

int Simple(const char* command, const Global& g, Json request) {
  Json reply;
  int rc = kExitOk;
  if (!Call(command, g, std::move(request), &reply, &rc)) return rc;
  if (g.json) {
    PrintJson(reply.value("status", Json::object()));
  } else if (reply.contains("status")) {
    const Json& s = reply["status"];
    std::printf("%s: %s\n", s.value("name", "").c_str(), s.value("state", "").c_str());
  }
  return kExitOk;
}
}  // namespace

int List(const Global& g) {
  Json reply;
  int rc = kExitOk;
  if (!Call("list", g, {{"op", "list"}}, &reply, &rc)) return rc;
  const Json remotes = reply.value("remotes", Json::array());
  if (g.json) {
    PrintJson(remotes);
    return kExitOk;
  }
  if (remotes.empty()) {
    std::printf("no remotes yet (tandem start FIRMWARE.elf)\n");
    return kExitOk;
  }
  std::printf("%-16s %-9s %-8s %-9s %s\n", "NAME", "STATE", "CRASHES", "CHANNELS", "FIRMWARE");
  for (const Json& r : remotes) {
    std::printf("%-16s %-9s %-8u %-9u %s\n", r.value("name", "").c_str(),
                r.value("state", "").c_str(), r.value("crashes", 0u), r.value("channels", 0u),
                r.value("firmware", "").c_str());
  }
  return kExitOk;
}

int Start(const Global& g, const std::string& firmware) {
  Json reply;
  int rc = kExitOk;
  Json request = {{"op", "start"}};
  if (!firmware.empty()) request["firmware"] = Absolute(firmware);
  if (!Call("start", g, request, &reply, &rc)) return rc;
  const Json& s = reply["status"];
  if (g.json) {
    PrintJson(s);
    return kExitOk;
  }
  std::printf("%s: running %s", g.name.c_str(), s.value("firmware", "").c_str());
  if (s.contains("core")) std::printf(" on %s", s.value("core", "").c_str());
  if (s.contains("core_pid")) std::printf(" (core pid %d)", s["core_pid"].get<int>());
  std::printf(", console in %s\n", s.value("console", "").c_str());
  return kExitOk;
}

int Stop(const Global& g) {
  Json reply;
  int rc = kExitOk;
  if (!Call("stop", g, {{"op", "stop"}}, &reply, &rc)) return rc;
  if (g.json) {
    PrintJson(reply["status"]);
    return kExitOk;
  }
  const bool graceful = reply["status"].value("last_stop", Json::object()).value("graceful", false);
  std::printf("%s: stopped (%s)\n", g.name.c_str(),
              graceful ? "shutdown acknowledged" : "no acknowledgement: forced reset");
  return kExitOk;
}

int Detach(const Global& g) { return Simple("detach", g, {{"op", "detach"}}); }
int Crash(const Global& g) { return Simple("crash", g, {{"op", "crash"}}); }

int Event(const Global& g, std::uint32_t value, int count, int wait_ms) {
  Json reply;
  int rc = kExitOk;
  const Json request = {{"op", "event"}, {"event", value}, {"count", count}, {"wait_ms", wait_ms}};
  if (!Call("event", g, request, &reply, &rc)) return rc;
  const Json& e = reply["event"];
  if (g.json) {
    PrintJson(e);
  } else {
    const int sent = e.value("sent", 0), received = e.value("received", 0);
    if (wait_ms == 0) {
      std::printf("%s: event 0x%06x sent %d time(s)\n", g.name.c_str(), value, sent);
    } else if (received == 0) {
      std::printf("%s: event 0x%06x sent, no event back within %d ms\n", g.name.c_str(), value,
                  wait_ms);
    } else if (count == 1) {
      std::printf("%s: event 0x%06x sent; the remote answered 0x%06x in %.1f us\n", g.name.c_str(),
                  value, e.value("last", 0u), e["rtt_us"].value("median", 0.0));
    } else {
      const Json& r = e["rtt_us"];
      std::printf(
          "%s: %d events sent, %d answered; rtt min/median/p99/max = "
          "%.1f/%.1f/%.1f/%.1f us\n",
          g.name.c_str(), sent, received, r.value("min", 0.0), r.value("median", 0.0),
          r.value("p99", 0.0), r.value("max", 0.0));
    }
  }
  return wait_ms > 0 && e.value("received", 0) < e.value("sent", 0) ? kExitFailed : kExitOk;
}

int StatusCmd(const Global& g) {
  Json reply;
  int rc = kExitOk;
  if (!Call("status", g, {{"op", "status"}}, &reply, &rc)) return rc;
  if (g.json) {
    PrintJson(reply["status"]);
  } else {
    PrintStatus(reply["status"]);
  }
  return kExitOk;
}

int Firmware(const Global& g, const std::string& path) {
  Json reply;
  int rc = kExitOk;
  Json request = {{"op", "firmware"}};
  if (!path.empty()) request["firmware"] = Absolute(path);
  if (!Call("firmware", g, request, &reply, &rc)) return rc;
  const std::string fw = reply.contains("status") ? reply["status"].value("firmware", "")
                                                  : reply.value("firmware", "");
  if (g.json) {
    PrintJson({{"firmware", fw}});
  } else {
    std::printf("%s\n", fw.empty() ? "(none)" : fw.c_str());
  }
  return kExitOk;
}

int Recovery(const Global& g, const std::string& value) {
  Json reply;
  int rc = kExitOk;
  Json request = {{"op", "recovery"}};
  if (!value.empty()) request["value"] = value;
  if (!Call("recovery", g, request, &reply, &rc)) return rc;
  if (value.empty() || value == "enabled" || value == "disabled") {
    const std::string now = reply.contains("status") ? reply["status"].value("recovery", "")
                                                     : reply.value("recovery", "");
    if (g.json) {
      PrintJson({{"recovery", now}});
    } else {
      std::printf("%s\n", now.c_str());
    }
    return kExitOk;
  }
  std::printf("%s: %s\n", g.name.c_str(), reply["status"].value("state", "").c_str());
  return kExitOk;
}

namespace {
void PrintBuffers(const Json& b) {
  const unsigned size = b.value("buffer_size", 0u);
  const std::string required = b.contains("required") && b["required"].is_string()
                                   ? b.value("required", "")
                                   : std::to_string(b.value("required", 0u));
  if (size == 0) {
    std::printf("no vdev placed; required size %s\n", required.c_str());
    return;
  }
  std::printf("%u buffers of %u bytes (mtu %u)%s; required size %s\n", b.value("buffers", 0u), size,
              b.value("mtu", 0u), b.value("negotiated", false) ? ", VIRTIO_RPMSG_F_BUFSZ" : "",
              required.c_str());
}
}  // namespace

int Buffers(const Global& g, const std::string& value) {
  Json reply;
  int rc = kExitOk;
  Json request = {{"op", "buffers"}};
  if (!value.empty()) request["value"] = value;
  if (!Call("buffers", g, request, &reply, &rc)) return rc;
  const Json b = reply.contains("status") ? reply["status"].value("buffers", Json::object())
                                          : reply.value("buffers", Json::object());
  if (g.json) {
    PrintJson({{"buffers", b}});
  } else {
    PrintBuffers(b);
  }
  return kExitOk;
}

int Trace(const Global& g, bool follow) {
  Json reply;
  int rc = kExitOk;
  if (!Call("trace", g, {{"op", "trace"}}, &reply, &rc)) return rc;
  std::string shown = reply.value("trace", "");
  if (g.json && !follow) {
    PrintJson({{"trace", shown}});
    return kExitOk;
  }
  std::fwrite(shown.data(), 1, shown.size(), stdout);
  if (!follow) return kExitOk;
  // Follow: ask again every 200 ms and print what was appended. A buffer
  // that wrapped or was reset (a restart) is printed again from its start.
  CatchInterrupt();
  std::fflush(stdout);
  while (!g_interrupted.load()) {
    std::this_thread::sleep_for(200ms);
    Json next;
    if (!Call("trace", g, {{"op", "trace"}}, &next, &rc)) return rc;
    const std::string now = next.value("trace", "");
    if (now == shown) continue;
    if (now.size() > shown.size() && now.compare(0, shown.size(), shown) == 0) {
      std::fwrite(now.data() + shown.size(), 1, now.size() - shown.size(), stdout);
    } else {
      std::printf("--- trace buffer restarted ---\n");
      std::fwrite(now.data(), 1, now.size(), stdout);
    }
    std::fflush(stdout);
    shown = now;
  }
  return kExitOk;
}

int Log(const Global& g, bool follow) {
  std::uint64_t since = 0;
  int rc = kExitOk;
  if (follow) CatchInterrupt();
  while (!g_interrupted.load()) {
    Json reply;
    if (!Call("log", g, {{"op", "log"}, {"since", since}}, &reply, &rc)) return rc;
    const Json lines = reply.value("lines", Json::array());
    for (const Json& line : lines) {
      if (g.json) {
        std::printf("%s\n", line.dump().c_str());
      } else {
        std::printf("[%12.6f] remoteproc %s: %s\n", line.value("time", 0.0), g.name.c_str(),
                    line.value("text", "").c_str());
      }
      since = std::max<std::uint64_t>(since, line.value("seq", std::uint64_t{0}));
    }
    std::fflush(stdout);
    if (lines.empty()) {  // all read: the replies come in pieces
      if (!follow) break;
      std::this_thread::sleep_for(100ms);
    }
  }
  return kExitOk;
}

int Coredump(const Global& g, const std::string& path, bool postmortem) {
  Json reply;
  int rc = kExitOk;
  if (!Call("coredump", g,
            {{"op", "coredump"}, {"path", Absolute(path)}, {"postmortem", postmortem}}, &reply,
            &rc)) {
    return rc;
  }
  std::printf("%s: wrote %s%s\n", g.name.c_str(), path.c_str(),
              postmortem ? " (the core kept at the last crash)" : "");
  return kExitOk;
}

int PostMortem(const Global& g, const std::string& policy) {
  Json reply;
  int rc = kExitOk;
  if (!policy.empty()) {
    if (!Call("postmortem", g, {{"op", "coredump_policy"}, {"value", policy}}, &reply, &rc)) {
      return rc;
    }
    std::printf("%s: coredump %s\n", g.name.c_str(), policy.c_str());
    return kExitOk;
  }
  if (!Call("postmortem", g, {{"op", "postmortem"}}, &reply, &rc)) return rc;
  const Json pm = reply["postmortem"];
  if (g.json) {
    PrintJson(pm);
    return kExitOk;
  }
  const std::time_t when = pm.value("time", std::int64_t{0});
  char stamp[64];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", std::localtime(&when));
  std::printf("%s: crash %u at %s: %s: %s\n", g.name.c_str(), pm.value("sequence", 0u), stamp,
              pm.value("reason", "").c_str(), pm.value("detail", "").c_str());
  if (pm.contains("exit")) std::printf("  core exit  %s\n", pm.value("exit", "").c_str());
  std::printf("  core file  %s (%zu bytes; tandem coredump --postmortem %s FILE)\n",
              pm.value("core", "").c_str(), pm.value("core_bytes", std::size_t{0}), g.name.c_str());
  std::printf("  trace at the crash:\n");
  const std::string trace = pm.value("trace", "");
  std::fwrite(trace.data(), 1, trace.size(), stdout);
  return kExitOk;
}

namespace {
int Inspect(const Global& g, const char* op) {
  Json reply;
  int rc = kExitOk;
  Json request = {{"op", op}};
  if (g.vdev != 0) request["vdev"] = g.vdev;
  if (!Call(op, g, request, &reply, &rc)) return rc;
  if (g.json) {
    PrintJson(reply[op]);
  } else {
    const std::string text = reply.value("text", "");
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return kExitOk;
}
}  // namespace

int Rings(const Global& g) { return Inspect(g, "rings"); }
int ResourceTable(const Global& g) { return Inspect(g, "rsc"); }

int Channels(const Global& g) {
  Json reply;
  int rc = kExitOk;
  if (!Call("channels", g, {{"op", "channels"}}, &reply, &rc)) return rc;
  const Json channels = reply.value("channels", Json::array());
  if (g.json) {
    PrintJson(channels);
    return kExitOk;
  }
  if (channels.empty()) {
    std::printf("%s: no channels announced\n", g.name.c_str());
    return kExitOk;
  }
  for (const Json& c : channels) {
    // Channels of a further RPMsg vdev say which (docs/vdevs.md).
    const std::uint32_t vdev = c.value("vdev", 0u);
    const std::string on = vdev == 0 ? "" : "  vdev " + std::to_string(vdev);
    std::printf("%-32s addr %s  mtu %u%s\n", c.value("name", "").c_str(),
                Hex(c.value("remote", std::uint64_t{0})).c_str(), c.value("mtu", 0u), on.c_str());
  }
  return kExitOk;
}

namespace {
// Gone, or a zombie nobody reaped yet (a container's init may not).
bool ProcessGone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}
}  // namespace

int DaemonCmd(const Global& g, const std::string& action) {
  ClientOptions o = Options(g);
  o.spawn = action == "start";
  Client c;
  Error e = Client::Connect(o, &c);
  if (!e.ok()) {
    if (action == "status" || action == "stop") {
      std::printf("tandemd: not running for %s\n", RuntimeDir(g).c_str());
      return action == "status" ? kExitFailed : kExitOk;
    }
    return Report("daemon", e);
  }
  Json reply;
  if (action == "stop") {
    Json hello;
    e = c.Call({{"op", "hello"}}, &hello);
    if (e.ok()) e = c.Call({{"op", "shutdown"}}, &reply);
    if (!e.ok()) return Report("daemon", e);
    // Wait for the process to be gone: it detaches or stops its remotes
    // first, and a new daemon could not take them over before.
    const pid_t pid = hello.value("pid", 0);
    for (int i = 0; i < 200; ++i) {
      if (pid <= 0 || ProcessGone(pid)) {
        std::printf("tandemd: stopped\n");
        return kExitOk;
      }
      std::this_thread::sleep_for(50ms);
    }
    return Report("daemon", Error{StatusCode::kDeadlineExceeded, "tandemd did not exit in 10 s"});
  }
  e = c.Call({{"op", "hello"}}, &reply);
  if (!e.ok()) return Report("daemon", e);
  if (g.json) {
    PrintJson(reply);
  } else {
    std::printf("tandemd: running (pid %d, protocol %d) for %s\n", reply.value("pid", 0),
                reply.value("version", 0), reply.value("runtime_dir", "").c_str());
  }
  return kExitOk;
}

int Run(const Global& g, const std::string& firmware, bool recovery, bool sample) {
  Json reply;
  int rc = kExitOk;
  if (!Call("run", g, {{"op", "recovery"}, {"value", recovery ? "enabled" : "disabled"}}, &reply,
            &rc)) {
    return rc;
  }
  Json log;
  if (!Call("run", g, {{"op", "log"}}, &log, &rc)) return rc;
  std::uint64_t since = log.value("last", std::uint64_t{0});
  if (const int s = Start(g, firmware); s != kExitOk) return s;
  if (sample) {
    if (const int s = Sample(g, 100); s != kExitOk) return s;
  }
  std::printf("%s: supervised by tandemd; Ctrl-C stops it\n", g.name.c_str());
  CatchInterrupt();
  while (!g_interrupted.load()) {
    Json next;
    if (!Call("run", g, {{"op", "log"}, {"since", since}}, &next, &rc)) return rc;
    for (const Json& line : next.value("lines", Json::array())) {
      std::printf("remoteproc: %s\n", line.value("text", "").c_str());
      since = std::max<std::uint64_t>(since, line.value("seq", std::uint64_t{0}));
    }
    std::fflush(stdout);
    std::this_thread::sleep_for(100ms);
  }
  std::printf("\nremoteproc: stopping %s\n", g.name.c_str());
  return Stop(g);
}

// --- traffic: channels opened in the daemon ----------------------------------------------

namespace {

// Waits for the next message, skipping events (printed to stderr when they
// matter). kDeadlineExceeded after `timeout`.
Error NextMessage(ChannelClient& ch, std::vector<std::byte>* out, std::chrono::milliseconds timeout,
                  bool quiet = false) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Error{StatusCode::kDeadlineExceeded, "no reply in time"};
    ChannelClient::Incoming in;
    if (Error e = ch.Receive(&in, std::min<std::chrono::milliseconds>(left, 100ms)); !e.ok()) {
      if (e.code == StatusCode::kDeadlineExceeded) {
        if (g_interrupted.load()) return Error{StatusCode::kAborted, "interrupted"};
        continue;
      }
      return e;
    }
    if (!in.is_event) {
      *out = std::move(in.payload);
      return Error::Ok();
    }
    const std::string event = in.event.value("event", "");
    if (event == "send_failed") {
      return Error{client::StatusCodeFromName(in.event.value("code", "")),
                   "send failed: " + in.event.value("error", "")};
    }
    if (!quiet)
      std::fprintf(stderr, "tandem: channel %s: %s\n", ch.name().c_str(), in.event.dump().c_str());
  }
}

ConstByteSpan Bytes(const std::string& s) { return AsBytes(s.data(), s.size()); }

void PrintMessage(const std::vector<std::byte>& m) {
  const std::string text =
      host::Printable(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
  std::printf("%s\n", text.c_str());
}

}  // namespace

int Sample(const Global& g, int count) {
  ChannelClient ch;
  if (Error e = OpenChannel(g, kSampleChannel, &ch); !e.ok()) return Report("sample", e);
  std::printf("rpmsg_client_sample: new channel: 0x%x -> 0x%x!\n", ch.src(), ch.dst());
  const std::string hello = "hello world!";
  if (Error e = ch.Send(Bytes(hello)); !e.ok()) return Report("sample", e);
  std::vector<std::byte> m;
  for (int n = 1; n <= count; ++n) {
    if (Error e = NextMessage(ch, &m, 5s); !e.ok()) return Report("sample", e);
    std::printf("rpmsg_client_sample: incoming msg %d (src: 0x%x)\n", n, ch.dst());
    if (n < count) {
      if (Error e = ch.Send(Bytes(hello)); !e.ok()) return Report("sample", e);
    }
  }
  std::printf("rpmsg_client_sample: goodbye!\n");
  return kExitOk;
}

int Ping(const Global& g, int count, std::size_t size) {
  ChannelClient ch;
  if (Error e = OpenChannel(g, kEchoChannel, &ch); !e.ok()) return Report("ping", e);
  if (size > ch.mtu()) {
    return Report("ping", Error{StatusCode::kInvalidArgument,
                                "size " + std::to_string(size) + " is larger than the MTU (" +
                                    std::to_string(ch.mtu()) + " bytes)"});
  }
  CatchInterrupt();
  if (!g.json) {
    std::printf("PING %s 0x%x -> 0x%x: %zu bytes\n", kEchoChannel, ch.src(), ch.dst(), size);
  }
  std::vector<std::byte> out(size), in;
  std::vector<double> rtts;
  int sent = 0, lost = 0, consecutive_lost = 0;
  auto last_progress = Clock::now();
  const bool per_reply = count <= 20;
  for (int i = 0; i < count && !g_interrupted.load(); ++i) {
    for (std::size_t k = 0; k < size; ++k) out[k] = static_cast<std::byte>(i + k);
    const auto t0 = Clock::now();
    ++sent;
    Error e = ch.Send(out);
    if (e.ok()) e = NextMessage(ch, &in, 1s, true);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (e.code == StatusCode::kAborted && g_interrupted.load()) {
      --sent;
      break;
    }
    if (!e.ok() || in.size() != size ||
        (size != 0 && std::memcmp(in.data(), out.data(), size) != 0)) {
      ++lost;
      ++consecutive_lost;
      std::printf("seq=%d: %s\n", i, e.ok() ? "reply differs" : e.message.c_str());
      if (e.code == StatusCode::kUnavailable) break;  // the daemon is gone
      if (consecutive_lost >= 5) {
        // A remote that answers nothing five times in a row is down: say so
        // now instead of timing out for the rest of the count.
        std::printf("5 round trips lost in a row: giving up\n");
        break;
      }
      continue;
    }
    consecutive_lost = 0;
    rtts.push_back(us);
    if (per_reply && !g.json) {
      std::printf("%zu bytes from 0x%x: seq=%d time=%.1f us\n", size, ch.dst(), i, us);
    } else if (!g.json && Clock::now() - last_progress > 1s) {
      last_progress = Clock::now();
      std::printf("%d/%d round trips, %d lost\n", i + 1, count, lost);
      std::fflush(stdout);
    }
  }
  std::vector<double> sorted = rtts;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](std::size_t k) {
    return sorted.empty() ? 0.0 : sorted[std::min(sorted.size() - 1, k)];
  };
  const double p50 = at(sorted.size() / 2), p99 = at(sorted.size() * 99 / 100);
  if (g.json) {
    PrintJson(
        {{"sent", sent},
         {"received", sent - lost},
         {"lost", lost},
         {"size", size},
         {"rtt_us", {{"min", at(0)}, {"median", p50}, {"p99", p99}, {"max", at(sorted.size())}}},
         {"interrupted", g_interrupted.load()}});
  } else {
    std::printf("--- %d sent, %d received, %d lost%s\n", sent, sent - lost, lost,
                g_interrupted.load() ? " (interrupted)" : "");
    if (!sorted.empty()) {
      std::printf("rtt min/median/p99/max = %.1f/%.1f/%.1f/%.1f us\n", at(0), p50, p99,
                  at(sorted.size()));
    }
  }
  return lost == 0 && sent > 0 ? kExitOk : kExitFailed;
}

int Echo(const Global& g, const std::vector<std::string>& words, bool large, std::size_t size) {
  ChannelClient ch;
  if (Error e = OpenChannel(g, large ? kLargeEchoChannel : kEchoChannel, &ch, large); !e.ok()) {
    return Report("echo", e);
  }
  if (size == 0) {
    if (words.empty()) {
      return Report("echo", Error{StatusCode::kInvalidArgument, "no text (or -s SIZE) to send"});
    }
    const std::string text = Join(words);
    if (Error e = ch.Send(Bytes(text)); !e.ok()) return Report("echo", e);
    std::vector<std::byte> m;
    if (Error e = NextMessage(ch, &m, 2s); !e.ok()) return Report("echo", e);
    PrintMessage(m);
    return kExitOk;
  }
  // A pattern of printable bytes, checked on its way back.
  std::vector<std::byte> out(size), in;
  for (std::size_t k = 0; k < size; ++k)
    out[k] = static_cast<std::byte>('a' + (k * 7 + k / 26) % 26);
  const auto t0 = Clock::now();
  if (Error e = ch.Send(out); !e.ok()) return Report("echo", e);
  if (Error e = NextMessage(ch, &in, 5s); !e.ok()) return Report("echo", e);
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  const bool same = in.size() == size && std::memcmp(in.data(), out.data(), size) == 0;
  if (g.json) {
    PrintJson({{"channel", ch.name()},
               {"sent", size},
               {"received", in.size()},
               {"match", same},
               {"large", ch.large()},
               {"mtu", ch.mtu()},
               {"rtt_us", us}});
  } else {
    std::printf("%zu bytes to %s (mtu %zu%s): %zu bytes back, %s, %.1f us\n", size,
                ch.name().c_str(), ch.mtu(), ch.large() ? ", large messages" : "", in.size(),
                same ? "content matches" : "CONTENT DIFFERS", us);
  }
  return same ? kExitOk : kExitFailed;
}

int Send(const Global& g, const std::string& channel, const std::vector<std::string>& words,
         std::chrono::milliseconds wait, bool large) {
  ChannelClient ch;
  if (Error e = OpenChannel(g, channel, &ch, large); !e.ok()) return Report("send", e);
  const std::string text = Join(words);
  if (Error e = ch.Send(Bytes(text)); !e.ok()) return Report("send", e);
  // With -w 0 nothing is awaited: the daemon sends the message after we are
  // gone (it read it before our end of the connection).
  const auto deadline = Clock::now() + wait;
  std::vector<std::byte> m;
  while (Clock::now() < deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    Error e = NextMessage(ch, &m, left);
    if (e.code == StatusCode::kDeadlineExceeded) break;
    if (!e.ok()) return Report("send", e);
    PrintMessage(m);
  }
  return kExitOk;
}

int Stream(const Global& g, std::uint32_t count, int delay_us, bool manual, int pause_ms) {
  ChannelClient ch;
  ChannelSpec spec;
  spec.remote = g.name;
  spec.channel = "tandem-stream";
  spec.flow_auto = !manual;
  spec.vdev = g.vdev;
  if (Error e = ChannelClient::Open(Options(g), spec, &ch); !e.ok()) return Report("stream", e);
  SaySpawned(ch.started_pid(), g);
  if (!ch.flow_control() && !g.json) {
    std::fprintf(stderr,
                 "tandem stream: the remote has no flow control: a slow reader loses "
                 "messages\n");
  }
  std::byte request[4];
  for (int i = 0; i < 4; ++i) request[i] = static_cast<std::byte>(count >> (8 * i));
  if (Error e = ch.Send(ConstByteSpan(request, 4)); !e.ok()) return Report("stream", e);
  std::uint32_t received = 0, next = 0, out_of_order = 0, during_pause = 0;
  std::uint64_t dropped = 0, auto_pauses = 0, remote_pauses = 0;
  bool paused_by_hand = false, pause_done = pause_ms <= 0;
  while (received < count) {
    if (!pause_done && received >= count / 4) {
      pause_done = true;
      if (Error e = ch.SetIncomingFlow(true); !e.ok()) return Report("stream", e);
      paused_by_hand = true;
      const auto until = Clock::now() + std::chrono::milliseconds(pause_ms);
      const std::uint32_t before = received;
      while (Clock::now() < until) {  // what was in flight still arrives
        ChannelClient::Incoming in;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
        Error e = ch.Receive(&in, std::max(left, std::chrono::milliseconds(1)));
        if (e.code == StatusCode::kDeadlineExceeded) break;
        if (!e.ok()) return Report("stream", e);
        if (!in.is_event && in.payload.size() == 8) {
          const std::uint32_t seq = static_cast<std::uint32_t>(in.payload[0]) |
                                    static_cast<std::uint32_t>(in.payload[1]) << 8 |
                                    static_cast<std::uint32_t>(in.payload[2]) << 16 |
                                    static_cast<std::uint32_t>(in.payload[3]) << 24;
          if (seq != next) ++out_of_order;
          next = seq + 1;
          ++received;
        }
      }
      during_pause = received - before;
      if (Error e = ch.SetIncomingFlow(false); !e.ok()) return Report("stream", e);
      continue;
    }
    ChannelClient::Incoming in;
    Error e = ch.Receive(&in, std::chrono::seconds(10));
    if (e.code == StatusCode::kDeadlineExceeded) {
      std::fprintf(stderr, "tandem stream: nothing for 10 s after %u of %u messages\n", received,
                   count);
      break;
    }
    if (!e.ok()) return Report("stream", e);
    if (in.is_event) {
      const std::string kind = in.event.value("event", "");
      if (kind == "dropped") dropped += in.event.value("count", std::uint64_t{0});
      if (kind == "flow" && in.event.value("auto", false) &&
          in.event.value("incoming_paused", false)) {
        ++auto_pauses;
      }
      if (kind == "flow" && in.event.value("outgoing_paused", false)) ++remote_pauses;
      if (kind == "down")
        return Report("stream", Error{StatusCode::kAborted, "the link went down"});
      continue;
    }
    if (in.payload.size() != 8) continue;
    const std::uint32_t seq = static_cast<std::uint32_t>(in.payload[0]) |
                              static_cast<std::uint32_t>(in.payload[1]) << 8 |
                              static_cast<std::uint32_t>(in.payload[2]) << 16 |
                              static_cast<std::uint32_t>(in.payload[3]) << 24;
    if (seq == 0xFFFFFFFFu) {
      return Report("stream", Error{StatusCode::kResourceExhausted,
                                    "the remote runs as many streams as it can"});
    }
    if (seq != next) ++out_of_order;
    next = seq + 1;
    ++received;
    if (delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
  }
  const std::uint64_t lost = count - received;
  if (g.json) {
    PrintJson({{"count", count},
               {"received", received},
               {"lost", lost},
               {"dropped", dropped},
               {"out_of_order", out_of_order},
               {"flow_control", ch.flow_control()},
               {"flow", manual ? "manual" : "auto"},
               {"auto_pauses", auto_pauses},
               {"paused_by_hand", paused_by_hand},
               {"received_while_paused", during_pause}});
  } else {
    std::printf("tandem-stream: %u of %u messages, %s, %" PRIu64 " lost\n", received, count,
                out_of_order == 0 ? "in order" : "OUT OF ORDER", lost);
    std::printf("flow control: %s, %s; the daemon paused the remote %" PRIu64 " times\n",
                ch.flow_control() ? "negotiated" : "not negotiated", manual ? "manual" : "auto",
                auto_pauses);
    if (paused_by_hand) {
      std::printf(
          "paused by hand for %d ms: %u messages arrived (queued in the daemon or in flight before "
          "the pause)\n",
          pause_ms, during_pause);
    }
  }
  (void)remote_pauses;
  return lost == 0 && out_of_order == 0 && dropped == 0 ? kExitOk : kExitFailed;
}

int Tty(const Global& g, const std::string& channel, bool large) {
  ChannelClient ch;
  if (Error e = OpenChannel(g, channel, &ch, large); !e.ok()) return Report("tty", e);
  // A channel with large messages takes each line whole (up to
  // max_message()); otherwise lines are cut at the MTU.
  const std::size_t piece = ch.max_message();
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      ChannelClient::Incoming in;
      Error e = ch.Receive(&in, 100ms);
      if (!e.ok()) {
        if (e.code == StatusCode::kDeadlineExceeded) continue;
        break;
      }
      if (in.is_event) {
        std::fprintf(stderr, "tandem tty: %s\n", in.event.dump().c_str());
        continue;
      }
      const std::string text = host::Printable(
          std::string_view(reinterpret_cast<const char*>(in.payload.data()), in.payload.size()));
      std::printf("%s", text.c_str());
      if (text.empty() || text.back() != '\n') std::printf("\n");
      std::fflush(stdout);
    }
  });
  std::string line;
  int rc = kExitOk;
  while (std::getline(std::cin, line)) {
    line += '\n';
    for (std::size_t off = 0; off < line.size(); off += piece) {
      const std::size_t n = std::min<std::size_t>(piece, line.size() - off);
      if (Error e = ch.Send(AsBytes(line.data() + off, n)); !e.ok()) {
        rc = Report("tty", e);
        break;
      }
    }
    if (rc != kExitOk) break;
  }
  std::this_thread::sleep_for(300ms);  // let the last replies arrive
  done = true;
  reader.join();
  return rc;
}

// --- demo -------------------------------------------------------------------------------

namespace {
void PrintLogSince(const Global& g, std::uint64_t* since) {
  Json reply;
  int rc = kExitOk;
  if (!Call("demo", g, {{"op", "log"}, {"since", *since}}, &reply, &rc)) return;
  for (const Json& line : reply.value("lines", Json::array())) {
    std::printf("[%10.6f] remoteproc %s: %s\n", line.value("time", 0.0), g.name.c_str(),
                line.value("text", "").c_str());
    *since = std::max<std::uint64_t>(*since, line.value("seq", std::uint64_t{0}));
  }
}
}  // namespace

// The Linux <-> Zephyr scenario end to end: start the firmware, the
// client-sample transcript, a chat on the tty channel, the remote's trace,
// stop. Everything goes through the daemon, as any other command.
int Demo(const Global& g, const std::string& firmware) {
  if (firmware.empty()) {
    return Report("demo",
                  Error{StatusCode::kInvalidArgument, "no firmware given (tandem demo FW.elf)"});
  }
  std::printf("== %s: boot %s\n", g.name.c_str(), firmware.c_str());
  Json log;
  int rc = kExitOk;
  if (!Call("demo", g, {{"op", "log"}}, &log, &rc)) return rc;
  std::uint64_t since = log.value("last", std::uint64_t{0});
  if (const int s = Start(g, firmware); s != kExitOk) return s;
  // Wait for the announcements (the daemon logs them as Linux does).
  for (int i = 0; i < 50; ++i) {
    Json ch;
    if (Call("demo", g, {{"op", "channels"}}, &ch, &rc) && ch["channels"].size() >= 3) break;
    std::this_thread::sleep_for(20ms);
  }
  PrintLogSince(g, &since);

  std::printf("\n== rpmsg_client_sample (Linux's samples/rpmsg/rpmsg_client_sample.c)\n");
  if (const int s = Sample(g, 100); s != kExitOk) return s;

  std::printf("\n== a chat on rpmsg-tty (Linux: /dev/ttyRPMSG0)\n");
  ChannelClient tty;
  if (Error e = OpenChannel(g, kTtyChannel, &tty); !e.ok()) return Report("demo", e);
  for (const char* line : {"Hello Zephyr", "How are you?", "Goodbye"}) {
    std::printf("> %s\n", line);
    if (Error e = tty.Send(Bytes(std::string(line))); !e.ok()) return Report("demo", e);
    std::vector<std::byte> m;
    if (Error e = NextMessage(tty, &m, 2s); !e.ok()) return Report("demo", e);
    std::printf("< ");
    PrintMessage(m);
  }

  std::printf("\n== the remote's trace buffer (last lines)\n");
  Json trace;
  if (!Call("demo", g, {{"op", "trace"}}, &trace, &rc)) return rc;
  const std::string text = trace.value("trace", "");
  std::size_t start = text.size(), lines = 0;
  while (start > 0 && lines < 6) {
    start = text.rfind('\n', start - 2);
    if (start == std::string::npos) {
      start = 0;
      break;
    }
    ++start;
    ++lines;
  }
  std::fwrite(text.data() + start, 1, text.size() - start, stdout);

  std::printf("\n== stop\n");
  if (const int s = Stop(g); s != kExitOk) return s;
  PrintLogSince(g, &since);
  return kExitOk;
}

}  // namespace tandem::cli
