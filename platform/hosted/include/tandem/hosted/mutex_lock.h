#pragma once
// rpmsg::Lock over hosted::Mutex: the bus lock of every hosted (Linux)
// program, production and tests alike.

#include "tandem/hosted/mutex.h"
#include "tandem/rpmsg/platform.h"

namespace tandem::hosted {

class MutexLock final : public rpmsg::Lock {
 public:
  // The capability is the rpmsg::Lock itself (what the bus names); the
  // analysis cannot see that it is mutex_.
  void Acquire() override TANDEM_NO_THREAD_SAFETY_ANALYSIS { mutex_.Lock(); }
  void Release() override TANDEM_NO_THREAD_SAFETY_ANALYSIS { mutex_.Unlock(); }

 private:
  Mutex mutex_;
};

}  // namespace tandem::hosted
