#include "blocking_wait.h"

namespace tandem::rpmsg {

bool BlockingWait::Sleep() {
  const std::uint64_t now = waiter_.Now();
  if (!have_deadline_) {
    deadline_ = timeout_.DeadlineFrom(now);
    have_deadline_ = true;
  }
  if (now >= deadline_) return false;
  waiter_.Wait(epoch_, deadline_);
  return true;
}

}  // namespace tandem::rpmsg
