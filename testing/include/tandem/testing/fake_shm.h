#pragma once
// Fake shared memory for unit tests: an aligned heap block presented as a
// shm::Region at a chosen device address, plus a CacheOps that records every
// clean/invalidate so tests can prove the hooks are called.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tandem/shm/region.h"

namespace tandem::testing {

class RecordingCache final : public shm::CacheOps {
 public:
  struct Call {
    bool clean;  // false: invalidate
    const void* addr;
    std::size_t len;
  };
  void Clean(const void* addr, std::size_t len) override { calls.push_back({true, addr, len}); }
  void Invalidate(const void* addr, std::size_t len) override {
    calls.push_back({false, addr, len});
  }
  // True if a clean (or invalidate) covering [addr, addr+len) was recorded.
  bool Covered(bool clean, const void* addr, std::size_t len) const;
  std::vector<Call> calls;
};

class FakeShm {
 public:
  explicit FakeShm(std::size_t size, std::uint64_t device_address = 0x10000000,
                   shm::CacheOps* cache = nullptr);
  ~FakeShm();
  FakeShm(const FakeShm&) = delete;
  FakeShm& operator=(const FakeShm&) = delete;

  shm::Region& region() { return region_; }
  std::byte* data() { return data_; }
  std::size_t size() const { return size_; }
  std::uint64_t device_address() const { return region_.device_address(); }

 private:
  std::byte* data_;
  std::size_t size_;
  shm::Region region_;
};

}  // namespace tandem::testing
