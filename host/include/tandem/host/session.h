#pragma once
// Session: one remote processor managed from a Linux host process.
//
// Puts together what the lower layers keep apart:
//   remoteproc::RemoteProc  lifecycle: load, start, stop, crash, recovery,
//                           attach, detach, coredump, trace
//   HostPlatform            the core, its memory, mailbox and events
//                           (host_platform.h): LinuxPlatform, the simulated
//                           core process, unless Create is given another
//   rpmsg::HostBus          the RPMsg driver side over a vdev's vrings: one
//                           per RPMsg vdev of the table (up to kMaxVdevs,
//                           independent buses as in Linux, docs/vdevs.md)
//   vdev::HostLink          brings each bus up and down with its vdev
//                           (status DRIVER_OK, notifyid routing, link broken)
// and runs the threads that make it live: the platform's event thread polls
// the bus when the remote kicks, and a control worker handles crashes
// (recording them and, with recovery enabled, rebooting the remote).
//
// Threading contract (docs/threading.md has the whole picture):
//  * Lifecycle calls (Boot, Stop, Attach, Detach, Recover, SetRecovery,
//    Trace, Coredump, CoredumpBytes, Rings, ResourceTable) may come from any
//    thread but a callback; they are serialized by the session
//    (control_mutex_).
//  * The accessors state(), last_crash(), last_stop(), last_recovery(),
//    last_core_exit(), last_postmortem(), coredump_policy() and
//    link_status() take no lifecycle lock: they may be called from
//    anywhere, callbacks included. They report the state as of the last
//    completed lifecycle step.
//  * RPMsg callbacks (MessageHandler::OnMessage, ChannelHandler::OnBound /
//    OnUnbound) run one at a time, with poll_mutex_ held and no bus lock:
//    on the event thread or a PollNow() caller (messages, announcements),
//    on the RegisterDriver/UnregisterDriver caller (binding channels
//    announced earlier), or on the thread of a lifecycle call that resets
//    the vdev (Stop, Detach, recovery on the control worker; OnUnbound,
//    with control_mutex_ held too). They may send, even blocking, and call
//    the accessors above; never a lifecycle call, RegisterDriver/
//    UnregisterDriver or PollNow. A send blocked in a callback reclaims tx
//    buffers itself and is aborted (kAborted) by a vdev reset, which does
//    not wait for poll_mutex_ to do that (HostBus::AbortWaits).
//  * RPMsg traffic (Channel::Send, Bus::Receive, ChannelPort) may come from
//    any thread at any time; while the vdev is down it fails with
//    kFailedPrecondition or kAborted. A blocked send is aborted (kAborted)
//    by a vdev reset.
//  * The HostBus objects live as long as the session (bus(vdev)): channels are unbound
//    on every vdev reset (stop, crash, detach) and bound again when the
//    remote announces them after a (re)start or attach. Drivers registered
//    with RegisterDriver stay registered throughout.
//  * A crash is handled on the control worker. An attached remote given its
//    image (Attach(image)) is recovered by a cold boot of that image. Before
//    recovery (or with recovery off) the worker keeps a PostMortem
//    (postmortem.h): crash, core exit, trace and, per the coredump policy,
//    the core file.
//
// Locks: control_mutex_ serializes the lifecycle and RemoteProc; it is held
// while RemoteProc calls the HostLink (OnVdevReady / OnVdevReset). The
// HostLinks' link lock is poll_mutex_ (one for every bus): held while the bus starts, resets
// (OnUnbound callbacks), polls (message and channel callbacks, on the event
// thread or in PollNow(); the bus's kicks), while drivers are
// (un)registered and during Coredump(); never while the vdev status is
// written or kPendingMessage is sent, nor while a crash is posted. Lock order:
// control_mutex_ before poll_mutex_ before snapshot_mutex_ and
// postmortem_mutex_ (leaves, never held together). Each bus's own
// lock (BusSlot::lock) is innermost and never held across a callback. The
// guarded state is annotated (base/thread_annotations.h) and checked by
// the clang build.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tandem/base/result.h"
#include "tandem/base/thread_annotations.h"
#include "tandem/host/host_platform.h"
#include "tandem/host/inspect.h"
#include "tandem/host/postmortem.h"
#include "tandem/hosted/condvar_waiter.h"
#include "tandem/hosted/mutex.h"
#include "tandem/hosted/mutex_lock.h"
#include "tandem/linux/linux_platform.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/vdev/host_link.h"

