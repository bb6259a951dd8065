// QemuPlatform's parts that need no QEMU run: the boot stub's flash image,
// the mailbox word framing, memory placement and what Start refuses. The
// real runs are in tests/qemu_session_test.cc.

#include "tandem/qemu/qemu_platform.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tandem/base/endian.h"
#include "tandem/qemu/board.h"
#include "tandem/qemu/boot_stub.h"
#include "tandem/qemu/word_stream.h"
#include "tandem/remoteproc/mailbox.h"

namespace tandem::qemu {
namespace {

std::uint32_t Le32(const std::vector<std::byte>& b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

TEST(BootStub, VectorsPointAtTheStubAndTheLiteralsCarryTheImage) {
  auto flash = MakeBootFlash(0x21000000u, 0x21000561u);
  ASSERT_TRUE(flash.ok());
  ASSERT_EQ(flash->size(), kBootFlashSize);
  EXPECT_EQ(Le32(*flash, 0), kStubStack);
  EXPECT_EQ(Le32(*flash, 4), kStubOffset | 1u);  // Thumb
  for (std::size_t v = 2; v < 16; ++v) EXPECT_EQ(Le32(*flash, 4 * v), kLoopOffset | 1u);
  EXPECT_EQ(Le32(*flash, kLiteralOffset), 0xE000ED08u);
  EXPECT_EQ(Le32(*flash, kLiteralOffset + 4), 0x21000000u);
  EXPECT_EQ(Le32(*flash, kLiteralOffset + 8), 0x21000561u);
  // ldr r0, [pc, #20]: PC = 0x44, + 20 = 0x58, the first literal.
  EXPECT_EQ(static_cast<std::uint8_t>((*flash)[kStubOffset]), 0x05);
  EXPECT_EQ(static_cast<std::uint8_t>((*flash)[kStubOffset + 1]), 0x48);
  EXPECT_EQ(static_cast<std::uint8_t>((*flash)[kLoopOffset]), 0xfe);  // b .
}

TEST(BootStub, RefusesAnArmEntryAndAnUnalignedTable) {
  EXPECT_EQ(MakeBootFlash(0x21000000u, 0x21000560u).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeBootFlash(0x21000040u, 0x21000561u).status().code(), StatusCode::kInvalidArgument);
}

std::vector<std::byte> Bytes(std::initializer_list<std::uint32_t> words) {
  std::vector<std::byte> out;
  for (std::uint32_t w : words) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>((w >> (8 * i)) & 0xFF));
  }
  return out;
}

TEST(WordAssembler, AssemblesLittleEndianWordsAcrossArbitrarySplits) {
  const auto stream = Bytes({0, 1, remoteproc::mailbox::kShutdownAck, 63});
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    WordAssembler words;
    std::vector<std::uint32_t> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - at);
      ASSERT_TRUE(
          words.Feed(std::span(stream).subspan(at, n), [&](std::uint32_t w) { got.push_back(w); }));
    }
    EXPECT_EQ(got, (std::vector<std::uint32_t>{0, 1, remoteproc::mailbox::kShutdownAck, 63}));
    EXPECT_EQ(words.pending_bytes(), 0u);
  }
}

TEST(WordAssembler, ANonMessageLatchesTheStreamBroken) {
  WordAssembler words;
  std::vector<std::uint32_t> got;
  const auto stream = Bytes({1, 64, 2});
  EXPECT_FALSE(words.Feed(stream, [&](std::uint32_t w) { got.push_back(w); }));
  EXPECT_TRUE(words.broken());
  EXPECT_EQ(words.bad_word(), 64u);
  EXPECT_EQ(got, std::vector<std::uint32_t>{1});
  EXPECT_FALSE(words.Feed(Bytes({3}), [&](std::uint32_t w) { got.push_back(w); }));
  EXPECT_EQ(got.size(), 1u);
}

class QemuPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!QemuPlatform::FindQemu("").ok()) GTEST_SKIP() << "qemu-system-arm not found";
    auto p = QemuPlatform::Create();
    ASSERT_TRUE(p.ok()) << p.status().message();
    platform_ = std::move(p).value();
  }
  std::unique_ptr<QemuPlatform> platform_;
};

