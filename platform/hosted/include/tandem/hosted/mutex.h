#pragma once
// Locks of hosted programs that the compiler checks: std::mutex and
// std::shared_mutex as Clang thread-safety capabilities
// (base/thread_annotations.h), with scoped guards and a condition variable
// whose waits require the mutex. State a lock guards is declared
// TANDEM_GUARDED_BY(that_mutex_) next to it; the clang stage (`tsan` preset,
// -Wthread-safety -Werror) rejects an access without the lock.
//
// Waits take the mutex, not a std::unique_lock, so the analysis sees it held
// across the wait; write the predicate as a loop in the caller (a lambda's
// body is analysed on its own and would not know the lock is held):
//
//   hosted::MutexGuard lock(mutex_);
//   while (!ready_) cv_.Wait(mutex_);

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "tandem/base/thread_annotations.h"

namespace tandem::hosted {

class TANDEM_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() TANDEM_ACQUIRE() { mutex_.lock(); }
  void Unlock() TANDEM_RELEASE() { mutex_.unlock(); }
  bool TryLock() TANDEM_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

  // For the analysis: declares the mutex held where it cannot see that
  // (a callee documented to run under it). Checks nothing at run time.
  void AssertHeld() const TANDEM_THREAD_ANNOTATION(assert_capability(this)) {}

 private:
  friend class CondVar;
  std::mutex mutex_;
};

class TANDEM_SCOPED_CAPABILITY MutexGuard {
 public:
  explicit MutexGuard(Mutex& mutex) TANDEM_ACQUIRE(mutex) : mutex_(mutex) { mutex_.Lock(); }
  ~MutexGuard() TANDEM_RELEASE() { mutex_.Unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  Mutex& mutex_;
};

// A condition variable for a hosted::Mutex. Every wait may return spuriously.
class CondVar {
 public:
  void Wait(Mutex& mutex) TANDEM_REQUIRES(mutex) {
    std::unique_lock<std::mutex> lock(mutex.mutex_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: the caller's guard unlocks it
  }
  // False once `deadline` has passed.
  template <typename Clock, typename Duration>
  bool WaitUntil(Mutex& mutex, std::chrono::time_point<Clock, Duration> deadline)
      TANDEM_REQUIRES(mutex) {
    std::unique_lock<std::mutex> lock(mutex.mutex_, std::adopt_lock);
    const bool woke = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return woke || Clock::now() < deadline;
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

// Readers share it, a writer excludes everyone.
class TANDEM_CAPABILITY("mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() TANDEM_ACQUIRE() { mutex_.lock(); }
  void Unlock() TANDEM_RELEASE() { mutex_.unlock(); }
  void LockShared() TANDEM_ACQUIRE_SHARED() { mutex_.lock_shared(); }
  void UnlockShared() TANDEM_RELEASE_SHARED() { mutex_.unlock_shared(); }

 private:
  std::shared_mutex mutex_;
};

class TANDEM_SCOPED_CAPABILITY WriterGuard {
 public:
  explicit WriterGuard(SharedMutex& mutex) TANDEM_ACQUIRE(mutex) : mutex_(mutex) { mutex_.Lock(); }
  ~WriterGuard() TANDEM_RELEASE() { mutex_.Unlock(); }
  WriterGuard(const WriterGuard&) = delete;
  WriterGuard& operator=(const WriterGuard&) = delete;

 private:
  SharedMutex& mutex_;
};

class TANDEM_SCOPED_CAPABILITY ReaderGuard {
 public:
  explicit ReaderGuard(SharedMutex& mutex) TANDEM_ACQUIRE_SHARED(mutex) : mutex_(mutex) {
    mutex_.LockShared();
  }
  ~ReaderGuard() TANDEM_RELEASE() { mutex_.UnlockShared(); }
  ReaderGuard(const ReaderGuard&) = delete;
  ReaderGuard& operator=(const ReaderGuard&) = delete;

 private:
  SharedMutex& mutex_;
};

}  // namespace tandem::hosted