namespace tandem::host {

using linux_platform::LinuxPlatform;
using linux_platform::LinuxPlatformOptions;
using linux_platform::Mailbox;

// What the Session and its LinuxPlatform are made with. Over another
// HostPlatform only name (Attach's, and the core notes'), recovery, the
// timeouts, progress_limit, expected_machine and the post-mortem options
// apply.
struct SessionOptions {
  std::string name = "rproc0";  // instance name: state file, memfd names
  bool recovery = true;         // Linux: /sys/class/remoteproc/*/recovery
  std::chrono::milliseconds shutdown_timeout{2000};
  std::chrono::milliseconds watchdog{1000};  // 0: off
  std::string console_path;                  // firmware console; empty: stderr
  std::string runtime_dir;                   // state files; empty: default
  std::string launcher_path;                 // empty: the built tandem-core
  bool die_with_host = false;                // tests: no orphan cores
  std::chrono::nanoseconds host_spin = Mailbox::kDefaultSpin;
  std::chrono::nanoseconds core_spin = Mailbox::kDefaultSpin;
  // RPMsg: Linux waits 15 s for a tx buffer.
  rpmsg::Timeout send_timeout = rpmsg::kDefaultSendTimeout;
  // How long messages the host sent may stay unconsumed by the remote before
  // the link counts as broken (a crash: vdev::HostLink::CheckProgress). The
  // control worker checks every progress_limit / 4, at most 1 s apart (it
  // also reads the vdev status for DEVICE_NEEDS_RESET). 0: no bound.
  std::chrono::milliseconds progress_limit{5000};
  // Whether a crash's post-mortem keeps a core file (Linux:
  // /sys/class/remoteproc/*/coredump); SetCoredump() changes it later.
  CoredumpPolicy coredump = CoredumpPolicy::kEnabled;
  // A larger core is not kept in the post-mortem (core_status says so).
  std::size_t max_postmortem_core = kDefaultMaxPostMortemCore;
  // e_machine the firmware ELF must have (RemoteProc refuses others):
  // EM_X86_64 (62) for the simulated core; EM_ARM (40) over a platform
  // that runs Cortex-M images (platform/qemu). 0 accepts any.
  std::uint16_t expected_machine = 62;
  // Bytes per RPMsg buffer, header included (docs/buffers.md). 0: as the
  // firmware asks (VIRTIO_RPMSG_F_BUFSZ in its table, else Linux's 512).
  // Otherwise the size the host requires, a multiple of 8 from 32 to
  // 65536: a firmware asking for another fails Boot()/Attach() with
  // remoteproc::error::kRpmsgBufferSizeMismatch, both sizes in the message.
  // The count is the firmware's (2 * its vring num, at most kMaxBuffers per
  // direction).
  std::uint32_t rpmsg_buffer_size = 0;
};

// A vdev index at or above Session::kMaxVdevs.
inline constexpr char kNoSuchVdev[] = "no such vdev: a remote has RPMsg vdevs 0 to 3 at most";

// The RPMsg buffers of a placed vdev (Session::buffers()).
struct BufferInfo {
  std::uint32_t size = 0;   // bytes per buffer, header included; 0: no vdev
  std::uint32_t count = 0;  // both directions: 2 * vring num
  bool negotiated = false;  // the size came from VIRTIO_RPMSG_F_BUFSZ
  // Tandem's large-message bit (bit 11) accepted: endpoints that opt in
  // may send messages larger than the MTU (docs/large_messages.md).
  bool large_messages = false;
  // Largest payload of one message: size - 16 (0 without a vdev).
  std::uint32_t mtu() const { return size > 16 ? size - 16 : 0; }
};

class Session final {
 public:
  static constexpr std::uint16_t kMaxBuffers = 256;  // per direction, as Linux
  // RPMsg vdevs (buses) of one remote; further ones are skipped
  // (remoteproc::kMaxRpmsgVdevs, docs/vdevs.md).
  static constexpr std::uint32_t kMaxVdevs = remoteproc::kMaxRpmsgVdevs;

