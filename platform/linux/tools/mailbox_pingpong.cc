// Mailbox round-trip benchmark: host -> core -> host through a real
// tandem-core process running the selftest firmware, which echoes every
// notifyid. Prints median / p90 / p99 / max in ns for the blocking mode
// (both sides FUTEX_WAIT at once), the default spin budget
// (Mailbox::kDefaultSpin) and a long spin (50 us) before blocking. Spinning
// only pays when both processes have a CPU of their own.
//
//   tandem-mailbox-pingpong [iterations]

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tandem/linux/simulated_core.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/testing/firmware_loader.h"

namespace tandem::linux_platform {
namespace {

using Clock = std::chrono::steady_clock;

int Measure(const char* mode, std::chrono::nanoseconds spin, int iterations) {
  SimulatedCoreOptions options;
  options.name = "pingpong-" + std::to_string(getpid());
  options.host_spin = spin;
  options.core_spin = spin;
  options.die_with_host = true;
  options.watchdog_timeout = std::chrono::milliseconds(0);
  auto core = SimulatedCore::Create(options);
  if (!core.ok()) {
    std::fprintf(stderr, "create: %s\n", core.status().message());
    return 1;
  }
  auto entry = LoadFirmwareImage(**core, TANDEM_SELFTEST_ELF);
  if (!entry.ok() || !(*core)->Start(*entry).ok()) {
    std::fprintf(stderr, "cannot start the selftest firmware\n");
    return 1;
  }
  Mailbox& mailbox = (*core)->mailbox();
  auto ready = mailbox.Receive(std::chrono::seconds(3));
  if (!ready.ok() || *ready != remoteproc::mailbox::kReady) {
    std::fprintf(stderr, "no kReady\n");
    return 1;
  }
  std::vector<std::int64_t> ns;
  ns.reserve(static_cast<std::size_t>(iterations));
  const std::uint64_t sleeps_before = mailbox.sleeps();
  for (int i = 0; i < iterations + 100; ++i) {  // the first 100 warm up
    const auto start = Clock::now();
    if (!mailbox.Send(1).ok()) return 1;
    auto echo = mailbox.Receive(std::chrono::seconds(3));
    const auto end = Clock::now();
    if (!echo.ok() || *echo != 1) {
      std::fprintf(stderr, "bad echo\n");
      return 1;
    }
    if (i >= 100)
      ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
  }
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) { return ns[static_cast<std::size_t>(p * (ns.size() - 1))]; };
  std::printf(
      "%-9s spin %6lld ns  n=%d  median %8lld ns  p90 %8lld  p99 %8lld  max %9lld  host sleeps "
      "%llu\n",
      mode, static_cast<long long>(spin.count()), iterations, static_cast<long long>(pct(0.5)),
      static_cast<long long>(pct(0.9)), static_cast<long long>(pct(0.99)),
      static_cast<long long>(ns.back()),
      static_cast<unsigned long long>(mailbox.sleeps() - sleeps_before));
  return (*core)->Reset().ok() ? 0 : 1;
}

}  // namespace
}  // namespace tandem::linux_platform

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::max(10, std::atoi(argv[1])) : 5000;
  using std::chrono::nanoseconds;
  using tandem::linux_platform::Mailbox;
  int rc = tandem::linux_platform::Measure("blocking", nanoseconds(0), iterations);
  rc |= tandem::linux_platform::Measure("default", Mailbox::kDefaultSpin, iterations);
  rc |= tandem::linux_platform::Measure("spin", nanoseconds(50'000), iterations);
  return rc;
}
