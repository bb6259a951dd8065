#pragma once
// RemoteNode: the firmware side of a Tandem link, for images that serve
// RPMsg endpoints. It owns the mailbox, the trace buffer, the main loop and
// the table's first RPMsg vdev (its RemoteBus, link and endpoints: bus
// index 0); a firmware whose table has more RPMsg vdevs serves them with
// RemoteVdev objects it adds (AddVdev, remote_vdev.h). It follows the
// contract with the host (docs/firmware.md), for every vdev it serves:
//
//   boot:      logs "<name>: booted", then waits until the vdev status in
//              its own loaded resource table has DRIVER_OK, petting the
//              watchdog and serving the mailbox (kShutdown included) while
//              it waits; each vdev waits for its own status byte;
//   link up:   reads the vrings, notifyids, gfeatures and the vdev<N>buffer
//              carve-out from the table (LoadedTable: all untrusted), starts
//              the RemoteBus (vring0 remote->host, vring1 host->remote),
//              then creates the endpoints added with AddEndpoint(), one by
//              one in the order added: each gets the next address (0x400,
//              0x401, ...) and is announced (NS CREATE) as it is created, so
//              the host binds its channels in that order too, as Linux logs
//              show them. The endpoints are destroyed again (silently: the
//              bus is stopped) whenever the link stops, and re-created on
//              the next link up, with the same addresses. Every vdev is a
//              bus of its own: addresses start at 0x400 on each;
//   main loop: bsp.mbox_wait with a timeout well below the watchdog, pet
//              each iteration; every running link is polled on every
//              iteration (a kick, whatever its notifyid, or
//              kPendingMessage only means "look"); kShutdown -> log
//              "shutdown requested", stop every link, send kShutdownAck,
//              Run() returns 0; kVdevReset -> reset every link, send ONE
//              kVdevResetAck, wait for DRIVER_OK again and start over
//              (endpoints announced again); kEchoRequest -> kEchoReply;
//              kAbortRequest -> crash on purpose (TI's
//              RP_MBOX_ABORT_REQUEST); other control values are counted and
//              ignored. If DRIVER_OK disappears while running (the host
//              reset the device, VirtIO 1.x 2.1), that vdev's bus stops
//              using the rings until DRIVER_OK is back.
//   failures:  a link the host set up wrongly, or one it breaks later
//              (Poll() returns kDataLoss), is logged and left stopped; the
//              firmware keeps serving the mailbox (and the other vdevs) so
//              the host can reset or shut it down. A failed mailbox ends
//              Run() with kExitMailbox. A table without an RPMsg vdev ends
//              Run() with kExitBadTable; an added vdev whose entry the table
//              lacks is logged ("<name>: vdev<k>: not served: ...") and left
//              unused, the others run.
//
// The link's state machine (DRIVER_OK, ReadLink, bus start / stop, vdev
// reset, failures) is the core's vdev::RemoteLink, one per vdev; RemoteNode
// adds the main loop, the mailbox, the services and the logging around it.
// Log lines about vdev k > 0 name it ("<name>: vdev1: rpmsg link up: ...");
// vdev 0's do not.
//
// Logging: Log() writes each line to the board console and to the trace
// buffer (the table's first trace entry) through remoteproc::TraceWriter.
//
// Threading: one firmware thread (rpmsg::NoLock). Message handlers run
// inside Poll(), on that thread; they may Reply()/Send (blocking up to the
// reply timeout: the mailbox keeps being served meanwhile, see
// BspMailbox) and call the fault hooks below.

#include <cstdarg>
#include <cstdint>
#include <optional>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/remote/bsp.h"
#include "tandem/remote/bsp_mailbox.h"
#include "tandem/remote/mailbox_stash.h"
#include "tandem/remote/remote_vdev.h"
#include "tandem/remoteproc/trace_buffer.h"
#include "tandem/remoteproc/vdev.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/rpmsg/timeout.h"
#include "tandem/shm/region.h"
#include "tandem/vdev/loaded_table.h"
#include "tandem/vdev/remote_link.h"

namespace tandem::remote {

using vdev::DeviceRange;
using vdev::LoadedTable;
using vdev::LoadedTableConfig;
using vdev::VdevLink;

class RemoteNode;

// Called once per main-loop iteration, after the bus was polled (its kicks
// flushed): the place for work a message handler deferred, e.g. a fault
// injected only once its "ok" reply is on its way.
class LoopHook {
 public:
  virtual void OnLoop(RemoteNode& node) = 0;

