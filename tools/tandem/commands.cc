#include "commands.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/host/client_sample.h"
#include "tandem/host/printable.h"
#include "tandem/linux/core_state.h"
#include "tandem/linux/force_stop.h"
#include "tandem/linux/instance_lock.h"
#include "tandem/remoteproc/state.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::cli {

using host::ChannelPort;
using host::Session;
using host::SessionOptions;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kEchoChannel = "rpmsg-openamp-demo-channel";
constexpr auto kBindTimeout = std::chrono::seconds(5);

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

// A session attached to the running remote for the duration of a command;
// detaches (leaving the remote running) when it goes out of scope.
class Attached {
 public:
  explicit Attached(const Global& g) : global_(g) {}
  ~Attached() {
    if (session_ && session_->state() == remoteproc::State::kAttached) {
      Status s = session_->Detach();
      if (!s.ok()) Report("detach", s);
    }
  }
  // Creates the session; register drivers on session() before Attach() so
  // they bind as the remote re-announces its channels.
  Status Create() {
    auto created = Session::Create(MakeOptions(global_));
    if (!created.ok()) return created.status();
    session_ = std::move(created).value();
    return OkStatus();
  }
  Status Attach() {
    Status s = session_->Attach();
    if (s.code() == StatusCode::kNotFound) {
      return NotFound("no remote is running under this name (start one with `tandem start`)");
    }
    return s;
  }
  Status Open() {
    TANDEM_TRY(Create());
    return Attach();
  }
  // Create, a port on `channel`, attach, wait until the channel is bound.
  Result<ChannelPort*> OpenPort(const std::string& channel) {
    TANDEM_TRY(Create());
    port_ = std::make_unique<ChannelPort>(*session_, channel);
    TANDEM_TRY(port_->Register());
    TANDEM_TRY(Attach());
    TANDEM_TRY(port_->WaitBound(kBindTimeout));
    return port_.get();
  }
  Session& session() { return *session_; }

 private:
  const Global& global_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<ChannelPort> port_;  // destroyed before the session
};

void PrintChannel(const char* what, rpmsg::Channel& c) {
  std::printf("rpmsg: %s channel %s: 0x%x -> 0x%x\n", what, c.name(), c.local_address(),
              c.remote_address());
}

// Prints channels as they come and go (`tandem run`).
class ChannelLogger final : public rpmsg::ChannelHandler {
 public:
  void OnBound(rpmsg::Channel& c) override { PrintChannel("new", c); }
  void OnUnbound(rpmsg::Channel& c) override { PrintChannel("removed", c); }
};

}  // namespace

SessionOptions MakeOptions(const Global& g) {
  SessionOptions o;
  o.name = g.name;
  o.runtime_dir = g.runtime_dir;
  o.console_path = g.console.empty() ? RuntimeDir(g) + "/" + g.name + ".console" : g.console;
  return o;
}

namespace {
const Global* g_report_context = nullptr;
}  // namespace

void SetReportContext(const Global& g) { g_report_context = &g; }

namespace {
// RemoteProc's detail of a failed load (which segment, which entry), when
// there is one: no empty line before the error itself.
void PrintDetail(const char* command, const char* detail) {
  if (detail != nullptr && detail[0] != '\0')
    std::fprintf(stderr, "tandem %s: %s\n", command, detail);
}
}  // namespace

int Report(const char* command, Status s) {
  std::fprintf(stderr, "tandem %s: %s (%s)\n", command, s.message(), StatusCodeName(s.code()));
  if (s.Is(linux_platform::kInstanceInUse) && g_report_context != nullptr) {
    const Global& g = *g_report_context;
    const pid_t holder = linux_platform::InstanceLock::Holder(RuntimeDir(g), g.name);
    if (holder > 0) {
      std::fprintf(stderr,
                   "tandem %s: %s is driven by process %d; until the daemon owns remotes, one host "
                   "process at a time\n",
                   command, g.name.c_str(), static_cast<int>(holder));
    }
  }
  return 1;
}

// --- info ----------------------------------------------------------------------

