#include "tandem/rsc/table_patch.h"

#include <cstring>

#include "tandem/base/checked_math.h"
#include "tandem/rsc/errors.h"
#include "tandem/rsc/wire.h"

namespace tandem::rsc {
namespace {

constexpr std::size_t kTypeSize = sizeof(FwRscHdr);

// Checks that the entry at `entry_offset` has `type` and that
// [entry_offset + field_offset, + field_size) is inside the table; returns
// the field's absolute offset.
Result<std::size_t> LocateField(ConstByteSpan table, std::uint32_t entry_offset, std::uint32_t type,
                                std::size_t field_offset, std::size_t field_size) {
  const std::uint64_t at = std::uint64_t{entry_offset} + field_offset;
  if (!RangeInside<std::uint64_t>(entry_offset, kTypeSize, table.size()) ||
      !RangeInside<std::uint64_t>(at, field_size, table.size())) {
    return OutOfRange(error::kFieldOutsideTable);
  }
  Le32 wire_type;
  std::memcpy(&wire_type, table.data() + entry_offset, sizeof(wire_type));
  if (wire_type.get() != type) {
    return FailedPrecondition(error::kEntryTypeDiffers);
  }
  return static_cast<std::size_t>(at);
}

Status StoreLe32(ByteSpan table, std::uint32_t entry_offset, std::uint32_t type,
                 std::size_t field_offset, std::uint32_t value) {
  TANDEM_TRY_ASSIGN(const std::size_t at,
                    LocateField(table, entry_offset, type, field_offset, sizeof(Le32)));
  const Le32 wire(value);
  std::memcpy(table.data() + at, &wire, sizeof(wire));
  return OkStatus();
}

Result<std::size_t> VringField(const Vdev& vdev, std::size_t index, std::size_t field) {
  if (index >= vdev.num_of_vrings) return OutOfRange(error::kVringIndexOutOfRange);
  return kTypeSize + sizeof(FwRscVdev) + index * sizeof(FwRscVdevVring) + field;
}

}  // namespace

Status SetCarveoutAddress(ByteSpan table, const Carveout& carveout, std::uint32_t da,
                          std::uint32_t pa) {
  // Check both fields before writing either.
  TANDEM_TRY(LocateField(table, carveout.offset, kRscCarveout,
                         kTypeSize + offsetof(FwRscCarveout, da),
                         offsetof(FwRscCarveout, pa) + sizeof(Le32)));
  TANDEM_TRY(
      StoreLe32(table, carveout.offset, kRscCarveout, kTypeSize + offsetof(FwRscCarveout, da), da));
  return StoreLe32(table, carveout.offset, kRscCarveout, kTypeSize + offsetof(FwRscCarveout, pa),
                   pa);
}

Status SetVringDeviceAddress(ByteSpan table, const Vdev& vdev, std::size_t index,
                             std::uint32_t da) {
  TANDEM_TRY_ASSIGN(const std::size_t field, VringField(vdev, index, offsetof(FwRscVdevVring, da)));
  return StoreLe32(table, vdev.offset, kRscVdev, field, da);
}

Status SetVringNotifyId(ByteSpan table, const Vdev& vdev, std::size_t index,
                        std::uint32_t notifyid) {
  TANDEM_TRY_ASSIGN(const std::size_t field,
                    VringField(vdev, index, offsetof(FwRscVdevVring, notifyid)));
  return StoreLe32(table, vdev.offset, kRscVdev, field, notifyid);
}

Status SetVdevStatus(ByteSpan table, const Vdev& vdev, std::uint8_t status) {
  TANDEM_TRY_ASSIGN(const std::size_t at, LocateField(table, vdev.offset, kRscVdev,
                                                      kTypeSize + offsetof(FwRscVdev, status), 1));
  table[at] = static_cast<std::byte>(status);
  return OkStatus();
}

Status SetVdevGuestFeatures(ByteSpan table, const Vdev& vdev, std::uint32_t features) {
  return StoreLe32(table, vdev.offset, kRscVdev, kTypeSize + offsetof(FwRscVdev, gfeatures),
                   features);
}

Result<std::uint8_t> ReadVdevStatus(ConstByteSpan table, const Vdev& vdev) {
  TANDEM_TRY_ASSIGN(const std::size_t at, LocateField(table, vdev.offset, kRscVdev,
                                                      kTypeSize + offsetof(FwRscVdev, status), 1));
  return static_cast<std::uint8_t>(table[at]);
}

}  // namespace tandem::rsc
