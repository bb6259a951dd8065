// The client path through tandemd (issue #13: "the client path through the
// daemon, its added latency"): a private daemon in a temporary runtime
// directory boots the same firmware, and a ChannelClient (the rpmsg_char
// model: the client's own endpoint in the daemon, one socket hop each way)
// does blocking echo round trips. Read next to the direct blocking echo of
// the same run: the difference is what the daemon adds.

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "bench.h"
#include "tandem/client/client.h"

namespace tandem::cli::bench {
namespace {

using client::ChannelClient;
using client::ChannelSpec;
using client::Client;
using client::ClientOptions;
using client::Json;
using Clock = std::chrono::steady_clock;

Status FromError(const client::Error& e) {
  if (e.ok()) return OkStatus();
  static thread_local std::string text;  // a Status carries a literal or a stable pointer
  text = e.message;
  return Status(e.code, text.c_str());
}

}  // namespace

Status RunDaemonEcho(const RunConfig& config, std::size_t size, Latency* out) {
  char dir[] = "/tmp/tandem-bench-daemon-XXXXXX";
  if (mkdtemp(dir) == nullptr) return Unavailable("cannot create a runtime directory");
  ClientOptions options;
  options.runtime_dir = dir;
  Status result = OkStatus();
  {
    Client control;
    if (client::Error e = Client::Connect(options, &control); !e.ok()) {
      std::filesystem::remove_all(dir);
      return FromError(e);
    }
    Json reply;
    client::Error e =
        control.Call({{"op", "start"}, {"remote", "bench"}, {"firmware", config.firmware}}, &reply);
    ChannelClient ch;
    if (e.ok()) {
      ChannelSpec spec;
      spec.remote = "bench";
      spec.channel = "rpmsg-openamp-demo-channel";
      e = ChannelClient::Open(options, spec, &ch);
    }
    std::vector<std::byte> payload(size, std::byte{0x5A});
    std::vector<double> rtts;
    auto one = [&]() -> client::Error {
      const auto t0 = Clock::now();
      if (client::Error s = ch.Send(payload); !s.ok()) return s;
      for (;;) {
        ChannelClient::Incoming in;
        if (client::Error r = ch.Receive(&in, std::chrono::seconds(5)); !r.ok()) return r;
        if (in.is_event) continue;  // up/down notices
        if (in.payload.size() != size ||
            (size != 0 && std::memcmp(in.payload.data(), payload.data(), size) != 0)) {
          return client::Error{StatusCode::kDataLoss, "echo reply differs from the request"};
        }
        break;
      }
      rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      return client::Error::Ok();
    };
    const int warmup = std::min(config.count / 10, 1000);
    for (int i = 0; e.ok() && i < warmup; ++i) e = one();
    rtts.clear();
    for (int i = 0; e.ok() && i < config.count; ++i) e = one();
    result = FromError(e);
    if (result.ok()) *out = Summarize(std::move(rtts));
    (void)control.Call({{"op", "stop"}, {"remote", "bench"}}, &reply);
    (void)control.Call({{"op", "shutdown"}}, &reply);
  }
  // The daemon exits after its reply; give it a moment before its directory goes.
  for (int i = 0; i < 50 && std::filesystem::exists(std::string(dir) + "/tandemd.sock"); ++i) {
    usleep(20000);
  }
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace tandem::cli::bench
