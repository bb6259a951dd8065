#include "tandem/linux/core_exit.h"

#include <gtest/gtest.h>

#include <csignal>

#include "tandem/linux/launch_args.h"

namespace tandem::linux_platform {
namespace {

using std::chrono::milliseconds;

CoreExit Classify(WaitStatus status, bool firmware_entered = true,
                  HostKill kill = HostKill::kNone) {
  return ClassifyCoreExit({status, firmware_entered, kill, milliseconds(250)});
}

TEST(CoreExit, FirmwareExitCodeIsReportedAsIs) {
  CoreExit exit = Classify({WaitStatus::Kind::kExited, 134});
  EXPECT_EQ(exit.reason, CoreExitReason::kExited);
  EXPECT_EQ(exit.exit_code, 134);
  EXPECT_EQ(exit.text, "exited with code 134");
  EXPECT_TRUE(exit.IsCrash());
  EXPECT_NE(exit.when, std::chrono::steady_clock::time_point{});
}

TEST(CoreExit, CleanExitIsNotACrash) {
  CoreExit exit = Classify({WaitStatus::Kind::kExited, 0});
  EXPECT_EQ(exit.reason, CoreExitReason::kExited);
  EXPECT_FALSE(exit.IsCrash());
}

TEST(CoreExit, LauncherCodesBeforeTheFirmwareAreALauncherFailure) {
  for (int code : {kLauncherExitUsage, kLauncherExitOsErr}) {
    CoreExit exit = Classify({WaitStatus::Kind::kExited, code}, /*firmware_entered=*/false);
    EXPECT_EQ(exit.reason, CoreExitReason::kLauncherFailed) << code;
    EXPECT_EQ(exit.exit_code, code);
    EXPECT_TRUE(exit.IsCrash());
  }
  // Another code before the jump is still the process's own exit.
  EXPECT_EQ(Classify({WaitStatus::Kind::kExited, 1}, false).reason, CoreExitReason::kExited);
}

TEST(CoreExit, LauncherCodesFromTheFirmwareAreTheFirmwares) {
  CoreExit exit = Classify({WaitStatus::Kind::kExited, kLauncherExitOsErr}, true);
  EXPECT_EQ(exit.reason, CoreExitReason::kExited);
  EXPECT_EQ(exit.exit_code, kLauncherExitOsErr);
}

TEST(CoreExit, SignalIsNamed) {
  CoreExit exit = Classify({WaitStatus::Kind::kSignaled, SIGSEGV});
  EXPECT_EQ(exit.reason, CoreExitReason::kSignaled);
  EXPECT_EQ(exit.signal, SIGSEGV);
  EXPECT_EQ(exit.text.rfind("killed by signal SIGSEGV", 0), 0u) << exit.text;
}

TEST(CoreExit, NoWaitStatusIsUnknown) {
  CoreExit exit = Classify({});
  EXPECT_EQ(exit.reason, CoreExitReason::kUnknown);
  EXPECT_TRUE(exit.IsCrash());
}

TEST(CoreExit, HostKillsExplainTheSigkill) {
  const WaitStatus killed{WaitStatus::Kind::kSignaled, SIGKILL};
  CoreExit reset = Classify(killed, true, HostKill::kReset);
  EXPECT_EQ(reset.reason, CoreExitReason::kReset);
  EXPECT_EQ(reset.signal, SIGKILL);
  EXPECT_FALSE(reset.IsCrash());

  CoreExit watchdog = Classify(killed, true, HostKill::kWatchdog);
  EXPECT_EQ(watchdog.reason, CoreExitReason::kWatchdog);
  EXPECT_EQ(watchdog.text, "watchdog timeout: no pet for 250 ms");
  EXPECT_TRUE(watchdog.IsCrash());

  EXPECT_EQ(Classify(killed, true, HostKill::kProtocolError).reason,
            CoreExitReason::kProtocolError);
  // Even if the core ended on its own in the same instant, a reset is a reset.
  EXPECT_EQ(Classify({WaitStatus::Kind::kExited, 3}, true, HostKill::kReset).reason,
            CoreExitReason::kReset);
}

TEST(CoreExit, ReasonNamesAreStable) {
  EXPECT_STREQ(CoreExitReasonName(CoreExitReason::kWatchdog), "watchdog");
  EXPECT_STREQ(CoreExitReasonName(CoreExitReason::kLauncherFailed), "launcher-failed");
  EXPECT_STREQ(CoreExitReasonName(CoreExitReason::kProtocolError), "protocol-error");
}

}  // namespace
}  // namespace tandem::linux_platform
