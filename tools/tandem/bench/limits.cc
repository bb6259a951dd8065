// The limits `tandem bench` compares against, measured in the same run:
// ping-pong between two processes (spin, futex, eventfd) and memcpy
// bandwidth in and out of cache.
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>

#include "bench.h"

namespace tandem::cli::bench {

using Clock = std::chrono::steady_clock;

void Progress(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::fputs("bench: ", stderr);
  std::vfprintf(stderr, format, args);
  std::fputc('\n', stderr);
  va_end(args);
}

Latency Summarize(std::vector<double> v) {
  Latency l;
  if (v.empty()) return l;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  l.min = v.front();
  l.median = at(0.5);
  l.p99 = at(0.99);
  l.p999 = at(0.999);
  l.max = v.back();
  l.sorted_us = std::move(v);
  return l;
}

const char* PingPongName(PingPongKind kind) {
  switch (kind) {
    case PingPongKind::kSpin: return "spin";
    case PingPongKind::kFutex: return "futex";
    case PingPongKind::kEventfd: return "eventfd";
  }
  return "?";
}

namespace {

struct PingPongPage {
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

// One side's "wait until `word` == i" and "set `word` = i, wake".
struct Side {
  PingPongKind kind;
  int efd_in = -1, efd_out = -1;
  void Wait(std::atomic<std::uint32_t>& word, std::uint32_t i) const {
    if (kind == PingPongKind::kEventfd) {
      std::uint64_t v = 0;
      while (read(efd_in, &v, sizeof(v)) != sizeof(v)) {
      }
      return;
    }
    while (word.load(std::memory_order_acquire) != i) {
      if (kind == PingPongKind::kFutex) FutexWait(&word, i - 1);
    }
  }
  void Post(std::atomic<std::uint32_t>& word, std::uint32_t i) const {
    if (kind == PingPongKind::kEventfd) {
      const std::uint64_t one = 1;
      while (write(efd_out, &one, sizeof(one)) != sizeof(one)) {
      }
      return;
    }
    word.store(i, std::memory_order_release);
    if (kind == PingPongKind::kFutex) FutexWake(&word);
  }
};

}  // namespace

Latency PingPong(PingPongKind kind, int count) {
  void* mem = mmap(nullptr, sizeof(PingPongPage), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return {};
  auto* page = new (mem) PingPongPage;
  int to_child = -1, to_parent = -1;
  if (kind == PingPongKind::kEventfd) {
    to_child = eventfd(0, EFD_CLOEXEC);
    to_parent = eventfd(0, EFD_CLOEXEC);
  }
  const int warmup = std::max(1, count / 10);
  const auto total = static_cast<std::uint32_t>(warmup + count);
  const pid_t child = fork();
  if (child == 0) {
    const Side side{kind, to_child, to_parent};
    for (std::uint32_t i = 1; i <= total; ++i) {
      side.Wait(page->ping, i);
      side.Post(page->pong, i);
    }
    _exit(0);
  }
  const Side side{kind, to_parent, to_child};
  std::vector<double> rtts;
  rtts.reserve(count);
  for (std::uint32_t i = 1; i <= total; ++i) {
    const auto t0 = Clock::now();
    side.Post(page->ping, i);
    side.Wait(page->pong, i);
    if (i > static_cast<std::uint32_t>(warmup)) {
      rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
  }
  waitpid(child, nullptr, 0);
  if (to_child >= 0) close(to_child);
  if (to_parent >= 0) close(to_parent);
  munmap(mem, sizeof(PingPongPage));
  return Summarize(std::move(rtts));
}

double MemcpyGBps(std::size_t bytes, double seconds) {
  std::vector<std::byte> a(bytes, std::byte{1}), b(bytes);
  std::memcpy(b.data(), a.data(), bytes);  // fault the pages in
  std::uint64_t copied = 0;
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  auto now = t0;
  while (now < end) {
    for (int k = 0; k < 8; ++k) {
      std::memcpy(b.data(), a.data(), bytes);
      // Keep the copy from being optimised away.
      asm volatile("" : : "r"(b.data()) : "memory");
      copied += bytes;
    }
    now = Clock::now();
  }
  return static_cast<double>(copied) / std::chrono::duration<double>(now - t0).count() / 1e9;
}

}  // namespace tandem::cli::bench