TEST(QemuPlatformFind, AConfiguredPathThatIsNotThereIsNotFound) {
  EXPECT_EQ(QemuPlatform::FindQemu("/nonexistent/qemu-system-arm").status().code(),
            StatusCode::kNotFound);
}

TEST_F(QemuPlatformTest, MapsFixedRangesOfTheRamAndAllocatesAnyFromThePool) {
  const std::uint64_t base = kAn385RamBase;
  auto image = platform_->MapMemory({base, kImageSize, 0, "image"});
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->device_address(), base);
  // The trace, inside the image carve-out: the same memory.
  auto trace = platform_->MapMemory({base + kTraceOffset, kTraceSize, 0, "trace0"});
  ASSERT_TRUE(trace.ok());
  auto a = platform_->MapMemory({remoteproc::kAnyAddress, 0x40000, 4096, "vdev0buffer"});
  auto b = platform_->MapMemory({remoteproc::kAnyAddress, 10246, 4096, "vdev0vring0"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->device_address(), base + kPoolOffset);
  EXPECT_EQ(b->device_address(), base + kPoolOffset + 0x40000);
  // Outside the RAM, across its end, overlapping partly: refused.
  EXPECT_FALSE(platform_->MapMemory({0x20000000, 4096, 0, "x"}).ok());
  EXPECT_FALSE(platform_->MapMemory({base + kRamSize - 4096, 8192, 0, "x"}).ok());
  EXPECT_FALSE(platform_->MapMemory({base + kImageSize - 4096, 8192, 0, "x"}).ok());
  EXPECT_FALSE(platform_->MapMemory({remoteproc::kAnyAddress, kRamSize, 4096, "x"}).ok());
  // The board page (the watchdog counter) is never handed out.
  EXPECT_FALSE(platform_->MapMemory({base + kBoardPageOffset, 4096, 0, "x"}).ok());
  EXPECT_FALSE(
      platform_
          ->MapMemory({remoteproc::kAnyAddress, kPoolEnd - kPoolOffset - 0x41000 + 1, 4096, "x"})
          .ok());
  platform_->ReleaseMemory();
  auto again = platform_->MapMemory({remoteproc::kAnyAddress, 4096, 4096, "x"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->device_address(), base + kPoolOffset);
}

TEST_F(QemuPlatformTest, StartRefusesAnImageWithoutItsVectorTable) {
  ASSERT_TRUE(platform_->MapMemory({kAn385RamBase, kImageSize, 0, "image"}).ok());
  // Zeroed RAM: no initial SP, no reset vector.
  const Status s = platform_->Start(kAn385RamBase + 0x561);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.message();
  EXPECT_EQ(platform_->Start(0x1000).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(platform_->IsRunning());
}

TEST_F(QemuPlatformTest, SendAndWaitWithoutQemuAreAborted) {
  EXPECT_EQ(platform_->Send(1).code(), StatusCode::kAborted);
  EXPECT_EQ(platform_->Send(64).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(platform_->WaitForControl(remoteproc::mailbox::kShutdownAck, 10).code(),
            StatusCode::kAborted);
  EXPECT_EQ(platform_->Detach().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(platform_->AttachExisting("x").code(), StatusCode::kNotFound);
}

// A stand-in for qemu-system-arm: a shell script that gets QEMU's command
// line (bash: the fds are above 9), so the platform's handling of what comes back (the mailbox
// stream, stderr, the exit) is tested without an emulator. `body` runs with $MBOX set to the
// mailbox socket's fd.
class FakeQemuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script_ = ::testing::TempDir() + "fake-qemu-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    platform_.reset();
    std::remove(script_.c_str());
  }

  void Make(const std::string& body) {
    {
      std::ofstream out(script_);
      out << "#!/bin/bash\n"
             "for a in \"$@\"; do case \"$a\" in socket,id=tandem-mailbox,fd=*) "
             "MBOX=${a##*fd=};; esac; done\n"
          << body << "\n";
    }
    ASSERT_EQ(chmod(script_.c_str(), 0755), 0);
    QemuPlatformOptions options;
    options.qemu_path = script_;
    options.console_path = "/dev/null";
    auto p = QemuPlatform::Create(options);
    ASSERT_TRUE(p.ok()) << p.status().message();
    platform_ = std::move(p).value();
    ASSERT_TRUE(platform_
                    ->SetEventCallbacks({
                        .control =
                            [this](std::uint32_t m) {
                              std::lock_guard lock(mutex_);
                              controls_.push_back(m);
                            },
                        .crash =
                            [this](const host::CoreExit& exit) {
                              std::lock_guard lock(mutex_);
                              crash_ = exit;
                              cv_.notify_all();
                            },
                    })
                    .ok());
    // A vector table the boot check accepts: SP at the top of the image
    // carve-out, reset vector = the entry.
    auto image = platform_->MapMemory({kAn385RamBase, kImageSize, 0, "image"});
    ASSERT_TRUE(image.ok());
    ASSERT_TRUE(image->Write(0, tandem::Le32{kAn385RamBase + 0x10000}).ok());
    ASSERT_TRUE(image->Write(4, tandem::Le32{kEntry}).ok());
  }

  std::optional<host::CoreExit> WaitCrash(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [this] { return crash_.has_value(); });
    return crash_;
  }

  static constexpr std::uint32_t kEntry = kAn385RamBase + 0x101;
  std::string script_;
  std::unique_ptr<QemuPlatform> platform_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::uint32_t> controls_;
  std::optional<host::CoreExit> crash_;
};

TEST_F(FakeQemuTest, ACorruptMailboxStreamIsACrashAndQemuIsKilled) {
  // kReady (0xFFFFFF00), then 0x00000040: neither a notifyid nor a control.
  Make("printf '\\000\\377\\377\\377\\100\\000\\000\\000' >&$MBOX; exec sleep 30");
  ASSERT_TRUE(platform_->Start(kEntry).ok());
  const auto crash = WaitCrash(std::chrono::seconds(10));
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->reason, host::CoreExitReason::kProtocolError);
  EXPECT_NE(crash->text.find("0x40"), std::string::npos) << crash->text;
  EXPECT_FALSE(platform_->IsRunning());
  std::lock_guard lock(mutex_);
  EXPECT_EQ(controls_, std::vector<std::uint32_t>{remoteproc::mailbox::kReady});
}

