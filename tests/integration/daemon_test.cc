// tandemd end to end (issue #11): the real daemon binary, started in a
// fresh runtime directory, driven through tandem::client as the CLI and
// programs drive it. Many clients at once, slow and dead clients, bad
// requests, a crash under traffic, a daemon killed and restarted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tandem/client/client.h"

namespace tandem::client {
namespace {

using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";
constexpr const char* kTty = "rpmsg-tty";

std::string MakeTempDir() {
  char tmpl[] = "/tmp/tandemd-test-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  return dir != nullptr ? dir : "";
}

ConstByteSpan Bytes(const std::string& s) { return AsBytes(s.data(), s.size()); }
std::string Text(const std::vector<std::byte>& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// A daemon of our own in a temporary runtime directory, stopped at the end.
class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    options_.runtime_dir = dir_;
    options_.daemon_path = TANDEMD;
  }
  void TearDown() override {
    Json reply;
    Client c;
    ClientOptions o = options_;
    o.spawn = false;
    if (Client::Connect(o, &c).ok()) {
      (void)c.Call({{"op", "stop"}, {"remote", "r0"}}, &reply);
      (void)c.Call({{"op", "stop"}, {"remote", "r1"}}, &reply);
      (void)c.Call({{"op", "shutdown"}}, &reply);
    }
    const pid_t pid = DaemonPid();
    for (int i = 0; pid > 0 && i < 100 && ::kill(pid, 0) == 0; ++i)
      std::this_thread::sleep_for(50ms);
    // The daemon runs in the background: what a sanitizer says in it lands
    // in its log, and must fail the test that made it say so.
    std::ifstream in(dir_ + "/tandemd.log");
    std::stringstream log;
    log << in.rdbuf();
    for (const char* finding :
         {"ThreadSanitizer", "AddressSanitizer", "LeakSanitizer", "runtime error:"}) {
      EXPECT_EQ(log.str().find(finding), std::string::npos) << finding << " in tandemd";
    }
    if (::testing::Test::HasFailure()) std::cerr << "--- tandemd.log\n" << log.str();
    std::system(("rm -rf " + dir_).c_str());
  }

  pid_t DaemonPid() const {
    std::ifstream in(dir_ + "/tandemd.pid");
    long pid = 0;
    in >> pid;
    return static_cast<pid_t>(pid);
  }

  Json Call(Json request) {
    Client c;
    Error e = Client::Connect(options_, &c);
    EXPECT_TRUE(e.ok()) << e.message;
    Json reply;
    e = c.Call(request, &reply);
    if (!e.ok()) reply = {{"ok", false}, {"code", StatusCodeName(e.code)}, {"error", e.message}};
    return reply;
  }