  // Over a LinuxPlatform made from `options` (a simulated core process).
  static Result<std::unique_ptr<Session>> Create(SessionOptions options);
  // What Create(options) makes its LinuxPlatform with (for a caller that
  // makes the platform itself, e.g. any_core::AnyCorePlatform).
  static LinuxPlatformOptions LinuxOptionsFor(const SessionOptions& options);
  // Over `platform` (tests: testing/fake_host_platform.h), which no core
  // runs on yet and no one else has set callbacks on.
  static Result<std::unique_ptr<Session>> Create(SessionOptions options,
                                                 std::unique_ptr<HostPlatform> platform);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Reads a whole file (a firmware ELF). kNotFound / kInvalidArgument with
  // the reason in the message.
  static Result<std::vector<std::byte>> ReadFile(const std::string& path);

  // --- Lifecycle ----------------------------------------------------------
  // offline -> running: loads the image (kept for recovery) and starts it.
  // `firmware_path`: where the image came from, named in post-mortems and
  // core notes (may be empty).
  Status Boot(std::vector<std::byte> image, std::string firmware_path = {});
  // -> offline, with the shutdown handshake (see last_stop()).
  Status Stop();
  // Takes over the running remote called options.name (left by Detach() in
  // this or another process): re-establishes the RPMsg link without
  // rebooting the remote. Crash recovery needs an image: pass the one the
  // remote runs, or nothing (a crash then leaves it crashed). With an image
  // the core file has its class, machine and entry (RemoteProc::
  // DescribeImage); without one, x86-64's (ELF64).
  Status Attach(std::vector<std::byte> image = {}, std::string firmware_path = {});
  // Leaves the remote running for a later Attach().
  Status Detach();
  Status Recover();
  void SetRecovery(bool enabled);
  // SessionOptions::rpmsg_buffer_size for the next Boot()/Attach()/Recover()
  // (docs/buffers.md); options() reports it.
  void SetRpmsgBufferSize(std::uint32_t size);
  // Reports a crash the host decided on, as Linux's rproc_report_crash()
  // (debugfs `crash`): handled on the control worker like a detected one
  // (recovered, or left crashed). kFailedPrecondition unless running or
  // attached. Returns before the crash is handled (see WaitForCrashes).
  Status ReportCrash(remoteproc::CrashReason reason, std::string detail);
  // Linux: echo disabled|enabled > /sys/class/remoteproc/*/coredump. For
  // the next crash's post-mortem; Coredump()/CoredumpBytes() always work.
  void SetCoredump(CoredumpPolicy policy) { coredump_.store(policy); }
  CoredumpPolicy coredump_policy() const { return coredump_.load(); }

  // Lock-free of the lifecycle: safe from callbacks (see above).

  remoteproc::State state() const;
  remoteproc::CrashRecord last_crash() const;
  remoteproc::StopReport last_stop() const;
  Status last_recovery() const;
  // Waits until `count` crashes were recorded and handled (recovered, or
  // left crashed when recovery is off). False on timeout.
  bool WaitForCrashes(std::uint32_t count, std::chrono::milliseconds timeout) const;
  std::optional<CoreExit> last_core_exit() const;
  // The post-mortem of the last crash recorded (nullopt before the first),
  // kept across recovery, Stop() and later boots. A copy: the core may be
  // large (see SessionOptions::max_postmortem_core).
  std::optional<PostMortem> last_postmortem() const;

