// The C API end to end: the c_echo image (firmware/c_echo/main.c, written
// in C against tandem/c/openamp.h and tandem/c/remote.h) on a simulated
// core, driven by the C++ host (echo with content checks, Linux's
// rpmsg_client_sample exchange) and by a C host over tandem/c/host.h
// (c_host_client.c).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "c_host_client.h"
#include "tandem/host/client_sample.h"
#include "tandem/host/session.h"

namespace tandem::host {
namespace {

using namespace std::chrono_literals;

std::string RuntimeDir() {
  return ::testing::TempDir() + "/tandem-capi-" + std::to_string(getpid());
}

SessionOptions Options(const char* tag, const std::string& console = "/dev/null") {
  static int n = 0;
  SessionOptions o;
  o.name = std::string("capi-") + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(++n);
  o.die_with_host = true;
  o.console_path = console;
  o.runtime_dir = RuntimeDir();
  o.shutdown_timeout = 1000ms;
  return o;
}

TEST(CApiFirmware, EchoesEveryPayloadSizeByteForByte) {
  auto session = Session::Create(Options("echo"));
  ASSERT_TRUE(session.ok());
  ChannelPort echo(**session, "rpmsg-openamp-demo-channel");
  ChannelPort sample(**session, kClientSampleName);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(sample.Register().ok());
  auto image = Session::ReadFile(TANDEM_C_ECHO_ELF);
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE((*session)->Boot(std::move(image).value()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ASSERT_TRUE(sample.WaitBound(5s).ok());
  // The C image creates its endpoints in the C++ demo's order.
  EXPECT_EQ(sample.remote_address(), 0x400u);
  EXPECT_EQ(echo.remote_address(), 0x401u);
  for (std::size_t size : {0u, 1u, 2u, 15u, 16u, 100u, 255u, 256u, 495u, 496u}) {
    SCOPED_TRACE(size);
    std::vector<std::byte> payload(size);
    for (std::size_t i = 0; i < size; ++i)
      payload[i] = std::byte(static_cast<unsigned>(i * 7 + size));
    ASSERT_TRUE(echo.Send(payload, rpmsg::Timeout::Seconds(2)).ok());
    std::vector<std::byte> in(512);
    auto got = echo.Receive(in, rpmsg::Timeout::Seconds(2));
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(got->len, size);
    if (size > 0) {
      EXPECT_EQ(std::memcmp(in.data(), payload.data(), size), 0);
    }
    EXPECT_EQ(got->src, echo.remote_address());
  }
  // A payload over the MTU never leaves the host.
  std::vector<std::byte> too_big(497);
  EXPECT_EQ(echo.Send(too_big, rpmsg::Timeout::Seconds(1)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*session)->Stop().ok());
  EXPECT_EQ((*session)->state(), remoteproc::State::kOffline);
}

TEST(CApiFirmware, AnswersLinuxsClientSampleExchange) {
  const std::string console = RuntimeDir() + "-console.log";
  std::remove(console.c_str());
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  auto created = Session::Create(Options("sample", console));
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<Session> session = std::move(created).value();
  ClientSample sample(out, 100, "");  // after the session: it unregisters from it
  ASSERT_TRUE(sample.Register(*session).ok());
  auto image = Session::ReadFile(TANDEM_C_ECHO_ELF);
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE(session->Boot(std::move(image).value()).ok()) << session->rproc().error_detail();
  ASSERT_TRUE(sample.WaitDone(20s)) << sample.error().message();
  EXPECT_EQ(sample.received(), 100);
  ASSERT_TRUE(session->Stop().ok());
  std::fclose(out);
  const std::string transcript(buf, len);
  std::free(buf);
  EXPECT_NE(transcript.find("new channel: 0x400 -> 0x400!"), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("incoming msg 100 (src: 0x400)"), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("goodbye!"), std::string::npos) << transcript;
  // The C firmware's own log, on its console.
  std::ifstream file(console);
  std::stringstream log;
  log << file.rdbuf();
  EXPECT_NE(log.str().find("c_echo: booted"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("[Linux sample client] incoming msg 1: hello world!"), std::string::npos)
      << log.str();
  EXPECT_NE(log.str().find("[Linux sample client] incoming msg 100: hello world!"),
            std::string::npos)
      << log.str();
  std::remove(console.c_str());
}

TEST(CApiHost, ACProgramBootsEchoesAndStopsOverTheHostCApi) {
  char why[256] = "";
  const std::string name = "capi-c-host-" + std::to_string(getpid());
  EXPECT_EQ(
      c_host_client_run(TANDEM_C_ECHO_ELF, RuntimeDir().c_str(), name.c_str(), why, sizeof(why)), 0)
      << why;
}

}  // namespace
}  // namespace tandem::host