  void Start(const std::string& remote, const char* firmware) {
    Json r = Call({{"op", "start"}, {"remote", remote}, {"firmware", firmware}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
  }

  ChannelClient Open(const std::string& remote, const std::string& channel) {
    ChannelClient ch;
    ChannelSpec spec;
    spec.remote = remote;
    spec.channel = channel;
    Error e = ChannelClient::Open(options_, spec, &ch);
    EXPECT_TRUE(e.ok()) << e.message;
    return ch;
  }

  // The next message, skipping events (collected in *events if given).
  static Error Next(ChannelClient& ch, std::string* text, std::chrono::milliseconds timeout,
                    std::vector<Json>* events = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Error{StatusCode::kDeadlineExceeded, "timeout"};
      ChannelClient::Incoming in;
      Error e = ch.Receive(&in, left);
      if (!e.ok()) return e;
      if (in.is_event) {
        if (events != nullptr) events->push_back(in.event);
        continue;
      }
      *text = Text(in.payload);
      return Error::Ok();
    }
  }

  std::string dir_;
  ClientOptions options_;
};

TEST_F(DaemonTest, FirstClientStartsTheDaemonOnceAndItAnswersHello) {
  Client a;
  ASSERT_TRUE(Client::Connect(options_, &a).ok());
  EXPECT_TRUE(a.started_daemon());
  Client b;
  ASSERT_TRUE(Client::Connect(options_, &b).ok());
  EXPECT_FALSE(b.started_daemon());
  Json reply;
  ASSERT_TRUE(b.Call({{"op", "hello"}}, &reply).ok());
  EXPECT_EQ(reply["version"], kProtocolVersion);
  EXPECT_EQ(reply["pid"], DaemonPid());
}

TEST_F(DaemonTest, BadRequestsGetOneErrorEachAndTheDaemonKeepsServing) {
  Client c;
  ASSERT_TRUE(Client::Connect(options_, &c).ok());
  auto raw = [&](const std::string& bytes) {
    EXPECT_TRUE(c.packets().Send(bytes.data(), bytes.size(), 1s).ok());
    std::vector<std::byte> got;
    EXPECT_TRUE(c.packets().Receive(&got, 5s).ok());
    return Json::parse(Text(got), nullptr, false);
  };
  for (const std::string bad :
       {"not json", "[1,2,3]", "{}", R"({"op": 7})", R"({"op": "frobnicate"})",
        R"({"op": "status", "remote": "bad/name"})", R"({"op": "status", "remote": 12})",
        R"({"op": "log", "remote": "r0", "since": "yesterday"})",
        R"({"op": "recovery", "remote": "r0", "value": "maybe"})",
        R"({"op": "coredump", "remote": "r0", "path": "relative"})",
        R"({"op": "start", "remote": "r0", "firmware": "/nonexistent.elf"})",
        R"({"op": "start", "remote": "r0", "firmware": "/etc/hostname"})",
        R"({"op": "stop", "remote": "r0"})"}) {
    const Json reply = raw(bad);
    ASSERT_TRUE(reply.is_object()) << bad;
    EXPECT_EQ(reply.value("ok", true), false) << bad << " -> " << reply.dump();
    EXPECT_FALSE(reply.value("error", "").empty()) << bad;
    EXPECT_EQ(reply.value("error", "").find('\n'), std::string::npos) << bad;  // one line
  }
  // Larger than a packet may be: refused, not a crash.
  const std::string huge(kMaxPacket + 100, 'x');
  const int fd = c.packets().fd();
  ASSERT_EQ(::send(fd, huge.data(), huge.size(), MSG_NOSIGNAL), static_cast<ssize_t>(huge.size()));
  std::vector<std::byte> got;
  ASSERT_TRUE(c.packets().Receive(&got, 5s).ok());
  EXPECT_NE(Text(got).find("larger than"), std::string::npos);
  // Still serving, the same connection and new ones; the failed start lost
  // nothing: the remote is offline.
  Json reply;
  ASSERT_TRUE(c.Call({{"op", "status"}, {"remote", "r0"}}, &reply).ok());
  EXPECT_EQ(reply["status"]["state"], "offline");
  EXPECT_TRUE(Call({{"op", "hello"}}).value("ok", false));
}

// Two clients on two channels at once, a thousand messages each, contents
// checked, with a third client's commands in between.
TEST_F(DaemonTest, TwoClientsOnTwoChannelsAtOnce) {
  Start("r0", TANDEM_DEMO_ELF);
  std::atomic<int> bad{0};
  auto run = [&](const char* channel, const std::string& prefix, const std::string& reply_prefix) {
    ChannelClient ch = Open("r0", channel);
    for (int i = 0; i < 1000; ++i) {
      const std::string msg = prefix + std::to_string(i);
      if (!ch.Send(Bytes(msg)).ok()) {
        ++bad;
        return;
      }
      std::string got;
      if (!Next(ch, &got, 5s).ok() || got.find(reply_prefix + msg) == std::string::npos) {
        ADD_FAILURE() << channel << ": sent " << msg << ", got " << got;
        ++bad;
        return;
      }
    }
  };
  std::thread echo([&] { run(kEcho, "echo-", ""); });
  std::thread tty([&] { run(kTty, "tty-", ": "); });
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(Call({{"op", "status"}, {"remote", "r0"}}).value("ok", false));
    EXPECT_TRUE(Call({{"op", "channels"}, {"remote", "r0"}}).value("ok", false));
  }
  echo.join();
  tty.join();
  EXPECT_EQ(bad.load(), 0);
}

// Ten clients of one service at once: each gets its own replies.
TEST_F(DaemonTest, TenConcurrentClientsOfOneServiceEachGetTheirOwnReplies) {
  Start("r0", TANDEM_DEMO_ELF);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&, t] {
      ChannelClient ch = Open("r0", kEcho);
      for (int i = 0; i < 200; ++i) {
        const std::string msg = "client " + std::to_string(t) + " message " + std::to_string(i);
        std::string got;
        if (!ch.Send(Bytes(msg)).ok() || !Next(ch, &got, 5s).ok() || got != msg) {
          ++bad;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// A client that never reads loses its own messages (counted, told), and
// nobody else is held up.
TEST_F(DaemonTest, ASlowClientLosesOnlyItsOwnMessages) {
  Start("r0", TANDEM_DEMO_ELF);
  ChannelClient slow = Open("r0", kEcho);
  std::string big(400, 's');
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(slow.Send(Bytes(big), 5s).ok()) << i;
  ChannelClient fast = Open("r0", kEcho);
  for (int i = 0; i < 100; ++i) {
    std::string got;
    ASSERT_TRUE(fast.Send(Bytes("fast " + std::to_string(i))).ok());
    ASSERT_TRUE(Next(fast, &got, 5s).ok()) << i;
    EXPECT_EQ(got, "fast " + std::to_string(i));
  }
  // Now the slow one reads: what it gets is whole, and the loss is told.
  int messages = 0;
  std::uint64_t dropped = 0;
  for (;;) {
    ChannelClient::Incoming in;
    if (!slow.Receive(&in, 2s).ok()) break;
    if (in.is_event) {
      if (in.event.value("event", "") == "dropped") dropped += in.event.value("count", 0u);
      continue;
    }
    EXPECT_EQ(Text(in.payload), big);
    ++messages;
  }
  EXPECT_EQ(messages + dropped, 3000u);
  EXPECT_GT(dropped, 0u);
}

// A client killed with messages in flight, and one that disconnects right
// after sending: the remote and the daemon go on; what was sent before the
// end was sent (`send -w 0`).
TEST_F(DaemonTest, ClientsThatDieOrLeaveEarlyHarmNobody) {
  Start("r0", TANDEM_DEMO_ELF);
  const pid_t child = ::fork();
  if (child == 0) {
    ChannelClient ch;
    ChannelSpec spec;
    spec.remote = "r0";
    spec.channel = kEcho;
    if (!ChannelClient::Open(options_, spec, &ch).ok()) ::_exit(1);
    for (int i = 0; i < 500; ++i) (void)ch.Send(Bytes(std::string(300, 'k')));
    ::pause();
    ::_exit(0);
  }
  std::this_thread::sleep_for(300ms);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);

  // Twenty one-shot clients of the sample service: each sends and leaves at
  // once; the remote logs what it receives, and must show all twenty.
  for (int i = 0; i < 20; ++i) {
    ChannelClient ch = Open("r0", "rpmsg-client-sample");
    ASSERT_TRUE(ch.Send(Bytes("left-early-" + std::to_string(i) + ".")).ok());
  }
  ChannelClient after = Open("r0", kEcho);
  std::string got;
  ASSERT_TRUE(after.Send(Bytes("still fine")).ok());
  ASSERT_TRUE(Next(after, &got, 5s).ok());
  EXPECT_EQ(got, "still fine");
  bool all = false;
  std::string trace;
  for (int tries = 0; tries < 50 && !all; ++tries) {
    trace = Call({{"op", "trace"}, {"remote", "r0"}}).value("trace", "");
    all = true;
    for (int i = 0; i < 20; ++i) {
      all = all && trace.find("left-early-" + std::to_string(i) + ".") != std::string::npos;
    }
    if (!all) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(all) << "a message sent right before its client left was lost:\n" << trace;
}

// A crash under traffic: the client sees the link go down and come back,
// traffic resumes on the same connection, the daemon recorded the crash and
// the remote's memory can still be read.
TEST_F(DaemonTest, CrashUnderTrafficIsRecoveredAndTheClientIsTold) {
  Start("r1", TANDEM_FAULTY_ELF);
  ChannelClient echo = Open("r1", kEcho);
  std::string got;
  ASSERT_TRUE(echo.Send(Bytes("before")).ok());
  ASSERT_TRUE(Next(echo, &got, 5s).ok());
  EXPECT_EQ(got, "before");
  ChannelClient fault = Open("r1", "tandem-fault");
  ASSERT_TRUE(fault.Send(Bytes("segv")).ok());
  // The echo client hears "down" then "up".
  std::vector<Json> events;
  bool up = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!up && std::chrono::steady_clock::now() < deadline) {
    ChannelClient::Incoming in;
    if (!echo.Receive(&in, 200ms).ok()) continue;
    if (in.is_event) {
      events.push_back(in.event);
      up = in.event.value("event", "") == "up";
    }
  }
  ASSERT_TRUE(up);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().value("event", ""), "down");
  ASSERT_TRUE(echo.Send(Bytes("after")).ok());
  ASSERT_TRUE(Next(echo, &got, 5s).ok());
  EXPECT_EQ(got, "after");
  const Json status = Call({{"op", "status"}, {"remote", "r1"}})["status"];
  EXPECT_EQ(status.value("crashes", 0), 1);
  EXPECT_EQ(status["last_crash"].value("reason", ""), "fault");
  EXPECT_EQ(status.value("state", ""), "running");
  const Json log = Call({{"op", "log"}, {"remote", "r1"}});
  EXPECT_NE(log.dump().find("crash detected in r1"), std::string::npos);
  EXPECT_TRUE(
      Call({{"op", "coredump"}, {"remote", "r1"}, {"path", dir_ + "/r1.core"}}).value("ok", false));
}

// The daemon is killed outright; the remote keeps running; a new daemon
// takes it over and traffic resumes.
TEST_F(DaemonTest, KilledDaemonIsReplacedAndReattaches) {
  Start("r0", TANDEM_DEMO_ELF);
  {
    ChannelClient ch = Open("r0", kEcho);
    std::string got;
    ASSERT_TRUE(ch.Send(Bytes("one")).ok());
    ASSERT_TRUE(Next(ch, &got, 5s).ok());
  }
  const Json before = Call({{"op", "status"}, {"remote", "r0"}})["status"];
  const int core_pid = before.value("core_pid", 0);
  ASSERT_GT(core_pid, 0);
  const pid_t daemon = DaemonPid();
  ASSERT_GT(daemon, 0);
  ASSERT_EQ(::kill(daemon, SIGKILL), 0);
  for (int i = 0; i < 100 && ::kill(daemon, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(::kill(core_pid, 0), 0) << "the remote died with its daemon";

  // The next client starts a new daemon, which re-attaches.
  Json status;
  for (int i = 0; i < 40; ++i) {
    status = Call({{"op", "status"}, {"remote", "r0"}})["status"];
    if (status.value("state", "") == "attached") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status.value("state", ""), "attached");
  EXPECT_EQ(status.value("core_pid", 0), core_pid);
  EXPECT_NE(DaemonPid(), daemon);
  ChannelClient ch = Open("r0", kEcho);
  std::string got;
  ASSERT_TRUE(ch.Send(Bytes("two")).ok());
  ASSERT_TRUE(Next(ch, &got, 5s).ok());
  EXPECT_EQ(got, "two");
}

}  // namespace
}  // namespace tandem::client