  // Trace buffer (RSC_TRACE) text, in order. Running, attached, and crashed
  // remotes (recovery off: the dead remote's memory is still mapped).
  Result<std::string> Trace() const;
  // ELF core of the remote's memory (remoteproc/coredump.h: the firmware's
  // class and machine, notes naming the remote, its state, the crash and
  // the signal that ended the core). Running, attached or crashed.
  Status Coredump(const std::string& path) const;
  // The same file, in memory.
  Result<std::vector<std::byte>> CoredumpBytes() const;

  // Read-only inspection (inspect.h): nothing is reset or written, the ring
  // indices are read through the region's bounds-checked accessors. Like
  // Trace(), they take control_mutex_ (not from callbacks).
  // The vrings, the link and the bus counters of RPMsg vdev `vdev` (table
  // order); kFailedPrecondition without it (offline, or a firmware with
  // fewer RPMsg vdevs).
  Result<RingsReport> Rings(std::uint32_t vdev = 0) const;
  // The resource table as loaded; kFailedPrecondition without one.
  Result<ResourceTableReport> ResourceTable() const;
  // The RPMsg buffers of placed vdev `vdev` (size, count, negotiated); all
  // 0 without it. Takes control_mutex_ (not from callbacks).
  BufferInfo buffers(std::uint32_t vdev = 0) const;
  // How many RPMsg vdevs the loaded table has placed (buses with a link),
  // 0 while offline. Takes control_mutex_ (not from callbacks).
  std::uint32_t vdev_count() const;
  // The host's view of the carve-out called `name` in the loaded resource
  // table (e.g. the pool of bulk zero-copy blocks, docs/bulk_buffers.md):
  // kNotFound without one, kFailedPrecondition while nothing is loaded.
  // The memory is unmapped by the next Stop(), crash recovery or Detach():
  // use the region only while the remote runs. Takes control_mutex_ (not
  // from callbacks).
  Result<shm::Region> Carveout(const char* name) const;

  // --- RPMsg --------------------------------------------------------------
  // Every RPMsg vdev is a bus of its own, with its own channels and
  // addresses (docs/vdevs.md): `vdev` is its place among the table's RPMsg
  // vdevs, 0 for the first. The bus objects exist for every index below
  // kMaxVdevs from the start (drivers may register before the remote
  // boots); a bus whose vdev the firmware lacks simply never comes up.
  // bus(vdev) with vdev >= kMaxVdevs is a programming error (asserted);
  // the calls taking a vdev return kInvalidArgument for it.
  rpmsg::HostBus& bus(std::uint32_t vdev = 0);
  const rpmsg::HostBus& bus(std::uint32_t vdev = 0) const;
  // Binds `handler` to channels called `name` on bus `vdev`, now and after
  // every restart. Its callbacks run one at a time, with poll_mutex_ held
  // (see above). A handler may serve several buses (one registration on
  // each), as a Linux rpmsg driver serves every rpmsg bus.
  Status RegisterDriver(const char* name, rpmsg::ChannelHandler& handler, std::uint32_t vdev = 0);
  // Busy-polling mode: processes what the remote sent on the calling thread
  // instead of waiting for the event thread (which would need a wake-up).
  // Returns false if the event thread was polling at that moment. Message
  // callbacks run on the calling thread. For latency-critical loops only.
  bool PollNow();
  // Unbinds and forgets `handler` (on whichever bus). When it returns no callback of the
  // handler runs or will run: the handler may be destroyed.
  void UnregisterDriver(rpmsg::ChannelHandler& handler);
  // An endpoint of the application's own (Linux's RPMSG_CREATE_EPT_IOCTL):
  // created and destroyed under the link lock, as the bus requires (bus.h),
  // so that when DestroyEndpoint returns no OnMessage of `handler` runs or
  // will run. It survives vdev resets (stop, crash, recovery): messages
  // simply stop while the link is down. Not from a callback.
  Status CreateEndpoint(rpmsg::Endpoint& endpoint, const rpmsg::EndpointConfig& config,
                        rpmsg::MessageHandler& handler, std::uint32_t vdev = 0);
  void DestroyEndpoint(rpmsg::Endpoint& endpoint);
  // The status of RPMsg link `vdev`: ok while up, kFailedPrecondition while
  // down, kDataLoss once the remote broke the protocol (then the session
  // treats it as a crash: a broken bus recovers the whole remote, as a
  // crash does in Linux).
  Status link_status(std::uint32_t vdev = 0) const;
  // How many times the link went down (stop, crash, recovery, detach): a
  // reset and restart too quick to be seen in link_status() still counts.
  std::uint64_t link_resets() const { return link_resets_.load(std::memory_order_acquire); }

