#pragma once
// RemoteLink: the remote's vdev runtime. It follows the vdev status the host
// writes into the firmware's loaded resource table (LoadedTable) and brings
// an rpmsg::RemoteBus up and down with it (VirtIO 1.x 3.1.1, 2.1.2):
//
//   waiting for driver --DRIVER_OK--> ReadLink() (all untrusted, checked),
//                                     RemoteBus::Start()      --> running
//                                     refused                 --> failed
//   running --DRIVER_OK cleared (device reset)--> bus stopped  --> waiting
//   running --Reset() (mailbox::kVdevReset)----> bus stopped  --> waiting
//   running --Stop() (shutdown, mailbox failure)-> bus stopped --> waiting
//   running --Poll() kDataLoss (ring broken)----> bus stopped  --> failed
//   failed  --DRIVER_OK cleared, or Reset()-----------------------> waiting
//
// Every transition to failed is reported to the host, which would otherwise
// see its traffic stall with no reason: DEVICE_NEEDS_RESET (VirtIO 1.x
// 2.1.1, 0x40) is set in the vdev status byte of the loaded table, and
// mailbox::kLinkBroken is sent through RemoteLinkConfig::mailbox (if set).
// The host treats that as a crash of the remote (vdev::HostLink::OnControl).
//
// A refused or broken link is not retried until the host has reset the
// device (cleared DRIVER_OK, or sent kVdevReset): a hostile or confused host
// gets one attempt per set-up, not one per main-loop iteration.
//
// The listener is told of every transition of the bus, so that the firmware
// creates its endpoints on the running bus (each is announced as it is
// created, in that order) and destroys them once it stopped (silently).
//
// Threading: one firmware thread (the main loop) makes every call; listener
// callbacks run inside them. No heap, no OS calls.

#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/base/status.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/rpmsg/timeout.h"
#include "tandem/vdev/loaded_table.h"

namespace tandem::vdev {

// Poll() while the link is not running.
inline constexpr char kRemoteLinkNotRunning[] = "the rpmsg link is not running";

enum class RemoteLinkState : std::uint8_t {
  kWaitingForDriver,  // status without DRIVER_OK
  kRunning,           // bus started
  kFailed,            // the host's set-up was refused, or the bus broke
};

// Why a running bus was stopped.
enum class LinkDownCause : std::uint8_t {
  kDriverReset,  // DRIVER_OK cleared: the driver reset the device (VirtIO 1.x 2.1.2)
  kVdevReset,    // Reset(): the host asked (mailbox::kVdevReset)
  kStopped,      // Stop(): the firmware's own decision (shutdown, mailbox failure)
  kBroken,       // Poll() found the ring protocol broken (OnLinkFailed follows)
};

// Why the link went to kFailed.
enum class LinkFailure : std::uint8_t {
  kSetupRefused,  // ReadLink() or RemoteBus::Start() refused the host's set-up
  kBroken,        // the running bus latched kDataLoss
};

class RemoteLinkListener {
 public:
  // The bus runs over `link`: create (and so announce) endpoints now.
  virtual void OnLinkUp(const VdevLink& link) = 0;
  // The bus was stopped (RemoteBus::Reset() done): destroy the endpoints;
  // nothing is announced any more.
  virtual void OnLinkDown(LinkDownCause cause) = 0;
  // The link is in kFailed: `error` is the LoadedTable reason, the bus's
  // Start() error, or the bus's latched kDataLoss.
  virtual void OnLinkFailed(LinkFailure failure, const Status& error) = 0;

 protected:
  ~RemoteLinkListener() = default;
};

struct RemoteLinkConfig {
  LoadedTableConfig table;
  // BusConfig::send_timeout of the started bus.
  rpmsg::Timeout send_timeout = rpmsg::kDefaultSendTimeout;
  // Sends mailbox::kLinkBroken to the host when the link goes to kFailed
  // (best effort: the status bit is set anyway). nullptr: the status bit
  // only. Outlives the link.
  rpmsg::Notifier* mailbox = nullptr;
};

class RemoteLink {
 public:
  // Finds the RPMsg vdev in the firmware's own table (LoadedTable::Open and
  // its reasons). `bus` and `listener` outlive the link; the bus is stopped.
  static Result<RemoteLink> Open(const RemoteLinkConfig& config, rpmsg::RemoteBus& bus,
                                 RemoteLinkListener& listener);

  // Reads the vdev status once and makes the transition it asks for. Call
  // on every main-loop iteration (after the mailbox was served).
  void Update();
  // The host asked for a vdev reset (mailbox::kVdevReset, before it
  // re-initializes the rings): stop the bus; wait for DRIVER_OK again, also
  // after a failure. Acknowledge (kVdevResetAck) after this returns.
  void Reset();
  // The firmware stops using the rings (shutdown, mailbox failure). Safe in
  // any state; a running link goes to kWaitingForDriver.
  void Stop();
  // RemoteBus::Poll() once. Ok, kUnavailable (budget spent, more pending:
  // call again), kFailedPrecondition kRemoteLinkNotRunning unless running,
  // or the bus's error: then the bus is stopped and the link kFailed
  // (OnLinkDown(kBroken), OnLinkFailed(kBroken)).
  Status Poll();

  RemoteLinkState state() const { return state_; }
  bool running() const { return state_ == RemoteLinkState::kRunning; }
  // The running link's configuration; nullptr unless running.
  const VdevLink* link() const { return running() ? &link_ : nullptr; }
  // The status byte the last Update() read.
  std::uint8_t observed_status() const { return status_; }
  const LoadedTable& table() const { return table_; }
  rpmsg::RemoteBus& bus() { return *bus_; }

 private:
  RemoteLink(const LoadedTable& table, const RemoteLinkConfig& config, rpmsg::RemoteBus& bus,
             RemoteLinkListener& listener)
      : table_(table),
        send_timeout_(config.send_timeout),
        mailbox_(config.mailbox),
        bus_(&bus),
        listener_(&listener) {}
  void Start();
  // kFailed: tell the host (status bit, kLinkBroken), then the listener.
  void Fail(LinkFailure failure, const Status& error);
  // Stops a running bus and tells the listener; `next` is the state after.
  void TakeDown(LinkDownCause cause, RemoteLinkState next);

  LoadedTable table_;
  rpmsg::Timeout send_timeout_;
  rpmsg::Notifier* mailbox_;
  rpmsg::RemoteBus* bus_;
  RemoteLinkListener* listener_;
  VdevLink link_;
  RemoteLinkState state_ = RemoteLinkState::kWaitingForDriver;
  std::uint8_t status_ = 0;
};

}  // namespace tandem::vdev
