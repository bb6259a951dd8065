#include "tandem/linux/core_monitor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "tandem/linux/deadline.h"

namespace tandem::linux_platform {

Status CoreMonitor::Start(const CoreProcess& process, const Mailbox& mailbox,
                          std::chrono::milliseconds watchdog, EndCallback on_end) {
  if (thread_.joinable()) return FailedPrecondition("core monitor already running");
  UniqueFd stop(eventfd(0, EFD_CLOEXEC));
  if (!stop.valid()) return ResourceExhausted("eventfd failed");
  stop_fd_ = std::move(stop);
  watchdog_fired_ = false;
  thread_ = std::thread([this, &process, &mailbox, watchdog, on_end = std::move(on_end)] {
    Loop(process, mailbox, watchdog, on_end);
  });
  thread_id_ = thread_.get_id();
  return OkStatus();
}

Status CoreMonitor::Stop() {
  if (!thread_.joinable()) return OkStatus();
  const std::uint64_t one = 1;
  if (write(stop_fd_.get(), &one, sizeof(one)) != sizeof(one)) {
    return Internal("cannot stop the core monitor");
  }
  Join();
  return OkStatus();
}

void CoreMonitor::Join() {
  if (thread_.joinable()) thread_.join();
  thread_id_ = std::thread::id();
  stop_fd_.reset();
}

void CoreMonitor::Loop(const CoreProcess& process, const Mailbox& mailbox,
                       std::chrono::milliseconds watchdog, const EndCallback& on_end) {
  using Clock = std::chrono::steady_clock;
  // The watchdog samples the pet counter four times per timeout, so a hang
  // is caught between 1 and 1.25 timeouts after the last pet.
  const auto period = std::max(std::chrono::milliseconds(1), watchdog / 4);
  std::uint32_t last_count = mailbox.WatchdogCount();
  auto last_change = Clock::now();
  struct pollfd fds[2] = {{process.pidfd(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
  for (;;) {
    const bool watching = watchdog.count() > 0 && !watchdog_fired_.load();
    // Bounded even without a watchdog (every wait of this platform is): a
    // lost wake-up would cost one slice, not a hang. Stop() comes through a
    // process-private eventfd, never through the shared page.
    const int n =
        poll(fds, 2, static_cast<int>(watching ? period.count() : kMaxSleepSlice.count()));
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents != 0) break;   // the core ended (a pidfd polls readable on exit)
    if (fds[1].revents != 0) return;  // Stop: leave the core alone
    if (!watching) continue;
    const std::uint32_t count = mailbox.WatchdogCount();
    const auto now = Clock::now();
    if (count != last_count) {
      last_count = count;
      last_change = now;
    } else if (now - last_change >= watchdog) {
      watchdog_fired_ = true;
      process.Kill();  // the next poll sees it end
    }
  }
  if (on_end) on_end();
}

}  // namespace tandem::linux_platform
