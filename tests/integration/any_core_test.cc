// AnyCorePlatform under a Session (issue #12): the firmware ELF decides
// which core runs it. Without TANDEM_ANY_CORE_QEMU: the simulated core and
// the refusals, no QEMU run (a missing qemu-system-arm is simulated). With
// it (any_core_qemu_test, label qemu, .ci/run stage g): one Session runs
// the Cortex-M3 demo image on QEMU, then the x86-64 demo on the simulated
// core, then QEMU again.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "tandem/any_core/any_core_platform.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/host/session.h"
#include "tandem/remoteproc/state.h"
#include "tandem/testing/elf_builder.h"

namespace tandem::any_core {
namespace {

using host::ChannelPort;
using host::Session;
using host::SessionOptions;
using remoteproc::State;
using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

struct Made {
  std::unique_ptr<Session> session;
  AnyCorePlatform* platform = nullptr;
};

Made Make(const std::string& qemu_path = "") {
  SessionOptions o;
  o.name = "anycore-" + std::to_string(getpid());
  o.die_with_host = true;
  o.expected_machine = 0;
  o.runtime_dir = ::testing::TempDir();
  AnyCorePlatformOptions p;
  p.simulated = Session::LinuxOptionsFor(o);
  p.qemu.name = o.name;
  p.qemu.qemu_path = qemu_path;
  auto platform = AnyCorePlatform::Create(std::move(p));
  EXPECT_TRUE(platform.ok()) << platform.status().message();
  if (!platform.ok()) return {};
  Made m;
  m.platform = platform->get();
  auto session = Session::Create(o, std::move(platform).value());
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (session.ok()) m.session = std::move(session).value();
  return m;
}

std::vector<std::byte> Read(const std::string& path) {
  auto image = Session::ReadFile(path);
  EXPECT_TRUE(image.ok()) << path << ": " << image.status().message();
  return image.ok() ? std::move(image).value() : std::vector<std::byte>{};
}

[[maybe_unused]] std::vector<std::byte> Bytes(const std::vector<std::uint8_t>& v) {
  std::vector<std::byte> out(v.size());
  std::memcpy(out.data(), v.data(), v.size());
  return out;
}

// `n` echoes of growing payloads with content checks.
void Echoes(Session& session, int n) {
  ChannelPort echo(session, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(echo.WaitBound(20s).ok());
  std::vector<std::byte> out(496), in(512);
  for (int i = 0; i < n; ++i) {
    const std::size_t len = 1 + static_cast<std::size_t>(i) % 496;
    for (std::size_t k = 0; k < len; ++k) out[k] = std::byte(static_cast<std::uint8_t>(i + k));
    ASSERT_TRUE(echo.Send(ConstByteSpan(out.data(), len), rpmsg::Timeout::Seconds(5)).ok());
    auto got = echo.Receive(in, rpmsg::Timeout::Seconds(5));
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(got->len, len);
    ASSERT_EQ(std::memcmp(in.data(), out.data(), len), 0) << "echo " << i;
  }
}

#ifndef TANDEM_ANY_CORE_QEMU

TEST(AnyCore, AHostImageRunsOnTheSimulatedCore) {
  Made m = Make();
  ASSERT_NE(m.session, nullptr);
  ASSERT_TRUE(m.session->Boot(Read(TANDEM_DEMO_ELF)).ok()) << m.session->rproc().error_detail();
  EXPECT_EQ(m.session->state(), State::kRunning);
  EXPECT_NE(m.platform->linux_platform(), nullptr);
  EXPECT_EQ(m.platform->qemu_platform(), nullptr);
  EXPECT_EQ(m.platform->core_description(), "the simulated core");
  EXPECT_GT(m.platform->core_pid(), 0);
  Echoes(*m.session, 50);
  ASSERT_TRUE(m.session->Stop().ok());
  EXPECT_EQ(m.session->state(), State::kOffline);
}

TEST(AnyCore, AMachineNeitherCoreRunsIsRefusedWithOneClearError) {
  Made m = Make();
  ASSERT_NE(m.session, nullptr);
  elf::testing::ElfBuilder riscv(true, 243);  // EM_RISCV
  riscv.Entry(0x1000).AddSegment(1, 0x1000, std::vector<std::uint8_t>(64, 0), 64);
  const Status s = m.session->Boot(Bytes(riscv.Build()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::strstr(s.message(), "machine"), nullptr) << s.message();
  EXPECT_EQ(m.session->state(), State::kOffline);
  // Nothing was lost: the simulated core still boots.
  ASSERT_TRUE(m.session->Boot(Read(TANDEM_DEMO_ELF)).ok());
  ASSERT_TRUE(m.session->Stop().ok());
}

TEST(AnyCore, AnArmImageWithoutQemuSaysQemuIsMissing) {
  Made m = Make("/nonexistent/qemu-system-arm");
  ASSERT_NE(m.session, nullptr);
  // A Cortex-M3 image's shape: ARMv7-M build attributes.
  std::vector<std::uint8_t> attributes = {'A', 0x11, 0, 0, 0, 'a', 'e', 'a', 'b',
                                          'i', 0,    1, 7, 0, 0,   0,   6,   10};
  elf::testing::ElfBuilder arm(false, elf::kMachineArm);
  arm.Entry(0x21000101)
      .AddSegment(1, 0x21000000, std::vector<std::uint8_t>(64, 0), 64)
      .AddSection(".ARM.attributes", 0x70000003u, attributes);
  const Status s = m.session->Boot(Bytes(arm.Build()));
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.message();
  EXPECT_NE(std::strstr(s.message(), "qemu"), nullptr) << s.message();
  EXPECT_EQ(m.session->state(), State::kOffline);
  EXPECT_NE(m.platform->linux_platform(), nullptr);
}

#else  // TANDEM_ANY_CORE_QEMU

std::string M3Image() {
  const char* v = std::getenv("TANDEM_QEMU_M3_IMAGE");
  return v != nullptr && *v != '\0' ? v : TANDEM_QEMU_DEFAULT_M3_IMAGE;
}

bool Required() {
  const char* v = std::getenv("TANDEM_QEMU_REQUIRED");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

TEST(AnyCoreQemu, OneSessionRunsCortexMOnQemuAndX86OnTheSimulatedCore) {
  const std::string m3 = M3Image();
  if (access(m3.c_str(), R_OK) != 0 || !qemu::QemuPlatform::FindQemu("").ok()) {
    if (Required()) FAIL() << "no QEMU or no Cortex-M3 image at " << m3;
    GTEST_SKIP() << "no QEMU or no Cortex-M3 image at " << m3;
  }
  Made m = Make();
  ASSERT_NE(m.session, nullptr);

  ASSERT_TRUE(m.session->Boot(Read(m3)).ok()) << m.session->rproc().error_detail();
  EXPECT_EQ(m.session->state(), State::kRunning);
  ASSERT_NE(m.platform->qemu_platform(), nullptr);
  EXPECT_EQ(m.platform->core_description(), "QEMU mps2-an385 (Cortex-M3)");
  EXPECT_EQ(m.platform->core_pid(), m.platform->qemu_platform()->qemu_pid());
  Echoes(*m.session, 200);
  // The priority doorbell (docs/doorbell.md) on the emulated M3: the demo's
  // EventEchoService sends each value back, over UART1 beside RPMsg.
  {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::uint32_t> got;
    m.session->SetEventCallback([&](std::uint32_t v) {
      std::lock_guard<std::mutex> lock(mutex);
      got.push_back(v);
      cv.notify_all();
    });
    for (std::uint32_t v = 0; v < 64; ++v) {
      ASSERT_TRUE(m.session->SendEvent(v * 0x40405u & 0xFFFFFF).ok());
      std::unique_lock<std::mutex> lock(mutex);
      ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return got.size() == v + 1; })) << "event " << v;
      EXPECT_EQ(got.back(), v * 0x40405u & 0xFFFFFF);
    }
    m.session->SetEventCallback(nullptr);
  }
  // A QEMU core cannot outlive its host: detach is refused and it runs on.
  EXPECT_EQ(m.session->Detach().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.session->state(), State::kRunning);
  ASSERT_TRUE(m.session->Stop().ok());
  EXPECT_TRUE(m.session->last_stop().graceful);

  ASSERT_TRUE(m.session->Boot(Read(TANDEM_DEMO_ELF)).ok()) << m.session->rproc().error_detail();
  EXPECT_EQ(m.platform->core_description(), "the simulated core");
  Echoes(*m.session, 200);
  ASSERT_TRUE(m.session->Stop().ok());

  ASSERT_TRUE(m.session->Boot(Read(m3)).ok()) << m.session->rproc().error_detail();
  EXPECT_NE(m.platform->qemu_platform(), nullptr);
  Echoes(*m.session, 50);
  ASSERT_TRUE(m.session->Stop().ok());
}

#endif

}  // namespace
}  // namespace tandem::any_core
