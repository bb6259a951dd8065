// SimulatedCore below the Platform interface: what the core process looks
// like from the outside (its fds, its memory map), launcher failures, and
// exit reporting.

#include "tandem/linux/simulated_core.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <set>
#include <string>

#include "tandem/linux/launch_args.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/selftest/protocol.h"
#include "tandem/testing/firmware_loader.h"
#include "tandem/testing/test_env.h"

namespace tandem::linux_platform {
namespace {

namespace mb = remoteproc::mailbox;
using std::chrono::milliseconds;

SimulatedCoreOptions TestOptions(const TestPlatformEnv& env) {
  SimulatedCoreOptions options;
  options.name = env.name;
  options.console_path = env.console;
  options.die_with_host = true;
  return options;
}

class SimulatedCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto core = SimulatedCore::Create(TestOptions(env_));
    ASSERT_TRUE(core.ok()) << core.status().message();
    core_ = std::move(*core);
  }
  void StartSelftest() {
    auto entry = LoadFirmwareImage(*core_, TANDEM_SELFTEST_ELF);
    ASSERT_TRUE(entry.ok()) << entry.status().message();
    ASSERT_TRUE(core_->Start(*entry).ok());
    auto ready = core_->mailbox().Receive(milliseconds(3000));
    ASSERT_TRUE(ready.ok()) << ready.status().message() << " " << ReadText(env_.console);
    ASSERT_EQ(*ready, mb::kReady);
  }

  TestPlatformEnv env_;
  std::unique_ptr<SimulatedCore> core_;
};

TEST_F(SimulatedCoreTest, CoreProcessInheritsOnlyItsMemfds) {
  ASSERT_TRUE(core_->AddRegion(0x20000000, 0x3000, "extra").ok());
  StartSelftest();
  const std::string dir = "/proc/" + std::to_string(core_->pid()) + "/fd";
  std::set<std::string> links;
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const int fd = std::stoi(e->d_name);
    if (fd <= 2) continue;
    char target[256] = {};
    ASSERT_GT(readlink((dir + "/" + e->d_name).c_str(), target, sizeof(target) - 1), 0);
    links.insert(target);
  }
  closedir(d);
  // Mailbox page, two regions, the console file: nothing else leaked in.
  EXPECT_EQ(links.size(), 4u);
  int memfds = 0;
  for (const auto& l : links) memfds += l.rfind("/memfd:tandem-", 0) == 0;
  EXPECT_EQ(memfds, 3);
  EXPECT_EQ(links.count(env_.console), 1u);
}

TEST_F(SimulatedCoreTest, RegionsAppearAtTheirDeviceAddressesInTheCore) {
  ASSERT_TRUE(core_->AddRegion(0x30000000, 0x2000, "vrings").ok());
  StartSelftest();
  const std::string maps = ReadText("/proc/" + std::to_string(core_->pid()) + "/maps");
  EXPECT_NE(maps.find("10000000-10100000 rwxs"), std::string::npos) << maps;
  EXPECT_NE(maps.find("30000000-30002000 rwxs"), std::string::npos) << maps;
}

TEST_F(SimulatedCoreTest, ExitIsReportedToTheCallbackAndWaitForExit) {
  CoreExit seen;
  int calls = 0;
  core_->SetExitCallback([&](const CoreExit& exit) {
    seen = exit;
    ++calls;
    // From the callback the state is already final, and control calls are
    // refused instead of deadlocking.
    EXPECT_FALSE(core_->IsRunning());
    EXPECT_EQ(core_->Reset().code(), StatusCode::kFailedPrecondition);
  });
  StartSelftest();
  EXPECT_EQ(core_->WaitForExit(milliseconds(20)).status().code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(core_->mailbox().Send(selftest::kCmdExit134).ok());
  auto exit = core_->WaitForExit(milliseconds(3000));
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->reason, CoreExitReason::kExited);
  EXPECT_EQ(exit->exit_code, 134);
  ASSERT_TRUE(core_->Reset().ok());  // joins the monitor: the callback has run
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen.exit_code, 134);
}

TEST_F(SimulatedCoreTest, KilledFromOutsideIsASignal) {
  StartSelftest();
  ASSERT_EQ(kill(core_->pid(), SIGTERM), 0);
  auto exit = core_->WaitForExit(milliseconds(3000));
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->reason, CoreExitReason::kSignaled);
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_NE(exit->text.find("SIGTERM"), std::string::npos) << exit->text;
}

TEST_F(SimulatedCoreTest, LauncherFailureBeforeTheFirmwareIsReportedAsSuch) {
  SimulatedCoreOptions options = TestOptions(env_);
  options.console_path = env_.dir + "/no/such/dir/console.log";
  auto core = SimulatedCore::Create(options);
  ASSERT_TRUE(core.ok());
  auto entry = LoadFirmwareImage(**core, TANDEM_SELFTEST_ELF);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE((*core)->Start(*entry).ok());
  auto exit = (*core)->WaitForExit(milliseconds(3000));
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->reason, CoreExitReason::kLauncherFailed);
  EXPECT_EQ(exit->exit_code, kLauncherExitOsErr);
  EXPECT_TRUE(exit->IsCrash());
}

TEST_F(SimulatedCoreTest, MissingLauncherIsNotFound) {
  SimulatedCoreOptions options = TestOptions(env_);
  options.launcher_path = env_.dir + "/no-such-launcher";
  auto core = SimulatedCore::Create(options);
  ASSERT_TRUE(core.ok());
  ASSERT_TRUE((*core)->AddRegion(0x10000000, 0x1000, "image").ok());
  EXPECT_EQ((*core)->Start(0x10000000).code(), StatusCode::kNotFound);
  EXPECT_FALSE((*core)->IsRunning());
  EXPECT_TRUE(HasNoChildren());
}

TEST_F(SimulatedCoreTest, StartChecksItsArguments) {
  EXPECT_EQ(core_->Start(0x10000000).code(), StatusCode::kFailedPrecondition);  // no memory
  ASSERT_TRUE(core_->AddRegion(0x10000000, 0x1000, "image").ok());
  EXPECT_EQ(core_->Start(0x10001000).code(), StatusCode::kOutOfRange);  // entry outside
  EXPECT_FALSE(SimulatedCore::Create(SimulatedCoreOptions{.name = ""}).ok());
}

TEST_F(SimulatedCoreTest, MemoryCannotBeAddedWhileRunningButReleasedViewsReopen) {
  StartSelftest();
  EXPECT_EQ(core_->AddRegion(0x20000000, 0x1000, "late").status().code(),
            StatusCode::kFailedPrecondition);
  auto before = core_->ViewOf(simulated_board::kImageBase, 16);
  ASSERT_TRUE(before.ok());
  std::byte first[16];
  ASSERT_TRUE(before->ReadBytes(0, first).ok());
  core_->RemoveAllRegions();  // the host drops its views; the core keeps its memory
  EXPECT_TRUE(core_->Regions().empty());
  auto reopened = core_->ViewOf(simulated_board::kImageBase, 16);  // through /proc/<pid>/fd
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  std::byte again[16];
  ASSERT_TRUE(reopened->ReadBytes(0, again).ok());
  EXPECT_EQ(std::memcmp(first, again, sizeof(first)), 0);
  EXPECT_EQ(core_->ViewOf(0x20000000, 4).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tandem::linux_platform