  // --- Priority events (docs/doorbell.md) ------------------------------------
  // A 24-bit value for the remote's event handler, through the mailbox
  // beside RPMsg: it overtakes RPMsg traffic queued before it.
  // kInvalidArgument above remoteproc::mailbox::kMaxEventValue; the
  // platform's errors (kAborted: no core runs). Any thread.
  Status SendEvent(std::uint32_t value);
  // Who gets the remote's events, on the platform's event thread, with an
  // internal lock held: once SetEventCallback returns, the previous
  // callback is not running and will not run. The callback must be quick
  // and must not call SetEventCallback. Without one, events are counted.
  using EventCallback = std::function<void(std::uint32_t value)>;
  void SetEventCallback(EventCallback callback);
  std::uint64_t events_received() const { return events_received_.load(); }

  // --- Lower layers (tests, tools) -----------------------------------------
  HostPlatform& platform() { return *platform_; }
  // The platform as a LinuxPlatform (core_pid(), ...); nullptr for a
  // session made over another HostPlatform.
  LinuxPlatform* linux_platform() { return linux_platform_; }
  // Not thread-safe: only while no lifecycle call runs.
  const remoteproc::RemoteProc& rproc() const TANDEM_NO_THREAD_SAFETY_ANALYSIS { return *rproc_; }
  const SessionOptions& options() const { return options_; }

 private:
  struct CrashEvent {
    remoteproc::CrashReason reason;
    std::string detail;
    std::optional<CoreExit> exit;  // when the core's end is the crash
  };

  // What the lock-free accessors return; copied from RemoteProc after every
  // lifecycle step.
  struct Snapshot {
    remoteproc::State state = remoteproc::State::kOffline;
    remoteproc::CrashRecord last_crash{};
    remoteproc::StopReport last_stop{};
    Status last_recovery;
  };

  explicit Session(SessionOptions options);
  // Before any thread runs.
  Status Init(std::unique_ptr<HostPlatform> platform) TANDEM_NO_THREAD_SAFETY_ANALYSIS;
  void UpdateSnapshot() TANDEM_REQUIRES(control_mutex_) TANDEM_EXCLUDES(poll_mutex_);
  // Load + table location + Start of image_.
  Status BootImage() TANDEM_REQUIRES(control_mutex_);
  // Tells the platform where the loaded resource table is (its state file:
  // how a later host attaches). Every run needs it: the platform forgets
  // it at each reset, recovery's included.
  Status RecordLoadedTable() TANDEM_REQUIRES(control_mutex_);
  // An attached remote that crashed: stop it, boot image_ (RemoteProc has
  // no image for an attached remote).
  Status RecoverAttached() TANDEM_REQUIRES(control_mutex_);

