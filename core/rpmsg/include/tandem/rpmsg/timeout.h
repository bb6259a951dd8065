#pragma once
// How long a blocking call may wait. A plain duration in nanoseconds with
// two named ends: None (never block: the Try* behaviour) and Forever.
// Deadlines are computed once from the Waiter's clock with saturating
// arithmetic, so a huge timeout never wraps into the past.

#include <cstdint>
#include <limits>

namespace tandem::rpmsg {

class Timeout {
 public:
  static constexpr Timeout None() { return Timeout(0); }
  static constexpr Timeout Forever() { return Timeout(kForeverNs); }
  static constexpr Timeout Nanoseconds(std::uint64_t ns) { return Timeout(ns); }
  static constexpr Timeout Milliseconds(std::uint64_t ms) { return Timeout(Scale(ms, 1'000'000)); }
  static constexpr Timeout Seconds(std::uint64_t s) { return Timeout(Scale(s, 1'000'000'000)); }

  constexpr std::uint64_t ns() const { return ns_; }
  constexpr bool is_none() const { return ns_ == 0; }
  constexpr bool is_forever() const { return ns_ == kForeverNs; }

  // Absolute deadline on the Waiter's clock; kForeverNs for Forever or on
  // overflow.
  constexpr std::uint64_t DeadlineFrom(std::uint64_t now_ns) const {
    if (is_forever()) return kForeverNs;
    return ns_ > kForeverNs - now_ns ? kForeverNs : now_ns + ns_;
  }

  static constexpr std::uint64_t kForeverNs = std::numeric_limits<std::uint64_t>::max();

 private:
  constexpr explicit Timeout(std::uint64_t ns) : ns_(ns) {}
  static constexpr std::uint64_t Scale(std::uint64_t v, std::uint64_t unit) {
    return v > kForeverNs / unit ? kForeverNs : v * unit;
  }
  std::uint64_t ns_;
};

// Linux's rpmsg_send() waits up to 15 seconds for a tx buffer
// (virtio_rpmsg_bus.c: wait_event_interruptible_timeout(..., 15 * HZ)).
inline constexpr Timeout kDefaultSendTimeout = Timeout::Seconds(15);

}  // namespace tandem::rpmsg
