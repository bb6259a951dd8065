// Zephyr's rpmsg_service (tandem/c/rpmsg_service.h): a fixed table of
// OpenAMP-shaped endpoints on one default device. Global by nature - the
// Zephyr API names endpoints by a process-wide id - and statically sized.

#include "tandem/c/rpmsg_service.h"

#include <climits>
#include <cstring>

namespace {

struct ServiceEndpoint {
  const char* name = nullptr;
  rpmsg_ept_cb cb = nullptr;
  struct rpmsg_endpoint ept = {};
  tandem_openamp_ns_driver driver = {};
  bool created = false;
  bool bound_by_name = false;  // host role: waits for the announcement
};

ServiceEndpoint g_endpoints[TANDEM_RPMSG_SERVICE_MAX_ENDPOINTS];
int g_count = 0;
tandem_rpmsg_device* g_device = nullptr;

// Host role: the remote announced the name; the endpoint talks to it.
void OnAnnounced(struct rpmsg_device* rdev, const char* name, uint32_t dest) {
  for (int i = 0; i < g_count; ++i) {
    ServiceEndpoint& s = g_endpoints[i];
    if (s.bound_by_name && !s.created && std::strncmp(s.name, name, RPMSG_NAME_SIZE) == 0) {
      s.created = rpmsg_create_ept(&s.ept, rdev, s.name, RPMSG_ADDR_ANY, dest, s.cb, nullptr) ==
                  RPMSG_SUCCESS;
      return;
    }
  }
}

int Attach(ServiceEndpoint& s) {
  struct rpmsg_device* rdev = tandem_openamp_rdev(g_device);
  // A host binds by name; a remote creates and announces (ns_bind is
  // RPMSG_ERR_PERM, TANDEM_ENOTSUP, there).
  int rc = tandem_openamp_ns_bind(&s.driver, rdev, s.name, OnAnnounced);
  if (rc == RPMSG_SUCCESS) {
    s.bound_by_name = true;
    return rc;
  }
  if (rc != RPMSG_ERR_PERM) return rc;
  rc = rpmsg_create_ept(&s.ept, rdev, s.name, RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, s.cb, nullptr);
  s.created = rc == RPMSG_SUCCESS;
  return rc;
}

void Detach(ServiceEndpoint& s) {
  if (s.bound_by_name) tandem_rpmsg_ns_unbind(&s.driver.tandem);
  if (s.created) rpmsg_destroy_ept(&s.ept);
  s.created = false;
  s.bound_by_name = false;
}

}  // namespace

extern "C" {

int tandem_rpmsg_service_set_device(tandem_rpmsg_device* dev) {
  for (int i = 0; i < g_count; ++i) Detach(g_endpoints[i]);
  g_device = dev;
  int first_error = RPMSG_SUCCESS;
  if (dev == nullptr) return first_error;
  for (int i = 0; i < g_count; ++i) {
    const int rc = Attach(g_endpoints[i]);
    if (rc != RPMSG_SUCCESS && first_error == RPMSG_SUCCESS) first_error = rc;
  }
  return first_error;
}

int rpmsg_service_register_endpoint(const char* name, rpmsg_ept_cb cb) {
  if (name == nullptr || cb == nullptr) return RPMSG_ERR_PARAM;
  if (g_count == TANDEM_RPMSG_SERVICE_MAX_ENDPOINTS) return RPMSG_ERR_NO_MEM;
  const int id = g_count++;
  ServiceEndpoint& s = g_endpoints[id];
  s.name = name;
  s.cb = cb;
  if (g_device != nullptr) {
    const int rc = Attach(s);
    if (rc != RPMSG_SUCCESS) {
      --g_count;
      s = ServiceEndpoint{};
      return rc;
    }
  }
  return id;
}

bool rpmsg_service_endpoint_is_bound(int endpoint_id) {
  if (endpoint_id < 0 || endpoint_id >= g_count) return false;
  ServiceEndpoint& s = g_endpoints[endpoint_id];
  return s.created && is_rpmsg_ept_ready(&s.ept) != 0;
}

int rpmsg_service_send(int endpoint_id, const void* data, size_t len) {
  if (endpoint_id < 0 || endpoint_id >= g_count || len > INT_MAX) return RPMSG_ERR_PARAM;
  ServiceEndpoint& s = g_endpoints[endpoint_id];
  if (!s.created) return RPMSG_ERR_DEV_STATE;
  return rpmsg_send(&s.ept, data, static_cast<int>(len));
}

void tandem_rpmsg_service_reset(void) {
  for (int i = 0; i < g_count; ++i) {
    Detach(g_endpoints[i]);
    g_endpoints[i] = ServiceEndpoint{};
  }
  g_count = 0;
  g_device = nullptr;
}

}  // extern "C"