  // The core file with this session's notes into `out`; poll_mutex_ is
  // taken around the copy, for at most `poll_wait` (then the copy is made
  // without it: a callback stuck in a send must not hold up a crash).
  Status DumpCore(remoteproc::CoredumpWriter& out, std::chrono::milliseconds poll_wait) const
      TANDEM_REQUIRES(control_mutex_) TANDEM_EXCLUDES(poll_mutex_);
  remoteproc::CoreNotes NotesLocked() const TANDEM_REQUIRES(control_mutex_);
  Result<std::string> TraceLocked() const TANDEM_REQUIRES(control_mutex_);
  // On the control worker, inside ReportCrash (CrashRelay): keeps the
  // post-mortem of the crash just recorded, before any recovery.
  void CapturePostMortem() TANDEM_REQUIRES(control_mutex_) TANDEM_EXCLUDES(poll_mutex_);
  bool LockPollFor(std::chrono::milliseconds timeout) const
      TANDEM_TRY_ACQUIRE(true, poll_mutex_) TANDEM_NO_THREAD_SAFETY_ANALYSIS;

  // Platform callbacks, on the platform's event thread.
  void OnNotify(std::uint32_t notifyid);
  // The link found the remote broke the ring protocol (once per run).
  void ReportLinkBroken(const Status& status);
  void OnControl(std::uint32_t message);
  // No message for LinuxPlatform::kIdlePeriod: polls the bus (PollNow), in
  // case a kick was never sent.
  void OnIdle();
  // Control worker, between crash events: HostLink::CheckProgressLocked under
  // a try-lock of poll_mutex_ (a busy poller is checked next period).
  void CheckProgress();
  void OnCoreExit(const CoreExit& exit);

  void PostCrash(remoteproc::CrashReason reason, std::string detail,
                 std::optional<CoreExit> exit = std::nullopt) TANDEM_EXCLUDES(events_mutex_);
  void WorkerLoop() TANDEM_EXCLUDES(events_mutex_, control_mutex_);
  void NoteCrashHandled() TANDEM_EXCLUDES(events_mutex_);

  // Lock order: control_mutex_ before poll_mutex_ before snapshot_mutex_.
  mutable hosted::Mutex control_mutex_;  // RemoteProc and the lifecycle
  mutable hosted::Mutex poll_mutex_ TANDEM_ACQUIRED_AFTER(control_mutex_);
  mutable hosted::Mutex snapshot_mutex_ TANDEM_ACQUIRED_AFTER(poll_mutex_);    // leaf
  mutable hosted::Mutex postmortem_mutex_ TANDEM_ACQUIRED_AFTER(poll_mutex_);  // leaf

  SessionOptions options_;
  std::unique_ptr<HostPlatform> platform_;
  LinuxPlatform* linux_platform_ = nullptr;  // platform_, if made by Create(options)
  std::unique_ptr<remoteproc::RemoteProc> rproc_ TANDEM_PT_GUARDED_BY(control_mutex_);
  // The image of the running remote: Boot's, or the one given to Attach.
  std::vector<std::byte> image_ TANDEM_GUARDED_BY(control_mutex_);
  // The remote was taken over by Attach (RemoteProc cannot reload it).
  bool attached_ TANDEM_GUARDED_BY(control_mutex_) = false;
  // The outcome of the last RecoverAttached(), until RemoteProc recovers.
  std::optional<Status> attached_recovery_ TANDEM_GUARDED_BY(control_mutex_);
  Snapshot snapshot_ TANDEM_GUARDED_BY(snapshot_mutex_);
  // Where image_ came from (post-mortems, core notes).
  std::string firmware_path_ TANDEM_GUARDED_BY(control_mutex_);
  // The core exit behind the crash being reported (set around ReportCrash)
  // and behind the crash the remote is in (for the core notes' signal).
  std::optional<CoreExit> reporting_exit_ TANDEM_GUARDED_BY(control_mutex_);
  std::optional<CoreExit> crash_exit_ TANDEM_GUARDED_BY(control_mutex_);
  std::atomic<CoredumpPolicy> coredump_{CoredumpPolicy::kEnabled};
  // Shared so that last_postmortem() copies it outside the lock.
  std::shared_ptr<const PostMortem> postmortem_ TANDEM_GUARDED_BY(postmortem_mutex_);

