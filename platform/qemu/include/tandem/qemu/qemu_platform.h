#pragma once
// QemuPlatform: host::HostPlatform whose remote is a Cortex-M firmware ELF
// executed by qemu-system-arm on an MPS2 board, driven by this host process
// as Linux's remoteproc drives an M core (docs/qemu.md).
//
//   memory   the board's 16 MiB RAM is a memfd created here and given to
//            QEMU as its main RAM (-object memory-backend-file,share=on,
//            mem-path=/proc/self/fd/N; -machine ...,memory-backend=ram).
//            MapMemory hands out views of it: fixed device addresses inside
//            the RAM window, kAnyAddress first fit from the pool
//            (board.h); each range is zero-filled when handed out. The
//            host's RemoteProc loads the ELF segments into it itself.
//   start    Start(entry) checks the image's vector table at the start of
//            the image carve-out (initial SP inside the RAM, reset vector ==
//            entry), writes the boot stub (boot_stub.h) into a memfd QEMU
//            loads as its -kernel, and spawns QEMU (CoreProcess: pidfd,
//            own session, only the listed fds inherited).
//   mailbox  UART1 of the board is a socket chardev over a socketpair whose
//            other end the host owns: 4 bytes per 32-bit message, little-
//            endian (board.h). The firmware takes them in its UART receive
//            interrupt and sleeps in WFI between messages.
//   console  UART0, to options.console_path (appended) or the host's stderr.
//   crash    QEMU's end (a lockup is "qemu: fatal: Lockup", which exits),
//            a corrupt mailbox stream (QEMU is killed: kProtocolError), a
//            watchdog counter (board page) that stops (killed: kWatchdog) ->
//            the crash callback, with QEMU's last stderr line in the text.
//            A HardFault is reported by the firmware as kCrash (a control
//            message: the Session treats it as a crash) before it halts.
//   stop     RemoteProc's handshake (kShutdown / kShutdownAck) over the
//            mailbox, then Reset(): SIGKILL to QEMU, reaped.
//
// Not supported (yet): Detach/attach (QEMU's lifetime is this object's;
// AttachExisting is kNotFound, Detach kFailedPrecondition).
//
// Everything that comes from QEMU (the RAM's contents, the stream, its exit)
// is untrusted: every wait is bounded, every word is checked.
//
// Threading contract: as host::HostPlatform. Callbacks run on the event
// thread (started by Start, ended by Reset/destruction), one at a time,
// with no lock of the platform held; they may call Send() and Reset().
// Send: any thread, serialized internally. WaitForControl: any thread but
// the event thread. The rest: the controlling thread.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tandem/base/result.h"
#include "tandem/base/thread_annotations.h"
#include "tandem/host/host_platform.h"
#include "tandem/hosted/mutex.h"
#include "tandem/linux/core_process.h"
#include "tandem/linux/shared_memory.h"
#include "tandem/linux/unique_fd.h"
#include "tandem/qemu/board.h"

namespace tandem::qemu {

// A board QEMU models, as this platform runs it.
struct Mps2Board {
  const char* machine;  // -machine
  std::uint32_t ram_base;
};
inline constexpr Mps2Board kMps2An385 = {"mps2-an385", kAn385RamBase};  // Cortex-M3
inline constexpr Mps2Board kMps2An386 = {"mps2-an386", kAn385RamBase};  // Cortex-M4
inline constexpr Mps2Board kMps2An500 = {"mps2-an500", kAn500RamBase};  // Cortex-M7

struct QemuPlatformOptions {
  std::string name = "rproc0";  // for messages
  Mps2Board board = kMps2An385;
  // qemu-system-arm; empty: found on PATH.
  std::string qemu_path;
  // UART0 (the firmware's console), appended to; empty: the host's stderr.
  std::string console_path;
  // How long Send waits for room in the socket.
  std::chrono::milliseconds send_timeout{1000};
  // The core is reset (a crash, CoreExitReason::kWatchdog) when the
  // watchdog counter in the board page (board.h) does not move for this
  // long; 0: off. Checked at least every kIdlePeriod. Generous: TCG on a
  // loaded machine can stall the emulated core for a while.
  std::chrono::milliseconds watchdog{2000};
};

class QemuPlatform final : public host::HostPlatform {
 public:
  using NotifyCallback = host::HostPlatform::NotifyCallback;
  using ControlCallback = host::HostPlatform::ControlCallback;
  using CrashCallback = host::HostPlatform::CrashCallback;
  using IdleCallback = host::HostPlatform::IdleCallback;
  static constexpr std::chrono::milliseconds kIdlePeriod{100};
  static constexpr std::size_t kControlBacklog = 64;
  // QEMU's stderr kept for the crash text.
  static constexpr std::size_t kStderrTail = 4096;

