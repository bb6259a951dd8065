// The faulty firmware (firmware/faulty, the same sources as the simulated
// core's faulty.elf) on emulated Cortex-M cores (issue #12): its tandem-fault
// commands make the M core take a HardFault, hang without petting the
// watchdog, report a crash, ignore the shutdown handshake, or corrupt its
// used ring as a hostile peer. The host must see each within its bound,
// recover the remote (or force-reset it) and keep working.
//
// Images: tandem_mps2_faulty.elf next to the demo image of each board
// (TANDEM_QEMU_M3_IMAGE / _M7_ name the demo's path; stage g of .ci/run).

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tandem/elf/elf_wire.h"
#include "tandem/host/session.h"
#include "tandem/qemu/qemu_platform.h"
#include "tandem/remoteproc/crash.h"
#include "tandem/remoteproc/state.h"

namespace tandem::qemu {
namespace {

using host::ChannelPort;
using host::Session;
using host::SessionOptions;
using remoteproc::CrashReason;
using remoteproc::State;
using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

struct BoardCase {
  const char* label;
  Mps2Board board;
  const char* env;  // the demo image's path; faulty is beside it
  const char* fallback;
};

const BoardCase kCases[] = {
    {"M3_AN385", kMps2An385, "TANDEM_QEMU_M3_IMAGE", TANDEM_QEMU_DEFAULT_M3_IMAGE},
    {"M7_AN500", kMps2An500, "TANDEM_QEMU_M7_IMAGE", TANDEM_QEMU_DEFAULT_M7_IMAGE},
};
void PrintTo(const BoardCase& c, std::ostream* os) { *os << c.label; }

std::string FaultyImage(const BoardCase& c) {
  const char* v = std::getenv(c.env);
  std::string demo = v != nullptr && *v != '\0' ? v : c.fallback;
  const auto slash = demo.rfind('/');
  return (slash == std::string::npos ? std::string() : demo.substr(0, slash + 1)) +
         "tandem_mps2_faulty.elf";
}

bool Required() {
  const char* v = std::getenv("TANDEM_QEMU_REQUIRED");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

ConstByteSpan Text(const char* s) { return AsBytes(s, std::strlen(s)); }

class QemuFaulty : public ::testing::TestWithParam<BoardCase> {
 protected:
  void SetUp() override {
    const BoardCase& c = GetParam();
    const std::string path = FaultyImage(c);
    if (access(path.c_str(), R_OK) != 0 || !QemuPlatform::FindQemu("").ok()) {
      if (Required()) FAIL() << "no QEMU or no image at " << path;
      GTEST_SKIP() << "no QEMU or no image at " << path;
    }
    QemuPlatformOptions popts;
    popts.name = c.label;
    popts.board = c.board;
    popts.console_path = "/dev/null";
    popts.watchdog = 1500ms;
    auto platform = QemuPlatform::Create(popts);
    ASSERT_TRUE(platform.ok()) << platform.status().message();
    platform_ = platform->get();
    SessionOptions sopts;
    sopts.name = c.label;
    sopts.expected_machine = elf::kMachineArm;
    sopts.shutdown_timeout = 1000ms;
    auto session = Session::Create(sopts, std::move(platform).value());
    ASSERT_TRUE(session.ok()) << session.status().message();
    session_ = std::move(session).value();
    auto image = Session::ReadFile(path);
    ASSERT_TRUE(image.ok()) << image.status().message();
    image_ = std::move(image).value();
  }

  // Boots, binds echo and tandem-fault, checks one echo.
  void BootAndBind(ChannelPort& fault, ChannelPort& echo) {
    ASSERT_TRUE(fault.Register().ok());
    ASSERT_TRUE(echo.Register().ok());
    ASSERT_TRUE(session_->Boot(image_).ok()) << session_->rproc().error_detail();
    ASSERT_TRUE(fault.WaitBound(10s).ok());
    ASSERT_TRUE(echo.WaitBound(10s).ok());
    ExpectEcho(echo, "before");
  }

  static void ExpectEcho(ChannelPort& echo, const char* text) {
    ASSERT_TRUE(echo.Send(Text(text), rpmsg::Timeout::Seconds(5)).ok());
    std::vector<std::byte> in(512);
    auto got = echo.Receive(in, rpmsg::Timeout::Seconds(5));
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(in.data()), got->len), text);
  }

