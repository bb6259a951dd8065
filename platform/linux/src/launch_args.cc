#include "tandem/linux/launch_args.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "number_text.h"
#include "tandem/base/checked_math.h"
#include "tandem/simulated_board/memory_map.h"

namespace tandem::linux_platform {
namespace {
bool ParseFd(std::string_view text, int* out) {
  std::uint64_t value;
  if (!ParseU64(text, &value) || value > 1'000'000) return false;
  *out = static_cast<int>(value);
  return true;
}

// Splits "a:b:c" into at most `max` fields (the last keeps any colons).
std::vector<std::string_view> Split(std::string_view text, std::size_t max) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < max) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) break;
    fields.push_back(text.substr(0, colon));
    text.remove_prefix(colon + 1);
  }
  fields.push_back(text);
  return fields;
}

Status ParseRegion(std::string_view text, LaunchRegion* region) {
  auto f = Split(text, 5);
  if (f.size() < 4) return InvalidArgument("--region needs fd:offset:size:device_address");
  if (!ParseFd(f[0], &region->fd)) return InvalidArgument("--region: bad file descriptor");
  if (!ParseU64(f[1], &region->offset) || !ParseU64(f[2], &region->size) ||
      !ParseU64(f[3], &region->device_address)) {
    return InvalidArgument("--region: bad number");
  }
  if (f.size() == 5) region->label = SanitizeLabel(std::string(f[4]));
  return OkStatus();
}

Status Validate(const LaunchArgs& args) {
  if (args.name.empty()) return InvalidArgument("--name is required");
  if (args.mailbox_fd < 0) return InvalidArgument("--mailbox is required");
  if (args.regions.empty()) return InvalidArgument("at least one --region is required");
  std::vector<const LaunchRegion*> sorted;
  for (const auto& r : args.regions) {
    if (!simulated_board::InDeviceWindow(r.device_address, r.size)) {
      return OutOfRange("region outside the device window 0x10000000..0x3FFFFFFF");
    }
    if (r.device_address % simulated_board::kPageSize != 0 ||
        r.size % simulated_board::kPageSize != 0 || r.offset % simulated_board::kPageSize != 0) {
      return InvalidArgument("region address, size and offset must be page-aligned");
    }
    sorted.push_back(&r);
  }
  std::sort(sorted.begin(), sorted.end(), [](const LaunchRegion* a, const LaunchRegion* b) {
    return a->device_address < b->device_address;
  });
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    // In the window, so the sum cannot overflow.
    if (sorted[i - 1]->device_address + sorted[i - 1]->size > sorted[i]->device_address) {
      return InvalidArgument("regions overlap");
    }
  }
  bool entry_mapped = std::any_of(args.regions.begin(), args.regions.end(), [&](const auto& r) {
    return args.entry >= r.device_address && args.entry - r.device_address < r.size;
  });
  if (!entry_mapped) return OutOfRange("entry point is outside every region");
  return OkStatus();
}

}  // namespace

std::string SanitizeLabel(const std::string& label) {
  std::string out = label.substr(0, 32);
  for (char& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

std::vector<std::string> FormatLaunchArgs(const LaunchArgs& args) {
  std::vector<std::string> out = {"--name", args.name, "--mailbox",
                                  std::to_string(args.mailbox_fd)};
  for (const auto& r : args.regions) {
    std::string spec = std::to_string(r.fd) + ":" + Hex(r.offset) + ":" + Hex(r.size) + ":" +
                       Hex(r.device_address);
    if (!r.label.empty()) spec += ":" + SanitizeLabel(r.label);
    out.push_back("--region");
    out.push_back(spec);
  }
  out.push_back("--entry");
  out.push_back(Hex(args.entry));
  if (!args.console_path.empty()) {
    out.push_back("--console");
    out.push_back(args.console_path);
  }
  if (args.die_with_parent > 0) {
    out.push_back("--die-with-parent");
    out.push_back(std::to_string(args.die_with_parent));
  }
  if (args.spin_ns >= 0) {
    out.push_back("--spin-ns");
    out.push_back(std::to_string(args.spin_ns));
  }
  return out;
}

Result<LaunchArgs> ParseLaunchArgs(int argc, const char* const* argv) {
  LaunchArgs args;
  bool have_entry = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return InvalidArgument("option without a value");
    std::string_view value = argv[++i];
    if (flag == "--name") {
      if (value.empty() || value.size() > 64) return InvalidArgument("--name: empty or too long");
      args.name = std::string(value);
    } else if (flag == "--mailbox") {
      if (!ParseFd(value, &args.mailbox_fd))
        return InvalidArgument("--mailbox: bad file descriptor");
    } else if (flag == "--region") {
      LaunchRegion region;
      TANDEM_TRY(ParseRegion(value, &region));
      args.regions.push_back(std::move(region));
    } else if (flag == "--entry") {
      if (!ParseU64(value, &args.entry)) return InvalidArgument("--entry: bad address");
      have_entry = true;
    } else if (flag == "--console") {
      if (value.empty()) return InvalidArgument("--console: empty path");
      args.console_path = std::string(value);
    } else if (flag == "--die-with-parent") {
      std::uint64_t pid;
      if (!ParseU64(value, &pid) || pid == 0 || pid > 0x7fffffff) {
        return InvalidArgument("--die-with-parent: bad pid");
      }
      args.die_with_parent = static_cast<int>(pid);
    } else if (flag == "--spin-ns") {
      std::uint64_t ns;
      if (!ParseU64(value, &ns) || ns > 1'000'000'000)
        return InvalidArgument("--spin-ns: bad value");
      args.spin_ns = static_cast<std::int64_t>(ns);
    } else {
      return InvalidArgument("unknown option");
    }
  }
  if (!have_entry) return InvalidArgument("--entry is required");
  TANDEM_TRY(Validate(args));
  return args;
}

}  // namespace tandem::linux_platform
