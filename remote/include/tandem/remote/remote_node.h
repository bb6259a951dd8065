#pragma once
// RemoteNode: the firmware side of a Tandem link, for images that serve
// RPMsg endpoints. It owns the RemoteBus, the mailbox, the trace buffer and
// the main loop, and follows the contract with the host (docs/firmware.md):
//
//   boot:      logs "<name>: booted", then waits until the vdev status in
//              its own loaded resource table has DRIVER_OK, petting the
//              watchdog and serving the mailbox (kShutdown included) while
//              it waits;
//   link up:   reads the vrings, notifyids, gfeatures and the vdev0buffer
//              carve-out from the table (LoadedTable: all untrusted), starts
//              the RemoteBus (vring0 remote->host, vring1 host->remote),
//              then creates the endpoints added with AddEndpoint(), one by
//              one in the order added: each gets the next address (0x400,
//              0x401, ...) and is announced (NS CREATE) as it is created, so
//              the host binds its channels in that order too, as Linux logs
//              show them. The endpoints are destroyed again (silently: the
//              bus is stopped) whenever the link stops, and re-created on
//              the next link up, with the same addresses;
//   main loop: bsp.mbox_wait with a timeout well below the watchdog, pet
//              each iteration; kick (notifyid) or kPendingMessage ->
//              bus.Poll(); kShutdown -> log "shutdown requested", stop the
//              bus, send kShutdownAck, Run() returns 0; kVdevReset -> reset
//              the bus, send kVdevResetAck, wait for DRIVER_OK again and
//              start over (endpoints announced again); kEchoRequest ->
//              kEchoReply; kAbortRequest -> crash on purpose (TI's
//              RP_MBOX_ABORT_REQUEST); other control values are counted and
//              ignored. If DRIVER_OK disappears while running (the host
//              reset the device, VirtIO 1.x 2.1), the bus stops using the
//              rings until DRIVER_OK is back.
//   failures:  a link the host set up wrongly, or one it breaks later
//              (Poll() returns kDataLoss), is logged and left stopped; the
//              firmware keeps serving the mailbox so the host can reset or
//              shut it down. A failed mailbox ends Run() with kExitMailbox.
//
// The link's state machine (DRIVER_OK, ReadLink, bus start / stop, vdev
// reset, failures) is the core's vdev::RemoteLink; RemoteNode adds the main
// loop, the mailbox, the services and the logging around it.
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
#include "tandem/remoteproc/trace_buffer.h"
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
  // with one rpmsg vdev and a "vdev0buffer" carve-out).
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

class RemoteNode final : private vdev::RemoteLinkListener {
 public:
  // Exit codes of Run().
  static constexpr int kExitClean = 0;     // shutdown handshake done
  static constexpr int kExitBadTable = 2;  // the image's own table is unusable
  static constexpr int kExitMailbox = 3;   // the board's mailbox failed

  // Storage reserved for the link (RemoteBusStorage): the largest vring and
  // the endpoint table (power of two, 3/4 usable).
  static constexpr std::uint16_t kMaxVringNum = 256;
  static constexpr std::size_t kEndpointSlots = 32;
  static constexpr std::size_t kMaxEndpoints = 8;
  // Lines longer than this are cut.
  static constexpr std::size_t kMaxLogLine = 256;

  // kWaitingForDriver, kRunning, kFailed (vdev/remote_link.h).
  using LinkState = vdev::RemoteLinkState;

  struct Counters {
    std::uint32_t link_starts = 0;
    std::uint32_t link_failures = 0;  // set-up refused or bus broken
    std::uint32_t vdev_resets = 0;    // kVdevReset handled or DRIVER_OK lost
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
  Status AddEndpoint(rpmsg::Endpoint& endpoint, const char* name, rpmsg::MessageHandler& handler);
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

  // Sends `payload` back to the sender of `message` from `endpoint`.
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

  rpmsg::RemoteBus& bus() { return bus_; }
  const TandemBsp& bsp() const { return bsp_; }
  LinkState link_state() const { return link_ ? link_->state() : LinkState::kWaitingForDriver; }
  // The running link's configuration; nullptr unless kRunning.
  const VdevLink* link() const { return link_ ? link_->link() : nullptr; }
  // Bytes per RPMsg buffer (header included) and the largest payload: the
  // running link's, else what the image is built for (docs/buffers.md).
  std::uint32_t buffer_size() const {
    return link() != nullptr ? link()->bus.buffer_size : config_.buffer_size;
  }
  std::size_t mtu() const { return buffer_size() - rpmsg::kHeaderSize; }
  const Counters& counters() const { return counters_; }
  const MailboxStash& stash() const { return stash_; }

 private:
  enum class Action : std::uint8_t { kContinue, kExit };

  struct Service {
    rpmsg::Endpoint* endpoint = nullptr;
    const char* name = nullptr;
    rpmsg::MessageHandler* handler = nullptr;
  };

  Action HandleControl(std::uint32_t message);
  void StopLink();
  void PollBus();
  // vdev::RemoteLinkListener, inside the link's calls (main loop).
  void OnLinkUp(const VdevLink& link) override;
  void OnLinkDown(vdev::LinkDownCause cause) override;
  void OnLinkFailed(vdev::LinkFailure failure, const Status& error) override;
  void CreateEndpoints();
  void DestroyEndpoints();

  const TandemBsp& bsp_;
  RemoteNodeConfig config_;
  MailboxStash stash_;
  BspMailbox mailbox_;
  rpmsg::NoLock lock_;
  rpmsg::RemoteBusStorage<kMaxVringNum, kEndpointSlots> storage_;
  rpmsg::RemoteBus bus_;
  std::optional<vdev::RemoteLink> link_;  // once Run() found the table
  std::optional<remoteproc::TraceWriter> trace_;
  Service services_[kMaxEndpoints];
  std::size_t service_count_ = 0;
  LoopHook* hook_ = nullptr;
  EventHandler* event_handler_ = nullptr;
  bool running_ = false;  // Run() started
  bool ignore_shutdown_ = false;
  bool poll_again_ = false;
  Counters counters_;
};

}  // namespace tandem::remote
