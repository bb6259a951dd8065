// SimulatedCore waits without the launcher or firmware: /bin/true stands in
// for tandem-core (it ignores the arguments and exits at once), so these run
// in the unit binary and under the asan preset.

#include <gtest/gtest.h>

#include <chrono>

#include "tandem/linux/simulated_core.h"

namespace tandem::linux_platform {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<SimulatedCore> StartTrueCore() {
  SimulatedCoreOptions options;
  options.name = "wait-test";
  options.launcher_path = "/bin/true";
  options.watchdog_timeout = milliseconds(0);
  options.die_with_host = true;
  auto core = SimulatedCore::Create(options);
  if (!core.ok()) return nullptr;
  if (!(*core)->AddRegion(0x10000000, 4096, "image").ok()) return nullptr;
  if (!(*core)->Start(0x10000000).ok()) return nullptr;
  return std::move(*core);
}

// milliseconds::max() converted to the clock's nanoseconds overflowed: UBSan
// aborted, and a release build returned kDeadlineExceeded at once, so the
// caller (the event thread after a protocol error) never saw the exit.
TEST(SimulatedCoreWait, WaitForExitWithMaxTimeoutWaitsForTheEnd) {
  auto core = StartTrueCore();
  ASSERT_NE(core, nullptr);
  auto exit = core->WaitForExit(milliseconds::max());
  ASSERT_TRUE(exit.ok()) << exit.status().message();
  EXPECT_FALSE(core->IsRunning());
  EXPECT_TRUE(core->last_exit().has_value());
}

TEST(SimulatedCoreWait, WaitForExitWithHugeTimeoutsDoesNotOverflow) {
  auto core = StartTrueCore();
  ASSERT_NE(core, nullptr);
  EXPECT_TRUE(core->WaitForExit(milliseconds::max() - milliseconds(1)).ok());
  // Ended: later waits return the recorded exit at once, whatever the timeout.
  EXPECT_TRUE(core->WaitForExit(milliseconds::max()).ok());
  EXPECT_TRUE(core->WaitForExit(milliseconds(-1)).ok());
}

}  // namespace
}  // namespace tandem::linux_platform
