#pragma once
// HostLink: the host's vdev runtime. It brings an rpmsg::HostBus up over the
// vdev RemoteProc placed and down again when the vdev goes away, as Linux's
// remoteproc_virtio.c + virtio_rpmsg_bus.c probe/remove do:
//
//   OnVdevReady  for its vdev (HostLinkOptions::vdev_index; others are
//                ignored): build the BusConfig from the VdevResources, HostBus::Start()
//                (rings initialized, receive buffers posted), then the
//                VirtIO status ACKNOWLEDGE | DRIVER | FEATURES_OK |
//                DRIVER_OK through RemoteProc::SetVdevStatus (VirtIO 1.x
//                3.1.1; the remote polls that byte in its loaded table), then
//                one mailbox::kPendingMessage to wake a remote that sleeps
//                on its mailbox instead of polling;
//   OnNotify     a vring notifyid from the mailbox: if it is one of this
//                vdev's (vring0 or vring1) and the link is up, HostBus::Poll()
//                until drained;
//   OnVdevReset  HostBus::AbortWaits() first, without the link lock (a
//                callback that holds it may be blocked in a send: it returns
//                kAborted at once), then under the lock HostBus::Reset():
//                every channel unbound, blocked callers get kAborted;
//                Start() again on the next OnVdevReady.
//
// The remote reports a link it found broken with mailbox::kLinkBroken (and
// DEVICE_NEEDS_RESET in the status byte); OnControl() turns that into the
// same once-per-run kDataLoss; CheckProgress() also reads the status byte,
// so a report whose mailbox word was lost is found within a period. A remote
// that stops consuming without saying so is caught by CheckProgress():
// host -> remote messages pending (vring1's avail index ahead of its used
// index) and the used index not moving for longer than
// HostLinkOptions::progress_limit_ns.
//
// A kDataLoss from Poll() means the remote broke the ring protocol (Linux:
// BAD_RING). It is returned once per run of the link, so that the caller
// reports one crash, not one per notification.
//
// Platform, injected (docs/architecture.md decision 6):
//  * mailbox - sends one 32-bit mailbox message (here: kPendingMessage; the
//              bus kicks through its own Notifier);
//  * lock    - the "link lock": serializes Start/Reset/Poll of the bus and
//              this object's state. It is held while the bus runs callbacks
//              from Poll() (MessageHandler, ChannelHandler) and from Reset()
//              (OnUnbound), and while the bus kicks from Start() and Poll();
//              never while SetVdevStatus runs or kPendingMessage is sent. It
//              must not be the bus lock (the bus takes that one inside).
//              rpmsg::NoLock for a single-threaded caller.
//
// Threading: OnVdevReady/OnVdevReset run where RemoteProc calls its listener
// (its control thread); OnNotify/Poll on the thread that serves the
// mailbox (the event thread) or any other; all take the link lock, so they
// may run concurrently. None may be called from inside a bus callback (the
// link lock is held there).

#include <cstddef>
#include <cstdint>

#include "tandem/base/status.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/remoteproc/vdev.h"
#include "tandem/rpmsg/bus.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/timeout.h"
#include "tandem/shm/region.h"
#include "tandem/virtio/features.h"

namespace tandem::vdev {

// Poll() while the link is down (before OnVdevReady, after OnVdevReset).
inline constexpr char kHostLinkDown[] = "the rpmsg link is down";
// OnControl(): the remote sent mailbox::kLinkBroken (kDataLoss).
inline constexpr char kRemoteFoundLinkBroken[] =
    "the remote found the rpmsg link broken and needs a reset (DEVICE_NEEDS_RESET)";
// CheckProgress(): messages pending and none consumed within the limit
// (kDeadlineExceeded).
inline constexpr char kLinkStalled[] =
    "the remote consumed no host message within the progress limit";

// VirtIO 1.x 3.1.1: what the driver has set once the device is live.
inline constexpr std::uint8_t kDriverReadyStatus =
    static_cast<std::uint8_t>(virtio::DeviceStatus::kAcknowledge | virtio::DeviceStatus::kDriver) |
    static_cast<std::uint8_t>(virtio::DeviceStatus::kFeaturesOk | virtio::DeviceStatus::kDriverOk);

struct HostLinkOptions {
  // BusConfig::send_timeout (Linux waits 15 s for a tx buffer).
  rpmsg::Timeout send_timeout = rpmsg::kDefaultSendTimeout;
  // CheckProgress(): how long host -> remote messages may stay pending with
  // the remote consuming none of them. 0: no bound.
  std::uint64_t progress_limit_ns = 5'000'000'000;
  // Which of the table's RPMsg vdevs this link serves (VdevResources::
  // index): OnVdevReady for another one is ignored. A host serving several
  // has one HostLink and HostBus per vdev behind one listener that hands
  // each OnVdevReady to all (host::Session; docs/vdevs.md).
  std::uint32_t vdev_index = 0;
};

// The driver side's BusConfig for `vdev` (vring0 remote -> host, vring1
// host -> remote, the buffer area, the negotiated features).
rpmsg::BusConfig HostBusConfig(const remoteproc::VdevResources& vdev,
                               const HostLinkOptions& options = {});

class HostLink final : public remoteproc::VdevListener {
 public:
  // Everything outlives the link. Register it with
  // RemoteProc::set_vdev_listener (or the RemoteProc constructor).
  HostLink(remoteproc::RemoteProc& rproc, rpmsg::HostBus& bus, rpmsg::Notifier& mailbox,
           rpmsg::Lock& lock, const HostLinkOptions& options = {});
  HostLink(const HostLink&) = delete;
  HostLink& operator=(const HostLink&) = delete;

