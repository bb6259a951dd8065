// The RPMsg runs of `tandem bench`, each over a real simulated core (its own
// process, real shared memory) running firmware/demo:
//   echo       rpmsg-openamp-demo-channel: send, the firmware echoes,
//              receive, compare; polling (the core spins on its mailbox and
//              the application polls the bus itself) or blocking (every
//              thread sleeps as soon as it has nothing to do); when it
//              polls, the application turns the core's kicks off
//              (Bus::SetRxKicks);
//   streaming  one way, as fast as flow control allows (EVENT_IDX
//              suppresses the kicks): host -> tandem-bench-sink, and
//              tandem-bench-source -> host, copying (Send) or writing in
//              place (AcquireTx, zero-copy: only the sequence byte is
//              written, the rest of the payload is what the buffer held);
//   scaling    remote -> host streaming of 16 B spread round-robin over 1 to
//              1024 host endpoints (one address lookup per message);
//   idle       CPU time of the host process (all threads) and of the core
//              process over a few seconds with nothing to do.
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "bench.h"
#include "tandem/host/session.h"
#include "tandem/linux/linux_platform.h"

namespace tandem::cli::bench {

using host::ChannelPort;
using host::Session;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";
constexpr const char* kSink = "tandem-bench-sink";
constexpr const char* kSource = "tandem-bench-source";
// Host addresses of the scaling endpoints: base, base + 1, ...
constexpr std::uint32_t kDataBase = 0x10000;

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// A session booted with the demo firmware; ports bound to `channels`.
struct Booted {
  std::unique_ptr<Session> session;
  std::vector<std::unique_ptr<ChannelPort>> ports;
};

Status Boot(const RunConfig& c, const char* tag, std::chrono::nanoseconds core_spin,
            const std::vector<const char*>& channels, Booted& b) {
  auto options = MakeOptions(*c.global);
  options.name = c.global->name + "-bench-" + std::to_string(getpid()) + "-" + tag;
  options.console_path = "/dev/null";
  options.die_with_host = true;
  // The host's event thread sleeps at once (a third spinner would only
  // steal a CPU on small machines); the core spins `core_spin`.
  options.host_spin = std::chrono::nanoseconds(0);
  options.core_spin = core_spin;
  TANDEM_TRY_ASSIGN(b.session, Session::Create(options));
  for (const char* name : channels) {
    b.ports.push_back(std::make_unique<ChannelPort>(*b.session, name));
    TANDEM_TRY(b.ports.back()->Register());
  }
  TANDEM_TRY_ASSIGN(auto image, Session::ReadFile(c.firmware));
  TANDEM_TRY(b.session->Boot(std::move(image)));
  for (auto& port : b.ports) {
    TANDEM_TRY(port->WaitBound(std::chrono::seconds(5)).status());
  }
  return OkStatus();
}

// Counts data messages (any thread the bus delivers on).
class DataCounter final : public rpmsg::MessageHandler {
 public:
  void OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage&) override {
    count.fetch_add(1, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> count{0};
};

// Keeps the last 8-byte answer (sink count, source end marker).
class Answers final : public rpmsg::MessageHandler {
 public:
  void OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& m) override {
    if (m.payload().size() != 8) return;
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(m.payload()[i]) << (8 * i);
    std::lock_guard<std::mutex> lock(mutex_);
    value_ = v;
    ++answers_;
    cv_.notify_all();
  }
  // The value of answer number `n` (from 1), or kDeadlineExceeded.
  Result<std::uint64_t> Wait(std::uint64_t n, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return answers_ >= n; })) {
      return DeadlineExceeded("no answer from the bench service");
    }
    return value_;
  }
  std::uint64_t answers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return answers_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t value_ = 0;
  std::uint64_t answers_ = 0;
};

void PutLe32(std::byte* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

// CPU time of every thread of `pid`, in ns (/proc/<pid>/task/*/schedstat:
// ns resolution, where /proc/<pid>/stat counts clock ticks).
std::uint64_t CpuNs(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  std::uint64_t total = 0;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/schedstat");
    std::uint64_t ns = 0;
    if (f >> ns) total += ns;
  }
  closedir(d);
  return total;
}

}  // namespace

