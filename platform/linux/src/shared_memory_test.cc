#include "tandem/linux/shared_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace tandem::linux_platform {
namespace {

TEST(SharedMemory, CreateRoundsUpToPagesAndZeroFills) {
  auto memory = SharedMemory::Create("t", 100);
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ(memory->size(), 4096u);
  for (std::size_t i = 0; i < memory->size(); ++i) ASSERT_EQ(memory->data()[i], std::byte{0});
  EXPECT_FALSE(SharedMemory::Create("t", 0).ok());
}

TEST(SharedMemory, SizeIsSealed) {
  auto memory = SharedMemory::Create("t", 8192);
  ASSERT_TRUE(memory.ok());
  // Neither side can shrink the file under the other's mapping (SIGBUS).
  EXPECT_NE(ftruncate(memory->fd(), 4096), 0);
  EXPECT_NE(ftruncate(memory->fd(), 16384), 0);
}

TEST(SharedMemory, ReopenedThroughProcSeesTheSameBytes) {
  auto memory = SharedMemory::Create("t", 4096);
  ASSERT_TRUE(memory.ok());
  const std::string path = "/proc/self/fd/" + std::to_string(memory->fd());
  auto again = SharedMemory::OpenPath(path.c_str(), 4096);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_NE(again->data(), memory->data());
  memory->data()[17] = std::byte{0x5a};
  EXPECT_EQ(again->data()[17], std::byte{0x5a});
  // A size that does not match means a different file: refused.
  EXPECT_EQ(SharedMemory::OpenPath(path.c_str(), 8192).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(SharedMemory::OpenPath("/nonexistent/x", 4096).status().code(), StatusCode::kNotFound);
}

TEST(SharedMemory, MoveTransfersOwnershipAndDestructionCloses) {
  int fd = -1;
  {
    auto memory = SharedMemory::Create("t", 4096);
    ASSERT_TRUE(memory.ok());
    SharedMemory a = std::move(*memory);
    fd = a.fd();
    EXPECT_FALSE(memory->valid());
    SharedMemory b;
    b = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.fd(), fd);
    EXPECT_GE(fcntl(fd, F_GETFD), 0);
  }
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);  // closed
}

TEST(SharedMemory, AdoptChecksTheFileSize) {
  auto memory = SharedMemory::Create("t", 4096);
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ(SharedMemory::Adopt(UniqueFd(dup(memory->fd())), 8192).status().code(),
            StatusCode::kOutOfRange);
  auto adopted = SharedMemory::Adopt(UniqueFd(dup(memory->fd())), 4096);
  ASSERT_TRUE(adopted.ok());
  EXPECT_FALSE(SharedMemory::Adopt(UniqueFd(), 4096).ok());
}

TEST(SharedMemory, ViewIsBoundsChecked) {
  auto memory = SharedMemory::Create("t", 4096);
  ASSERT_TRUE(memory.ok());
  auto view = memory->View(0x20000000, 1000);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->size(), 1000u);
  EXPECT_EQ(view->device_address(), 0x20000000u);
  EXPECT_FALSE(memory->View(0x20000000, 4097).ok());
  EXPECT_FALSE(memory->View(0x20000000, 0).ok());
}

}  // namespace
}  // namespace tandem::linux_platform
