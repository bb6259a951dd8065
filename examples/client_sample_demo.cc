// The main demo: a host process boots a real firmware ELF on a simulated
// remote core (its own process, real shared memory), runs Linux's
// rpmsg_client_sample exchange with it over RPMsg, shows the remote's trace
// buffer and stops it with the shutdown handshake.
//
//   tandem_demo [firmware.elf]
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tandem/host/client_sample.h"
#include "tandem/host/printable.h"
#include "tandem/host/session.h"
#include "tandem/remoteproc/state.h"

using namespace tandem;
using namespace tandem::host;

namespace {

int Fail(const char* what, Status s) {
  std::fprintf(stderr, "tandem_demo: %s: %s (%s)\n", what, s.message(), StatusCodeName(s.code()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string elf = argc > 1 ? argv[1] : TANDEM_DEMO_ELF;

  SessionOptions options;
  options.name = "demo-" + std::to_string(getpid());
  options.die_with_host = true;
  // The firmware's console goes to a file; its trace buffer is shown below.
  options.console_path = "/dev/null";
  auto session = Session::Create(options);
  if (!session.ok()) return Fail("cannot create the session", session.status());
  Session& s = **session;

  host::ClientSample sample(stdout);
  if (Status st = sample.Register(s); !st.ok()) return Fail("register", st);

  auto image = Session::ReadFile(elf);
  if (!image.ok()) return Fail(elf.c_str(), image.status());
  std::printf("remoteproc: host pid %d loading %s (%zu bytes)\n", getpid(), elf.c_str(),
              image->size());
  if (Status st = s.Boot(std::move(image).value()); !st.ok()) {
    std::fprintf(stderr, "tandem_demo: %s\n", s.rproc().error_detail());
    return Fail("boot", st);
  }
  const auto& rp = s.rproc();
  std::printf("remoteproc: remote is %s: entry 0x%llx, core pid %d, resource table at 0x%llx\n",
              remoteproc::StateName(s.state()), static_cast<unsigned long long>(rp.entry()),
              s.linux_platform()->core_pid(),
              static_cast<unsigned long long>(rp.loaded_table_da()));
  if (rp.vdev()) {
    const auto& v = *rp.vdev();
    std::printf(
        "remoteproc: rpmsg vdev: vring0 at 0x%llx, vring1 at 0x%llx, %u x %u-byte buffers at "
        "0x%llx\n",
        static_cast<unsigned long long>(v.vring[0].da),
        static_cast<unsigned long long>(v.vring[1].da), v.buffer_count, v.buffer_size,
        static_cast<unsigned long long>(v.buffers_da));
  }

  const bool done = sample.WaitDone(std::chrono::seconds(20));
  if (!done) {
    std::fprintf(stderr, "tandem_demo: the exchange did not complete (%d replies)\n",
                 sample.received());
  }

  auto trace = s.Trace();
  if (trace.ok()) {
    std::printf("--- remote trace buffer (last lines) ---\n");
    // The last few lines are enough to show the remote's side.
    std::string text = host::Printable(*trace);
    std::size_t pos = text.size();
    for (int lines = 0; lines < 6 && pos > 0; ++lines) {
      pos = text.rfind('\n', pos - 2);
      if (pos == std::string::npos) {
        pos = 0;
        break;
      }
      ++pos;
    }
    std::printf("%s", text.c_str() + pos);
    if (!text.empty() && text.back() != '\n') std::printf("\n");
    std::printf("---------------------------------------\n");
  }

  Status st = s.Stop();
  const auto report = s.last_stop();
  std::printf("remoteproc: remote stopped (%s), now %s\n",
              report.graceful ? "shutdown acknowledged by the remote" : "forced reset",
              remoteproc::StateName(s.state()));
  if (!st.ok()) return Fail("stop", st);
  return done && report.graceful ? 0 : 1;
}
