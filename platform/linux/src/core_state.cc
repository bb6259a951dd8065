#include "tandem/linux/core_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "number_text.h"
#include "tandem/linux/unique_fd.h"

namespace tandem::linux_platform {
namespace {
constexpr std::string_view kHeader = "tandem-core-state 1";
constexpr std::size_t kMaxStateFileSize = 16 * 1024;

bool ParseInt(std::string_view text, std::uint64_t max, std::uint64_t* out) {
  return ParseU64(text, out) && *out <= max;
}

// Splits on single spaces.
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    auto space = line.find(' ');
    words.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return words;
}

}  // namespace

bool IsValidCoreName(std::string_view name) {
  if (name.empty() || name.size() > 32 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string DefaultRuntimeDirectory() {
  if (const char* dir = std::getenv("TANDEM_RUNTIME_DIR"); dir != nullptr && dir[0] != '\0') {
    return dir;
  }
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/tandem";
  }
  return "/tmp/tandem-" + std::to_string(getuid());
}

Status EnsureRuntimeDirectory(const std::string& dir) {
  if (dir.empty()) return InvalidArgument("empty runtime directory");
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return FailedPrecondition("cannot create the runtime directory");
  }
  // lstat: a symlink planted in /tmp must not redirect our state files.
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPrecondition("runtime directory is not a directory");
  }
  if (st.st_uid != getuid()) return FailedPrecondition("runtime directory belongs to another user");
  return OkStatus();
}

std::string StateFilePath(const std::string& dir, const std::string& name) {
  return dir + "/" + name + ".state";
}

std::string FormatCoreState(const CoreState& state) {
  std::string out(kHeader);
  out += "\nname " + state.name;
  out += "\npid " + std::to_string(state.pid);
  out += "\nstart_time " + std::to_string(state.start_time);
  out += "\nentry " + Hex(state.entry);
  out += "\nwatchdog_ms " + std::to_string(state.watchdog_ms);
  out += "\nmailbox_fd " + std::to_string(state.mailbox_fd);
  if (state.rsc_table_size != 0) {
    out += "\nrsc_table " + Hex(state.rsc_table_da) + " " + Hex(state.rsc_table_size);
  }
  for (const auto& r : state.regions) {
    out += "\nregion " + std::to_string(r.core_fd) + " " + Hex(r.device_address) + " " +
           Hex(r.size) + " " + r.name;
  }
  out += "\n";
  return out;
}

