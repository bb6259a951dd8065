#pragma once
// MessageQueue: the bounded queue of one /dev/rpmsgN endpoint, what an skb
// queue is in Linux's rpmsg_char. Filled on the Session's event thread
// without blocking (a full queue drops and counts, as ChannelSession does),
// drained by read() requests, which wait in short slices so that an
// interrupted or unmounted reader leaves within one slice.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

#include "tandem/base/thread_annotations.h"
#include "tandem/hosted/mutex.h"

namespace tandem::daemon::fuse {

class MessageQueue {
 public:
  static constexpr std::size_t kMaxQueued = 1024;

  // False (and counted) when full or closed.
  bool Push(const std::byte* data, std::size_t size) TANDEM_EXCLUDES(mutex_) {
    hosted::MutexGuard lock(mutex_);
    if (closed_ || queue_.size() >= kMaxQueued) {
      ++dropped_;
      return false;
    }
    queue_.emplace_back(data, data + size);
    cv_.NotifyAll();
    return true;
  }
  // The oldest message, if any.
  bool TryPop(std::vector<std::byte>* out) TANDEM_EXCLUDES(mutex_) {
    hosted::MutexGuard lock(mutex_);
    if (queue_.empty()) return false;
    *out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  // Waits up to `slice` for a message or Close().
  void Wait(std::chrono::milliseconds slice) TANDEM_EXCLUDES(mutex_) {
    const auto deadline = std::chrono::steady_clock::now() + slice;
    hosted::MutexGuard lock(mutex_);
    while (queue_.empty() && !closed_) {
      if (!cv_.WaitUntil(mutex_, deadline)) break;
    }
  }
  bool empty() const TANDEM_EXCLUDES(mutex_) {
    hosted::MutexGuard lock(mutex_);
    return queue_.empty();
  }
  // Drops what is queued; later pushes are refused; waiters wake.
  void Close() TANDEM_EXCLUDES(mutex_) {
    hosted::MutexGuard lock(mutex_);
    closed_ = true;
    queue_.clear();
    cv_.NotifyAll();
  }
  // Accepts messages again (a reopened endpoint).
  void Reopen() TANDEM_EXCLUDES(mutex_) {
    hosted::MutexGuard lock(mutex_);
    closed_ = false;
  }
  std::uint64_t dropped() const TANDEM_EXCLUDES(mutex_) {
    hosted::MutexGuard lock(mutex_);
    return dropped_;
  }

 private:
  mutable hosted::Mutex mutex_;  // leaf; taken on the event thread
  hosted::CondVar cv_;
  std::deque<std::vector<std::byte>> queue_ TANDEM_GUARDED_BY(mutex_);
  bool closed_ TANDEM_GUARDED_BY(mutex_) = true;
  std::uint64_t dropped_ TANDEM_GUARDED_BY(mutex_) = 0;
};

}  // namespace tandem::daemon::fuse
