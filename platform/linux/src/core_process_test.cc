#include "tandem/linux/core_process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <vector>

#include "tandem/linux/core_state.h"

namespace tandem::linux_platform {
namespace {

TEST(ChildFdNumbers, AreConsecutiveAboveEverySourceAndStdio) {
  const std::vector<int> low = {0, 1};
  EXPECT_EQ(ChildFdNumbers(low), (std::vector<int>{3, 4}));
  const std::vector<int> high = {7, 12, 4};
  EXPECT_EQ(ChildFdNumbers(high), (std::vector<int>{13, 14, 15}));
  EXPECT_TRUE(ChildFdNumbers({}).empty());
}

TEST(CoreProcess, SpawnOfAMissingLauncherIsLauncherNotFound) {
  auto process = CoreProcess::Spawn("/nonexistent/tandem-core", {}, {});
  EXPECT_EQ(process.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(process.status().Is(kLauncherNotFound));
}

TEST(CoreProcess, SpawnedProcessIsKilledAndReaped) {
  // Any program serves: /bin/sleep stands in for the launcher.
  auto process = CoreProcess::Spawn("/bin/sleep", {"30"}, {});
  ASSERT_TRUE(process.ok()) << process.status().message();
  EXPECT_GT(process->pid(), 0);
  EXPECT_NE(process->start_time(), 0u);
  process->Kill();
  const WaitStatus status = process->Reap();
  EXPECT_EQ(status.kind, WaitStatus::Kind::kSignaled);
  EXPECT_EQ(status.value, SIGKILL);
}

TEST(CoreProcess, ExitCodeIsReaped) {
  auto process = CoreProcess::Spawn("/bin/sh", {"-c", "exit 7"}, {});
  ASSERT_TRUE(process.ok()) << process.status().message();
  const WaitStatus status = process->Reap();
  EXPECT_EQ(status.kind, WaitStatus::Kind::kExited);
  EXPECT_EQ(status.value, 7);
}

TEST(CoreProcess, AdoptChecksTheStartTime) {
  auto process = CoreProcess::Spawn("/bin/sleep", {"30"}, {});
  ASSERT_TRUE(process.ok());
  // A recycled pid shows as another start time.
  EXPECT_TRUE(
      CoreProcess::Adopt(process->pid(), process->start_time() + 1).status().Is(kCoreProcessGone));
  auto adopted = CoreProcess::Adopt(process->pid(), process->start_time());
  ASSERT_TRUE(adopted.ok());
  EXPECT_EQ(adopted->pid(), process->pid());
  adopted->Kill();
  // Our child still, so the first reaper gets the status; the other sees none.
  EXPECT_EQ(process->Reap().kind, WaitStatus::Kind::kSignaled);
  EXPECT_EQ(adopted->Reap().kind, WaitStatus::Kind::kUnknown);
  // Gone now.
  EXPECT_TRUE(
      CoreProcess::Adopt(process->pid(), process->start_time()).status().Is(kCoreProcessGone));
}

}  // namespace
}  // namespace tandem::linux_platform
