#include "tandem/host/inspect.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "tandem/virtio/ring_layout.h"

namespace tandem::host {
namespace {

void Append(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));
void Append(std::string& out, const char* format, ...) {
  char line[256];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  if (n > 0) out.append(line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(line) - 1));
}

// Names come from the firmware: printable ASCII only.
std::string Printable(const std::string& s) {
  std::string out;
  for (const char c : s) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

const char* KindName(rsc::EntryKind kind) {
  switch (kind) {
    case rsc::EntryKind::kCarveout: return "carveout";
    case rsc::EntryKind::kDevmem: return "devmem";
    case rsc::EntryKind::kTrace: return "trace";
    case rsc::EntryKind::kVdev: return "vdev";
    case rsc::EntryKind::kVendor: return "vendor";
    case rsc::EntryKind::kInvalid: break;
  }
  return "invalid";
}

}  // namespace

VringReport DescribeVring(std::uint32_t index, const remoteproc::VringResources& vring,
                          const rpmsg::DriverQueueState& driver) {
  VringReport r;
  r.index = index;
  r.direction = index == 0 ? "remote->host" : "host->remote";
  r.da = vring.da;
  r.size = vring.num;
  r.align = vring.align;
  r.notifyid = vring.notifyid;
  r.driver_started = driver.started;
  r.avail_shadow = driver.avail_idx;
  r.last_used = driver.last_used;
  r.free = driver.num_free;
  r.in_flight =
      driver.num >= driver.num_free ? static_cast<std::uint16_t>(driver.num - driver.num_free) : 0;
  r.broken = !driver.broken.ok();
  if (r.broken) r.broken_reason = driver.broken.message();

  // Relaxed loads through the region's checked accessors: a snapshot for
  // people, ordering nothing (the driver never relies on these reads).
  auto layout = virtio::RingLayout::Compute(vring.num, vring.align);
  if (!layout.ok()) {
    r.read_error = layout.status().message();
    return r;
  }
  const shm::Region& ring = vring.ring;
  ring.InvalidateFromPeer(0, layout->size());
  const auto avail_idx = ring.LoadLe16(layout->avail_idx());
  const auto used_idx = ring.LoadLe16(layout->used_idx());
  const auto avail_flags = ring.LoadLe16(layout->avail_flags());
  const auto used_flags = ring.LoadLe16(layout->used_flags());
  for (const Status& s :
       {avail_idx.status(), used_idx.status(), avail_flags.status(), used_flags.status()}) {
    if (!s.ok()) {
      r.read_error = s.message();
      return r;
    }
  }
  r.avail_idx = *avail_idx;
  r.used_idx = *used_idx;
  r.avail_flags = *avail_flags;
  r.used_flags = *used_flags;
  r.pending_used = static_cast<std::uint16_t>(r.used_idx - r.last_used);
  return r;
}

ResourceTableReport DescribeResourceTable(const rsc::ResourceTable& table, std::uint64_t da) {
  ResourceTableReport r;
  r.da = da;
  r.size = table.bytes().size();
  r.version = table.version();
  for (const rsc::Entry& e : table.entries()) {
    ResourceEntryReport entry;
    entry.offset = e.offset();
    entry.type = e.type();
    entry.kind = KindName(e.kind());
    switch (e.kind()) {
      case rsc::EntryKind::kCarveout: {
        const rsc::Carveout& c = e.carveout();
        entry.carveout = CarveoutReport{c.da, c.pa, c.len, c.flags, c.name.c_str()};
        break;
      }
      case rsc::EntryKind::kDevmem: {
        const rsc::Devmem& d = e.devmem();
        entry.devmem = DevmemReport{d.da, d.pa, d.len, d.flags, d.name.c_str()};
        break;
      }
      case rsc::EntryKind::kTrace: {
        const rsc::Trace& t = e.trace();
        entry.trace = TraceReport{t.da, t.len, t.name.c_str()};
        break;
      }
      case rsc::EntryKind::kVdev: {
        const rsc::Vdev& v = e.vdev();
        VdevReport vdev;
        vdev.id = v.id;
        vdev.notifyid = v.notifyid;
        vdev.dfeatures = v.dfeatures;
        vdev.gfeatures = v.gfeatures;
        vdev.config_len = v.config_len;
        vdev.status = v.status;
        for (const rsc::Vring& ring : v.vrings()) {
          vdev.vrings.push_back({ring.da, ring.align, ring.num, ring.notifyid});
        }
        entry.vdev = std::move(vdev);
        break;
      }
      case rsc::EntryKind::kVendor:
        entry.vendor = VendorReport{static_cast<std::uint32_t>(e.vendor().body.size())};
        break;
      case rsc::EntryKind::kInvalid: break;  // the bytes changed under the view
    }
    r.entries.push_back(std::move(entry));
  }
  return r;
}