Result<CoreState> ParseCoreState(std::string_view text) {
  if (text.size() > kMaxStateFileSize) return DataLoss("state file too large");
  CoreState state;
  bool first = true;
  unsigned seen = 0;  // bit per required key
  while (!text.empty()) {
    auto newline = text.find('\n');
    if (newline == std::string_view::npos) return DataLoss("state file: last line unterminated");
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    if (first) {
      if (line != kHeader) return DataLoss("state file: bad header or version");
      first = false;
      continue;
    }
    auto w = Words(line);
    std::uint64_t v = 0;
    if (w.size() == 2 && w[0] == "name") {
      if (!IsValidCoreName(w[1])) return DataLoss("state file: bad name");
      state.name = std::string(w[1]);
      seen |= 1;
    } else if (w.size() == 2 && w[0] == "pid") {
      if (!ParseInt(w[1], 0x7fffffff, &v) || v == 0) return DataLoss("state file: bad pid");
      state.pid = static_cast<pid_t>(v);
      seen |= 2;
    } else if (w.size() == 2 && w[0] == "start_time") {
      if (!ParseU64(w[1], &state.start_time)) return DataLoss("state file: bad start_time");
      seen |= 4;
    } else if (w.size() == 2 && w[0] == "entry") {
      if (!ParseU64(w[1], &state.entry)) return DataLoss("state file: bad entry");
      seen |= 8;
    } else if (w.size() == 2 && w[0] == "watchdog_ms") {
      if (!ParseInt(w[1], 0xffffffff, &v)) return DataLoss("state file: bad watchdog_ms");
      state.watchdog_ms = static_cast<std::uint32_t>(v);
      seen |= 16;
    } else if (w.size() == 2 && w[0] == "mailbox_fd") {
      if (!ParseInt(w[1], 1'000'000, &v)) return DataLoss("state file: bad mailbox_fd");
      state.mailbox_fd = static_cast<int>(v);
      seen |= 32;
    } else if (w.size() == 3 && w[0] == "rsc_table") {
      if (!ParseU64(w[1], &state.rsc_table_da) || !ParseU64(w[2], &state.rsc_table_size)) {
        return DataLoss("state file: bad rsc_table");
      }
    } else if ((w.size() == 4 || w.size() == 5) && w[0] == "region") {
      if (state.regions.size() >= kMaxStateRegions) return DataLoss("state file: too many regions");
      CoreStateRegion r;
      if (!ParseInt(w[1], 1'000'000, &v)) return DataLoss("state file: bad region fd");
      r.core_fd = static_cast<int>(v);
      if (!ParseU64(w[2], &r.device_address) || !ParseU64(w[3], &r.size) || r.size == 0) {
        return DataLoss("state file: bad region address or size");
      }
      if (w.size() == 5) r.name = std::string(w[4]);
      state.regions.push_back(std::move(r));
    } else {
      return DataLoss("state file: unknown or malformed line");
    }
  }
  if (first) return DataLoss("state file: empty");
  if (seen != 63) return DataLoss("state file: a required key is missing");
  return state;
}

Status WriteCoreState(const std::string& dir, const CoreState& state) {
  if (!IsValidCoreName(state.name)) return InvalidArgument("invalid core name");
  TANDEM_TRY(EnsureRuntimeDirectory(dir));
  const std::string path = StateFilePath(dir, state.name);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const std::string text = FormatCoreState(state);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return FailedPrecondition("cannot create the state file");
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  bool ok = done == text.size() && fsync(fd.get()) == 0;
  // Closed by hand: close() reports the last write-back errors, and a state
  // file that may be incomplete must not be renamed into place.
  ok = close(fd.release()) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return FailedPrecondition("cannot write the state file");
  }
  return OkStatus();
}

Result<CoreState> ReadCoreState(const std::string& dir, const std::string& name) {
  if (!IsValidCoreName(name)) return InvalidArgument("invalid core name");
  const std::string path = StateFilePath(dir, name);
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return NotFound(kNoStateFile);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxStateFileSize) break;
  }
  TANDEM_TRY_ASSIGN(CoreState state, ParseCoreState(text));
  if (state.name != name) return DataLoss("state file names another core");
  return state;
}

void RemoveCoreState(const std::string& dir, const std::string& name) {
  if (IsValidCoreName(name)) unlink(StateFilePath(dir, name).c_str());
}

Result<std::uint64_t> ProcessStartTime(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return NotFound("process does not exist");
  char buf[1024];
  const ssize_t n = read(fd.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return NotFound("process does not exist");
  std::string_view stat(buf, static_cast<std::size_t>(n));
  // Field 2 (comm) is in parentheses and may contain spaces: start after
  // the last ')'. Then field 3 is state; field 22 is starttime.
  auto paren = stat.rfind(')');
  if (paren == std::string_view::npos) return DataLoss("malformed /proc/<pid>/stat");
  stat.remove_prefix(paren + 1);
  auto first = stat.find_first_not_of(' ');
  if (first == std::string_view::npos) return DataLoss("malformed /proc/<pid>/stat");
  auto w = Words(stat.substr(first));
  constexpr std::size_t kStartTimeIndex = 22 - 3;  // w[0] is field 3
  std::uint64_t start = 0;
  if (w.size() <= kStartTimeIndex || !ParseU64(w[kStartTimeIndex], &start)) {
    return DataLoss("malformed /proc/<pid>/stat");
  }
  return start;
}

}  // namespace tandem::linux_platform
