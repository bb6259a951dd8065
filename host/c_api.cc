// tandem/c/host.h over host::Session and host::ChannelPort. Hosted: the
// session and its channels are heap objects behind opaque pointers.

#include <chrono>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#include "tandem/c/host.h"
#include "tandem/capi/bridge.h"
#include "tandem/host/session.h"
#include "tandem/remoteproc/state.h"

namespace {

using tandem::Status;
using tandem::capi::ToErrorCode;
using tandem::capi::ToTimeout;

// tandem_rpmsg_ns_bind on a session goes through Session::RegisterDriver,
// which serializes with the session's poll thread.
class SessionRegistrar final : public tandem::capi::DriverRegistrar {
 public:
  explicit SessionRegistrar(tandem::host::Session& session) : session_(session) {}
  Status RegisterDriver(const char* name, tandem::rpmsg::ChannelHandler& handler) override {
    return session_.RegisterDriver(name, handler);
  }
  void UnregisterDriver(tandem::rpmsg::ChannelHandler& handler) override {
    session_.UnregisterDriver(handler);
  }

 private:
  tandem::host::Session& session_;
};

std::chrono::milliseconds ToMilliseconds(std::uint64_t timeout_ns) {
  constexpr std::uint64_t kMax = 365ull * 24 * 3600 * 1000;  // a year is forever enough
  const std::uint64_t ms = timeout_ns / 1'000'000;
  return std::chrono::milliseconds(ms > kMax ? kMax : ms);
}

}  // namespace

struct tandem_host_session {
  std::unique_ptr<tandem::host::Session> session;
  std::unique_ptr<SessionRegistrar> registrar;
  tandem_rpmsg_device device = {};
  mutable std::mutex error_mutex;
  std::string last_error;

  int Fail(const Status& s) {
    if (!s.ok()) {
      std::lock_guard<std::mutex> guard(error_mutex);
      last_error = s.message();
    }
    return ToErrorCode(s);
  }
};

struct tandem_host_channel {
  tandem_host_channel(tandem::host::Session& session, const char* name, std::uint32_t vdev)
      : port(session, name, vdev) {}
  tandem::host::ChannelPort port;
};