int Info(const std::string& firmware) {
  auto image = Session::ReadFile(firmware);
  if (!image.ok()) return Report("info", image.status());
  auto elf = elf::ElfFile::Parse(*image);
  if (!elf.ok()) return Report("info", elf.status());
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
  if (!bytes.ok()) return Report("info", bytes.status());
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

// --- lifecycle -----------------------------------------------------------------------

int Run(const Global& g, const std::string& firmware, bool recovery, bool sample) {
  // Signals are taken synchronously by this thread; block them before any
  // thread starts so that none of the session's threads receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  SessionOptions options = MakeOptions(g);
  options.recovery = recovery;
  auto created = Session::Create(options);
  if (!created.ok()) return Report("run", created.status());
  Session& s = **created;
  ChannelLogger echo_log, tty_log;
  host::ClientSample client(stdout);
  ChannelLogger sample_log;
  s.RegisterDriver(kEchoChannel, echo_log).IgnoreError();
  s.RegisterDriver("rpmsg-tty", tty_log).IgnoreError();
  if (sample) {
    client.Register(s).IgnoreError();
  } else {
    s.RegisterDriver(host::kClientSampleName, sample_log).IgnoreError();
  }
  auto image = Session::ReadFile(firmware);
  if (!image.ok()) return Report("run", image.status());
  if (Status st = s.Boot(std::move(image).value()); !st.ok()) {
    PrintDetail("run", s.rproc().error_detail());
    return Report("run", st);
  }
  std::printf("remoteproc: %s is running %s (core pid %d); Ctrl-C stops it\n", g.name.c_str(),
              firmware.c_str(), s.linux_platform()->core_pid());

  std::atomic<bool> done{false};
  std::thread crash_watch([&] {
    for (std::uint32_t seen = 1; !done.load(); ++seen) {
      while (!s.WaitForCrashes(seen, std::chrono::milliseconds(200))) {
        if (done.load()) return;
      }
      const auto crash = s.last_crash();
      std::printf("remoteproc: crash #%u: %s: %s -> %s\n", crash.count,
                  remoteproc::CrashReasonName(crash.reason), crash.detail,
                  remoteproc::StateName(s.state()));
    }
  });
  int sig = 0;
  sigwait(&set, &sig);
  done = true;
  crash_watch.join();
  std::printf("\nremoteproc: stopping %s\n", g.name.c_str());
  Status st = s.Stop();
  std::printf("remoteproc: %s\n", s.last_stop().graceful ? "shutdown acknowledged by the remote"
                                                         : "no acknowledgement: forced reset");
  return st.ok() ? 0 : Report("run", st);
}

int Start(const Global& g, const std::string& firmware) {
  auto created = Session::Create(MakeOptions(g));
  if (!created.ok()) return Report("start", created.status());
  Session& s = **created;
  auto image = Session::ReadFile(firmware);
  if (!image.ok()) return Report("start", image.status());
  if (Status st = s.Boot(std::move(image).value()); !st.ok()) {
    PrintDetail("start", s.rproc().error_detail());
    return Report("start", st);
  }
  const pid_t pid = s.linux_platform()->core_pid();
  if (Status st = s.Detach(); !st.ok()) return Report("start", st);
  std::printf("%s: running %s (core pid %d), console in %s\n", g.name.c_str(), firmware.c_str(),
              pid, MakeOptions(g).console_path.c_str());
  return 0;
}

// Stopping always ends the core. The graceful path attaches (which parses
// the loaded resource table and the mailbox page the remote can write) and
// runs the shutdown handshake. If the attach or the stop fails, the core is
// killed by its state file alone (ForceStopCore), the state file removed,
// and the forced stop is reported with its reason. Exit codes: 0 stopped
// (gracefully, or reset without an acknowledgement), 1 nothing stopped (no
// remote, or it could not be ended), 3 stopped by force.
constexpr int kExitForcedStop = 3;

int Stop(const Global& g) {
  Status failure = OkStatus();
  {
    Attached a(g);
    failure = a.Open();
    if (failure.code() == StatusCode::kNotFound) return Report("stop", failure);
    // Another host process drives it (`tandem run`, a program): killing the
    // core under it would only make it recover the remote. Tell the user.
    if (failure.Is(linux_platform::kInstanceInUse)) return Report("stop", failure);
    if (failure.ok()) {
      failure = a.session().Stop();
      if (failure.ok()) {
        std::printf("%s: stopped (%s)\n", g.name.c_str(),
                    a.session().last_stop().graceful ? "shutdown acknowledged"
                                                     : "no acknowledgement: forced reset");
        return 0;
      }
    }
  }  // the session is gone: it left the core running, or already reset it
  std::fprintf(stderr, "tandem stop: cannot stop %s gracefully: %s (%s)\n", g.name.c_str(),
               failure.message(), StatusCodeName(failure.code()));
  auto forced = linux_platform::ForceStopCore(RuntimeDir(g), g.name);
  if (!forced.ok()) {
    if (forced.status().Is(linux_platform::kNoStateFile)) {
      // The failed stop had ended the core and removed the state file.
      std::printf("%s: stopped (forced: the core was reset after the failure above)\n",
                  g.name.c_str());
      return kExitForcedStop;
    }
    return Report("stop", forced.status());
  }
  if (forced->was_running) {
    std::printf("%s: stopped (forced: core pid %d killed without the shutdown handshake)\n",
                g.name.c_str(), forced->pid);
  } else {
    std::printf("%s: stopped (forced: core pid %d had already ended; state file removed)\n",
                g.name.c_str(), forced->pid);
  }
  return kExitForcedStop;
}

int StatusCmd(const Global& g) {
  auto state = linux_platform::ReadCoreState(RuntimeDir(g), g.name);
  if (!state.ok()) {
    if (state.status().code() == StatusCode::kNotFound) {
      std::printf("%s: offline\n", g.name.c_str());
      return 0;
    }
    return Report("status", state.status());
  }
  auto start = linux_platform::ProcessStartTime(state->pid);
  if (!start.ok() || *start != state->start_time) {
    std::printf("%s: offline (stale state file: core pid %d is gone)\n", g.name.c_str(),
                state->pid);
    return 0;
  }
  std::printf("%s: running (core pid %d, entry 0x%" PRIx64 ", watchdog %u ms)\n", g.name.c_str(),
              state->pid, state->entry, state->watchdog_ms);
  if (state->rsc_table_size != 0) {
    std::printf("  resource table at 0x%" PRIx64 " (%" PRIu64 " bytes)\n", state->rsc_table_da,
                state->rsc_table_size);
  }
  for (const auto& r : state->regions) {
    std::printf("  memory 0x%08" PRIx64 "-0x%08" PRIx64 " %s\n", r.device_address,
                r.device_address + r.size, r.name.c_str());
  }
  return 0;
}

int Trace(const Global& g) {
  Attached a(g);
  if (Status st = a.Open(); !st.ok()) return Report("trace", st);
  auto text = a.session().Trace();
  if (!text.ok()) return Report("trace", text.status());
  // The remote wrote it: never hand its bytes to the terminal raw.
  const std::string shown = host::Printable(*text);
  std::fwrite(shown.data(), 1, shown.size(), stdout);
  return 0;
}

int Coredump(const Global& g, const std::string& path) {
  Attached a(g);
  if (Status st = a.Open(); !st.ok()) return Report("coredump", st);
  if (Status st = a.session().Coredump(path); !st.ok()) return Report("coredump", st);
  std::printf("%s: wrote %s\n", g.name.c_str(), path.c_str());
  return 0;
}

// --- traffic -------------------------------------------------------------------------

int Sample(const Global& g, int count) {
  Attached a(g);
  host::ClientSample client(stdout, count);
  if (Status st = a.Create(); !st.ok()) return Report("sample", st);
  if (Status st = client.Register(a.session()); !st.ok()) return Report("sample", st);
  if (Status st = a.Attach(); !st.ok()) return Report("sample", st);
  if (!client.WaitDone(std::chrono::seconds(30))) {
    return Report("sample",
                  client.error().ok() ? DeadlineExceeded("no reply in time") : client.error());
  }
  return 0;
}

int Ping(const Global& g, int count, std::size_t size) {
  Attached a(g);
  auto opened = a.OpenPort(kEchoChannel);
  if (!opened.ok()) return Report("ping", opened.status());
  ChannelPort& port = **opened;
  std::printf("PING %s 0x%x -> 0x%x: %zu bytes\n", kEchoChannel, port.local_address(),
              port.remote_address(), size);
  std::vector<std::byte> out(size), in(512);
  std::vector<double> rtts;
  int lost = 0;
  for (int i = 0; i < count; ++i) {
    for (std::size_t k = 0; k < size; ++k) out[k] = static_cast<std::byte>(i + k);
    const auto t0 = Clock::now();
    Status st = port.Send(out, rpmsg::Timeout::Seconds(1));
    auto got = st.ok() ? port.Receive(in, rpmsg::Timeout::Seconds(1)) : Result<rpmsg::Received>(st);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (!got.ok() || got->len != size ||
        (size != 0 && std::memcmp(in.data(), out.data(), size) != 0)) {
      ++lost;
      std::printf("seq=%d: %s\n", i, got.ok() ? "reply differs" : got.status().message());
      continue;
    }
    rtts.push_back(us);
    if (count <= 20)
      std::printf("%zu bytes from 0x%x: seq=%d time=%.1f us\n", size, got->src, i, us);
  }
  std::sort(rtts.begin(), rtts.end());
  std::printf("--- %d sent, %d received, %d lost\n", count, count - lost, lost);
  if (!rtts.empty()) {
    std::printf("rtt min/median/p99/max = %.1f/%.1f/%.1f/%.1f us\n", rtts.front(),
                rtts[rtts.size() / 2], rtts[std::min(rtts.size() - 1, rtts.size() * 99 / 100)],
                rtts.back());
  }
  return lost == 0 ? 0 : 1;
}

int Echo(const Global& g, const std::vector<std::string>& words) {
  Attached a(g);
  auto opened = a.OpenPort(kEchoChannel);
  if (!opened.ok()) return Report("echo", opened.status());
  ChannelPort& port = **opened;
  const std::string text = Join(words);
  if (Status st = port.Send(AsBytes(text.data(), text.size())); !st.ok()) return Report("echo", st);
  std::vector<std::byte> in(512);
  auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
  if (!got.ok()) return Report("echo", got.status());
  std::printf("%.*s\n", static_cast<int>(got->len), reinterpret_cast<const char*>(in.data()));
  return 0;
}

int Send(const Global& g, const std::string& channel, const std::vector<std::string>& words,
         std::chrono::milliseconds wait) {
  Attached a(g);
  auto opened = a.OpenPort(channel);
  if (!opened.ok()) return Report("send", opened.status());
  ChannelPort& port = **opened;
  const std::string text = Join(words);
  if (Status st = port.Send(AsBytes(text.data(), text.size())); !st.ok()) return Report("send", st);
  const auto deadline = Clock::now() + wait;
  std::vector<std::byte> in(512);
  while (Clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    auto got =
        port.Receive(in, rpmsg::Timeout::Nanoseconds(static_cast<std::uint64_t>(left.count())));
    if (!got.ok()) break;
    std::printf("%.*s\n", static_cast<int>(got->len), reinterpret_cast<const char*>(in.data()));
  }
  return 0;
}

int Tty(const Global& g) {
  Attached a(g);
  auto opened = a.OpenPort("rpmsg-tty");
  if (!opened.ok()) return Report("tty", opened.status());
  ChannelPort& port = **opened;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::vector<std::byte> in(512);
    while (!done.load()) {
      auto got = port.Receive(in, rpmsg::Timeout::Milliseconds(100));
      if (got.ok()) {
        std::printf("%.*s", static_cast<int>(got->len), reinterpret_cast<const char*>(in.data()));
        if (got->len == 0 || static_cast<char>(in[got->len - 1]) != '\n') std::printf("\n");
      }
    }
  });
  std::string line;
  while (std::getline(std::cin, line)) {
    line += '\n';
    for (std::size_t off = 0; off < line.size(); off += 496) {
      const std::size_t n = std::min<std::size_t>(496, line.size() - off);
      if (Status st = port.Send(AsBytes(line.data() + off, n)); !st.ok()) {
        done = true;
        reader.join();
        return Report("tty", st);
      }
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the last replies arrive
  done = true;
  reader.join();
  return 0;
}

}  // namespace tandem::cli