 protected:
  ~LoopHook() = default;
};

// The host's priority events (remoteproc/mailbox.h IsEvent,
// docs/doorbell.md), called from the main loop before the RPMsg traffic
// that arrived with them.
class EventHandler {
 public:
  virtual void OnEvent(RemoteNode& node, std::uint32_t value) = 0;

 protected:
  ~EventHandler() = default;
};

struct RemoteNodeConfig {
  // Prefix of the boot line ("<name>: booted").
  const char* name = "remote";
  // The image's own .resource_table object (RpmsgResourceTable or any table
  // with an rpmsg vdev and its "vdev<N>buffer" carve-out; one more RPMsg
  // vdev per RemoteVdev added).
  ByteSpan resource_table;
  // Every device address the host may hand out, mapped (DeviceWindow() on
  // the simulated core; a fake region in tests).
  shm::Region device_memory;
  // The image; vrings and buffers must not overlap it.
  DeviceRange image;
  // RPMsg buffer size the image is built for, header included (Linux's
  // 512). Another size needs a table that says so
  // (rsc::MakeSizedRpmsgVdev, simulated_board::MakeRpmsgResourceTable<N>)
  // and a host that accepts VIRTIO_RPMSG_F_BUFSZ (docs/buffers.md).
  std::uint32_t buffer_size = rpmsg::kDefaultBufferSize;
  // Main-loop wait while the link runs, and while waiting for DRIVER_OK.
  // Both far below the host's default 1 s watchdog.
  std::uint64_t loop_timeout_ns = 50'000'000;
  std::uint64_t driver_wait_ns = 10'000'000;
  // How long Reply() blocks for a buffer.
  rpmsg::Timeout reply_timeout = rpmsg::Timeout::Milliseconds(500);
};

class RemoteNode final {
 public:
  // Exit codes of Run().
  static constexpr int kExitClean = 0;     // shutdown handshake done
  static constexpr int kExitBadTable = 2;  // the image's own table is unusable
  static constexpr int kExitMailbox = 3;   // the board's mailbox failed

  // Storage reserved for each vdev's link (RemoteBusStorage): the largest
  // vring and the endpoint table (power of two, 3/4 usable).
  static constexpr std::uint16_t kMaxVringNum = RemoteVdev::kMaxVringNum;
  static constexpr std::size_t kEndpointSlots = RemoteVdev::kEndpointSlots;
  static constexpr std::size_t kMaxEndpoints = RemoteVdev::kMaxEndpoints;
  // RPMsg vdevs one node serves: its own and kMaxRpmsgVdevs - 1 added.
  static constexpr std::size_t kMaxVdevs = remoteproc::kMaxRpmsgVdevs;
  // Lines longer than this are cut.
  static constexpr std::size_t kMaxLogLine = 256;

  // kWaitingForDriver, kRunning, kFailed (vdev/remote_link.h).
  using LinkState = vdev::RemoteLinkState;

  // Over all vdevs (RemoteVdev::counters() has each vdev's share).
  struct Counters {
    std::uint32_t link_starts = 0;
    std::uint32_t link_failures = 0;  // set-up refused or bus broken
    std::uint32_t vdev_resets = 0;    // kVdevReset handled, or DRIVER_OK lost by a vdev
    std::uint32_t unknown_controls = 0;
    std::uint32_t ignored_shutdowns = 0;
    std::uint32_t events = 0;          // priority events from the host
    std::uint32_t events_dropped = 0;  // ... with no EventHandler set
    std::uint64_t polls = 0;
  };

  RemoteNode(const TandemBsp& bsp, const RemoteNodeConfig& config);
  RemoteNode(const RemoteNode&) = delete;
  RemoteNode& operator=(const RemoteNode&) = delete;

