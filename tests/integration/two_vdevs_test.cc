// The two-vdev image (firmware/two_vdevs) under a host Session on a
// simulated core in its own process: the host places both RPMsg vdevs and
// drives bus 0; the image serves its echo there while vdev1 waits for its
// own DRIVER_OK. (Traffic on bus 1 is covered once the host drives it; the
// remote side of both buses is unit-tested in remote/remote_node_test.cc.)
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tandem/host/inspect.h"
#include "tandem/host/session.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

std::string TraceText(Session& s) {
  auto t = s.Trace();
  return t.ok() ? *t : std::string();
}

// Waits up to 2 s for `text` in the trace.
bool WaitForTrace(Session& s, const std::string& text) {
  for (int i = 0; i < 200; ++i) {
    if (TraceText(s).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(TwoVdevs, BootsAndEchoesOnBus0WhileVdev1WaitsForItsDriver) {
  auto created = Session::Create(integration::TestSessionOptions("twovdev", "boot"));
  ASSERT_TRUE(created.ok()) << created.status().message();
  auto s = std::move(created).value();
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_TWO_VDEVS_ELF)).ok())
      << s->rproc().error_detail();
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  EXPECT_EQ(echo.remote_address(), 0x400u);
  for (const std::string text : {"hello bus 0", "", "again"}) {
    std::vector<std::byte> out(text.size());
    std::memcpy(out.data(), text.data(), text.size());
    ASSERT_TRUE(echo.Send(out, rpmsg::Timeout::Seconds(2)).ok());
    std::vector<std::byte> in(64);
    auto got = echo.Receive(in, rpmsg::Timeout::Seconds(2));
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(got->len, text.size());
    EXPECT_EQ(std::memcmp(in.data(), text.data(), text.size()), 0);
  }
  ASSERT_TRUE(WaitForTrace(*s, "two_vdevs: rpmsg link up: ")) << TraceText(*s);
  const std::string trace = TraceText(*s);
  EXPECT_NE(trace.find("two_vdevs: waiting for the host (vdev status DRIVER_OK)"),
            std::string::npos)
      << trace;
  EXPECT_EQ(trace.find("not served"), std::string::npos) << trace;  // vdev1 is in the table
  // The host placed both vdevs: vdev1 has its own rings (num 64, notifyids
  // 2 and 3) and its "vdev1buffer" carve-out.
  auto table = s->ResourceTable();
  ASSERT_TRUE(table.ok()) << table.status().message();
  std::vector<VdevReport> vdevs;
  std::uint32_t vdev1_buffers = 0;
  for (const ResourceEntryReport& e : table->entries) {
    if (e.vdev) vdevs.push_back(*e.vdev);
    if (e.carveout && e.carveout->name == "vdev1buffer") vdev1_buffers = e.carveout->da;
  }
  ASSERT_EQ(vdevs.size(), 2u);
  ASSERT_EQ(vdevs[1].vrings.size(), 2u);
  EXPECT_EQ(vdevs[1].vrings[0].num, 64u);
  EXPECT_EQ(vdevs[1].vrings[0].notifyid, 2u);
  EXPECT_EQ(vdevs[1].vrings[1].notifyid, 3u);
  EXPECT_NE(vdevs[1].vrings[0].da, 0u);
  EXPECT_NE(vdev1_buffers, 0u);
  EXPECT_NE(vdev1_buffers, 0xFFFFFFFFu);
  ASSERT_TRUE(s->Stop().ok());
  EXPECT_TRUE(s->last_stop().graceful);
}

}  // namespace
}  // namespace tandem::host
