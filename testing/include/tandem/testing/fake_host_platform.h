#pragma once
// FakeHostPlatform: a host::HostPlatform with no processes, for Session
// tests (host/session_test.cc). The "core" is a thread of the test process
// running the remote half of the link (vdev::RemoteLink + rpmsg::RemoteBus)
// with one echo service announced through the name service; its memory is
// remoteproc::testing::FakePlatform's banks (ordinary memory), laid out as
// test_firmware.h's link layout (LinkFirmware()); the mailbox is two
// in-process queues.
//
//   Start(entry)   a new core thread boots from the loaded table the host
//                  recorded (SetLoadedResourceTable) and an event thread
//                  dispatches what the core sends (as LinuxPlatform's)
//   Reset()        both threads end; the core's last_exit() is kReset
//   Detach()       the event thread ends, the core thread keeps running;
//   AttachExisting the event thread again, for the same core
//   Crash()        test hook: the core dies as a faulting core would
//   SetConsuming   test hook: the core leaves the rings alone, or not
//
// The core serves the mailbox as firmware does: kShutdown stops its link
// and answers kShutdownAck, kVdevReset resets it and answers kVdevResetAck;
// every other message just wakes it. It follows the vdev status in its
// table (DRIVER_OK brings the link up, its clearing takes it down) and
// polls the bus when it wakes, at least every kCoreSlice. The echo service
// replies "echo: " + the message without blocking (a reply finding no
// buffer is dropped and counted).
//
// Threading: the HostPlatform contract (host_platform.h). Callbacks run on
// the event thread, one at a time, with no lock of the fake held. The test
// hooks and observers may be called from any thread but the fake's own.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tandem/host/host_platform.h"
#include "tandem/testing/fake_rproc_platform.h"

namespace tandem::host::testing {

class FakeHostPlatform final : public HostPlatform {
 public:
  static constexpr char kEchoService[] = "tandem-echo";
  static constexpr char kEchoPrefix[] = "echo: ";
  // The core wakes at least this often to look at its table and rings.
  static constexpr std::chrono::milliseconds kCoreSlice{2};
  static constexpr std::size_t kControlBacklog = 64;

  explicit FakeHostPlatform(std::string name = "rproc0");
  ~FakeHostPlatform() override;  // ends both threads
  FakeHostPlatform(const FakeHostPlatform&) = delete;
  FakeHostPlatform& operator=(const FakeHostPlatform&) = delete;

  // How Crash() reports a core that faulted.
  static CoreExit Segfault();

  // --- remoteproc::Platform -------------------------------------------------
  Result<shm::Region> MapMemory(const remoteproc::MemoryRequest& request) override;
  void ReleaseMemory() override;
  Status Start(std::uint64_t entry) override;
  Status Reset() override;
  Status Send(std::uint32_t message) override;
  Status WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) override;
  Result<shm::Region> LoadedResourceTable() override;

  // --- HostPlatform ----------------------------------------------------------
  Status SetEventCallbacks(EventCallbacks callbacks) override;
  static constexpr std::chrono::milliseconds kIdlePeriod{100};
  bool IsRunning() const override;
  std::optional<CoreExit> last_exit() const override;
  Status SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) override;
  Status Detach() override;
  Status AttachExisting(std::string_view name) override;

  // --- Test hooks ---------------------------------------------------------------
  // The core dies: its thread ends (without a word to the host), Send()
  // and WaitForControl() return kAborted, and the event thread, after
  // dispatching what the core sent before, calls the crash callback with
  // `exit` (unless the host detached: then AttachExisting finds no core).
  void Crash(CoreExit exit = Segfault());
  // false: the core stops consuming: it leaves the rings alone (what the
  // host sends piles up, the host's tx buffers run out), still serving the
  // mailbox; it still announces its service. true (the default): it
  // consumes again (now). The setting holds for later runs too (a
  // recovery's core). When it returns, the core's current main-loop
  // iteration is over: the next one sees `consuming`.
  void SetConsuming(bool consuming);

  // --- Observations -------------------------------------------------------------
  // Core runs started by Start(): a recovery is a cold boot, +1.
  std::uint32_t boots() const;
  // Whether a core thread runs (attached or not).
  bool core_running() const;
  // What the echo service received, over all runs, in order.
  std::vector<std::string> echoed() const;
  // Waits until the echo service received `count` messages in all.
  bool WaitForEchoed(std::size_t count, std::chrono::milliseconds timeout) const;
  // Echo replies dropped for want of a buffer.
  std::uint32_t dropped_replies() const;
  // Notifyids sent by the host to the core, in all (kicks, not control).
  std::uint64_t kicks_to_core() const;

 private:
  class Core;  // one run of the remote core, on core_thread_

  void CoreLoop(Core& core);
  void EventLoop();
  void StopCore();
  void StopEventThread();
  void StartEventThread();
  bool OnEventThread() const { return std::this_thread::get_id() == event_thread_id_.load(); }
  // The core's mailbox to the host.
  void PostToHost(std::uint32_t message);
  void NoteEcho(std::string text);
  void NoteDroppedReply();

  const std::string name_;
  // Device memory: the banks stay for the fake's life, so a detached core
  // keeps its memory. MapMemory/ReleaseMemory: controlling thread only.
  remoteproc::testing::FakePlatform board_;
  std::optional<remoteproc::testing::FakePlatform::Mapping> loaded_table_;

  // Set while no event thread runs; read by it.
  EventCallbacks callbacks_;

  // Serializes what starts and ends the threads: the controlling thread's
  // calls and the test hooks (Crash may come from the test thread while
  // the session's worker recovers). Outermost.
  std::mutex lifecycle_mutex_;

  // Host side (lock order: host_mutex_ before core_mutex_; echo_mutex_ is
  // a leaf).
  mutable std::mutex host_mutex_;
  mutable std::condition_variable host_cv_;
  std::deque<std::uint32_t> to_host_;  // the core's mailbox to us
  std::deque<std::uint32_t> backlog_;  // control messages for WaitForControl
  bool core_alive_ = false;            // a core runs (Crash/Reset end it)
  bool core_ended_ = false;            // it crashed: the event thread reports it
  bool attached_ = false;              // we watch it (not after Detach)
  bool event_stop_ = false;
  std::optional<CoreExit> last_exit_;
  std::uint32_t boots_ = 0;
  std::uint64_t kicks_to_core_ = 0;
  std::thread event_thread_;
  std::atomic<std::thread::id> event_thread_id_{};

  // Core side.
  mutable std::mutex core_mutex_;
  std::condition_variable core_cv_;
  std::deque<std::uint32_t> to_core_;  // our mailbox to the core
  bool core_stop_ = false;
  bool consuming_ = true;
  // Held by the core thread through each main-loop iteration (before
  // core_mutex_): SetConsuming waits for the one in progress.
  std::mutex step_mutex_;
  std::unique_ptr<Core> core_;
  std::thread core_thread_;

  mutable std::mutex echo_mutex_;
  mutable std::condition_variable echo_cv_;
  std::vector<std::string> echoed_;
  std::uint32_t dropped_replies_ = 0;
};

}  // namespace tandem::host::testing
