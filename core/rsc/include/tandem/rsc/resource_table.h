#pragma once
// The resource table: untrusted bytes (a firmware's .resource_table section)
// -> a validated view, as Linux's remoteproc reads it
// (drivers/remoteproc/remoteproc_core.c, rproc_handle_resources and the
// per-type handlers), with stricter checks.
//
// ResourceTable::Parse() checks, in this order, and fails on the first
// violation (messages say which rule):
//  - the 16-byte header fits; ver == 1; the num Le32 offsets fit; num <=
//    kMaxEntries;
//  - each offset is 4-byte aligned, lies after the offset array, and offsets
//    strictly increase (entries in order, no overlap; Linux does not require
//    order, we do);
//  - each entry's full size fits before the next entry (or the table end):
//    type word + body, for a vdev including its vrings and config_len bytes;
//  - carveout/devmem/trace: [da, da + len) does not wrap the 32-bit device
//    address space (unless da is FW_RSC_ADDR_ANY); carveouts with fixed da
//    do not overlap each other;
//  - vdev: num_of_vrings <= kMaxVrings; each vring's num is a power of two
//    <= 32768 and its align a power of two;
//  - type: 0..3 known; 128..512 vendor (passed to the VendorHandler if one
//    is given, after everything else validated, else skipped); anything
//    else is "unsupported resource type" (Linux warns and skips; we refuse).
// Names are copied into a 33-byte buffer; a name without NUL is cut at 32
// bytes, never read past.
//
// The view does not own the bytes: they must outlive it and not change while
// it is used; copy the table out of shared memory first. If they do change,
// every access is still bounds-checked: entry() fails and iteration yields
// EntryKind::kInvalid.
//
// Each parsed entry records its byte offset in the table so the host can
// patch allocated addresses and negotiated values into its loaded copy
// (table_patch.h). FW_RSC_ADDR_ANY (kAddrAny) is passed through unchanged:
// the remoteproc layer allocates and patches.
//
// Errors: kDataLoss for malformed tables, kInvalidArgument for an
// unsupported version, kResourceExhausted beyond our limits (limits.h),
// kUnimplemented for unsupported resource types, kOutOfRange for a bad
// index, and whatever a VendorHandler returns, unchanged. Each error of
// ours is a reason in errors.h: match it with status.Is(error::kX).
// No heap, no exceptions. Threading: immutable after Parse; safe to share.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/base/assert.h"
#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/rsc/errors.h"  // the Reasons Parse() and entry() return
#include "tandem/rsc/limits.h"
#include "tandem/rsc/wire.h"

namespace tandem::rsc {

// A resource name: the 32 wire bytes up to the first NUL, always
// NUL-terminated here.
struct ResourceName {
  char chars[kNameSize + 1] = {};
  const char* c_str() const { return chars; }
};

// Parsed copies of the entries. `offset` is the byte offset of the entry
// (its type word) in the table.
struct Carveout {
  std::uint32_t offset = 0;
  std::uint32_t da = 0;
  std::uint32_t pa = 0;
  std::uint32_t len = 0;
  std::uint32_t flags = 0;
  ResourceName name;
};

struct Devmem {
  std::uint32_t offset = 0;
  std::uint32_t da = 0;
  std::uint32_t pa = 0;
  std::uint32_t len = 0;
  std::uint32_t flags = 0;
  ResourceName name;
};

struct Trace {
  std::uint32_t offset = 0;
  std::uint32_t da = 0;
  std::uint32_t len = 0;
  ResourceName name;
};

struct Vring {
  std::uint32_t da = 0;
  std::uint32_t align = 0;
  std::uint32_t num = 0;
  std::uint32_t notifyid = 0;
  std::uint32_t pa = 0;
};

struct Vdev {
  std::uint32_t offset = 0;
  std::uint32_t id = 0;  // VirtIO device ID (kVirtioIdRpmsg = 7)
  std::uint32_t notifyid = 0;
  std::uint32_t dfeatures = 0;
  std::uint32_t gfeatures = 0;
  std::uint32_t config_len = 0;
  std::uint8_t status = 0;
  std::uint8_t num_of_vrings = 0;
  std::array<Vring, kMaxVrings> vring{};  // the first num_of_vrings are valid
  ConstByteSpan config;                   // config_len bytes inside the table

