#pragma once
// EventLog: what tandemd says about one remote, as Linux says it in dmesg
// ("remoteproc remoteproc0: powering up rproc0", "virtio_rpmsg_bus virtio0:
// creating channel rpmsg-tty addr 0x400", "... is now up", crashes and
// recoveries). A bounded ring of numbered lines: `tandem log` reads it and
// follows it by sequence number; each line also goes to the daemon's own
// stderr (its log file).
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "tandem/base/thread_annotations.h"
#include "tandem/hosted/mutex.h"

namespace tandem::daemon {

class EventLog {
 public:
  static constexpr std::size_t kMaxLines = 1000;

  struct Line {
    std::uint64_t seq = 0;  // 1, 2, ... over the daemon's life
    double time = 0;        // seconds since the daemon started (dmesg's stamp)
    std::string text;
  };

  explicit EventLog(std::string prefix) : prefix_(std::move(prefix)) {}

  void Add(std::string text) TANDEM_EXCLUDES(mutex_);
  // Lines with seq > `after`, oldest first (at most kMaxLines).
  std::vector<Line> Since(std::uint64_t after) const TANDEM_EXCLUDES(mutex_);
  std::uint64_t last_seq() const TANDEM_EXCLUDES(mutex_);

 private:
  const std::string prefix_;  // "remoteproc rproc0"
  mutable hosted::Mutex mutex_;
  std::deque<Line> lines_ TANDEM_GUARDED_BY(mutex_);
  std::uint64_t next_seq_ TANDEM_GUARDED_BY(mutex_) = 1;
};

// Seconds since the daemon started (steady clock).
double DaemonUptime();

}  // namespace tandem::daemon