  class Doorbell final : public rpmsg::Notifier {
   public:
    explicit Doorbell(Session& s) : session_(s) {}
    Status Notify(std::uint32_t notifyid) override { return session_.platform_->Send(notifyid); }

   private:
    Session& session_;
  };
  Doorbell doorbell_{*this};
  // One RPMsg bus per vdev: its own lock, waiter and storage, so that a
  // sender blocked on one bus never waits for another.
  struct BusSlot {
    explicit BusSlot(rpmsg::Notifier& doorbell)
        : bus(rpmsg::BusPlatform{doorbell, lock, waiter}, storage->memory()) {}
    hosted::MutexLock lock;
    hosted::CondvarWaiter waiter;
    std::unique_ptr<rpmsg::HostBusStorage<kMaxBuffers, 2048, 64>> storage =
        std::make_unique<rpmsg::HostBusStorage<kMaxBuffers, 2048, 64>>();
    rpmsg::HostBus bus;
    // Made in Init() with rproc_ (it writes the vdev status through it).
    std::optional<vdev::HostLink> link;
  };
  std::array<std::unique_ptr<BusSlot>, kMaxVdevs> buses_;

  // poll_mutex_ as the HostLink's link lock (an rpmsg::Lock, which the
  // analysis sees as a capability of its own).
  class PollLock final : public rpmsg::Lock {
   public:
    explicit PollLock(hosted::Mutex& mutex) : mutex_(mutex) {}
    void Acquire() override TANDEM_NO_THREAD_SAFETY_ANALYSIS { mutex_.Lock(); }
    void Release() override TANDEM_NO_THREAD_SAFETY_ANALYSIS { mutex_.Unlock(); }

   private:
    hosted::Mutex& mutex_;
  };
  PollLock poll_lock_{poll_mutex_};

  // RemoteProc's vdev listener: publishes the state RemoteProc just entered
  // (running / attached) before the link comes up, so that a driver's
  // OnBound, which may run as soon as the remote announces, reads it from
  // state(); then hands over to the HostLink.
  class VdevRelay final : public remoteproc::VdevListener {
   public:
    explicit VdevRelay(Session& s) : session_(s) {}
    // RemoteProc calls its listener only inside a lifecycle call, which
    // holds control_mutex_ (Boot, Stop, Attach, Detach, recovery).
    Status OnVdevReady(const remoteproc::VdevResources& vdev) override {
      session_.control_mutex_.AssertHeld();
      // A recovery's run too must be attachable after a Detach.
      TANDEM_TRY(session_.RecordLoadedTable());
      session_.UpdateSnapshot();
      // Every link sees every vdev and takes its own (HostLinkOptions::
      // vdev_index); RemoteProc announces them in table order.
      for (auto& slot : session_.buses_) TANDEM_TRY(slot->link->OnVdevReady(vdev));
      return OkStatus();
    }
    void OnVdevReset() override {
      for (auto& slot : session_.buses_) slot->link->OnVdevReset();
      session_.link_resets_.fetch_add(1, std::memory_order_release);
    }

   private:
    Session& session_;
  };
  VdevRelay vdev_relay_{*this};
  std::atomic<std::uint64_t> link_resets_{0};

  // RemoteProc's crash listener: the post-mortem, before recovery.
  class CrashRelay final : public remoteproc::CrashListener {
   public:
    explicit CrashRelay(Session& s) : session_(s) {}
    // ReportCrash runs on the control worker under control_mutex_.
    void OnCrashRecorded(const remoteproc::RemoteProc&) override TANDEM_NO_THREAD_SAFETY_ANALYSIS {
      session_.CapturePostMortem();
    }

   private:
    Session& session_;
  };
  CrashRelay crash_relay_{*this};

