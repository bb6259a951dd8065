#pragma once
// What the two-process integration tests share: the options of a test
// Session (a real simulated core over real shared memory) and reading a
// firmware image.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "tandem/host/session.h"

namespace tandem::host::integration {

// "<prefix>-<tag>-<pid>-<n>": unique in this process and among the test
// processes CTest runs at once.
inline std::string UniqueSessionName(const char* prefix, const char* tag) {
  static int n = 0;
  return std::string(prefix) + "-" + tag + "-" + std::to_string(getpid()) + "-" +
         std::to_string(++n);
}

// A session that dies with the test, prints no console, keeps its state in
// a runtime directory of this test binary's own, and gives a firmware that
// ignores the shutdown handshake 1 s.
inline SessionOptions TestSessionOptions(const char* prefix, const char* tag) {
  SessionOptions o;
  o.name = UniqueSessionName(prefix, tag);
  o.die_with_host = true;
  o.console_path = "/dev/null";
  o.runtime_dir = ::testing::TempDir() + "/tandem-" + prefix + "-" + std::to_string(getpid());
  o.shutdown_timeout = std::chrono::milliseconds(1000);
  return o;
}

// The firmware ELF at `path`; empty (and the test failed) if unreadable.
inline std::vector<std::byte> ReadImage(const char* path) {
  auto image = Session::ReadFile(path);
  EXPECT_TRUE(image.ok()) << path;
  return image.ok() ? std::move(image).value() : std::vector<std::byte>{};
}

}  // namespace tandem::host::integration
