#pragma once
// Read-only reports of a remote's link and resource table, for
// `tandem rings NAME` and `tandem rsc NAME` (Session::Rings(),
// Session::ResourceTable()): plain structs of numbers and strings, so that
// a daemon serializes them as they are (nlohmann-json), plus the text the
// CLI prints. Building them changes nothing: no vdev reset, no write to
// shared memory, no counter reset.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tandem/remoteproc/vdev.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/stats.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::host {

// One vring of the RPMsg vdev. The indices in shared memory are the remote's
// to corrupt: they are shown as read (bounds-checked), never trusted.
struct VringReport {
  std::uint32_t index = 0;  // 0: remote -> host (receive), 1: host -> remote
  std::string direction;    // "remote->host", "host->remote"
  std::uint64_t da = 0;     // device address
  std::uint32_t size = 0;   // entries (num)
  std::uint32_t align = 0;
  std::uint32_t notifyid = 0;
  // Read from shared memory now; `read_error` is set (and these are 0) if
  // the ring could not be read.
  std::uint16_t avail_idx = 0;
  std::uint16_t used_idx = 0;
  std::uint16_t avail_flags = 0;
  std::uint16_t used_flags = 0;
  std::string read_error;
  // The host driver's own state (its shadows, never read back from the ring).
  bool driver_started = false;
  std::uint16_t avail_shadow = 0;  // avail idx the host published
  std::uint16_t last_used = 0;     // last seen used idx: the next used entry the host takes
  std::uint16_t free = 0;          // descriptors free for the host
  std::uint16_t in_flight = 0;     // given to the remote, not yet taken back (size - free)
  // Used entries the remote returned that the host has not taken yet
  // (used_idx - last_used, modulo 2^16, as read).
  std::uint16_t pending_used = 0;
  bool broken = false;
  std::string broken_reason;
};

struct RingsReport {
  std::string name;   // the instance
  std::string state;  // remoteproc::StateName
  bool link_up = false;
  std::string link_status;     // "ok", or why the link is down or broken
  std::uint32_t features = 0;  // negotiated (VIRTIO_RPMSG_F_NS, EVENT_IDX)
  std::uint64_t buffers_da = 0;
  std::uint32_t buffer_size = 0;
  std::uint32_t buffer_count = 0;  // both directions
  std::vector<VringReport> vrings;
  rpmsg::Stats stats;      // the bus's counters (rpmsg/stats.h)
  std::uint32_t vdev = 0;  // which RPMsg vdev (bus), in table order
};

struct CarveoutReport {
  std::uint32_t da = 0;
  std::uint32_t pa = 0;
  std::uint32_t len = 0;
  std::uint32_t flags = 0;
  std::string name;
};

struct DevmemReport {
  std::uint32_t da = 0;
  std::uint32_t pa = 0;
  std::uint32_t len = 0;
  std::uint32_t flags = 0;
  std::string name;
};

struct TraceReport {
  std::uint32_t da = 0;
  std::uint32_t len = 0;
  std::string name;
};

struct VdevVringReport {
  std::uint32_t da = 0;
  std::uint32_t align = 0;
  std::uint32_t num = 0;
  std::uint32_t notifyid = 0;
};

struct VdevReport {
  std::uint32_t id = 0;  // VirtIO device ID (7: rpmsg)
  std::uint32_t notifyid = 0;
  std::uint32_t dfeatures = 0;
  std::uint32_t gfeatures = 0;
  std::uint32_t config_len = 0;
  std::uint8_t status = 0;  // as the host wrote it
  // The status byte in the loaded table now (the remote may have set
  // DEVICE_NEEDS_RESET); nullopt if it could not be read.
  std::optional<std::uint8_t> remote_status;
  std::vector<VdevVringReport> vrings;
};

struct VendorReport {
  std::uint32_t size = 0;  // body bytes
};

// One entry, with the member of its kind set.
struct ResourceEntryReport {
  std::uint32_t offset = 0;  // in the table
  std::uint32_t type = 0;    // RSC_* wire value
  std::string kind;          // "carveout", "devmem", "trace", "vdev", "vendor"
  std::optional<CarveoutReport> carveout;
  std::optional<DevmemReport> devmem;
  std::optional<TraceReport> trace;
  std::optional<VdevReport> vdev;
  std::optional<VendorReport> vendor;
};

// The resource table as loaded: the host's copy with what it placed
// (FW_RSC_ADDR_ANY resolved, notifyids, negotiated features).
struct ResourceTableReport {
  std::uint64_t da = 0;    // where the loaded table is
  std::uint64_t size = 0;  // bytes
  std::uint32_t version = 0;
  std::vector<ResourceEntryReport> entries;
};

// The builders Session uses, exposed for tests.
// One vring: its indices read from `vring.ring` (bounds-checked, as
// untrusted), the driver's state as the bus keeps it.
VringReport DescribeVring(std::uint32_t index, const remoteproc::VringResources& vring,
                          const rpmsg::DriverQueueState& driver);
// The entries of a parsed table; vdev remote_status left unset.
ResourceTableReport DescribeResourceTable(const rsc::ResourceTable& table, std::uint64_t da);

// Text for people, one line per ring / entry plus a header; stable enough
// for tests, not a format to parse (use the structs).
std::string FormatRings(const RingsReport& report);
std::string FormatResourceTable(const ResourceTableReport& report);

}  // namespace tandem::host
