#include "tandem/linux/force_stop.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "tandem/linux/core_process.h"
#include "tandem/linux/core_state.h"

namespace tandem::linux_platform {
namespace {

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "tandem-force-stop-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

CoreState StateOf(const CoreProcess& process) {
  CoreState state;
  state.name = "forced";
  state.pid = process.pid();
  state.start_time = process.start_time();
  state.entry = 0x10000000;
  state.mailbox_fd = 3;
  return state;
}

// /bin/sleep stands in for a core whose shared memory is too corrupt to
// attach: the state file alone is enough to end it.
TEST(ForceStopCore, KillsTheCoreNamedByTheStateFileAndRemovesTheFile) {
  const std::string dir = TempDir();
  auto process = CoreProcess::Spawn("/bin/sleep", {"30"}, {});
  ASSERT_TRUE(process.ok());
  ASSERT_TRUE(WriteCoreState(dir, StateOf(*process)).ok());
  auto stopped = ForceStopCore(dir, "forced");
  ASSERT_TRUE(stopped.ok()) << stopped.status().message();
  EXPECT_TRUE(stopped->was_running);
  EXPECT_EQ(stopped->pid, process->pid());
  EXPECT_EQ(kill(process->pid(), 0), -1);  // ended and reaped
  EXPECT_TRUE(ReadCoreState(dir, "forced").status().Is(kNoStateFile));
}

TEST(ForceStopCore, StaleStateFileIsRemovedAndNothingIsSignalled) {
  const std::string dir = TempDir();
  auto process = CoreProcess::Spawn("/bin/sleep", {"30"}, {});
  ASSERT_TRUE(process.ok());
  CoreState state = StateOf(*process);
  state.start_time += 1;  // a recycled pid: must not be killed
  ASSERT_TRUE(WriteCoreState(dir, state).ok());
  auto stopped = ForceStopCore(dir, "forced");
  ASSERT_TRUE(stopped.ok());
  EXPECT_FALSE(stopped->was_running);
  EXPECT_EQ(kill(process->pid(), 0), 0);  // untouched
  EXPECT_TRUE(ReadCoreState(dir, "forced").status().Is(kNoStateFile));
  process->Kill();
  (void)process->Reap();
}

TEST(ForceStopCore, NoStateFileIsNotFound) {
  EXPECT_TRUE(ForceStopCore(TempDir(), "forced").status().Is(kNoStateFile));
}

}  // namespace
}  // namespace tandem::linux_platform
