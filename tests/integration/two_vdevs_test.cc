// Several RPMsg vdevs per remote (issue #15, docs/vdevs.md), two processes:
// the host Session and the two-vdev firmware on the simulated core. Each
// vdev is a bus of its own: the same channel name at the same address on
// both, traffic on both at once, each bus's rings and counters its own, and
// both back after a crash is recovered.

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tandem/c/host.h"
#include "tandem/host/session.h"
#include "tandem/remoteproc/crash.h"
#include "test_session.h"

extern char** environ;

namespace tandem::host {
namespace {

using namespace std::chrono_literals;

constexpr const char* kEcho = TANDEM_TWO_VDEVS_ECHO;  // on both buses
constexpr const char* kId = TANDEM_TWO_VDEVS_ID;      // on bus 1 only

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("vdevs", tag); }

std::vector<std::byte> Image() { return integration::ReadImage(TANDEM_TWO_VDEVS_ELF); }

std::string Text(const std::vector<std::byte>& bytes, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), n);
}

// Sends `count` messages "<tag> <i>" on `port` and checks each echo.
void EchoMany(ChannelPort& port, const std::string& tag, int count, std::atomic<int>* failures) {
  std::vector<std::byte> in(512);
  for (int i = 0; i < count; ++i) {
    const std::string out = tag + " " + std::to_string(i);
    if (!port.Send(AsBytes(out.data(), out.size()), rpmsg::Timeout::Seconds(5)).ok()) {
      ++*failures;
      return;
    }
    auto r = port.Receive(in, rpmsg::Timeout::Seconds(5));
    if (!r.ok() || Text(in, r->len) != out) {
      ++*failures;
      return;
    }
  }
}

class Vdevs : public ::testing::Test {
 protected:
  void Boot(const char* tag) {
    auto created = Session::Create(Options(tag));
    ASSERT_TRUE(created.ok()) << created.status().message();
    session_ = std::move(created).value();
    echo0_ = std::make_unique<ChannelPort>(*session_, kEcho, 0);
    echo1_ = std::make_unique<ChannelPort>(*session_, kEcho, 1);
    id1_ = std::make_unique<ChannelPort>(*session_, kId, 1);
    id0_ = std::make_unique<ChannelPort>(*session_, kId, 0);
    for (ChannelPort* p : {echo0_.get(), echo1_.get(), id1_.get(), id0_.get()}) {
      ASSERT_TRUE(p->Register().ok());
    }
    ASSERT_TRUE(session_->Boot(Image()).ok()) << session_->rproc().error_detail();
    for (ChannelPort* p : {echo0_.get(), echo1_.get(), id1_.get()}) {
      ASSERT_TRUE(p->WaitBound(10s).ok());
    }
  }
  void TearDown() override {
    if (session_ != nullptr) {
      (void)session_->Stop();
      id0_.reset();
      id1_.reset();
      echo1_.reset();
      echo0_.reset();
    }
  }

  std::unique_ptr<Session> session_;
  std::unique_ptr<ChannelPort> echo0_, echo1_, id1_, id0_;
};

TEST_F(Vdevs, EachVdevIsABusOfItsOwnWithItsOwnRingsAndAddresses) {
  Boot("own");
  ASSERT_EQ(session_->vdev_count(), 2u);
  EXPECT_TRUE(session_->link_status(0).ok());
  EXPECT_TRUE(session_->link_status(1).ok());
  EXPECT_FALSE(session_->link_status(2).ok());  // the firmware has two
  // The same name at the same address on both buses: two address spaces.
  EXPECT_EQ(echo0_->remote_address(), echo1_->remote_address());
  // The service only bus 1 has is not on bus 0.
  EXPECT_FALSE(id0_->bound());
  auto r0 = session_->Rings(0);
  auto r1 = session_->Rings(1);
  ASSERT_TRUE(r0.ok() && r1.ok());
  EXPECT_EQ(r0->vrings[0].notifyid, 0u);
  EXPECT_EQ(r0->vrings[1].notifyid, 1u);
  EXPECT_EQ(r1->vrings[0].notifyid, 2u);
  EXPECT_EQ(r1->vrings[1].notifyid, 3u);
  EXPECT_NE(r0->buffers_da, r1->buffers_da);
  EXPECT_EQ(r1->vdev, 1u);
  EXPECT_FALSE(session_->Rings(2).ok());
  EXPECT_EQ(session_->buffers(1).size, 512u);
  EXPECT_EQ(session_->buffers(0).count, 512u);  // vdev0: two vrings of 256
  EXPECT_EQ(session_->buffers(1).count, 128u);  // vdev1: two vrings of 64
  // The firmware saw both links come up, each with its own rings.
  auto trace = session_->Trace();
  ASSERT_TRUE(trace.ok());
  EXPECT_NE(trace->find("two_vdevs: rpmsg link up: "), std::string::npos) << *trace;
  EXPECT_NE(trace->find("two_vdevs: vdev1: rpmsg link up: "), std::string::npos) << *trace;
  // Bus 1's own service answers there.
  std::vector<std::byte> in(512);
  const std::string ask = "which";
  ASSERT_TRUE(id1_->Send(AsBytes(ask.data(), ask.size()), rpmsg::Timeout::Seconds(5)).ok());
  auto got = id1_->Receive(in, rpmsg::Timeout::Seconds(5));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(Text(in, got->len), "vdev1");
  // Registering beyond the last bus is one clear error.
  ChannelPort nowhere(*session_, kEcho, Session::kMaxVdevs);
  EXPECT_EQ(nowhere.Register().code(), StatusCode::kInvalidArgument);
}

