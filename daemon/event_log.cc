#include "tandem/daemon/event_log.h"

#include <cstdio>

namespace tandem::daemon {

namespace {
const auto kStart = std::chrono::steady_clock::now();
}  // namespace

double DaemonUptime() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - kStart).count();
}

void EventLog::Add(std::string text) {
  const double now = DaemonUptime();
  std::fprintf(stderr, "[%12.6f] %s: %s\n", now, prefix_.c_str(), text.c_str());
  hosted::MutexGuard lock(mutex_);
  lines_.push_back({next_seq_++, now, std::move(text)});
  if (lines_.size() > kMaxLines) lines_.pop_front();
}

std::vector<EventLog::Line> EventLog::Since(std::uint64_t after) const {
  hosted::MutexGuard lock(mutex_);
  std::vector<Line> out;
  for (const Line& l : lines_) {
    if (l.seq > after) out.push_back(l);
  }
  return out;
}

std::uint64_t EventLog::last_seq() const {
  hosted::MutexGuard lock(mutex_);
  return next_seq_ - 1;
}

}  // namespace tandem::daemon
