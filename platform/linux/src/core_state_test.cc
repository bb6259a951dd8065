#include "tandem/linux/core_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace tandem::linux_platform {
namespace {

CoreState Sample() {
  CoreState state;
  state.name = "rproc7";
  state.pid = 4242;
  state.start_time = 123456789;
  state.entry = 0x10000000;
  state.watchdog_ms = 250;
  state.mailbox_fd = 3;
  state.regions.push_back({4, 0x10000000, 0x100000, "image"});
  state.regions.push_back({5, 0x30000000, 0x1800, "vdev0vring0"});
  state.rsc_table_da = 0x10001400;
  state.rsc_table_size = 0x90;
  return state;
}

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "tandem-state-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

TEST(CoreState, FormatThenParseRoundTrips) {
  auto parsed = ParseCoreState(FormatCoreState(Sample()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->name, "rproc7");
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->start_time, 123456789u);
  EXPECT_EQ(parsed->entry, 0x10000000u);
  EXPECT_EQ(parsed->watchdog_ms, 250u);
  EXPECT_EQ(parsed->mailbox_fd, 3);
  ASSERT_EQ(parsed->regions.size(), 2u);
  EXPECT_EQ(parsed->regions[1].core_fd, 5);
  EXPECT_EQ(parsed->regions[1].device_address, 0x30000000u);
  EXPECT_EQ(parsed->regions[1].size, 0x1800u);
  EXPECT_EQ(parsed->regions[1].name, "vdev0vring0");
  EXPECT_EQ(parsed->rsc_table_da, 0x10001400u);
  EXPECT_EQ(parsed->rsc_table_size, 0x90u);
}

TEST(CoreState, MalformedFilesAreDataLoss) {
  const std::string good = FormatCoreState(Sample());
  EXPECT_EQ(ParseCoreState("").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseCoreState("tandem-core-state 2\n").status().code(), StatusCode::kDataLoss);
  // Unterminated last line, unknown key, missing key, bad numbers.
  EXPECT_FALSE(ParseCoreState(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(ParseCoreState(good + "colour blue\n").ok());
  std::string no_pid = good;
  no_pid.erase(no_pid.find("pid 4242\n"), 9);
  EXPECT_FALSE(ParseCoreState(no_pid).ok());
  std::string bad_pid = good;
  bad_pid.replace(bad_pid.find("pid 4242"), 8, "pid -1");
  EXPECT_FALSE(ParseCoreState(bad_pid).ok());
  std::string bad_name = good;
  bad_name.replace(bad_name.find("name rproc7"), 11, "name ../../x");
  EXPECT_FALSE(ParseCoreState(bad_name).ok());
  std::string many = good;
  for (std::size_t i = 0; i < kMaxStateRegions; ++i) many += "region 9 0x20000000 0x1000 x\n";
  EXPECT_FALSE(ParseCoreState(many).ok());
  EXPECT_FALSE(ParseCoreState(std::string(20000, 'x')).ok());
}

TEST(CoreState, WrittenFileIsReadBack) {
  const std::string dir = TempDir();
  ASSERT_TRUE(WriteCoreState(dir, Sample()).ok());
  auto read = ReadCoreState(dir, "rproc7");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->pid, 4242);
  EXPECT_EQ(ReadCoreState(dir, "rproc8").status().code(), StatusCode::kNotFound);
  RemoveCoreState(dir, "rproc7");
  EXPECT_EQ(ReadCoreState(dir, "rproc7").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ReadCoreState(dir, "rproc7").status().Is(kNoStateFile));
  rmdir(dir.c_str());
}

TEST(CoreState, NamesAreRestricted) {
  EXPECT_TRUE(IsValidCoreName("rproc0"));
  EXPECT_TRUE(IsValidCoreName("a-b_c.d"));
  EXPECT_FALSE(IsValidCoreName(""));
  EXPECT_FALSE(IsValidCoreName(".hidden"));
  EXPECT_FALSE(IsValidCoreName("a/b"));
  EXPECT_FALSE(IsValidCoreName("a b"));
  EXPECT_FALSE(IsValidCoreName(std::string(33, 'a')));
  const std::string dir = TempDir();
  EXPECT_EQ(WriteCoreState(dir, CoreState{}).code(), StatusCode::kInvalidArgument);
  rmdir(dir.c_str());
}

TEST(CoreState, RuntimeDirectoryMustNotBeASymlink) {
  const std::string dir = TempDir();
  const std::string link = dir + "-link";
  ASSERT_EQ(symlink(dir.c_str(), link.c_str()), 0);
  EXPECT_EQ(EnsureRuntimeDirectory(link).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(EnsureRuntimeDirectory(dir).ok());
  const std::string fresh = dir + "/sub";
  EXPECT_TRUE(EnsureRuntimeDirectory(fresh).ok());
  struct stat st;
  ASSERT_EQ(stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  rmdir(fresh.c_str());
  unlink(link.c_str());
  rmdir(dir.c_str());
}

TEST(CoreState, DefaultRuntimeDirectoryFollowsTheEnvironment) {
  setenv("TANDEM_RUNTIME_DIR", "/run/x", 1);
  EXPECT_EQ(DefaultRuntimeDirectory(), "/run/x");
  unsetenv("TANDEM_RUNTIME_DIR");
  setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
  EXPECT_EQ(DefaultRuntimeDirectory(), "/run/user/7/tandem");
  unsetenv("XDG_RUNTIME_DIR");
  EXPECT_EQ(DefaultRuntimeDirectory(), "/tmp/tandem-" + std::to_string(getuid()));
}

TEST(CoreState, ProcessStartTimeIdentifiesAProcess) {
  auto mine = ProcessStartTime(getpid());
  ASSERT_TRUE(mine.ok());
  EXPECT_GT(*mine, 0u);
  EXPECT_EQ(ProcessStartTime(getpid()).value(), *mine);
  EXPECT_EQ(ProcessStartTime(0x7ffffff0).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tandem::linux_platform