  mutable hosted::Mutex event_callback_mutex_;  // leaf
  EventCallback event_callback_ TANDEM_GUARDED_BY(event_callback_mutex_);
  std::atomic<std::uint64_t> events_received_{0};

  mutable hosted::Mutex events_mutex_;  // leaf
  mutable hosted::CondVar events_cv_;
  std::deque<CrashEvent> crash_queue_ TANDEM_GUARDED_BY(events_mutex_);
  std::uint32_t crashes_handled_ TANDEM_GUARDED_BY(events_mutex_) = 0;
  bool stopping_ TANDEM_GUARDED_BY(events_mutex_) = false;
  std::thread worker_;
};

// A client of one named channel: binds to it, queues what arrives, waits.
// Register it before the remote announces the channel (before Boot/Attach).
// `vdev` picks the bus (the RPMsg vdev, in table order; docs/vdevs.md).
//
// Safe handle: the Channel is used only between a check that it is still
// bound and the end of the call that uses it; OnUnbound waits until no
// Send is using it (a vdev reset aborts blocked sends first), so a pooled
// Channel is never used after it was unbound, freed or reused. Messages are
// held in the port's own queue (its MessageHandler), so Receive never
// touches the Channel. Every method may be called from any thread,
// callbacks included (not the destructor, which unregisters).
class ChannelPort final : public rpmsg::ChannelHandler, private rpmsg::MessageHandler {
 public:
  ChannelPort(Session& session, std::string name, std::uint32_t vdev = 0);
  ~ChannelPort();
  ChannelPort(const ChannelPort&) = delete;
  ChannelPort& operator=(const ChannelPort&) = delete;

  Status Register();
  // The channel, once bound (kDeadlineExceeded on timeout). Valid until the
  // next OnUnbound: prefer Send/Receive, which check.
  Result<rpmsg::Channel*> WaitBound(std::chrono::milliseconds timeout);
  bool bound() const;
  std::uint32_t binds() const;    // OnBound calls so far
  std::uint32_t unbinds() const;  // OnUnbound calls so far
  std::uint32_t local_address() const;
  std::uint32_t remote_address() const;

  // kFailedPrecondition while unbound; kAborted if a vdev reset came while
  // it waited for a buffer.
  Status Send(ConstByteSpan payload, rpmsg::Timeout timeout = rpmsg::kDefaultSendTimeout);
  // Copies the next message into `out`; its length and source. kAborted if
  // the channel is unbound while waiting, kFailedPrecondition if unbound.
  Result<rpmsg::Received> Receive(ByteSpan out, rpmsg::Timeout timeout);

 private:
  void OnBound(rpmsg::Channel& channel) override;
  void OnUnbound(rpmsg::Channel& channel) override;
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;

  Session& session_;
  std::string name_;
  std::uint32_t vdev_;
  mutable hosted::Mutex mutex_;
  hosted::CondVar cv_;
  // A ring of held messages, kMaxBuffers long (no more can be in flight).
  std::vector<rpmsg::RxBuffer> queue_ TANDEM_GUARDED_BY(mutex_);
  std::size_t head_ TANDEM_GUARDED_BY(mutex_) = 0;
  std::size_t count_ TANDEM_GUARDED_BY(mutex_) = 0;
  rpmsg::Channel* channel_ TANDEM_GUARDED_BY(mutex_) = nullptr;
  std::uint32_t local_ TANDEM_GUARDED_BY(mutex_) = rpmsg::kAddrAny;
  std::uint32_t remote_ TANDEM_GUARDED_BY(mutex_) = rpmsg::kAddrAny;
  std::uint32_t senders_ TANDEM_GUARDED_BY(mutex_) = 0;  // Sends using channel_
  std::uint32_t binds_ TANDEM_GUARDED_BY(mutex_) = 0;
  std::uint32_t unbinds_ TANDEM_GUARDED_BY(mutex_) = 0;
};

}  // namespace tandem::host
