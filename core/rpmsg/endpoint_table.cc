#include "tandem/rpmsg/endpoint_table.h"

#include <bit>

#include "tandem/base/checked_math.h"
#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

Result<EndpointTable> EndpointTable::Create(std::span<EndpointSlot> slots) {
  if (slots.size() < 2 || !IsPowerOfTwo(slots.size()) || slots.size() > (std::size_t{1} << 30)) {
    return InvalidArgument(kBadTableSize);
  }
  for (EndpointSlot& s : slots) s = EndpointSlot{};
  EndpointTable t;
  t.slots_ = slots;
  t.mask_ = slots.size() - 1;
  t.shift_ = 32u - static_cast<unsigned>(std::countr_zero(slots.size()));
  t.max_entries_ = slots.size() - slots.size() / 4;
  return t;
}

Endpoint* EndpointTable::Find(std::uint32_t addr) {
  ++lookups_;
  return Lookup(addr, &probes_);
}

Endpoint* EndpointTable::Lookup(std::uint32_t addr, std::uint64_t* probes) const {
  if (addr == kAddrAny || slots_.empty()) return nullptr;
  // At most slots_.size() probes; a table never more than 3/4 full
  // guarantees an empty slot ends the walk much earlier.
  std::size_t i = Home(addr);
  for (std::size_t n = 0; n < slots_.size(); ++n) {
    ++*probes;
    const EndpointSlot& s = slots_[i];
    if (s.addr == addr) return s.endpoint;
    if (s.addr == kAddrAny) return nullptr;
    i = (i + 1) & mask_;
  }
  return nullptr;
}

Status EndpointTable::Insert(std::uint32_t addr, Endpoint* endpoint) {
  if (addr == kAddrAny || endpoint == nullptr) return InvalidArgument(kBadEndpointAddress);
  if (slots_.empty()) return FailedPrecondition(kTableNotInitialized);
  std::size_t i = Home(addr);
  for (std::size_t n = 0; n < slots_.size(); ++n) {
    EndpointSlot& s = slots_[i];
    if (s.addr == addr) return AlreadyExists(kAddressInUse);
    if (s.addr == kAddrAny) {
      if (size_ >= max_entries_) return ResourceExhausted(kTableFull);
      s.addr = addr;
      s.endpoint = endpoint;
      ++size_;
      return OkStatus();
    }
    i = (i + 1) & mask_;
  }
  return ResourceExhausted(kTableFull);
}

bool EndpointTable::Remove(std::uint32_t addr) {
  if (addr == kAddrAny || slots_.empty()) return false;
  std::size_t i = Home(addr);
  std::size_t n = 0;
  for (; n < slots_.size(); ++n) {
    if (slots_[i].addr == addr) break;
    if (slots_[i].addr == kAddrAny) return false;
    i = (i + 1) & mask_;
  }
  if (n == slots_.size()) return false;

  // Backward-shift deletion: move later entries of the probe run into the
  // hole when their home position allows it, so Find() never needs
  // tombstones.
  std::size_t hole = i;
  std::size_t j = i;
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    j = (j + 1) & mask_;
    if (slots_[j].addr == kAddrAny) break;
    const std::size_t home = Home(slots_[j].addr);
    // Entry j may fill the hole iff its home is not in (hole, j] cyclically.
    const bool home_after_hole = ((j - home) & mask_) < ((j - hole) & mask_);
    if (!home_after_hole) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = EndpointSlot{};
  --size_;
  if (addr >= kFirstDynamicAddress && addr < next_free_hint_) next_free_hint_ = addr;
  return true;
}

Result<std::uint32_t> EndpointTable::AllocateAddress() {
  if (slots_.empty()) return FailedPrecondition(kTableNotInitialized);
  if (size_ >= max_entries_) return ResourceExhausted(kTableFull);
  // At most size_ addresses are taken, so one of size_ + 1 candidates is free.
  // Allocation probes are not counted in probes(): that counter measures
  // routing.
  std::uint64_t ignored = 0;
  std::uint32_t candidate = next_free_hint_;
  for (std::size_t n = 0; n <= size_; ++n, ++candidate) {
    if (candidate == kAddrAny) break;
    if (Lookup(candidate, &ignored) == nullptr) return candidate;
    if (candidate == next_free_hint_) ++next_free_hint_;
  }
  return ResourceExhausted(kNoDynamicAddress);
}

}  // namespace tandem::rpmsg