  // Before Run(): a named endpoint, created at the next free address (0x400
  // up) and announced each time the link comes up. `endpoint`, `name` and
  // `handler` outlive the node. kResourceExhausted beyond kMaxEndpoints,
  // kInvalidArgument for an empty name or one of rpmsg::kNameSize
  // characters or more, kAlreadyExists for an endpoint added twice,
  // kFailedPrecondition once Run() has started.
  // On the node's own vdev (bus index 0); RemoteVdev::AddEndpoint for the
  // others.
  Status AddEndpoint(rpmsg::Endpoint& endpoint, const char* name, rpmsg::MessageHandler& handler) {
    return vdev0_.AddEndpoint(endpoint, name, handler);
  }
  // Before Run(): serve `vdev` (constructed for this node) as the next RPMsg
  // vdev of the table: the k-th added is bus index k, the table's k-th
  // RPMsg vdev entry. kResourceExhausted beyond kMaxVdevs - 1 added,
  // kAlreadyExists for a vdev added twice (or the node's own),
  // kInvalidArgument for a vdev of another node, kFailedPrecondition once
  // Run() has started.
  Status AddVdev(RemoteVdev& vdev);
  void SetLoopHook(LoopHook* hook) { hook_ = hook; }
  // From LoopHook::OnLoop: run the next iteration at once instead of waiting
  // for the mailbox (a service with more to send, e.g. a stream).
  void LoopAgain() { poll_again_ = true; }
  // Who gets the host's priority events (none: they are counted, dropped).
  void SetEventHandler(EventHandler* handler) { event_handler_ = handler; }

  // The firmware's life; returns the exit code for FirmwareMain.
  int Run();

  // One line to the console and the trace (a newline is added).
  void Log(const char* format, ...) __attribute__((format(printf, 2, 3)));
  void LogV(const char* format, std::va_list args);

  // Sends `payload` back to the sender of `message` from `endpoint`, on the
  // bus `endpoint` was created on (any vdev's).
  Status Reply(rpmsg::Endpoint& endpoint, const rpmsg::ReceivedMessage& message,
               ConstByteSpan payload);
  // A control message to the host (remoteproc/mailbox.h).
  Status SendControl(std::uint32_t message) { return mailbox_.SendControl(message); }
  // A priority event to the host's event callback: overtakes the RPMsg
  // traffic queued before it. kInvalidArgument above
  // remoteproc::mailbox::kMaxEventValue.
  Status SendEvent(std::uint32_t value);
  // Kicks vring `notifyid` on the host (the bus does this itself; for
  // fault injection).
  Status Kick(std::uint32_t notifyid) { return mailbox_.Notify(notifyid); }
  // Waits `ns` while serving the mailbox (messages are kept for the main
  // loop) and petting the watchdog.
  void Sleep(std::uint64_t ns);

  // Fault hook: from now on kShutdown is logged and ignored (the host must
  // force-reset the core).
  void IgnoreShutdown() { ignore_shutdown_ = true; }

  // The node's own vdev (bus index 0).
  RemoteVdev& vdev0() { return vdev0_; }
  // Bus index `index` (0: the node's own), nullptr if none was added there.
  RemoteVdev* vdev_at(std::size_t index) { return index < vdev_count_ ? vdevs_[index] : nullptr; }
  std::size_t vdev_count() const { return vdev_count_; }

  // All of vdev 0 (the node's own vdev), as before there were several.
  rpmsg::RemoteBus& bus() { return vdev0_.bus(); }
  const TandemBsp& bsp() const { return bsp_; }
  LinkState link_state() const { return vdev0_.link_state(); }
  // The running link's configuration; nullptr unless kRunning.
  const VdevLink* link() const { return vdev0_.link(); }
  // Bytes per RPMsg buffer (header included) and the largest payload: the
  // running link's, else what the image is built for (docs/buffers.md).
  std::uint32_t buffer_size() const { return vdev0_.buffer_size(); }
  std::size_t mtu() const { return vdev0_.mtu(); }
  const char* name() const { return config_.name; }
  const Counters& counters() const { return counters_; }
  const MailboxStash& stash() const { return stash_; }

 private:
  enum class Action : std::uint8_t { kContinue, kExit };

  friend class RemoteVdev;

  Action HandleControl(std::uint32_t message);
  void StopLinks();
  void PollBuses();

  const TandemBsp& bsp_;
  RemoteNodeConfig config_;
  MailboxStash stash_;
  BspMailbox mailbox_;
  rpmsg::NoLock lock_;
  RemoteVdev vdev0_;                          // after mailbox_ and lock_: its bus uses them
  RemoteVdev* vdevs_[kMaxVdevs] = {&vdev0_};  // by bus index
  std::size_t vdev_count_ = 1;
  std::optional<remoteproc::TraceWriter> trace_;
  LoopHook* hook_ = nullptr;
  EventHandler* event_handler_ = nullptr;
  bool running_ = false;  // Run() started
  bool ignore_shutdown_ = false;
  bool poll_again_ = false;
  Counters counters_;
};

}  // namespace tandem::remote
