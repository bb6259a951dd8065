// Fuzz harness for the resource-table parser: any bytes must parse or fail
// cleanly; a table that parses must be walkable, every view it hands out
// must lie inside the input, and the patch helpers must stay in bounds on a
// copy.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tandem/base/assert.h"
#include "tandem/rsc/errors.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/rsc/rpmsg_config.h"
#include "tandem/rsc/table_patch.h"

namespace {

using tandem::ConstByteSpan;
using tandem::Status;

bool Inside(ConstByteSpan outer, ConstByteSpan inner) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

class CountingVendor final : public tandem::rsc::VendorHandler {
 public:
  explicit CountingVendor(ConstByteSpan table) : table_(table) {}
  Status Handle(std::uint32_t type, ConstByteSpan body) override {
    TANDEM_ASSERT(type >= tandem::rsc::kRscVendorStart && type <= tandem::rsc::kRscVendorEnd);
    TANDEM_ASSERT(Inside(table_, body));
    // Refuse one type so the error path is exercised too.
    return type == 200 ? tandem::FailedPrecondition("vendor type 200 refused") : tandem::OkStatus();
  }

 private:
  ConstByteSpan table_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ConstByteSpan input(reinterpret_cast<const std::byte*>(data), size);
  CountingVendor vendor(input);
  auto table = tandem::rsc::ResourceTable::Parse(input, &vendor);
  if (!table.ok()) return 0;
  TANDEM_ASSERT(table->size() <= tandem::rsc::kMaxEntries);

  std::vector<std::uint8_t> copy(data, data + size);
  const tandem::ByteSpan loaded(reinterpret_cast<std::byte*>(copy.data()), copy.size());
  for (const tandem::rsc::Entry& e : table->entries()) {
    TANDEM_ASSERT(e.kind() != tandem::rsc::EntryKind::kInvalid);
    TANDEM_ASSERT(e.offset() < size);
    switch (e.kind()) {
      case tandem::rsc::EntryKind::kCarveout:
        TANDEM_ASSERT(std::strlen(e.carveout().name.c_str()) <= tandem::rsc::kNameSize);
        TANDEM_ASSERT(tandem::rsc::SetCarveoutAddress(loaded, e.carveout(), 1, 2).ok());
        break;
      case tandem::rsc::EntryKind::kVdev: {
        const auto& v = e.vdev();
        TANDEM_ASSERT(Inside(input, v.config));
        TANDEM_ASSERT(v.vrings().size() <= tandem::rsc::kMaxVrings);
        for (std::size_t i = 0; i <= v.vrings().size(); ++i) {
          const Status s = tandem::rsc::SetVringDeviceAddress(loaded, v, i, 0x1000);
          TANDEM_ASSERT(s.ok() == (i < v.vrings().size()));
        }
        TANDEM_ASSERT(tandem::rsc::SetVdevStatus(loaded, v, 7).ok());
        TANDEM_ASSERT(tandem::rsc::ReadVdevStatus(loaded, v).value() == 7);
        // VIRTIO_RPMSG_F_BUFSZ (docs/buffers.md): any config space gives a
        // valid size or one of the reasons, and 512 without the bit.
        if (auto size = tandem::rsc::RpmsgBufferSizeOf(v); size.ok()) {
          TANDEM_ASSERT(tandem::rsc::IsValidRpmsgBufferSize(*size));
          if (!tandem::rsc::OffersRpmsgBufferSize(v.dfeatures)) {
            TANDEM_ASSERT(*size == tandem::rsc::kRpmsgDefaultBufferSize);
          }
        } else {
          TANDEM_ASSERT(tandem::rsc::OffersRpmsgBufferSize(v.dfeatures));
          TANDEM_ASSERT(size.status().Is(tandem::rsc::error::kRpmsgConfigTooShort) ||
                        size.status().Is(tandem::rsc::error::kBadRpmsgBufferSize) ||
                        size.status().Is(tandem::rsc::error::kRpmsgBufferSizesDiffer));
        }
        break;
      }
      case tandem::rsc::EntryKind::kVendor: TANDEM_ASSERT(Inside(input, e.vendor().body)); break;
      default: break;
    }
  }
  // Re-parsing the patched copy must not crash (it may now fail: a carveout
  // moved to da 1 can overlap another).
  tandem::rsc::ResourceTable::Parse(loaded).status().IgnoreError();
  return 0;
}