  std::span<const Vring> vrings() const { return {vring.data(), num_of_vrings}; }
};

// A vendor-specific entry (type in [128, 512]). The body runs from after the
// type word to the next entry (or the table end), so it includes any padding.
struct VendorResource {
  std::uint32_t offset = 0;
  std::uint32_t type = 0;
  ConstByteSpan body;
};

enum class EntryKind : std::uint8_t { kCarveout, kDevmem, kTrace, kVdev, kVendor, kInvalid };

// One parsed entry. Accessing the member for another kind is a programming
// error (asserts).
class Entry {
 public:
  EntryKind kind() const { return kind_; }
  std::uint32_t type() const { return type_; }  // the wire type value
  std::uint32_t offset() const { return offset_; }

  const Carveout& carveout() const {
    TANDEM_ASSERT(kind_ == EntryKind::kCarveout);
    return carveout_;
  }
  const Devmem& devmem() const {
    TANDEM_ASSERT(kind_ == EntryKind::kDevmem);
    return devmem_;
  }
  const Trace& trace() const {
    TANDEM_ASSERT(kind_ == EntryKind::kTrace);
    return trace_;
  }
  const Vdev& vdev() const {
    TANDEM_ASSERT(kind_ == EntryKind::kVdev);
    return vdev_;
  }
  const VendorResource& vendor() const {
    TANDEM_ASSERT(kind_ == EntryKind::kVendor);
    return vendor_;
  }

 private:
  friend class ResourceTable;
  EntryKind kind_ = EntryKind::kInvalid;
  std::uint32_t type_ = 0;
  std::uint32_t offset_ = 0;
  Carveout carveout_;
  Devmem devmem_;
  Trace trace_;
  Vdev vdev_;
  VendorResource vendor_;
};

// Receives vendor-specific entries during Parse() (Linux: rproc_ops
// handle_rsc). Called only once the whole table has validated, in table
// order; a non-ok Status fails Parse() with that status.
class VendorHandler {
 public:
  virtual Status Handle(std::uint32_t type, ConstByteSpan body) = 0;

 protected:
  ~VendorHandler() = default;
};

class ResourceTable {
 public:
  static Result<ResourceTable> Parse(ConstByteSpan table, VendorHandler* vendor = nullptr);

  ConstByteSpan bytes() const { return table_; }
  std::uint32_t version() const { return kTableVersion; }
  std::size_t size() const { return num_; }  // number of entries

  // Entry `index` (in table order). kOutOfRange past size(); kDataLoss if the
  // bytes changed since Parse() and no longer validate.
  Result<Entry> entry(std::size_t index) const;

  // `for (const Entry& e : table.entries())`.
  class Iterator {
   public:
    Entry operator*() const;
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

   private:
    friend class ResourceTable;
    Iterator(const ResourceTable* table, std::size_t index) : table_(table), index_(index) {}
    const ResourceTable* table_;
    std::size_t index_;
  };
  struct Range {
    Iterator begin_it;
    Iterator end_it;
    Iterator begin() const { return begin_it; }
    Iterator end() const { return end_it; }
  };
  Range entries() const { return {Iterator(this, 0), Iterator(this, num_)}; }

 private:
  ResourceTable(ConstByteSpan table, std::size_t num) : table_(table), num_(num) {}
  static Status ParseEntry(ConstByteSpan table, std::size_t num, std::size_t index, Entry* out);
  static Status CheckCarveoutOverlaps(ConstByteSpan table, std::size_t num);

  ConstByteSpan table_;
  std::size_t num_ = 0;
};

}  // namespace tandem::rsc