TEST_F(Vdevs, TrafficOnBothBusesAtOnce) {
  Boot("both");
  const auto tx0 = session_->Rings(0)->stats.tx_messages;
  const auto tx1 = session_->Rings(1)->stats.tx_messages;
  constexpr int kCount = 500;
  std::atomic<int> failures{0};
  std::thread a([&] { EchoMany(*echo0_, "bus0", kCount, &failures); });
  std::thread b([&] { EchoMany(*echo1_, "bus1", kCount, &failures); });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  // Each bus carried its own half, through its own rings.
  EXPECT_EQ(session_->Rings(0)->stats.tx_messages - tx0, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(session_->Rings(1)->stats.tx_messages - tx1, static_cast<std::uint64_t>(kCount));
  ASSERT_TRUE(session_->Stop().ok());
  EXPECT_TRUE(session_->last_stop().graceful);
  EXPECT_FALSE(session_->link_status(0).ok());
  EXPECT_FALSE(session_->link_status(1).ok());
}

TEST_F(Vdevs, BothBusesComeBackAfterACrashIsRecovered) {
  Boot("crash");
  ASSERT_TRUE(
      session_->ReportCrash(remoteproc::CrashReason::kFault, "injected by vdevs_test").ok());
  ASSERT_TRUE(session_->WaitForCrashes(1, 20s));
  ASSERT_TRUE(session_->last_recovery().ok()) << session_->last_recovery().message();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((echo0_->binds() < 2 || echo1_->binds() < 2) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(echo1_->binds(), 2u);
  std::atomic<int> failures{0};
  EchoMany(*echo0_, "again0", 20, &failures);
  EchoMany(*echo1_, "again1", 20, &failures);
  EXPECT_EQ(failures.load(), 0);
}

// A hostile peer on the second bus only: tandem-corruptor (a third process)
// jumps vdev 1's vring0 used.idx in live shared memory. The host notices on
// bus 1, treats it as a crash of the remote and recovers it: both buses
// come back and carry traffic again.
TEST_F(Vdevs, AHostileUsedRingOnBus1IsACrashAndBothBusesRecover) {
  Boot("hostile");
  const SessionOptions& o = session_->options();
  std::vector<std::string> args = {
      TANDEM_CORRUPTOR,  "--runtime-dir", o.runtime_dir, "--name",        o.name, "--scenario",
      "vring0-used-idx", "--vdev",        "1",           "--duration-ms", "300"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, TANDEM_CORRUPTOR, nullptr, nullptr, argv.data(), environ), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(session_->WaitForCrashes(1, 20s)) << "the host did not notice";
  EXPECT_EQ(session_->last_crash().reason, remoteproc::CrashReason::kLinkBroken);
  ASSERT_TRUE(session_->last_recovery().ok()) << session_->last_recovery().message();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((echo0_->binds() < 2 || echo1_->binds() < 2) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  std::atomic<int> failures{0};
  EchoMany(*echo0_, "after0", 20, &failures);
  EchoMany(*echo1_, "after1", 20, &failures);
  EXPECT_EQ(failures.load(), 0);
}

// The C API picks the bus too (tandem_host_channel_open_vdev).
TEST(VdevsCApi, AChannelOnTheSecondBus) {
  const SessionOptions o = Options("capi");
  tandem_host_options options;
  tandem_host_options_init(&options);
  options.name = o.name.c_str();
  options.runtime_dir = o.runtime_dir.c_str();
  options.console_path = "/dev/null";
  options.die_with_host = 1;
  tandem_host_session* session = nullptr;
  ASSERT_EQ(tandem_host_session_create(&options, &session), TANDEM_OK);
  tandem_host_channel* id = nullptr;
  tandem_host_channel* nowhere = nullptr;
  EXPECT_EQ(tandem_host_channel_open_vdev(session, Session::kMaxVdevs, kId, &nowhere),
            TANDEM_EINVAL);
  ASSERT_EQ(tandem_host_channel_open_vdev(session, 1, kId, &id), TANDEM_OK);
  ASSERT_EQ(tandem_host_boot(session, TANDEM_TWO_VDEVS_ELF), TANDEM_OK)
      << tandem_host_last_error(session);
  ASSERT_EQ(tandem_host_channel_wait_bound(id, 5'000'000'000ull), TANDEM_OK);
  EXPECT_EQ(tandem_host_channel_remote_address(id), 0x401u);
  ASSERT_EQ(tandem_host_channel_send(id, "?", 1, 2'000'000'000ull), TANDEM_OK);
  char reply[64] = {};
  std::size_t len = 0;
  ASSERT_EQ(tandem_host_channel_receive(id, reply, sizeof(reply), &len, nullptr, 2'000'000'000ull),
            TANDEM_OK);
  EXPECT_EQ(std::string(reply, len), "vdev1");
  tandem_host_channel_close(id);
  EXPECT_EQ(tandem_host_stop(session), TANDEM_OK);
  tandem_host_session_destroy(session);
}

}  // namespace
}  // namespace tandem::host
