#pragma once
// Deadlines that cannot overflow. steady_clock counts nanoseconds in an
// int64, so `now() + timeout` is undefined behaviour for
// Mailbox::kForever, milliseconds::max() or any timeout near them (in
// practice: a deadline in the past, and a "wait forever" that returns at
// once). Every wait of this platform computes its deadline here.
//
// A time_point::max() deadline means "no deadline"; the waits that take one
// still sleep in bounded slices (kMaxSleepSlice) and re-check process-local
// state, so a wake-up the peer suppressed costs at most one slice.

#include <algorithm>
#include <chrono>

namespace tandem::linux_platform {

// The longest single kernel sleep of any wait in this platform.
inline constexpr std::chrono::milliseconds kMaxSleepSlice{100};

// now + timeout, saturated at time_point::max(); a negative timeout is now.
template <typename Rep, typename Period>
std::chrono::steady_clock::time_point SaturatingDeadline(
    std::chrono::steady_clock::time_point now, std::chrono::duration<Rep, Period> timeout) {
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = TimePoint::duration;
  if (timeout <= timeout.zero()) return now;
  // Compare in the wider of the two units without converting the (possibly
  // huge) timeout into nanoseconds first: room / Period cannot overflow.
  const Duration room = TimePoint::max() - now;
  if (timeout >= std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(room)) {
    return TimePoint::max();
  }
  return now + std::chrono::duration_cast<Duration>(timeout);
}

template <typename Rep, typename Period>
std::chrono::steady_clock::time_point SaturatingDeadline(
    std::chrono::duration<Rep, Period> timeout) {
  return SaturatingDeadline(std::chrono::steady_clock::now(), timeout);
}

// How long to sleep now: until `deadline`, but at most kMaxSleepSlice.
inline std::chrono::nanoseconds SleepSlice(std::chrono::steady_clock::time_point deadline) {
  const auto now = std::chrono::steady_clock::now();
  if (deadline <= now) return std::chrono::nanoseconds::zero();
  const std::chrono::nanoseconds slice = kMaxSleepSlice;
  // deadline - now is non-negative and fits: both are valid time_points.
  return std::min<std::chrono::nanoseconds>(deadline - now, slice);
}

}  // namespace tandem::linux_platform