extern "C" {

void tandem_host_options_init(tandem_host_options* options) {
  if (options != nullptr) *options = tandem_host_options{};
}

int tandem_host_session_create(const tandem_host_options* options, tandem_host_session** out) {
  if (out == nullptr) return TANDEM_EINVAL;
  *out = nullptr;
  tandem::host::SessionOptions o;
  if (options != nullptr) {
    if (options->name != nullptr) o.name = options->name;
    if (options->runtime_dir != nullptr) o.runtime_dir = options->runtime_dir;
    if (options->launcher_path != nullptr) o.launcher_path = options->launcher_path;
    if (options->console_path != nullptr) o.console_path = options->console_path;
    o.die_with_host = options->die_with_host != 0;
  }
  auto session = tandem::host::Session::Create(std::move(o));
  if (!session.ok()) return ToErrorCode(session.status());
  auto* s = new (std::nothrow) tandem_host_session;
  if (s == nullptr) return TANDEM_ENOSPACE;
  s->session = std::move(session).value();
  s->registrar = std::make_unique<SessionRegistrar>(*s->session);
  tandem::capi::InitDevice(s->device, s->session->bus(), s->registrar.get());
  *out = s;
  return TANDEM_OK;
}

void tandem_host_session_destroy(tandem_host_session* session) { delete session; }

int tandem_host_boot(tandem_host_session* session, const char* elf_path) {
  if (session == nullptr || elf_path == nullptr) return TANDEM_EINVAL;
  auto image = tandem::host::Session::ReadFile(elf_path);
  if (!image.ok()) return session->Fail(image.status());
  return session->Fail(session->session->Boot(std::move(image).value()));
}

int tandem_host_stop(tandem_host_session* session) {
  if (session == nullptr) return TANDEM_EINVAL;
  return session->Fail(session->session->Stop());
}

tandem_host_state tandem_host_get_state(const tandem_host_session* session) {
  if (session == nullptr) return TANDEM_HOST_OFFLINE;
  return static_cast<tandem_host_state>(session->session->state());
}

const char* tandem_host_state_name(tandem_host_state state) {
  return tandem::remoteproc::StateName(static_cast<tandem::remoteproc::State>(state));
}

int tandem_host_wait_link_up(tandem_host_session* session, uint64_t timeout_ns) {
  if (session == nullptr) return TANDEM_EINVAL;
  // The session has no link-up event to wait on; its state is cheap to
  // read, so look every millisecond.
  const auto deadline = std::chrono::steady_clock::now() + ToMilliseconds(timeout_ns);
  while (!session->session->link_status().ok()) {
    if (std::chrono::steady_clock::now() >= deadline) return TANDEM_ETIMEDOUT;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return TANDEM_OK;
}

const char* tandem_host_last_error(const tandem_host_session* session) {
  if (session == nullptr) return "";
  std::lock_guard<std::mutex> guard(session->error_mutex);
  return session->last_error.c_str();
}

tandem_rpmsg_device* tandem_host_device(tandem_host_session* session) {
  return session == nullptr ? nullptr : &session->device;
}

int tandem_host_channel_open(tandem_host_session* session, const char* name,
                             tandem_host_channel** out) {
  return tandem_host_channel_open_vdev(session, 0, name, out);
}

int tandem_host_channel_open_vdev(tandem_host_session* session, uint32_t vdev, const char* name,
                                  tandem_host_channel** out) {
  if (session == nullptr || name == nullptr || out == nullptr) return TANDEM_EINVAL;
  *out = nullptr;
  auto* channel = new (std::nothrow) tandem_host_channel(*session->session, name, vdev);
  if (channel == nullptr) return TANDEM_ENOSPACE;
  if (const Status s = channel->port.Register(); !s.ok()) {
    delete channel;
    return session->Fail(s);
  }
  *out = channel;
  return TANDEM_OK;
}

void tandem_host_channel_close(tandem_host_channel* channel) { delete channel; }

int tandem_host_channel_wait_bound(tandem_host_channel* channel, uint64_t timeout_ns) {
  if (channel == nullptr) return TANDEM_EINVAL;
  return ToErrorCode(channel->port.WaitBound(ToMilliseconds(timeout_ns)).status());
}

uint32_t tandem_host_channel_local_address(const tandem_host_channel* channel) {
  return channel == nullptr ? TANDEM_RPMSG_ADDR_ANY : channel->port.local_address();
}

uint32_t tandem_host_channel_remote_address(const tandem_host_channel* channel) {
  return channel == nullptr ? TANDEM_RPMSG_ADDR_ANY : channel->port.remote_address();
}

int tandem_host_channel_send(tandem_host_channel* channel, const void* data, size_t len,
                             uint64_t timeout_ns) {
  if (channel == nullptr || (data == nullptr && len != 0)) return TANDEM_EINVAL;
  return ToErrorCode(channel->port.Send(
      tandem::ConstByteSpan(static_cast<const std::byte*>(data), data == nullptr ? 0 : len),
      ToTimeout(timeout_ns)));
}

int tandem_host_channel_receive(tandem_host_channel* channel, void* data, size_t capacity,
                                size_t* len, uint32_t* src, uint64_t timeout_ns) {
  if (channel == nullptr || (data == nullptr && capacity != 0)) return TANDEM_EINVAL;
  auto got = channel->port.Receive(tandem::ByteSpan(static_cast<std::byte*>(data), capacity),
                                   ToTimeout(timeout_ns));
  if (!got.ok()) return ToErrorCode(got.status());
  if (len != nullptr) *len = got->len;
  if (src != nullptr) *src = got->src;
  return TANDEM_OK;
}

}  // extern "C"
