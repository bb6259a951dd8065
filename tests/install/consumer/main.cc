// An out-of-tree Tandem user: checks the RPMsg wire header it was given, then
// boots a firmware image on a simulated core, echoes one message over the
// echo channel and stops the remote.
//   tandem_consumer <launcher> <firmware.elf> <runtime dir>
#include <cstdio>
#include <cstring>
#include <string>

#include "tandem/host/session.h"
#include "tandem/rpmsg/wire.h"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <launcher> <firmware.elf> <runtime dir>\n", argv[0]);
    return 2;
  }
  static_assert(sizeof(tandem::rpmsg::RpmsgHeader) == 16, "Linux's struct rpmsg_hdr");

  tandem::host::SessionOptions options;
  options.name = "consumer";
  options.launcher_path = argv[1];
  options.runtime_dir = argv[3];
  options.console_path = "/dev/null";
  options.die_with_host = true;
  auto session = tandem::host::Session::Create(options);
  if (!session.ok()) {
    std::fprintf(stderr, "consumer: %s\n", session.status().message());
    return 1;
  }
  tandem::host::ChannelPort echo(**session, "rpmsg-openamp-demo-channel");
  if (!echo.Register().ok()) return 1;
  auto image = tandem::host::Session::ReadFile(argv[2]);
  if (!image.ok()) {
    std::fprintf(stderr, "consumer: %s\n", image.status().message());
    return 1;
  }
  if (auto s = (*session)->Boot(std::move(image).value()); !s.ok()) {
    std::fprintf(stderr, "consumer: boot: %s\n", s.message());
    return 1;
  }
  if (!echo.WaitBound(5000ms).ok()) {
    std::fprintf(stderr, "consumer: the echo channel was not announced\n");
    return 1;
  }
  const char text[] = "hello from outside the tree";
  const auto payload = tandem::AsBytes(text, sizeof(text) - 1);
  char reply[512];
  auto got =
      echo.Send(payload).ok()
          ? echo.Receive(tandem::ByteSpan(reinterpret_cast<std::byte*>(reply), sizeof(reply)),
                         tandem::rpmsg::Timeout::Seconds(5))
          : tandem::Result<tandem::rpmsg::Received>(tandem::Unavailable("send failed"));
  if (!got.ok() || got->len != sizeof(text) - 1 || std::memcmp(reply, text, got->len) != 0) {
    std::fprintf(stderr, "consumer: no echo\n");
    return 1;
  }
  if (!(*session)->Stop().ok()) return 1;
  std::printf("consumer: echoed \"%s\" through the installed Tandem\n", text);
  return 0;
}
