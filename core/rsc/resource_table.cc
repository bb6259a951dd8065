#include "tandem/rsc/resource_table.h"

#include <cstring>
#include <type_traits>

#include "tandem/base/checked_math.h"
#include "tandem/rsc/errors.h"

namespace tandem::rsc {
namespace {

// Copies a wire struct out of the table (any alignment). Callers check the
// range first; the assert is for our own bugs.
template <typename T>
T LoadAt(ConstByteSpan table, std::size_t offset) {
  static_assert(std::is_trivially_copyable_v<T>);
  TANDEM_ASSERT(RangeInside<std::size_t>(offset, sizeof(T), table.size()));
  T value;
  std::memcpy(&value, table.data() + offset, sizeof(T));
  return value;
}

std::uint32_t Le32At(ConstByteSpan table, std::size_t offset) {
  return LoadAt<Le32>(table, offset).get();
}

// Never reads past the 32 wire bytes, whether or not they hold a NUL.
ResourceName CopyName(const std::uint8_t (&wire)[kNameSize]) {
  ResourceName name;
  for (std::size_t i = 0; i < kNameSize && wire[i] != 0; ++i)
    name.chars[i] = static_cast<char>(wire[i]);
  return name;
}

// [da, da + len) must stay inside the 32-bit device address space; a
// FW_RSC_ADDR_ANY da is the host's to choose.
bool FitsAddressSpace(std::uint32_t da, std::uint32_t len) {
  return da == kAddrAny || std::uint64_t{da} + len <= (std::uint64_t{1} << 32);
}

bool IsVendorType(std::uint32_t type) { return type >= kRscVendorStart && type <= kRscVendorEnd; }

constexpr std::size_t kTypeSize = sizeof(FwRscHdr);

// The limits are spelled out in the texts of errors.h.
static_assert(kMaxEntries == 256, "update error::kTooManyEntries");
static_assert(kMaxVrings == 8, "update error::kTooManyVrings");
static_assert(kMaxVringNum == 32768, "update error::kBadVringNum");

}  // namespace

Result<ResourceTable> ResourceTable::Parse(ConstByteSpan table, VendorHandler* vendor) {
  if (table.size() < sizeof(FwTableHeader)) return DataLoss(error::kTableTooSmall);
  const auto header = LoadAt<FwTableHeader>(table, 0);
  if (header.ver.get() != kTableVersion) return InvalidArgument(error::kUnsupportedVersion);
  const std::uint32_t num = header.num.get();
  // The offset array: num * 4 bytes after the header. 64-bit math so a huge
  // num cannot wrap on a 32-bit host.
  const std::uint64_t array_size = std::uint64_t{num} * sizeof(Le32);
  if (!RangeInside<std::uint64_t>(sizeof(FwTableHeader), array_size, table.size())) {
    return DataLoss(error::kOffsetArrayPastEnd);
  }
  if (num > kMaxEntries) return ResourceExhausted(error::kTooManyEntries);

  Entry entry;
  for (std::size_t i = 0; i < num; ++i) TANDEM_TRY(ParseEntry(table, num, i, &entry));
  TANDEM_TRY(CheckCarveoutOverlaps(table, num));
  if (vendor != nullptr) {
    for (std::size_t i = 0; i < num; ++i) {
      TANDEM_TRY(ParseEntry(table, num, i, &entry));
      if (entry.kind() == EntryKind::kVendor)
        TANDEM_TRY(vendor->Handle(entry.type(), entry.vendor().body));
    }
  }
  return ResourceTable(table, num);
}

Status ResourceTable::ParseEntry(ConstByteSpan table, std::size_t num, std::size_t index,
                                 Entry* out) {
  *out = Entry();
  // The caller validated that the offset array [16, 16 + 4 * num) is inside
  // the table and index < num.
  const std::size_t array_end = sizeof(FwTableHeader) + num * sizeof(Le32);
  TANDEM_ASSERT(index < num && array_end <= table.size());
  const std::uint32_t offset = Le32At(table, sizeof(FwTableHeader) + index * sizeof(Le32));
  if (offset % 4 != 0) return DataLoss(error::kEntryOffsetUnaligned);
  if (offset < array_end) return DataLoss(error::kEntryOffsetInHeader);
  if (offset >= table.size()) return DataLoss(error::kEntryOffsetPastEnd);
  // The entry may use the bytes up to the next entry (or the table end).
  std::size_t limit = table.size();
  if (index + 1 < num) {
    const std::uint32_t next = Le32At(table, sizeof(FwTableHeader) + (index + 1) * sizeof(Le32));
    if (next <= offset) return DataLoss(error::kEntryOffsetsNotIncreasing);
    if (next < limit) limit = next;  // a next offset past the end fails on its own turn
  }
  const std::size_t avail = limit - offset;  // > 0
  if (avail < kTypeSize) return DataLoss(error::kEntryTypeTruncated);
  const std::uint32_t type = Le32At(table, offset);
  const std::size_t body = offset + kTypeSize;
  const std::size_t body_avail = avail - kTypeSize;
  out->type_ = type;
  out->offset_ = offset;

  switch (type) {
    case kRscCarveout: {
      if (body_avail < sizeof(FwRscCarveout)) return DataLoss(error::kCarveoutTruncated);
      const auto w = LoadAt<FwRscCarveout>(table, body);
      Carveout& c = out->carveout_;
      c = {offset, w.da.get(), w.pa.get(), w.len.get(), w.flags.get(), CopyName(w.name)};
      if (!FitsAddressSpace(c.da, c.len)) return DataLoss(error::kCarveoutWraps);
      out->kind_ = EntryKind::kCarveout;
      return OkStatus();
    }
    case kRscDevmem: {
      if (body_avail < sizeof(FwRscDevmem)) return DataLoss(error::kDevmemTruncated);
      const auto w = LoadAt<FwRscDevmem>(table, body);
      Devmem& d = out->devmem_;
      d = {offset, w.da.get(), w.pa.get(), w.len.get(), w.flags.get(), CopyName(w.name)};
      if (!FitsAddressSpace(d.da, d.len)) return DataLoss(error::kDevmemWraps);
      out->kind_ = EntryKind::kDevmem;
      return OkStatus();
    }
    case kRscTrace: {
      if (body_avail < sizeof(FwRscTrace)) return DataLoss(error::kTraceTruncated);
      const auto w = LoadAt<FwRscTrace>(table, body);
      Trace& t = out->trace_;
      t = {offset, w.da.get(), w.len.get(), CopyName(w.name)};
      if (!FitsAddressSpace(t.da, t.len)) return DataLoss(error::kTraceWraps);
      out->kind_ = EntryKind::kTrace;
      return OkStatus();
    }
    case kRscVdev: {
      if (body_avail < sizeof(FwRscVdev)) return DataLoss(error::kVdevTruncated);
      const auto w = LoadAt<FwRscVdev>(table, body);
      Vdev& v = out->vdev_;
      v.offset = offset;
      v.id = w.id.get();
      v.notifyid = w.notifyid.get();
      v.dfeatures = w.dfeatures.get();
      v.gfeatures = w.gfeatures.get();
      v.config_len = w.config_len.get();
      v.status = w.status;
      v.num_of_vrings = w.num_of_vrings;
      if (v.num_of_vrings > kMaxVrings) return ResourceExhausted(error::kTooManyVrings);
      // Linux rproc_handle_vdev: header + vrings + config must fit.
      const std::uint64_t vrings_end = std::uint64_t{sizeof(FwRscVdev)} +
                                       std::uint64_t{v.num_of_vrings} * sizeof(FwRscVdevVring);
      if (vrings_end > body_avail) return DataLoss(error::kVringsPastEntry);
      const std::uint64_t needed = vrings_end + v.config_len;
      if (needed > body_avail) return DataLoss(error::kConfigPastEntry);
      std::size_t at = body + sizeof(FwRscVdev);
      for (std::size_t i = 0; i < v.num_of_vrings; ++i, at += sizeof(FwRscVdevVring)) {
        const auto r = LoadAt<FwRscVdevVring>(table, at);
        v.vring[i] = {r.da.get(), r.align.get(), r.num.get(), r.notifyid.get(), r.pa.get()};
        // VirtIO 1.x 2.7: split queue size is a power of two, at most 32768.
        if (!IsPowerOfTwo(v.vring[i].num) || v.vring[i].num > kMaxVringNum) {
          return DataLoss(error::kBadVringNum);
        }
        if (!IsPowerOfTwo(v.vring[i].align)) return DataLoss(error::kBadVringAlign);
      }
      v.config = table.subspan(at, v.config_len);  // checked: needed <= body_avail
      out->kind_ = EntryKind::kVdev;
      return OkStatus();
    }
    default: break;
  }
  if (IsVendorType(type)) {
    out->vendor_ = {offset, type, table.subspan(body, body_avail)};
    out->kind_ = EntryKind::kVendor;
    return OkStatus();
  }
  // Linux: "unsupported resource %d" (it skips; a type we cannot interpret
  // may be one the firmware depends on, so we refuse).
  return Unimplemented(error::kUnsupportedType);
}

Status ResourceTable::CheckCarveoutOverlaps(ConstByteSpan table, std::size_t num) {
  // Every entry validated, so offsets and the carveout bodies are in range.
  auto carveout_at = [&](std::size_t index, std::uint64_t* da, std::uint64_t* len) {
    const std::uint32_t offset = Le32At(table, sizeof(FwTableHeader) + index * sizeof(Le32));
    if (Le32At(table, offset) != kRscCarveout) return false;
    const auto w = LoadAt<FwRscCarveout>(table, offset + kTypeSize);
    if (w.da.get() == kAddrAny || w.len.get() == 0) return false;  // host-placed or empty
    *da = w.da.get();
    *len = w.len.get();
    return true;
  };
  for (std::size_t i = 1; i < num; ++i) {
    std::uint64_t da_i, len_i;
    if (!carveout_at(i, &da_i, &len_i)) continue;
    for (std::size_t j = 0; j < i; ++j) {
      std::uint64_t da_j, len_j;
      if (!carveout_at(j, &da_j, &len_j)) continue;
      // 64-bit ends cannot overflow (32-bit da + len).
      if (da_i < da_j + len_j && da_j < da_i + len_i) return DataLoss(error::kCarveoutsOverlap);
    }
  }
  return OkStatus();
}

Result<Entry> ResourceTable::entry(std::size_t index) const {
  if (index >= num_) return OutOfRange(error::kEntryIndexOutOfRange);
  Entry e;
  TANDEM_TRY(ParseEntry(table_, num_, index, &e));
  return e;
}

Entry ResourceTable::Iterator::operator*() const {
  Result<Entry> e = table_->entry(index_);
  return e.ok() ? *e : Entry();
}

}  // namespace tandem::rsc
