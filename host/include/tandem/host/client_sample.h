#pragma once
// The host half of Linux's samples/rpmsg/rpmsg_client_sample.c, on a
// Tandem Session: when the remote announces "rpmsg-client-sample" it prints
// "new channel: 0x<local> -> 0x<remote>!", sends "hello world!", prints
// "incoming msg N (src: 0x<src>)" for every reply and sends again until
// the 100th reply, then prints "goodbye!". Replies are sent from the
// receive callback, as the Linux driver does.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "tandem/host/session.h"
#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/endpoint.h"

namespace tandem::host {

inline constexpr const char* kClientSampleName = "rpmsg-client-sample";

class ClientSample final : public rpmsg::ChannelHandler, public rpmsg::MessageHandler {
 public:
  // Lines go to `out` prefixed with `prefix` (e.g. "rpmsg_client_sample: ").
  ClientSample(std::FILE* out, int count = 100, const char* prefix = "rpmsg_client_sample: ")
      : out_(out), count_(count), prefix_(prefix) {}

  ~ClientSample();
  ClientSample(const ClientSample&) = delete;
  ClientSample& operator=(const ClientSample&) = delete;

  Status Register(host::Session& session);
  // True once "goodbye!" was printed.
  bool WaitDone(std::chrono::milliseconds timeout);
  int received() const;
  // The first error a send returned (the exchange stops there).
  Status error() const;

 private:
  void OnBound(rpmsg::Channel& channel) override;
  void OnUnbound(rpmsg::Channel& channel) override;
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void Fail(Status s);

  host::Session* session_ = nullptr;
  std::FILE* out_;
  const int count_;
  const char* prefix_;
  rpmsg::Channel* channel_ = nullptr;  // event thread only
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  int received_ = 0;
  bool done_ = false;
  Status error_;
};

}  // namespace tandem::host