TEST_F(FakeQemuTest, QemuEndingIsACrashWithItsLastStderrLine) {
  Make("echo 'qemu: fatal: Lockup: cannot escalate 3 to HardFault' >&2; exit 1");
  ASSERT_TRUE(platform_->Start(kEntry).ok());
  const auto crash = WaitCrash(std::chrono::seconds(10));
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->reason, host::CoreExitReason::kExited);
  EXPECT_EQ(crash->exit_code, 1);
  EXPECT_NE(crash->text.find("Lockup"), std::string::npos) << crash->text;
  EXPECT_EQ(platform_->WaitForControl(remoteproc::mailbox::kShutdownAck, 1000).code(),
            StatusCode::kAborted);
  // The platform starts again after a crash.
  ASSERT_TRUE(platform_->Reset().ok());
}

TEST_F(FakeQemuTest, SendWritesFourLittleEndianBytesAndResetEndsTheRun) {
  // Echo the mailbox stream back: every word sent comes back as a control.
  Make("exec cat <&$MBOX >&$MBOX");
  ASSERT_TRUE(platform_->Start(kEntry).ok());
  EXPECT_GT(platform_->qemu_pid(), 0);
  ASSERT_TRUE(platform_->Send(remoteproc::mailbox::kEchoRequest).ok());
  EXPECT_TRUE(platform_->WaitForControl(remoteproc::mailbox::kEchoRequest, 5000).ok());
  ASSERT_TRUE(platform_->Reset().ok());
  EXPECT_FALSE(platform_->IsRunning());
  EXPECT_EQ(platform_->qemu_pid(), 0);
  ASSERT_TRUE(platform_->last_exit().has_value());
  EXPECT_EQ(platform_->last_exit()->reason, host::CoreExitReason::kReset);
  EXPECT_FALSE(WaitCrash(std::chrono::milliseconds(0)).has_value());
  EXPECT_EQ(platform_->Send(1).code(), StatusCode::kAborted);
}

}  // namespace
}  // namespace tandem::qemu
