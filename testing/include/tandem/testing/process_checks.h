#pragma once
// Checks on the test process itself, shared by the host and integration
// tests (header-only, Linux):
//   FinishesWithin - runs a call and ends the whole binary if it does not
//                    return in time: a deadlock fails the test instead of
//                    hanging the suite;
//   FdList         - the open file descriptors and what they point to, for
//                    the message of a failed leak check.

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

namespace tandem::testing {

template <typename Fn>
void FinishesWithin(std::chrono::seconds limit, const char* what, Fn fn) {
  std::packaged_task<void()> task(std::move(fn));
  auto done = task.get_future();
  std::thread t(std::move(task));
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "%s did not finish in %llds: deadlock\n", what,
                 static_cast<long long>(limit.count()));
    std::_Exit(1);
  }
  t.join();
}

inline std::string FdList() {
  std::string out;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      char target[256] = {};
      const std::string link = std::string("/proc/self/fd/") + e->d_name;
      if (readlink(link.c_str(), target, sizeof(target) - 1) > 0) {
        out += std::string(e->d_name) + " -> " + target + "\n";
      }
    }
    closedir(d);
  }
  return out;
}

}  // namespace tandem::testing
