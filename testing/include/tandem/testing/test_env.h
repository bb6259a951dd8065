#pragma once
// Shared setup of the platform's process tests: unique instance names (tests
// run in parallel processes), a private runtime directory, options that tie
// the core to the test process (no orphans if a test dies), and helpers to
// look at file descriptors, mappings and children.

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "tandem/linux/linux_platform.h"

namespace tandem::linux_platform {

inline std::string UniqueCoreName() {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// A fresh directory under the test temp dir.
inline std::string MakeTempDir(const char* tag) {
  std::string tmpl = std::string(::testing::TempDir()) + "tandem-" + tag + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline int CountEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

inline int CountOpenFds() { return CountEntries("/proc/self/fd") - 1; }  // minus opendir's own

inline int CountMappings() {
  std::string maps = ReadText("/proc/self/maps");
  int n = 0;
  for (char c : maps) n += c == '\n';
  return n;
}

// Mappings of the platform's memfds ("/memfd:tandem-..."), in this process.
inline int CountTandemMappings() {
  std::string maps = ReadText("/proc/self/maps");
  int n = 0;
  for (std::size_t at = 0; (at = maps.find("/memfd:tandem-", at)) != std::string::npos; ++at) ++n;
  return n;
}

// Sanitizer runtimes map memory as they allocate (ASan's quarantine), so the
// total number of mappings only says something in a plain build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// True iff this process has no children at all, zombies included.
inline bool HasNoChildren() {
  siginfo_t info{};
  return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

// Removes the files in `dir` (not recursive), then the directory.
inline void RemoveTempDir(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") {
        unlink((dir + "/" + e->d_name).c_str());
      }
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

struct TestPlatformEnv {
  TestPlatformEnv() = default;
  TestPlatformEnv(const TestPlatformEnv&) = delete;
  TestPlatformEnv& operator=(const TestPlatformEnv&) = delete;
  ~TestPlatformEnv() { RemoveTempDir(dir); }

  std::string name = UniqueCoreName();
  std::string dir = MakeTempDir("rt");
  std::string console = dir + "/console.log";

  LinuxPlatformOptions Options(
      std::chrono::milliseconds watchdog = std::chrono::milliseconds(1000)) const {
    LinuxPlatformOptions options;
    options.core.name = name;
    options.core.watchdog_timeout = watchdog;
    options.core.console_path = console;
    options.core.die_with_host = true;
    options.runtime_dir = dir;
    return options;
  }
};

}  // namespace tandem::linux_platform
