#include "tandem/rsc/rpmsg_config.h"

#include <cstring>

#include "tandem/rsc/errors.h"
#include "tandem/rsc/wire.h"

namespace tandem::rsc {

Result<std::uint32_t> RpmsgBufferSizeOf(const Vdev& vdev) {
  if (!OffersRpmsgBufferSize(vdev.dfeatures)) return kRpmsgDefaultBufferSize;
  // Parse() checked that config_len bytes fit in the entry and that
  // `config` is exactly them; a longer config space is allowed (NuttX puts
  // CPU names after the sizes).
  if (vdev.config_len < sizeof(RpmsgVirtioConfig) ||
      vdev.config.size() < sizeof(RpmsgVirtioConfig)) {
    return DataLoss(error::kRpmsgConfigTooShort);
  }
  RpmsgVirtioConfig config;
  std::memcpy(&config, vdev.config.data(), sizeof(config));
  const std::uint32_t h2r = config.h2r_buf_size.get();
  const std::uint32_t r2h = config.r2h_buf_size.get();
  if (!IsValidRpmsgBufferSize(h2r) || !IsValidRpmsgBufferSize(r2h)) {
    return DataLoss(error::kBadRpmsgBufferSize);
  }
  if (h2r != r2h) return Unimplemented(error::kRpmsgBufferSizesDiffer);
  return h2r;
}

}  // namespace tandem::rsc