  // kNotFound if qemu-system-arm is not there; kUnavailable if the RAM
  // cannot be created.
  static Result<std::unique_ptr<QemuPlatform>> Create(QemuPlatformOptions options = {});
  ~QemuPlatform() override;
  QemuPlatform(const QemuPlatform&) = delete;
  QemuPlatform& operator=(const QemuPlatform&) = delete;

  // Where qemu-system-arm is: options.qemu_path, or the first on PATH.
  static Result<std::string> FindQemu(const std::string& configured);

  // remoteproc::Platform.
  Result<shm::Region> MapMemory(const remoteproc::MemoryRequest& request) override;
  void ReleaseMemory() override;
  Status Start(std::uint64_t entry) override;
  Status Reset() override;
  //   kAborted           QEMU is not running (or died)
  //   kDeadlineExceeded  the socket stayed full for send_timeout
  //   kInvalidArgument   neither a notifyid < 64 nor a control word
  Status Send(std::uint32_t message) override;
  Status WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) override;
  Result<shm::Region> LoadedResourceTable() override;

  // host::HostPlatform.
  Status SetEventCallbacks(EventCallbacks callbacks) override;
  bool IsRunning() const override;
  std::optional<host::CoreExit> last_exit() const override;
  Status SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) override;
  Status Detach() override;
  bool SupportsDetach() const override { return false; }
  Status AttachExisting(std::string_view name) override;

  const QemuPlatformOptions& options() const { return options_; }
  const std::string& qemu_path() const { return qemu_path_; }
  // QEMU's pid while it runs (0 otherwise); any thread.
  pid_t qemu_pid() const { return qemu_pid_.load(); }
  // The command line of the last Start (argv[1..]), for logs and tests.
  std::vector<std::string> last_command() const;
  // Mailbox words received / sent since Create.
  std::uint64_t words_received() const { return words_received_.load(); }
  std::uint64_t words_sent() const { return words_sent_.load(); }

 private:
  struct Allocation {
    std::uint64_t offset;
    std::uint64_t size;
  };

  QemuPlatform(QemuPlatformOptions options, std::string qemu_path,
               linux_platform::SharedMemory ram);
  bool OnEventThread() const { return std::this_thread::get_id() == event_thread_id_.load(); }
  Status CheckVectorTable(std::uint64_t entry) const;
  Result<std::uint64_t> Allocate(std::uint64_t size, std::uint64_t align) const
      TANDEM_REQUIRES(control_mutex_);
  void EventLoop();
  void Dispatch(std::uint32_t word);
  // Ends QEMU (SIGKILL) and joins the event thread; records `exit`.
  void StopCore() TANDEM_REQUIRES(control_mutex_);
  // Called on the event thread when the run ended (QEMU's end, a bad
  // stream): marks the core dead, wakes waiters, calls the crash callback.
  void CoreEnded(host::CoreExit exit);

  QemuPlatformOptions options_;
  std::string qemu_path_;
  linux_platform::SharedMemory ram_;  // the board's RAM, kRamSize

  mutable hosted::Mutex control_mutex_;
  std::vector<Allocation> allocations_ TANDEM_GUARDED_BY(control_mutex_);
  std::vector<std::string> last_command_ TANDEM_GUARDED_BY(control_mutex_);

  // Set only while the event thread is not running; read by it.
  EventCallbacks callbacks_;

  // The run: the process, the host's end of the mailbox socket, the read
  // end of QEMU's stderr. Replaced by Start, closed by StopCore, both under
  // control_mutex_ and, for the socket Send writes to, mailbox_mutex_
  // exclusively.
  linux_platform::CoreProcess process_;
  hosted::SharedMutex mailbox_mutex_ TANDEM_ACQUIRED_AFTER(control_mutex_);
  linux_platform::UniqueFd mailbox_ TANDEM_GUARDED_BY(mailbox_mutex_);
  hosted::Mutex send_mutex_ TANDEM_ACQUIRED_AFTER(mailbox_mutex_);  // whole words, in order
  linux_platform::UniqueFd stderr_pipe_;
  linux_platform::UniqueFd wake_fd_;  // eventfd: ends the event loop

  mutable hosted::Mutex mutex_;  // backlog_, last_exit_ (with waits)
  hosted::CondVar control_cv_;
  std::deque<std::uint32_t> backlog_ TANDEM_GUARDED_BY(mutex_);
  std::optional<host::CoreExit> last_exit_ TANDEM_GUARDED_BY(mutex_);
  std::string stderr_tail_ TANDEM_GUARDED_BY(mutex_);
  std::atomic<bool> core_alive_{false};
  std::atomic<bool> reset_requested_{false};
  std::atomic<std::uint64_t> words_received_{0};
  std::atomic<std::uint64_t> words_sent_{0};
  std::atomic<pid_t> qemu_pid_{0};

  std::thread event_thread_;
  std::atomic<std::thread::id> event_thread_id_{};
};

}  // namespace tandem::qemu
