#include "tandem/testing/fake_shm.h"

#include <cstdlib>
#include <cstring>

namespace tandem::testing {

bool RecordingCache::Covered(bool clean, const void* addr, std::size_t len) const {
  auto* a = static_cast<const std::byte*>(addr);
  for (const Call& c : calls) {
    auto* b = static_cast<const std::byte*>(c.addr);
    if (c.clean == clean && b <= a && a + len <= b + c.len) return true;
  }
  return false;
}

FakeShm::FakeShm(std::size_t size, std::uint64_t device_address, shm::CacheOps* cache)
    : data_(static_cast<std::byte*>(std::aligned_alloc(4096, (size + 4095) / 4096 * 4096))),
      size_(size) {
  std::memset(data_, 0, size);
  region_ = shm::Region::Create(data_, size, device_address, cache).value();
}

FakeShm::~FakeShm() { std::free(data_); }

}  // namespace tandem::testing
