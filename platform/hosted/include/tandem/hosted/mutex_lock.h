#pragma once
// rpmsg::Lock over std::mutex: the bus lock of every hosted (Linux) program,
// production and tests alike.

#include <mutex>

#include "tandem/rpmsg/platform.h"

namespace tandem::hosted {

class MutexLock final : public rpmsg::Lock {
 public:
  void Acquire() override { mutex_.lock(); }
  void Release() override { mutex_.unlock(); }

 private:
  std::mutex mutex_;
};

}  // namespace tandem::hosted