std::string FormatRings(const RingsReport& r) {
  std::string out;
  // vdev 0 is named as before there were several (scripts read this line).
  const std::string vdev = r.vdev == 0 ? "" : " vdev" + std::to_string(r.vdev);
  Append(out, "%s%s: %s, link %s\n", r.name.c_str(), vdev.c_str(), r.state.c_str(),
         r.link_up ? "up" : r.link_status.c_str());
  Append(out, "buffers: %" PRIu32 " x %" PRIu32 " B at 0x%" PRIx64 ", features 0x%" PRIx32 "\n",
         r.buffer_count, r.buffer_size, r.buffers_da, r.features);
  for (const VringReport& v : r.vrings) {
    Append(out,
           "vring%" PRIu32 " %s: da 0x%" PRIx64 " size %" PRIu32 " align %" PRIu32
           " notifyid %" PRIu32 "\n",
           v.index, v.direction.c_str(), v.da, v.size, v.align, v.notifyid);
    if (!v.read_error.empty()) {
      Append(out, "  shared: unreadable (%s)\n", v.read_error.c_str());
    } else {
      Append(out, "  shared: avail idx %u flags 0x%x, used idx %u flags 0x%x\n", v.avail_idx,
             v.avail_flags, v.used_idx, v.used_flags);
    }
    Append(out,
           "  host:   avail idx %u, last seen used idx %u, free %u, in flight %u, pending %u%s\n",
           v.avail_shadow, v.last_used, v.free, v.in_flight, v.pending_used,
           v.driver_started ? "" : " (driver stopped)");
    if (v.broken) Append(out, "  BROKEN: %s\n", v.broken_reason.c_str());
  }
  const rpmsg::Stats& s = r.stats;
  Append(out, "messages: rx %" PRIu64 " tx %" PRIu64 ", kicks %" PRIu64 " (%" PRIu32 " failed)\n",
         s.rx_messages, s.tx_messages, s.notifications, s.notify_errors);
  Append(out,
         "tx buffers: free %" PRIu32 " held %" PRIu32 " in flight %" PRIu32
         "; rx buffers: "
         "posted %" PRIu32 " held %" PRIu32 "\n",
         s.tx_free, s.tx_held, s.tx_in_flight, s.rx_posted, s.rx_held);
  Append(out,
         "rx dropped: too short %" PRIu32 ", too big %" PRIu32 ", bad buffer %" PRIu32
         ", no endpoint %" PRIu32 ", dst any %" PRIu32 ", no receiver %" PRIu32
         ", queue full %" PRIu32 "\n",
         s.rx_too_short, s.rx_too_big, s.rx_bad_buffer, s.rx_no_endpoint, s.rx_dst_any,
         s.rx_no_receiver, s.rx_queue_full);
  Append(out,
         "name service: malformed %" PRIu32 ", rejected %" PRIu32 ", duplicate %" PRIu32
         ", driver busy %" PRIu32 "\n",
         s.ns_malformed, s.ns_rejected, s.ns_duplicate, s.ns_driver_busy);
  return out;
}

std::string FormatResourceTable(const ResourceTableReport& r) {
  std::string out;
  Append(out, "resource table v%" PRIu32 " at 0x%" PRIx64 ", %" PRIu64 " bytes, %zu entries\n",
         r.version, r.da, r.size, r.entries.size());
  std::size_t i = 0;
  for (const ResourceEntryReport& e : r.entries) {
    Append(out, "[%zu] %s (type %" PRIu32 ", offset 0x%" PRIx32 ")", i++, e.kind.c_str(), e.type,
           e.offset);
    if (e.carveout) {
      const CarveoutReport& c = *e.carveout;
      Append(out,
             ": \"%s\" da 0x%08" PRIx32 " pa 0x%08" PRIx32 " len 0x%" PRIx32 " flags 0x%" PRIx32
             "\n",
             Printable(c.name).c_str(), c.da, c.pa, c.len, c.flags);
    } else if (e.devmem) {
      const DevmemReport& d = *e.devmem;
      Append(out,
             ": \"%s\" da 0x%08" PRIx32 " pa 0x%08" PRIx32 " len 0x%" PRIx32 " flags 0x%" PRIx32
             "\n",
             Printable(d.name).c_str(), d.da, d.pa, d.len, d.flags);
    } else if (e.trace) {
      Append(out, ": \"%s\" da 0x%08" PRIx32 " len 0x%" PRIx32 "\n",
             Printable(e.trace->name).c_str(), e.trace->da, e.trace->len);
    } else if (e.vdev) {
      const VdevReport& v = *e.vdev;
      Append(out,
             ": id %" PRIu32 " notifyid %" PRIu32 " dfeatures 0x%" PRIx32 " gfeatures 0x%" PRIx32
             " config_len %" PRIu32 " status 0x%02x",
             v.id, v.notifyid, v.dfeatures, v.gfeatures, v.config_len, v.status);
      if (v.remote_status) Append(out, " (in the loaded table: 0x%02x)", *v.remote_status);
      out += '\n';
      std::size_t n = 0;
      for (const VdevVringReport& ring : v.vrings) {
        Append(out,
               "    vring%zu: da 0x%08" PRIx32 " align %" PRIu32 " num %" PRIu32
               " notifyid %" PRIu32 "\n",
               n++, ring.da, ring.align, ring.num, ring.notifyid);
      }
    } else if (e.vendor) {
      Append(out, ": %" PRIu32 " bytes\n", e.vendor->size);
    } else {
      out += '\n';
    }
  }
  return out;
}

}  // namespace tandem::host
