// InstanceLock: one holder per name, released on destruction (and by the
// kernel when the holder dies), the holder's pid readable for the message.
#include "tandem/linux/instance_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace tandem::linux_platform {
namespace {

// Computed once: a forked child must use the parent's directory.
const std::string& Dir() {
  static const std::string dir = ::testing::TempDir() + "/tandem-lock-" + std::to_string(getpid());
  return dir;
}

TEST(InstanceLock, SecondHolderOfANameIsRefusedAndNamedUntilTheFirstLetsGo) {
  std::optional<Result<InstanceLock>> first(InstanceLock::Acquire(Dir(), "locked"));
  ASSERT_TRUE(first->ok()) << first->status().message();
  EXPECT_EQ(InstanceLock::Holder(Dir(), "locked"), getpid());

  auto second = InstanceLock::Acquire(Dir(), "locked");
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(second.status().Is(kInstanceInUse));
  EXPECT_TRUE(InstanceLock::Acquire(Dir(), "other-name").ok());  // names are independent

  first.reset();  // released
  EXPECT_TRUE(InstanceLock::Acquire(Dir(), "locked").ok());
}

TEST(InstanceLock, ADeadHolderLeavesNoStaleLock) {
  (void)Dir();  // named by the parent's pid, before the fork
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = InstanceLock::Acquire(Dir(), "dies");
    char ok = held.ok() ? 'y' : 'n';
    (void)!write(ready[1], &ok, 1);
    pause();  // killed below, lock still held
    _exit(0);
  }
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  EXPECT_EQ(InstanceLock::Acquire(Dir(), "dies").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(InstanceLock::Holder(Dir(), "dies"), child);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(InstanceLock::Acquire(Dir(), "dies").ok());
  close(ready[0]);
  close(ready[1]);
}

TEST(InstanceLock, InvalidNamesAreRefused) {
  EXPECT_EQ(InstanceLock::Acquire(Dir(), "../escape").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(InstanceLock::Holder(Dir(), "../escape"), 0);
}

}  // namespace
}  // namespace tandem::linux_platform
