#include "tandem/linux/launch_args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::linux_platform {
namespace {

Result<LaunchArgs> Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"tandem-core"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return ParseLaunchArgs(static_cast<int>(argv.size()), argv.data());
}

LaunchArgs Valid() {
  LaunchArgs args;
  args.name = "rproc0";
  args.mailbox_fd = 5;
  args.regions.push_back({6, 0, 0x100000, 0x10000000, "image"});
  args.regions.push_back({7, 0, 0x4000, 0x30000000, "vring0"});
  args.entry = 0x10000040;
  return args;
}

TEST(LaunchArgs, FormatThenParseRoundTrips) {
  LaunchArgs args = Valid();
  args.console_path = "/tmp/console.log";
  args.die_with_parent = 1234;
  args.spin_ns = 0;
  auto parsed = Parse(FormatLaunchArgs(args));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->name, "rproc0");
  EXPECT_EQ(parsed->mailbox_fd, 5);
  ASSERT_EQ(parsed->regions.size(), 2u);
  EXPECT_EQ(parsed->regions[1].fd, 7);
  EXPECT_EQ(parsed->regions[1].size, 0x4000u);
  EXPECT_EQ(parsed->regions[1].device_address, 0x30000000u);
  EXPECT_EQ(parsed->regions[1].label, "vring0");
  EXPECT_EQ(parsed->entry, 0x10000040u);
  EXPECT_EQ(parsed->console_path, "/tmp/console.log");
  EXPECT_EQ(parsed->die_with_parent, 1234);
  EXPECT_EQ(parsed->spin_ns, 0);
}

TEST(LaunchArgs, LabelsAreSanitized) {
  LaunchArgs args = Valid();
  args.regions[0].label = "vdev0 buffer:x/y";
  auto parsed = Parse(FormatLaunchArgs(args));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->regions[0].label, "vdev0_buffer_x_y");
}

TEST(LaunchArgs, RegionsMustBeInsideTheDeviceWindow) {
  LaunchArgs args = Valid();
  args.regions[1].device_address = 0x40000000;
  EXPECT_EQ(Parse(FormatLaunchArgs(args)).status().code(), StatusCode::kOutOfRange);
  args.regions[1].device_address = 0x3FFFF000;
  args.regions[1].size = 0x2000;  // crosses the end
  EXPECT_EQ(Parse(FormatLaunchArgs(args)).status().code(), StatusCode::kOutOfRange);
  args.regions[1].device_address = 0x0FFFF000;
  args.regions[1].size = 0x1000;  // below the window
  EXPECT_EQ(Parse(FormatLaunchArgs(args)).status().code(), StatusCode::kOutOfRange);
}

TEST(LaunchArgs, RegionsMustBePageAlignedAndDisjoint) {
  LaunchArgs args = Valid();
  args.regions[1].device_address = 0x30000800;
  EXPECT_EQ(Parse(FormatLaunchArgs(args)).status().code(), StatusCode::kInvalidArgument);
  args = Valid();
  args.regions[1].device_address = 0x100FF000;  // overlaps the image's last page
  EXPECT_EQ(Parse(FormatLaunchArgs(args)).status().code(), StatusCode::kInvalidArgument);
  args.regions[1].device_address = 0x10100000;  // right after it: fine
  EXPECT_TRUE(Parse(FormatLaunchArgs(args)).ok());
}

TEST(LaunchArgs, EntryMustBeInsideARegion) {
  LaunchArgs args = Valid();
  args.entry = 0x10100000;  // one past the image
  EXPECT_EQ(Parse(FormatLaunchArgs(args)).status().code(), StatusCode::kOutOfRange);
}

TEST(LaunchArgs, MalformedCommandLinesAreRejected) {
  EXPECT_FALSE(Parse({}).ok());
  EXPECT_FALSE(Parse({"--name"}).ok());  // option without value
  auto base = FormatLaunchArgs(Valid());
  auto with = [&](std::vector<std::string> extra) {
    auto v = base;
    v.insert(v.end(), extra.begin(), extra.end());
    return Parse(v);
  };
  EXPECT_TRUE(with({}).ok());
  EXPECT_FALSE(with({"--bogus", "1"}).ok());
  EXPECT_FALSE(with({"--entry", "0x"}).ok());
  EXPECT_FALSE(with({"--entry", "-1"}).ok());
  EXPECT_FALSE(with({"--entry", "12abc"}).ok());
  EXPECT_FALSE(with({"--entry", "0x1ffffffffffffffff"}).ok());  // overflows 64 bits
  EXPECT_FALSE(with({"--region", "1:2:3"}).ok());
  EXPECT_FALSE(with({"--region", "x:0:0x1000:0x20000000"}).ok());
  EXPECT_FALSE(with({"--die-with-parent", "0"}).ok());
  EXPECT_FALSE(with({"--spin-ns", "99999999999"}).ok());
  EXPECT_FALSE(with({"--mailbox", "99999999999"}).ok());
  // Missing pieces.
  EXPECT_FALSE(Parse({"--name", "a", "--mailbox", "3", "--entry", "0x10000000"}).ok());
}

}  // namespace
}  // namespace tandem::linux_platform