  // Sends `command`, expects "ok <command>" back.
  static void Command(ChannelPort& fault, const char* command) {
    ASSERT_TRUE(fault.Send(Text(command), rpmsg::Timeout::Seconds(5)).ok());
    std::vector<std::byte> in(512);
    auto got = fault.Receive(in, rpmsg::Timeout::Seconds(5));
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(in.data()), got->len),
              std::string("ok ") + command);
  }

  void CrashAndRecover(const char* command, CrashReason reason) {
    ChannelPort fault(*session_, "tandem-fault"), echo(*session_, kEcho);
    BootAndBind(fault, echo);
    if (HasFatalFailure()) return;
    const auto t0 = std::chrono::steady_clock::now();
    Command(fault, command);
    ASSERT_TRUE(session_->WaitForCrashes(1, 10s)) << command;
    const auto crash = session_->last_crash();
    EXPECT_EQ(crash.reason, reason)
        << remoteproc::CrashReasonName(crash.reason) << ": " << crash.detail;
    std::printf("[ qemu     ] %s %s: %s (%s) handled in %lld ms\n", GetParam().label, command,
                remoteproc::CrashReasonName(crash.reason), crash.detail,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - t0)
                                           .count()));
    // Recovered: the channels come back and echo works again.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (echo.binds() < 2 && std::chrono::steady_clock::now() < deadline) {
      (void)echo.WaitBound(20ms);
    }
    ASSERT_GE(echo.binds(), 2u);
    EXPECT_EQ(session_->state(), State::kRunning);
    EXPECT_TRUE(session_->last_recovery().ok()) << session_->last_recovery().message();
    ASSERT_TRUE(echo.WaitBound(5s).ok());
    ExpectEcho(echo, "after recovery");
    ASSERT_TRUE(session_->Stop().ok());
    EXPECT_TRUE(session_->last_stop().graceful);
  }

  std::vector<std::byte> image_;
  QemuPlatform* platform_ = nullptr;
  std::unique_ptr<Session> session_;
};

// __builtin_trap (UDF) escalates to HardFault; the handler reports kCrash.
TEST_P(QemuFaulty, AnIllegalInstructionIsAHardFaultTheHostRecovers) {
  CrashAndRecover("ill", CrashReason::kRemoteReported);
}

TEST_P(QemuFaulty, AHungCoreStarvesTheWatchdogAndIsRecovered) {
  CrashAndRecover("hang", CrashReason::kWatchdog);
}

TEST_P(QemuFaulty, ACrashTheFirmwareReportsIsRecovered) {
  CrashAndRecover("report-crash", CrashReason::kRemoteReported);
}

// The hostile peer: used->idx jumps by 1000 and an element names
// descriptor 9999 with length 0xFFFFFFFF. The host latches the link broken,
// touches nothing out of bounds, and recovers the remote.
TEST_P(QemuFaulty, AHostileUsedRingBreaksTheLinkAndTheHostRecovers) {
  CrashAndRecover("corrupt-ring", CrashReason::kLinkBroken);
}

TEST_P(QemuFaulty, AFirmwareIgnoringShutdownIsForceReset) {
  ChannelPort fault(*session_, "tandem-fault"), echo(*session_, kEcho);
  BootAndBind(fault, echo);
  if (HasFatalFailure()) return;
  Command(fault, "ignore-shutdown");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(session_->Stop().ok());
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(session_->last_stop().graceful);
  EXPECT_EQ(session_->last_stop().handshake.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(session_->state(), State::kOffline);
  EXPECT_LT(took, 5s);
  EXPECT_FALSE(platform_->IsRunning());
  EXPECT_EQ(platform_->qemu_pid(), 0);
}

INSTANTIATE_TEST_SUITE_P(Boards, QemuFaulty, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BoardCase>& i) {
                           return std::string(i.param.label);
                         });

}  // namespace
}  // namespace tandem::qemu
