#include "tandem/host/client_sample.h"

#include <cstring>

namespace tandem::host {

namespace {
constexpr char kHello[] = "hello world!";
ConstByteSpan HelloBytes() { return AsBytes(kHello, sizeof(kHello) - 1); }
}  // namespace

Status ClientSample::Register(host::Session& session) {
  TANDEM_TRY(session.RegisterDriver(kClientSampleName, *this));
  session_ = &session;
  return OkStatus();
}

// No callback runs once UnregisterDriver returns (Session contract).
ClientSample::~ClientSample() {
  if (session_ != nullptr) session_->UnregisterDriver(*this);
}

void ClientSample::OnBound(rpmsg::Channel& channel) {
  channel_ = &channel;
  channel.SetHandler(*this).IgnoreError();  // a freshly bound channel accepts a handler
  std::fprintf(out_, "%snew channel: 0x%x -> 0x%x!\n", prefix_, channel.local_address(),
               channel.remote_address());
  std::fflush(out_);
  // Like the Linux driver: the host speaks first.
  Status s = channel.Send(HelloBytes());
  if (!s.ok()) Fail(s);
}

void ClientSample::OnUnbound(rpmsg::Channel&) {
  channel_ = nullptr;
  std::fprintf(out_, "%srpmsg sample client driver is removed\n", prefix_);
  std::fflush(out_);
}

void ClientSample::OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& message) {
  int n;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (done_) return;
    n = ++received_;
  }
  std::fprintf(out_, "%sincoming msg %d (src: 0x%x)\n", prefix_, n, message.src());
  if (n < count_) {
    if (channel_ != nullptr) {
      Status s = channel_->Send(HelloBytes());
      if (!s.ok()) Fail(s);
    }
    return;
  }
  std::fprintf(out_, "%sgoodbye!\n", prefix_);
  std::fflush(out_);
  // Notify under the lock: once WaitDone() returns the waiter may destroy
  // us, so nothing of ours is touched after the mutex is released.
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  cv_.notify_all();
}

void ClientSample::Fail(Status s) {
  std::fprintf(out_, "%srpmsg_send failed: %s (%s)\n", prefix_, s.message(),
               StatusCodeName(s.code()));
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_.ok()) error_ = s;
  cv_.notify_all();
}

bool ClientSample::WaitDone(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return done_ || !error_.ok(); }) && done_;
}

int ClientSample::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

Status ClientSample::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

}  // namespace tandem::host
