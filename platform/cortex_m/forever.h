#pragma once
// Forever<T>: an object that lives for the whole image and is never
// destroyed: placement new into static storage, so there is no heap and no
// destructor registered with atexit (which a bare-metal image cannot link:
// __dso_handle). For the bare-metal images of platform/cortex_m.

#include <cstddef>
#include <new>
#include <utility>

namespace tandem::cortex_m {

template <typename T>
class Forever {
 public:
  template <typename... Args>
  T& Make(Args&&... args) {
    return *new (bytes_) T(std::forward<Args>(args)...);
  }

 private:
  alignas(T) std::byte bytes_[sizeof(T)];
};

}  // namespace tandem::cortex_m
