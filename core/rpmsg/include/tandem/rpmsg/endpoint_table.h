#pragma once
// Address -> Endpoint lookup in O(1), whatever the number of endpoints: a
// fixed-capacity open-addressing hash table (linear probing, Fibonacci
// hashing, backward-shift deletion so no tombstones accumulate) in
// caller-provided storage. No heap.
//
// The table is filled to at most 3/4 of its slots, so the expected probe
// count stays below ~2.5 for a hit whatever the keys; sequential dynamic
// addresses (0x400, 0x401, ...) spread perfectly under Fibonacci hashing.
// Every slot examined is counted (probes()), which is how the tests show
// that routing with 1024 endpoints costs what it costs with one.
//
// Dynamic addresses are allocated lowest-free-first from
// kFirstDynamicAddress, as Linux's idr_alloc() does, so channel addresses
// read like Linux's ("new channel: 0x400 -> 0x401").
//
// Threading: none; the bus calls it under its lock.

#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/base/result.h"
#include "tandem/rpmsg/wire.h"

namespace tandem::rpmsg {

class Endpoint;

struct EndpointSlot {
  std::uint32_t addr = kAddrAny;  // kAddrAny: empty slot
  Endpoint* endpoint = nullptr;
};

class EndpointTable {
 public:
  EndpointTable() = default;

  // slots.size() must be a power of two >= 2 (kInvalidArgument otherwise).
  // Clears the slots.
  static Result<EndpointTable> Create(std::span<EndpointSlot> slots);

  // Most entries the table accepts (3/4 of the slots).
  std::size_t capacity() const { return max_entries_; }
  std::size_t size() const { return size_; }

  // nullptr if no endpoint has `addr`.
  Endpoint* Find(std::uint32_t addr);
  bool Contains(std::uint32_t addr) const {
    std::uint64_t ignored = 0;
    return Lookup(addr, &ignored) != nullptr;
  }
  // kAlreadyExists if the address is taken, kResourceExhausted if full,
  // kInvalidArgument for kAddrAny.
  Status Insert(std::uint32_t addr, Endpoint* endpoint);
  // False if absent.
  bool Remove(std::uint32_t addr);
  // The lowest address >= kFirstDynamicAddress not in the table.
  Result<std::uint32_t> AllocateAddress();

  // Calls f(addr, endpoint) for every entry. f must not modify the table.
  template <typename F>
  void ForEach(F&& f) const {
    for (const EndpointSlot& s : slots_) {
      if (s.addr != kAddrAny) f(s.addr, s.endpoint);
    }
  }

  // Lookups done and slots examined by Find() (operation counts, not time).
  std::uint64_t lookups() const { return lookups_; }
  std::uint64_t probes() const { return probes_; }

 private:
  Endpoint* Lookup(std::uint32_t addr, std::uint64_t* probes) const;
  std::size_t Home(std::uint32_t addr) const {
    // Fibonacci hashing: the top bits of addr * 2^32/phi.
    return static_cast<std::size_t>((addr * 2654435769u) >> shift_);
  }

  std::span<EndpointSlot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 32;
  std::size_t size_ = 0;
  std::size_t max_entries_ = 0;
  // Every address in [kFirstDynamicAddress, next_free_hint_) is in use.
  std::uint32_t next_free_hint_ = kFirstDynamicAddress;
  std::uint64_t lookups_ = 0;
  std::uint64_t probes_ = 0;
};

}  // namespace tandem::rpmsg
