#pragma once
// CoreMonitor: the thread that watches one run of a simulated core. It
// waits on the core's pidfd (poll) and reports its end within milliseconds,
// and it runs the watchdog: if the pet counter in the mailbox page does not
// move for the watchdog timeout, it kills the core (the end then follows
// through the pidfd, and watchdog_fired() says why).
//
// It does not reap or classify: the end callback does that (SimulatedCore
// reaps through CoreProcess and classifies with ClassifyCoreExit).
//
// Threading: Start/Stop/Join from one controlling thread. The end callback
// runs on the monitor thread, once, if the core ended before Stop(); the
// controlling thread must not hold a lock the callback takes while it
// joins. The process and the mailbox given to Start must stay put until
// Join/Stop returns.

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "tandem/base/status.h"
#include "tandem/linux/core_process.h"
#include "tandem/linux/mailbox.h"
#include "tandem/linux/unique_fd.h"

namespace tandem::linux_platform {

class CoreMonitor {
 public:
  using EndCallback = std::function<void()>;

  CoreMonitor() = default;
  ~CoreMonitor() { Join(); }
  CoreMonitor(const CoreMonitor&) = delete;
  CoreMonitor& operator=(const CoreMonitor&) = delete;

  // Starts watching `process`; a zero `watchdog` disables the watchdog.
  // kFailedPrecondition if already started (Join first).
  Status Start(const CoreProcess& process, const Mailbox& mailbox,
               std::chrono::milliseconds watchdog, EndCallback on_end);
  // Stops watching and joins, leaving a running core alone. If the core
  // ended first, the end callback has run (or runs) before this returns.
  Status Stop();
  // Waits for the thread to finish (after the core ended or Stop), then
  // makes the monitor startable again. No-op if not started.
  void Join();

  bool OnMonitorThread() const { return std::this_thread::get_id() == thread_id_.load(); }
  // The watchdog killed the current (or last) run.
  bool watchdog_fired() const { return watchdog_fired_.load(); }

 private:
  void Loop(const CoreProcess& process, const Mailbox& mailbox, std::chrono::milliseconds watchdog,
            const EndCallback& on_end);

  UniqueFd stop_fd_;  // eventfd: Stop() wakes the thread through it
  std::atomic<bool> watchdog_fired_{false};
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
};

}  // namespace tandem::linux_platform
