#pragma once
// Memory ordering named by intent. The shared-memory protocols in Tandem need
// three orderings, and every call site says which one it uses and why:
//
//  * Publish  - our earlier writes (descriptors, payload) must be visible
//               before the index that hands them to the peer. A store-release
//               of the index (Linux: virt_store_release / virtio_wmb).
//  * Consume  - after reading the peer's index, our reads of what it covers
//               must not be satisfied earlier. A load-acquire of the index
//               (Linux: virt_load_acquire / virtio_rmb).
//  * Full     - a store of ours must be visible before a later load of the
//               peer's field (EVENT_IDX: write used_event, then re-check
//               avail->idx; Linux: virtio_mb). Only a full fence orders
//               store->load.
//
// Publish and Consume are the Region::Publish*/Consume* accessors
// (atomic_ref release/acquire). FullFence() is here.

#include <atomic>

namespace tandem::shm {

inline void FullFence() { std::atomic_thread_fence(std::memory_order_seq_cst); }

}  // namespace tandem::shm
