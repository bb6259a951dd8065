#include "blocking_wait.h"

namespace tandem::rpmsg {

bool BlockingWait::Sleep(std::uint64_t slice_ns) {
  const std::uint64_t now = waiter_.Now();
  if (!have_deadline_) {
    deadline_ = timeout_.DeadlineFrom(now);
    have_deadline_ = true;
  }
  if (now >= deadline_) return false;
  const std::uint64_t until =
      (slice_ns != 0 && deadline_ - now > slice_ns) ? now + slice_ns : deadline_;
  waiter_.Wait(epoch_, until);
  return true;
}

}  // namespace tandem::rpmsg
