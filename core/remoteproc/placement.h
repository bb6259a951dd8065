#pragma once
// Internal: who places a run's resources, which decides what the resource
// handlers may choose and what they write back into the cached table.

#include <cstdint>

namespace tandem::remoteproc {

enum class Placement : std::uint8_t {
  // Load(): we boot the remote, so we place it. FW_RSC_ADDR_ANY carveouts
  // and vrings get an address of our choosing, notifyids are assigned, and
  // every choice (da/pa, notifyid, gfeatures, status 0) is written into the
  // cached table for the firmware to read (Linux rproc_handle_resources).
  kBoot,
  // Attach(): the remote runs and whoever booted it placed everything. The
  // table's addresses and notifyids are facts to map and check, not to
  // rewrite; FW_RSC_ADDR_ANY means the table is not a placed one (Linux
  // rproc_attach with RPROC_DETACHED).
  kAttach,
};

}  // namespace tandem::remoteproc
