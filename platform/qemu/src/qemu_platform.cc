#include "tandem/qemu/qemu_platform.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include "tandem/linux/deadline.h"
#include "tandem/qemu/boot_stub.h"
#include "tandem/qemu/word_stream.h"
#include "tandem/remoteproc/mailbox.h"

namespace tandem::qemu {
namespace {

using linux_platform::CoreProcess;
using linux_platform::InheritedFd;
using linux_platform::SharedMemory;
using linux_platform::UniqueFd;
using linux_platform::WaitStatus;
namespace mailbox = remoteproc::mailbox;

constexpr std::uint64_t kPage = 4096;
// After QEMU closed its end of the mailbox, how long we wait for it to end
// before ending it ourselves.
constexpr std::chrono::milliseconds kEndGrace{1000};

bool IsPowerOfTwo(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::uint32_t ReadLe32(const std::byte* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::string Hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(v));
  return text;
}

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// Writes all of `data` to a non-blocking fd, waiting for room up to
// `deadline`. kDeadlineExceeded if it stayed full, kAborted if the peer is
// gone.
Status WriteAll(int fd, const std::byte* data, std::size_t size,
                std::chrono::steady_clock::time_point deadline) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = send(fd, data + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Aborted("the QEMU mailbox socket is closed");
    }
    const auto slice = linux_platform::SleepSlice(deadline);
    if (slice.count() <= 0) return DeadlineExceeded("the QEMU mailbox stayed full");
    struct pollfd pfd = {fd, POLLOUT, 0};
    const auto ms = std::max<long long>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(slice).count());
    (void)poll(&pfd, 1, static_cast<int>(ms));
  }
  return OkStatus();
}

// The last non-empty line of `text`, for a crash message.
std::string LastLine(const std::string& text) {
  std::size_t end = text.find_last_not_of("\r\n");
  if (end == std::string::npos) return {};
  std::size_t begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  std::string line = text.substr(begin, end - begin + 1);
  // QEMU's text is ours to print, but keep it to printable ASCII anyway.
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '.';
  }
  return line;
}

// Passes QEMU's stderr on to ours, line by line (`pending` holds an
// incomplete last line; QEMU writes its "qemu-system-arm: " prefix and the
// message separately), without the one warning every MPS2 run prints: its
// LAN9118 has no network backend, on purpose. A line longer than 4 KiB is
// passed on in pieces.
void ForwardStderr(std::string& pending, std::string_view text, bool flush) {
  constexpr std::string_view kNoPeer = "warning: nic lan9118.0 has no peer";
  constexpr std::size_t kMaxLine = 4096;
  pending.append(text);
  std::string out;
  std::size_t begin = 0;
  for (;;) {
    std::size_t end = pending.find('\n', begin);
    if (end == std::string::npos) {
      if (begin >= pending.size()) break;
      if (!flush && pending.size() - begin < kMaxLine) break;
      end = pending.size() - 1;
    }
    const std::string_view line(pending.data() + begin, end - begin + 1);
    if (line.find(kNoPeer) == std::string_view::npos) out.append(line);
    begin = end + 1;
  }
  pending.erase(0, begin);
  if (!out.empty()) (void)write(STDERR_FILENO, out.data(), out.size());
}

}  // namespace