Status RunEcho(const RunConfig& c, bool polling, std::vector<EchoResult>& out) {
  Booted b;
  TANDEM_TRY(Boot(c, polling ? "poll" : "block",
                  polling ? std::chrono::nanoseconds(200'000) : std::chrono::nanoseconds(0),
                  {kEcho}, b));
  Session& s = *b.session;
  ChannelPort& port = *b.ports[0];
  // Polling: the application polls the bus itself, so it asks the core for
  // no kicks (no doorbell per message, no event-thread wake-up).
  if (polling) s.bus().SetRxKicks(false);
  std::vector<std::byte> send(512), in(512);
  for (const std::size_t size : c.sizes) {
    Progress("echo %zu B, %s: %d round trips", size, polling ? "polling" : "blocking", c.count);
    auto one = [&](int i) -> Status {
      std::memset(send.data(), i & 0xff, size);
      TANDEM_TRY(port.Send(ConstByteSpan(send.data(), size), rpmsg::Timeout::Seconds(2)));
      Result<rpmsg::Received> got = Unavailable("");
      if (polling) {
        // The clock is read every 64 empty polls. No sched_yield here: on
        // a loaded machine it handed the CPU to other processes for tens of
        // microseconds per round trip (median 29 us instead of 2.4 us).
        const auto deadline = Clock::now() + std::chrono::seconds(2);
        for (std::uint32_t n = 1;; ++n) {
          got = port.Receive(in, rpmsg::Timeout::None());
          if (got.status().code() != StatusCode::kUnavailable) break;
          if (n % 64 == 0 && Clock::now() >= deadline) break;
          s.PollNow();
        }
      } else {
        got = port.Receive(in, rpmsg::Timeout::Seconds(2));
      }
      if (!got.ok()) return got.status();
      if (got->len != size || std::memcmp(in.data(), send.data(), size) != 0) {
        return DataLoss("echo reply differs from the request");
      }
      return OkStatus();
    };
    for (int i = 0; i < std::max(100, c.count / 10); ++i) TANDEM_TRY(one(i));  // warm up
    std::vector<double> rtts;
    rtts.reserve(c.count);
    for (int i = 0; i < c.count; ++i) {
      const auto t0 = Clock::now();
      TANDEM_TRY(one(i));
      rtts.push_back(Us(Clock::now() - t0));
    }
    out.push_back({size, polling, Summarize(std::move(rtts))});
  }
  return s.Stop();
}

Status RunStreaming(const RunConfig& c, std::vector<StreamResult>& streams,
                    std::vector<StreamResult>& scaling, IdleResult& idle) {
  Booted b;
  TANDEM_TRY(Boot(c, "stream", std::chrono::nanoseconds(0), {kSink, kSource}, b));
  Session& s = *b.session;
  rpmsg::Bus& bus = s.bus();
  const std::uint32_t sink = b.ports[0]->remote_address();
  const std::uint32_t source = b.ports[1]->remote_address();

  // Our own endpoints: one talking to the sink, one to the source, and the
  // data endpoints the source streams to.
  Answers sink_answers, source_answers;
  DataCounter counter;
  rpmsg::Endpoint to_sink, to_source;
  TANDEM_TRY(s.CreateEndpoint(to_sink, {nullptr, rpmsg::kAddrAny, sink}, sink_answers));
  TANDEM_TRY(s.CreateEndpoint(to_source, {nullptr, rpmsg::kAddrAny, source}, source_answers));
  int max_endpoints = 1;
  for (int n : c.endpoint_counts) max_endpoints = std::max(max_endpoints, n);
  std::vector<std::unique_ptr<rpmsg::Endpoint>> data;
  Status status = OkStatus();
  for (int i = 0; i < max_endpoints && status.ok(); ++i) {
    data.push_back(std::make_unique<rpmsg::Endpoint>());
    status = s.CreateEndpoint(*data.back(), {nullptr, kDataBase + static_cast<std::uint32_t>(i)},
                              counter);
  }

  auto host_to_remote = [&](std::size_t size, bool zero_copy) -> Result<StreamResult> {
    StreamResult r{"host->remote", zero_copy, size};
    std::vector<std::byte> payload(size, std::byte{'D'});
    const std::uint64_t n = c.stream_count;
    const auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
      if (zero_copy) {
        TANDEM_TRY_ASSIGN(rpmsg::TxBuffer tx, bus.AcquireTx(to_sink, rpmsg::Timeout::Seconds(2)));
        tx.data()[0] = std::byte{'D'};
        TANDEM_TRY(tx.Send(size));
      } else {
        TANDEM_TRY(bus.Send(to_sink, payload, rpmsg::Timeout::Seconds(2)));
      }
    }
    // The answer to wait for is counted before the query goes: the sink may
    // answer before Send() returns.
    const std::uint64_t answer = sink_answers.answers() + 1;
    const std::byte query[1] = {std::byte{'?'}};
    TANDEM_TRY(bus.Send(to_sink, query, rpmsg::Timeout::Seconds(2)));
    TANDEM_TRY_ASSIGN(const std::uint64_t got, sink_answers.Wait(answer, std::chrono::seconds(10)));
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.messages = got;
    if (got != n) return DataLoss("the sink counted a different number of messages");
    return r;
  };
  auto remote_to_host = [&](std::size_t size, bool zero_copy,
                            int endpoints) -> Result<StreamResult> {
    StreamResult r{"remote->host", zero_copy, size, endpoints};
    std::byte request[20];
    PutLe32(request, static_cast<std::uint32_t>(c.stream_count));
    PutLe32(request + 4, static_cast<std::uint32_t>(size));
    PutLe32(request + 8, kDataBase);
    PutLe32(request + 12, static_cast<std::uint32_t>(endpoints));
    PutLe32(request + 16, zero_copy ? 1 : 0);
    const std::uint64_t before = counter.count.load();
    const std::uint64_t answer = source_answers.answers() + 1;
    const auto t0 = Clock::now();
    TANDEM_TRY(bus.Send(to_source, request, rpmsg::Timeout::Seconds(2)));
    TANDEM_TRY_ASSIGN(const std::uint64_t sent,
                      source_answers.Wait(answer, std::chrono::seconds(30)));
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.messages = counter.count.load() - before;
    if (sent != static_cast<std::uint64_t>(c.stream_count) || r.messages != sent) {
      return DataLoss("the source sent, or the host received, fewer messages than asked");
    }
    return r;
  };

  if (status.ok()) {
    for (const bool zero_copy : {false, true}) {
      for (const std::size_t size : {std::size_t{16}, std::size_t{496}}) {
        Progress("streaming %zu B host->remote, %s: %d messages", size,
                 zero_copy ? "zero-copy" : "copy", c.stream_count);
        auto h = host_to_remote(size, zero_copy);
        if (!h.ok()) {
          status = h.status();
          break;
        }
        streams.push_back(*h);
        Progress("streaming %zu B remote->host, %s: %d messages", size,
                 zero_copy ? "zero-copy" : "copy", c.stream_count);
        auto r = remote_to_host(size, zero_copy, 1);
        if (!r.ok()) {
          status = r.status();
          break;
        }
        streams.push_back(*r);
      }
      if (!status.ok()) break;
    }
  }
  for (const int n : c.endpoint_counts) {
    if (!status.ok()) break;
    Progress("scaling: 16 B remote->host over %d endpoints", n);
    auto r = remote_to_host(16, false, n);
    if (!r.ok()) {
      status = r.status();
      break;
    }
    scaling.push_back(*r);
  }
  if (status.ok() && c.idle_seconds > 0) {
    Progress("idle: %.1f s with nothing to do", c.idle_seconds);
    const pid_t core = s.linux_platform() != nullptr ? s.linux_platform()->core_pid() : -1;
    const std::uint64_t host0 = CpuNs(getpid()), core0 = core > 0 ? CpuNs(core) : 0;
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(c.idle_seconds));
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::uint64_t host1 = CpuNs(getpid()), core1 = core > 0 ? CpuNs(core) : 0;
    idle.seconds = secs;
    idle.host_cpu_percent = static_cast<double>(host1 - host0) / 1e9 / secs * 100;
    idle.core_cpu_percent = static_cast<double>(core1 - core0) / 1e9 / secs * 100;
  }
  for (auto& e : data) {
    if (e->created()) s.DestroyEndpoint(*e);
  }
  s.DestroyEndpoint(to_source);
  s.DestroyEndpoint(to_sink);
  const Status stopped = s.Stop();
  return status.ok() ? stopped : status;
}

}  // namespace tandem::cli::bench
