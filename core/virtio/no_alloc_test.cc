// Links the virtqueue data path with a poisoned global operator new and
// proves it never allocates (docs/style.md practice 11).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "tandem/testing/virtqueue_pair.h"

namespace {
std::atomic<bool> g_poisoned{false};
std::atomic<int> g_allocations_while_poisoned{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_poisoned.load()) g_allocations_while_poisoned.fetch_add(1);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tandem::virtio {
namespace {

TEST(VirtqueueNoAlloc, DataPathNeverCallsOperatorNew) {
  testing::VirtqueuePair q(16);
  int errors = 0;
  g_poisoned = true;
  for (int i = 0; i < 100000; ++i) {
    BufferSpec chain[] = {{q.data_da(0), 16, false}, {q.data_da(16), 16, true}};
    errors += !q.driver().Add(q.ring(), chain).ok();
    errors += !q.driver().KickPrepare(q.ring()).ok();
    auto c = q.device().Pop(q.ring());
    errors += !c.ok();
    if (c.ok()) {
      errors += !c->Next(q.device(), q.ring(), q.all()).ok();
      errors += !c->Next(q.device(), q.ring(), q.all()).ok();
      errors += !q.device().PushUsed(q.ring(), c->head(), 16).ok();
    }
    errors += !q.device().NotifyPrepare(q.ring()).ok();
    errors += !q.driver().TakeUsed(q.ring()).ok();
    errors += !q.driver().EnableCallbacks(q.ring()).ok();
    errors += !q.device().EnableNotifications(q.ring()).ok();
  }
  g_poisoned = false;
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(g_allocations_while_poisoned.load(), 0);
}

// The poison itself works: an allocation while armed is counted.
TEST(VirtqueueNoAlloc, PoisonDetectsAllocation) {
  g_poisoned = true;
  int* p = new int(3);
  g_poisoned = false;
  delete p;
  EXPECT_EQ(g_allocations_while_poisoned.exchange(0), 1);
}

}  // namespace
}  // namespace tandem::virtio