  // --- remoteproc::VdevListener (RemoteProc's thread) ------------------------
  // The bus's Start() error (kInvalidArgument, kFailedPrecondition) or
  // SetVdevStatus()'s; on error the link stays down and the bus stopped.
  Status OnVdevReady(const remoteproc::VdevResources& vdev) override;
  void OnVdevReset() override;

  // --- Mailbox -----------------------------------------------------------------
  // A vring notifyid from the remote. Ok (nothing done) for a message that is
  // not one of this vdev's notifyids; otherwise as Poll().
  Status OnNotify(std::uint32_t notifyid);
  // Drains both vrings (HostBus::Poll until it has no more). kFailedPrecondition
  // kHostLinkDown while down; the bus's kDataLoss the first time it finds the
  // bus broken since the link came up (treat it as a crash of the remote);
  // ok otherwise, also for a broken link already reported.
  Status Poll();
  // Poll() for a caller that holds the link lock already (e.g. took it with a
  // try-lock, to poll only when nobody else does).
  Status PollLocked();
  // A control word from the remote. mailbox::kLinkBroken while up:
  // kDataLoss kRemoteFoundLinkBroken, once per run of the link, like Poll()'s
  // report (treat it as a crash of the remote). Ok for everything else.
  Status OnControl(std::uint32_t message);

  // --- Progress bound ------------------------------------------------------------
  // Call periodically (well below the limit) with a monotonic time in ns.
  // kDataLoss kRemoteFoundLinkBroken when the vdev status holds
  // DEVICE_NEEDS_RESET (as OnControl(kLinkBroken));
  // kDeadlineExceeded kLinkStalled, once per run of the link, when messages
  // the host sent have been pending for longer than progress_limit_ns with
  // the remote consuming none of them (vring1's used index did not move);
  // treat it as a crash. Ok otherwise (also while down, or once the link
  // was reported broken). Reads only the ring indices; no callback runs.
  Status CheckProgress(std::uint64_t now_ns);
  // CheckProgress() for a caller that holds the link lock already.
  Status CheckProgressLocked(std::uint64_t now_ns);

  // --- State --------------------------------------------------------------------
  bool up() const;  // takes the link lock
  // The bus's status: ok while up, kFailedPrecondition while down, the
  // latched kDataLoss once broken.
  Status status() const { return bus_.status(); }
  rpmsg::HostBus& bus() { return bus_; }

 private:
  remoteproc::RemoteProc& rproc_;
  rpmsg::HostBus& bus_;
  rpmsg::Notifier& mailbox_;
  rpmsg::Lock& lock_;
  HostLinkOptions options_;
  // Under lock_.
  bool up_ = false;
  std::uint32_t rx_notifyid_ = 0;  // vring0
  std::uint32_t tx_notifyid_ = 1;  // vring1
  bool broken_reported_ = false;
  // CheckProgress(): the vdev status word, vring1 as the host sees it, and
  // the last progress.
  shm::Region status_word_;
  shm::Region tx_ring_;
  std::size_t tx_avail_idx_ = 0;  // offsets in tx_ring_
  std::size_t tx_used_idx_ = 0;
  bool stall_tracking_ = false;
  std::uint16_t stall_used_ = 0;
  std::uint64_t stall_since_ns_ = 0;
};

}  // namespace tandem::vdev
