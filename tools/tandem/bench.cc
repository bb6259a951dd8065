// `tandem bench`: RPMsg echo round trips through a real simulated core, next
// to the physical limits measured in the same run:
//   * shm spin ping-pong   - two processes bouncing a cache line in a shared
//                            mapping: the floor under any polled handoff
//   * shm futex ping-pong  - the same, each side sleeping in FUTEX_WAIT: the
//                            floor under any blocking handoff
//   * RPMsg echo, polling  - the core spins on its mailbox (up to 200 us)
//                            and the application polls the bus itself
//   * RPMsg echo, blocking - everything sleeps at once (futex/condvar)
// One echo is 2 handoffs each way (application <-> event thread <-> core),
// so compare it with one ping-pong round trip.
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <vector>

#include "commands.h"
#include "default_firmware.h"

namespace tandem::cli {

using host::ChannelPort;
using host::Session;
using Clock = std::chrono::steady_clock;

namespace {

struct Summary {
  double median_us = 0, p99_us = 0, min_us = 0;
};

Summary Summarize(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)], v.front()};
}

struct alignas(64) PingPongPage {
  alignas(64) std::atomic<std::uint32_t> ping{0};
  alignas(64) std::atomic<std::uint32_t> pong{0};
};

void FutexWait(std::atomic<std::uint32_t>* word, std::uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, expected, nullptr, nullptr,
          0);
}
void FutexWake(std::atomic<std::uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// Two processes, one shared page: the parent writes ping=i, the child
// answers pong=i. Spinning or sleeping in FUTEX_WAIT.
Summary ShmPingPong(int count, bool futex) {
  void* mem = mmap(nullptr, sizeof(PingPongPage), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return {};
  auto* page = new (mem) PingPongPage;
  const pid_t child = fork();
  if (child == 0) {
    for (std::uint32_t i = 1; i <= static_cast<std::uint32_t>(count); ++i) {
      while (page->ping.load(std::memory_order_acquire) != i) {
        if (futex) FutexWait(&page->ping, i - 1);
      }
      page->pong.store(i, std::memory_order_release);
      if (futex) FutexWake(&page->pong);
    }
    _exit(0);
  }
  std::vector<double> rtts;
  rtts.reserve(count);
  for (std::uint32_t i = 1; i <= static_cast<std::uint32_t>(count); ++i) {
    const auto t0 = Clock::now();
    page->ping.store(i, std::memory_order_release);
    if (futex) FutexWake(&page->ping);
    while (page->pong.load(std::memory_order_acquire) != i) {
      if (futex) FutexWait(&page->pong, i - 1);
    }
    rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  waitpid(child, nullptr, 0);
  munmap(mem, sizeof(PingPongPage));
  return Summarize(std::move(rtts));
}

struct EchoResult {
  Summary rtt;
  double messages_per_s = 0;
  Status status;
};

EchoResult RpmsgEcho(const Global& g, const std::string& firmware, bool polling, int count,
                     std::size_t size) {
  EchoResult r;
  auto options = MakeOptions(g);
  options.name = g.name + "-bench-" + std::to_string(getpid()) + (polling ? "-poll" : "-block");
  options.console_path = "/dev/null";
  options.die_with_host = true;
  // Polling: the core spins on its mailbox and the application thread polls
  // the bus itself (Session::PollNow), so no thread sleeps on the echo path;
  // the host's event thread sleeps (a third spinner would only steal a core
  // on small machines). Blocking: everyone sleeps at once.
  options.host_spin = std::chrono::nanoseconds(0);
  options.core_spin = polling ? std::chrono::nanoseconds(200'000) : std::chrono::nanoseconds(0);
  auto created = Session::Create(options);
  if (!created.ok()) return {{}, 0, created.status()};
  Session& s = **created;
  ChannelPort port(s, "rpmsg-openamp-demo-channel");
  if (Status st = port.Register(); !st.ok()) return {{}, 0, st};
  auto image = Session::ReadFile(firmware);
  if (!image.ok()) return {{}, 0, image.status()};
  if (Status st = s.Boot(std::move(image).value()); !st.ok()) return {{}, 0, st};
  if (auto b = port.WaitBound(std::chrono::seconds(5)); !b.ok()) return {{}, 0, b.status()};
  // The payload limit is the link's (docs/buffers.md): 496 with 512-byte buffers.
  if (size > s.bus().mtu()) {
    return {{}, 0, InvalidArgument("payload larger than the firmware's buffers allow (mtu)")};
  }

  std::vector<std::byte> out(size), in(s.bus().mtu());
  auto one = [&](int i) -> Status {
    std::memset(out.data(), i & 0xff, size);
    TANDEM_TRY(port.Send(out, rpmsg::Timeout::Seconds(2)));
    Result<rpmsg::Received> got = Unavailable("");
    if (polling) {
      const auto deadline = Clock::now() + std::chrono::seconds(2);
      for (;;) {
        got = port.Receive(in, rpmsg::Timeout::None());
        if (got.status().code() != StatusCode::kUnavailable || Clock::now() >= deadline) break;
        s.PollNow();
      }
    } else {
      got = port.Receive(in, rpmsg::Timeout::Seconds(2));
    }
    if (!got.ok()) return got.status();
    if (got->len != size || std::memcmp(in.data(), out.data(), size) != 0) {
      return DataLoss("echo reply differs from the request");
    }
    return OkStatus();
  };
  for (int i = 0; i < std::min(count / 10, 1000); ++i) {  // warm up
    if (Status st = one(i); !st.ok()) return {{}, 0, st};
  }
  std::vector<double> rtts;
  rtts.reserve(count);
  for (int i = 0; i < count; ++i) {
    const auto t0 = Clock::now();
    if (Status st = one(i); !st.ok()) return {{}, 0, st};
    rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  r.rtt = Summarize(std::move(rtts));

  // Throughput: keep a window of 64 messages in flight.
  constexpr int kWindow = 64;
  const auto t0 = Clock::now();
  int sent = 0, received = 0;
  while (received < count) {
    while (sent < count && sent - received < kWindow) {
      if (!port.Send(std::span<const std::byte>(out.data(), size), rpmsg::Timeout::Seconds(2))
               .ok()) {
        return {r.rtt, 0, Aborted("send failed during the throughput run")};
      }
      ++sent;
    }
    auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
    if (!got.ok()) return {r.rtt, 0, got.status()};
    ++received;
  }
  r.messages_per_s = count / std::chrono::duration<double>(Clock::now() - t0).count();
  r.status = s.Stop();
  return r;
}

}  // namespace

int Bench(const Global& g, const BenchOptions& o) {
  std::string firmware = o.firmware;
  if (firmware.empty()) firmware = DefaultFirmware();
  if (firmware.empty()) return Report("bench", InvalidArgument("no firmware given"));
  std::printf("tandem bench: %d round trips of %zu-byte payloads per mode, %s\n", o.count, o.size,
              firmware.c_str());
  std::printf("%-34s %10s %10s %10s %14s\n", "", "min us", "median us", "p99 us", "msgs/s");
  const Summary spin = ShmPingPong(o.count, false);
  std::printf("%-34s %10.2f %10.2f %10.2f %14s\n", "limit: shm spin ping-pong", spin.min_us,
              spin.median_us, spin.p99_us, "-");
  const Summary fut = ShmPingPong(o.count, true);
  std::printf("%-34s %10.2f %10.2f %10.2f %14s\n", "limit: shm futex ping-pong", fut.min_us,
              fut.median_us, fut.p99_us, "-");
  int rc = 0;
  for (bool polling : {true, false}) {
    if ((polling && o.mode == "blocking") || (!polling && o.mode == "polling")) continue;
    const EchoResult r = RpmsgEcho(g, firmware, polling, o.count, o.size);
    if (!r.status.ok()) {
      rc = Report("bench", r.status);
      continue;
    }
    std::printf("%-34s %10.2f %10.2f %10.2f %14.0f\n",
                polling ? "rpmsg echo, polling" : "rpmsg echo, blocking", r.rtt.min_us,
                r.rtt.median_us, r.rtt.p99_us, r.messages_per_s);
  }
  return rc;
}

}  // namespace tandem::cli
