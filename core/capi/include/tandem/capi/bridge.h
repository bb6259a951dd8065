#pragma once
// The C++ side of the C API (tandem/c/rpmsg.h): how a runtime that owns a
// bus hands it to C code as a tandem_rpmsg_device, and how C results are
// made from Status. Used by the remote runtime's C binding (remote/c_api.cc),
// the host's (host/c_api.cc) and tests; C programs never see it.

#include <cstddef>

#include "tandem/base/status.h"
#include "tandem/c/rpmsg.h"
#include "tandem/rpmsg/bus.h"
#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/host_bus.h"

namespace tandem::capi {

// How a host device registers the channel drivers behind
// tandem_rpmsg_ns_bind(). A Session serializes registration with its poll
// thread (host::Session::RegisterDriver), so it is injected, not assumed.
class DriverRegistrar {
 public:
  virtual Status RegisterDriver(const char* name, rpmsg::ChannelHandler& handler) = 0;
  virtual void UnregisterDriver(rpmsg::ChannelHandler& handler) = 0;

 protected:
  ~DriverRegistrar() = default;
};

// Registers straight on a HostBus (tests, single-threaded hosts).
class HostBusRegistrar final : public DriverRegistrar {
 public:
  explicit HostBusRegistrar(rpmsg::HostBus& bus) : bus_(bus) {}
  Status RegisterDriver(const char* name, rpmsg::ChannelHandler& handler) override {
    return bus_.RegisterDriver(name, handler);
  }
  void UnregisterDriver(rpmsg::ChannelHandler& handler) override { bus_.UnregisterDriver(handler); }

 private:
  rpmsg::HostBus& bus_;
};

// Makes `device` name `bus`. `registrar` is null on a remote (ns_bind is
// then TANDEM_ENOTSUP). Both outlive the device's use; call again to rebind
// (only with no endpoint created on it).
void InitDevice(tandem_rpmsg_device& device, rpmsg::Bus& bus, DriverRegistrar* registrar);

// The C++ endpoint inside a C endpoint (created or not).
rpmsg::Endpoint& EndpointOf(tandem_rpmsg_endpoint& endpoint);

// TANDEM_OK or the TANDEM_E* of status.code(), one to one.
int ToErrorCode(const Status& status);
// The inverse for the error table test: the StatusCode of a TANDEM_E* (and
// kInternal for a value that is none).
StatusCode ToStatusCode(int code);

// Timeouts in nanoseconds (TANDEM_RPMSG_WAIT_FOREVER is Timeout::Forever()).
rpmsg::Timeout ToTimeout(std::uint64_t timeout_ns);

}  // namespace tandem::capi
