// Where the tandem-core launcher is, compiled twice (platform/linux/CMakeLists.txt):
// the build tree's library points at the launcher built next to it; the
// installed one looks next to the running program first (an installed
// bin/tandem finds ../libexec/tandem/tandem-core wherever the tree was
// installed or moved), then at the configured $libexecdir. A static library
// cannot find its own location at run time, so the choice is made when it
// is compiled. $TANDEM_CORE overrides both.
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>

#include "tandem/linux/simulated_core.h"

#ifndef TANDEM_CORE_DEFAULT_PATH
#error "TANDEM_CORE_DEFAULT_PATH must name the tandem-core launcher"
#endif

namespace tandem::linux_platform {

namespace {

#ifdef TANDEM_CORE_FROM_PROGRAM_DIR
// TANDEM_CORE_FROM_PROGRAM_DIR relative to the running program's directory,
// if that file is executable.
std::string NextToProgram() {
  std::array<char, 4096> exe{};
  const ssize_t n = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (n <= 0) return {};
  std::string path(exe.data(), static_cast<std::size_t>(n));
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  path.resize(slash + 1);
  path += TANDEM_CORE_FROM_PROGRAM_DIR;
  return ::access(path.c_str(), X_OK) == 0 ? path : std::string{};
}
#endif

}  // namespace

std::string DefaultLauncherPath() {
  if (const char* env = std::getenv("TANDEM_CORE"); env != nullptr && env[0] != '\0') return env;
#ifdef TANDEM_CORE_FROM_PROGRAM_DIR
  if (std::string near = NextToProgram(); !near.empty()) return near;
#endif
  return TANDEM_CORE_DEFAULT_PATH;
}

}  // namespace tandem::linux_platform