Result<std::string> QemuPlatform::FindQemu(const std::string& configured) {
  if (!configured.empty()) {
    if (Executable(configured)) return configured;
    return NotFound("qemu-system-arm not found at the configured path");
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/qemu-system-arm";
      if (Executable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return NotFound("qemu-system-arm not found on PATH (scripts/setup.sh cortex-m)");
}

Result<std::unique_ptr<QemuPlatform>> QemuPlatform::Create(QemuPlatformOptions options) {
  TANDEM_TRY_ASSIGN(std::string qemu, FindQemu(options.qemu_path));
  TANDEM_TRY_ASSIGN(SharedMemory ram, SharedMemory::Create("tandem-qemu-ram", kRamSize));
  if (ram.size() != kRamSize) return Internal("the board RAM has the wrong size");
  std::unique_ptr<QemuPlatform> platform(
      new QemuPlatform(std::move(options), std::move(qemu), std::move(ram)));
  platform->wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!platform->wake_fd_.valid()) return Unavailable("eventfd failed");
  return platform;
}

QemuPlatform::QemuPlatform(QemuPlatformOptions options, std::string qemu_path, SharedMemory ram)
    : options_(std::move(options)), qemu_path_(std::move(qemu_path)), ram_(std::move(ram)) {}

QemuPlatform::~QemuPlatform() {
  hosted::MutexGuard lock(control_mutex_);
  StopCore();
}

// --- Memory ---------------------------------------------------------------

Result<std::uint64_t> QemuPlatform::Allocate(std::uint64_t size, std::uint64_t align) const {
  std::vector<Allocation> sorted = allocations_;
  std::sort(sorted.begin(), sorted.end(),
            [](const Allocation& a, const Allocation& b) { return a.offset < b.offset; });
  std::uint64_t candidate = kPoolOffset;
  for (;;) {
    candidate = (candidate + align - 1) / align * align;
    if (candidate > kPoolEnd || size > kPoolEnd - candidate) {
      return ResourceExhausted("the board RAM pool has no room for the request");
    }
    bool moved = false;
    for (const Allocation& a : sorted) {
      if (candidate < a.offset + a.size && a.offset < candidate + size) {
        candidate = a.offset + a.size;
        moved = true;
        break;
      }
    }
    if (!moved) return candidate;
  }
}

Result<shm::Region> QemuPlatform::MapMemory(const remoteproc::MemoryRequest& request) {
  hosted::MutexGuard lock(control_mutex_);
  const std::uint64_t base = options_.board.ram_base;
  if (request.size == 0 || request.size > kRamSize) {
    return InvalidArgument("region size is zero or larger than the board RAM");
  }
  std::uint64_t offset = 0;
  if (request.device_address == remoteproc::kAnyAddress) {
    if (core_alive_) return FailedPrecondition("new memory needs a stopped core");
    const std::uint64_t align = std::max<std::uint64_t>(request.align, kPage);
    if (!IsPowerOfTwo(align)) return InvalidArgument("alignment is not a power of two");
    const std::uint64_t size = (request.size + kPage - 1) / kPage * kPage;
    TANDEM_TRY_ASSIGN(offset, Allocate(size, align));
    allocations_.push_back({offset, size});
  } else {
    const std::uint64_t da = request.device_address;
    if (da < base || da - base >= kRamSize || request.size > kRamSize - (da - base)) {
      return OutOfRange("device address range outside the board RAM");
    }
    offset = da - base;
    if (offset + request.size > kBoardPageOffset) {
      return OutOfRange("device address range in the board page (the watchdog counter)");
    }
    const Allocation* holder = nullptr;
    for (const Allocation& a : allocations_) {
      const bool overlaps = offset < a.offset + a.size && a.offset < offset + request.size;
      if (!overlaps) continue;
      if (offset >= a.offset && offset + request.size <= a.offset + a.size) {
        holder = &a;
        continue;
      }
      return AlreadyExists("region overlaps one mapped before");
    }
    if (holder == nullptr) {
      if (core_alive_) return FailedPrecondition("new memory needs a stopped core");
      allocations_.push_back({offset, request.size});
      std::memset(ram_.data() + offset, 0, request.size);
    }
    return shm::Region::Create(ram_.data() + offset, request.size, da);
  }
  std::memset(ram_.data() + offset, 0, allocations_.back().size);
  return shm::Region::Create(ram_.data() + offset, request.size, base + offset);
}

void QemuPlatform::ReleaseMemory() {
  // The RAM stays mapped (it is the board's); only the bookkeeping goes.
  hosted::MutexGuard lock(control_mutex_);
  allocations_.clear();
}

// --- Core -----------------------------------------------------------------

Status QemuPlatform::CheckVectorTable(std::uint64_t entry) const {
  const std::uint64_t base = options_.board.ram_base;
  const std::uint64_t image = base + kImageOffset;
  if (entry < image || entry >= image + kImageSize - kTraceSize) {
    return InvalidArgument("the entry is outside the image carve-out");
  }
  const std::uint32_t sp = ReadLe32(ram_.data() + kImageOffset);
  const std::uint32_t reset = ReadLe32(ram_.data() + kImageOffset + 4);
  if (sp <= base || sp > base + kRamSize || (sp & 3u) != 0) {
    return InvalidArgument(
        "the image's initial stack pointer is not in the board RAM: no vector table at the image "
        "base?");
  }
  if (reset != entry) {
    return InvalidArgument("the image's reset vector (at the image base + 4) is not the ELF entry");
  }
  return OkStatus();
}

Status QemuPlatform::Start(std::uint64_t entry) {
  if (OnEventThread()) return FailedPrecondition("Start from a platform callback");
  hosted::MutexGuard lock(control_mutex_);
  if (core_alive_) return FailedPrecondition("QEMU already runs");
  StopCore();  // what a reset from a callback left behind
  TANDEM_TRY(CheckVectorTable(entry));
  TANDEM_TRY_ASSIGN(
      std::vector<std::byte> flash,
      MakeBootFlash(options_.board.ram_base + kImageOffset, static_cast<std::uint32_t>(entry)));
  UniqueFd flash_fd(memfd_create("tandem-qemu-flash", MFD_CLOEXEC));
  if (!flash_fd.valid() ||
      write(flash_fd.get(), flash.data(), flash.size()) != static_cast<ssize_t>(flash.size())) {
    return Unavailable("cannot write the boot stub");
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Unavailable("socketpair failed");
  }
  UniqueFd host_end(sv[0]);
  UniqueFd qemu_end(sv[1]);
  if (fcntl(host_end.get(), F_SETFL, O_NONBLOCK) != 0) return Unavailable("fcntl failed");
  int pv[2];
  if (pipe2(pv, O_CLOEXEC) != 0) return Unavailable("pipe2 failed");
  UniqueFd err_read(pv[0]);
  UniqueFd err_write(pv[1]);
  if (fcntl(err_read.get(), F_SETFL, O_NONBLOCK) != 0) return Unavailable("fcntl failed");
  UniqueFd console_fd;
  if (options_.console_path.empty()) {
    console_fd.reset(fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
  } else {
    console_fd.reset(open(options_.console_path.c_str(),
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644));
  }
  if (!console_fd.valid()) return Unavailable("cannot open the console for UART0");

  const std::array<int, 4> host_fds = {ram_.fd(), flash_fd.get(), qemu_end.get(), console_fd.get()};
  const std::vector<int> child = linux_platform::ChildFdNumbers(host_fds);
  std::vector<InheritedFd> fds;
  for (std::size_t i = 0; i < host_fds.size(); ++i) fds.push_back({host_fds[i], child[i]});
  fds.push_back({err_write.get(), STDERR_FILENO});  // last: the others took fd 2's copy first
  const auto proc_fd = [](int fd) { return "/proc/self/fd/" + std::to_string(fd); };
  std::vector<std::string> args = {
      "-machine",
      std::string(options_.board.machine) + ",memory-backend=tandem-ram",
      "-object",
      "memory-backend-file,id=tandem-ram,mem-path=" + proc_fd(child[0]) +
          ",share=on,size=" + std::to_string(kRamSize),
      "-kernel",
      proc_fd(child[1]),
      "-nodefaults",
      "-display",
      "none",
      "-monitor",
      "none",
      "-nic",
      "none",
      "-no-reboot",
      "-chardev",
      "file,id=tandem-console,append=on,path=" + proc_fd(child[3]),
      "-serial",
      "chardev:tandem-console",
      "-chardev",
      "socket,id=tandem-mailbox,fd=" + std::to_string(child[2]),
      "-serial",
      "chardev:tandem-mailbox",
  };
  last_command_ = args;
  std::memset(ram_.data() + kWatchdogCounterOffset, 0, 4);
  {
    hosted::MutexGuard state(mutex_);
    backlog_.clear();
    stderr_tail_.clear();
  }
  TANDEM_TRY_ASSIGN(CoreProcess process, CoreProcess::Spawn(qemu_path_, args, fds));
  process_ = std::move(process);
  qemu_pid_ = process_.pid();
  {
    hosted::WriterGuard writer(mailbox_mutex_);
    mailbox_ = std::move(host_end);
  }
  stderr_pipe_ = std::move(err_read);
  std::uint64_t drain = 0;
  while (read(wake_fd_.get(), &drain, sizeof(drain)) > 0) {
  }
  reset_requested_ = false;
  core_alive_ = true;
  event_thread_ = std::thread([this] { EventLoop(); });
  return OkStatus();
}

void QemuPlatform::StopCore() {
  if (process_.valid() && !OnEventThread()) {
    reset_requested_ = true;
    process_.Kill();
  }
  if (event_thread_.joinable() && !OnEventThread()) {
    const std::uint64_t one = 1;
    (void)write(wake_fd_.get(), &one, sizeof(one));
    event_thread_.join();
  }
  if (OnEventThread()) return;
  if (process_.valid()) {
    (void)process_.WaitForEnd(kEndGrace);
    (void)process_.Reap();
    process_ = CoreProcess();
    qemu_pid_ = 0;
    hosted::MutexGuard state(mutex_);
    if (core_alive_) {  // the event loop did not see the end: ours
      host::CoreExit exit;
      exit.reason = host::CoreExitReason::kReset;
      exit.signal = SIGKILL;
      exit.text = "reset by the host";
      exit.when = std::chrono::steady_clock::now();
      last_exit_ = exit;
    }
  }
  core_alive_ = false;
  control_cv_.NotifyAll();
  {
    hosted::WriterGuard writer(mailbox_mutex_);
    mailbox_.reset();
  }
  stderr_pipe_.reset();
}

Status QemuPlatform::Reset() {
  if (OnEventThread()) {
    // From a callback: end QEMU; the event loop sees it and returns, and
    // the next Start (or destruction) joins it.
    reset_requested_ = true;
    if (process_.valid()) process_.Kill();
    return OkStatus();
  }
  hosted::MutexGuard lock(control_mutex_);
  StopCore();
  return OkStatus();
}

bool QemuPlatform::IsRunning() const { return core_alive_.load(); }

std::optional<host::CoreExit> QemuPlatform::last_exit() const {
  hosted::MutexGuard state(mutex_);
  return last_exit_;
}

std::vector<std::string> QemuPlatform::last_command() const {
  hosted::MutexGuard lock(control_mutex_);
  return last_command_;
}

// --- Mailbox --------------------------------------------------------------

Status QemuPlatform::Send(std::uint32_t message) {
  if (!WordAssembler::IsMessage(message)) {
    return InvalidArgument("not a mailbox message (a notifyid < 64, a control word or an event)");
  }
  hosted::ReaderGuard reader(mailbox_mutex_);
  if (!core_alive_ || !mailbox_.valid()) return Aborted("QEMU is not running");
  const std::byte word[4] = {
      static_cast<std::byte>(message & 0xFF), static_cast<std::byte>((message >> 8) & 0xFF),
      static_cast<std::byte>((message >> 16) & 0xFF), static_cast<std::byte>(message >> 24)};
  hosted::MutexGuard send(send_mutex_);
  TANDEM_TRY(WriteAll(mailbox_.get(), word, sizeof(word),
                      linux_platform::SaturatingDeadline(options_.send_timeout)));
  words_sent_.fetch_add(1);
  return OkStatus();
}

Status QemuPlatform::WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) {
  if (OnEventThread()) return FailedPrecondition("WaitForControl from a platform callback");
  const auto deadline = linux_platform::SaturatingDeadline(std::chrono::milliseconds(timeout_ms));
  hosted::MutexGuard lock(mutex_);
  for (;;) {
    auto it = std::find(backlog_.begin(), backlog_.end(), message);
    if (it != backlog_.end()) {
      backlog_.erase(it);
      return OkStatus();
    }
    if (!core_alive_) return Aborted("QEMU is not running (it ended or was never started)");
    if (!control_cv_.WaitUntil(mutex_, deadline) &&
        std::find(backlog_.begin(), backlog_.end(), message) == backlog_.end()) {
      return DeadlineExceeded("the remote did not send the control message in time");
    }
  }
}

void QemuPlatform::Dispatch(std::uint32_t word) {
  words_received_.fetch_add(1);
  if (word < mailbox::kMaxNotifyIds) {
    if (callbacks_.notify) callbacks_.notify(word);
    return;
  }
  if (mailbox::IsEvent(word)) {  // nobody waits for one: straight to the callback
    if (callbacks_.control) callbacks_.control(word);
    return;
  }
  {
    hosted::MutexGuard lock(mutex_);
    backlog_.push_back(word);
    while (backlog_.size() > kControlBacklog) backlog_.pop_front();
  }
  control_cv_.NotifyAll();
  if (callbacks_.control) callbacks_.control(word);
}

void QemuPlatform::CoreEnded(host::CoreExit exit) {
  {
    hosted::MutexGuard lock(mutex_);
    last_exit_ = exit;
  }
  core_alive_ = false;
  control_cv_.NotifyAll();
  if (exit.reason != host::CoreExitReason::kReset && callbacks_.crash) callbacks_.crash(exit);
}

void QemuPlatform::EventLoop() {
  event_thread_id_ = std::this_thread::get_id();
  int mbox_fd = -1;
  {
    hosted::ReaderGuard reader(mailbox_mutex_);
    mbox_fd = mailbox_.get();
  }
  int err_fd = stderr_pipe_.get();
  const int pid_fd = process_.pidfd();
  WordAssembler words;
  std::array<std::byte, 4096> buffer;
  std::optional<std::chrono::steady_clock::time_point> eof_since;
  std::string stderr_line;  // QEMU's stderr: an incomplete last line
  // The watchdog: the counter in the board page, read with relaxed atomic
  // loads (the emulated core writes it; any value is fine, only change
  // matters).
  const auto* counter =
      reinterpret_cast<const std::atomic<std::uint32_t>*>(ram_.data() + kWatchdogCounterOffset);
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
  std::uint32_t last_pet = counter->load(std::memory_order_relaxed);
  auto last_pet_time = std::chrono::steady_clock::now();
  const auto watchdog_expired = [&] {
    if (options_.watchdog.count() <= 0) return false;
    const std::uint32_t now_pet = counter->load(std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    if (now_pet != last_pet) {
      last_pet = now_pet;
      last_pet_time = now;
      return false;
    }
    return now - last_pet_time > options_.watchdog;
  };

  const auto read_mailbox = [&]() -> bool {  // false: the stream is corrupt
    for (;;) {
      const ssize_t n = recv(mbox_fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n > 0) {
        if (!words.Feed(std::span<const std::byte>(buffer.data(), static_cast<std::size_t>(n)),
                        [this](std::uint32_t w) { Dispatch(w); })) {
          return false;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {  // QEMU closed its end: it is ending
        mbox_fd = -1;
        eof_since = std::chrono::steady_clock::now();
      }
      return true;
    }
  };
  const auto read_stderr = [&] {
    for (;;) {
      const ssize_t n = read(err_fd, buffer.data(), buffer.size());
      if (n > 0) {
        ForwardStderr(stderr_line,
                      std::string_view(reinterpret_cast<const char*>(buffer.data()),
                                       static_cast<std::size_t>(n)),
                      false);
        hosted::MutexGuard lock(mutex_);
        stderr_tail_.append(reinterpret_cast<const char*>(buffer.data()),
                            static_cast<std::size_t>(n));
        if (stderr_tail_.size() > kStderrTail) {
          stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        err_fd = -1;
        ForwardStderr(stderr_line, {}, true);
      }
      return;
    }
  };
  const auto ended = [&](host::CoreExitReason reason, std::string text) {
    host::CoreExit exit;
    exit.reason = reason;
    exit.text = std::move(text);
    exit.when = std::chrono::steady_clock::now();
    return exit;
  };

  for (;;) {
    std::array<struct pollfd, 4> fds = {{{mbox_fd, POLLIN, 0},
                                         {pid_fd, POLLIN, 0},
                                         {err_fd, POLLIN, 0},
                                         {wake_fd_.get(), POLLIN, 0}}};
    const int n = poll(fds.data(), fds.size(), static_cast<int>(kIdlePeriod.count()));
    if (n < 0 && errno != EINTR) break;
    if (n == 0) {
      if (callbacks_.idle && core_alive_) callbacks_.idle();
    }
    if (!reset_requested_ && watchdog_expired()) {
      process_.Kill();
      (void)process_.WaitForEnd(kEndGrace);
      host::CoreExit exit = ended(
          host::CoreExitReason::kWatchdog,
          "no watchdog pet for " + std::to_string(options_.watchdog.count()) + " ms: QEMU killed");
      exit.signal = SIGKILL;
      CoreEnded(std::move(exit));
      break;
    }
    if (n <= 0) {
      if (eof_since && std::chrono::steady_clock::now() - *eof_since > kEndGrace) {
        process_.Kill();  // closed the mailbox but did not end: make it end
      }
      continue;
    }
    if ((fds[3].revents & POLLIN) != 0) break;  // StopCore: it kills and reaps
    if (mbox_fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      if (!read_mailbox()) {
        process_.Kill();
        (void)process_.WaitForEnd(kEndGrace);
        CoreEnded(ended(host::CoreExitReason::kProtocolError,
                        "the mailbox stream from QEMU is corrupt (word " + Hex(words.bad_word()) +
                            "): QEMU killed"));
        break;
      }
    }
    if (err_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP)) != 0) read_stderr();
    if ((fds[1].revents & POLLIN) != 0) {
      // QEMU ended. Everything it sent before is dispatched first.
      if (mbox_fd >= 0 && !read_mailbox()) {
        CoreEnded(
            ended(host::CoreExitReason::kProtocolError,
                  "the mailbox stream from QEMU is corrupt (word " + Hex(words.bad_word()) + ")"));
        break;
      }
      if (err_fd >= 0) read_stderr();
      if (reset_requested_) {
        CoreEnded(ended(host::CoreExitReason::kReset, "reset by the host"));
        break;
      }
      const WaitStatus status = process_.Reap();
      std::string tail;
      {
        hosted::MutexGuard lock(mutex_);
        tail = LastLine(stderr_tail_);
      }
      host::CoreExit exit;
      if (status.kind == WaitStatus::Kind::kSignaled) {
        exit = ended(host::CoreExitReason::kSignaled,
                     "QEMU was killed by signal " + std::to_string(status.value));
        exit.signal = status.value;
      } else {
        exit = ended(host::CoreExitReason::kExited,
                     "QEMU exited with status " + std::to_string(status.value));
        exit.exit_code = status.value;
        // QEMU ends with 0 for a shutdown request too (-no-reboot turns a
        // reset request into one): for the host the core is gone either way.
        if (exit.exit_code == 0) exit.exit_code = 1;
      }
      if (!tail.empty()) exit.text += ": " + tail;
      CoreEnded(std::move(exit));
      break;
    }
  }
  ForwardStderr(stderr_line, {}, true);
  event_thread_id_ = std::thread::id();
}

// --- Callbacks and the rest -------------------------------------------------

Status QemuPlatform::SetEventCallbacks(EventCallbacks callbacks) {
  hosted::MutexGuard lock(control_mutex_);
  if (core_alive_ || event_thread_.joinable()) {
    return FailedPrecondition("callbacks are set while no core runs");
  }
  callbacks_ = std::move(callbacks);
  return OkStatus();
}

Result<shm::Region> QemuPlatform::LoadedResourceTable() {
  return NotFound("the QEMU platform cannot attach to a running remote");
}

Status QemuPlatform::SetLoadedResourceTable(std::uint64_t, std::uint64_t) { return OkStatus(); }

Status QemuPlatform::Detach() {
  return FailedPrecondition("the QEMU platform cannot detach: QEMU ends with the host");
}

Status QemuPlatform::AttachExisting(std::string_view) {
  return NotFound("the QEMU platform cannot attach to a running remote");
}

}  // namespace tandem::qemu
