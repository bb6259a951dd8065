#include "tandem/daemon/inspect_json.h"

namespace tandem::daemon {

using client::Json;

Json ToJson(const host::RingsReport& r) {
  Json vrings = Json::array();
  for (const auto& v : r.vrings) {
    Json j = {{"index", v.index},
              {"direction", v.direction},
              {"da", v.da},
              {"size", v.size},
              {"align", v.align},
              {"notifyid", v.notifyid},
              {"avail_idx", v.avail_idx},
              {"used_idx", v.used_idx},
              {"avail_flags", v.avail_flags},
              {"used_flags", v.used_flags},
              {"driver_started", v.driver_started},
              {"avail_shadow", v.avail_shadow},
              {"last_used", v.last_used},
              {"free", v.free},
              {"in_flight", v.in_flight},
              {"pending_used", v.pending_used},
              {"broken", v.broken}};
    if (!v.read_error.empty()) j["read_error"] = v.read_error;
    if (!v.broken_reason.empty()) j["broken_reason"] = v.broken_reason;
    vrings.push_back(std::move(j));
  }
  const rpmsg::Stats& s = r.stats;
  return {{"name", r.name},
          {"vdev", r.vdev},
          {"state", r.state},
          {"link_up", r.link_up},
          {"link_status", r.link_status},
          {"features", r.features},
          {"buffers_da", r.buffers_da},
          {"buffer_size", r.buffer_size},
          {"buffer_count", r.buffer_count},
          {"vrings", vrings},
          {"stats",
           {{"rx_messages", s.rx_messages},
            {"tx_messages", s.tx_messages},
            {"notifications", s.notifications},
            {"notify_errors", s.notify_errors},
            {"rx_too_short", s.rx_too_short},
            {"rx_too_big", s.rx_too_big},
            {"rx_bad_buffer", s.rx_bad_buffer},
            {"rx_no_endpoint", s.rx_no_endpoint},
            {"rx_dst_any", s.rx_dst_any},
            {"rx_no_receiver", s.rx_no_receiver},
            {"rx_queue_full", s.rx_queue_full},
            {"ns_malformed", s.ns_malformed},
            {"ns_rejected", s.ns_rejected},
            {"ns_duplicate", s.ns_duplicate},
            {"ns_driver_busy", s.ns_driver_busy},
            {"tx_free", s.tx_free},
            {"tx_held", s.tx_held},
            {"tx_in_flight", s.tx_in_flight},
            {"rx_held", s.rx_held},
            {"rx_posted", s.rx_posted}}}};
}

Json ToJson(const host::ResourceTableReport& r) {
  Json entries = Json::array();
  for (const auto& e : r.entries) {
    Json j = {{"offset", e.offset}, {"type", e.type}, {"kind", e.kind}};
    if (e.carveout) {
      j["da"] = e.carveout->da;
      j["pa"] = e.carveout->pa;
      j["len"] = e.carveout->len;
      j["flags"] = e.carveout->flags;
      j["name"] = e.carveout->name;
    }
    if (e.devmem) {
      j["da"] = e.devmem->da;
      j["pa"] = e.devmem->pa;
      j["len"] = e.devmem->len;
      j["flags"] = e.devmem->flags;
      j["name"] = e.devmem->name;
    }
    if (e.trace) {
      j["da"] = e.trace->da;
      j["len"] = e.trace->len;
      j["name"] = e.trace->name;
    }
    if (e.vdev) {
      const auto& v = *e.vdev;
      Json rings = Json::array();
      for (const auto& ring : v.vrings) {
        rings.push_back({{"da", ring.da},
                         {"align", ring.align},
                         {"num", ring.num},
                         {"notifyid", ring.notifyid}});
      }
      j["id"] = v.id;
      j["notifyid"] = v.notifyid;
      j["dfeatures"] = v.dfeatures;
      j["gfeatures"] = v.gfeatures;
      j["config_len"] = v.config_len;
      j["status"] = v.status;
      if (v.remote_status) j["remote_status"] = *v.remote_status;
      j["vrings"] = rings;
    }
    if (e.vendor) j["size"] = e.vendor->size;
    entries.push_back(std::move(j));
  }
  return {{"da", r.da}, {"size", r.size}, {"version", r.version}, {"entries", entries}};
}

}  // namespace tandem::daemon
