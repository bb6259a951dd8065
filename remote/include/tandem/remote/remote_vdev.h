#pragma once
// RemoteVdev: one RPMsg vdev of a firmware's resource table, served by a
// RemoteNode: its own RemoteBus (with the node's mailbox and lock), its own
// vdev::RemoteLink and its own endpoints. Each RPMsg vdev entry is an
// independent bus (remoteproc/vdev.h): endpoints of different vdevs may
// share names, and each bus hands out its addresses from 0x400 up on its
// own.
//
// A RemoteNode always serves the table's first RPMsg vdev (bus index 0,
// its AddEndpoint(), bus(), link() ...). A firmware that serves more
// constructs one RemoteVdev per further vdev and adds it before Run():
//
//   static fw::RemoteNode node(bsp, *config);
//   static fw::RemoteVdev vdev1(node);
//   node.AddVdev(vdev1);                    // bus index 1
//   vdev1.AddEndpoint(echo1, "rpmsg-client-sample", echo_handler);
//
// The k-th vdev added is bus index k: it serves the k-th RPMsg vdev entry of
// the table, in table order (LoadedTableConfig::vdev_index), whose vrings
// the host gives notifyids 2k and 2k+1 and whose buffers are the
// "vdev<N>buffer" carve-out, N the entry's place among ALL vdev entries
// (remoteproc::VdevRegionName). Its link follows that entry's status byte
// exactly as vdev 0's does (docs/firmware.md); the node's main loop updates
// and polls every vdev, and its log lines name the vdev
// ("<name>: vdev1: rpmsg link up: ...").
//
// Only a firmware that adds vdevs pays their memory (the storage below is
// in the RemoteVdev object it owns). A RemoteVdev outlives its node's Run()
// and belongs to one node. Threading: the node's firmware thread only.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/vdev/loaded_table.h"
#include "tandem/vdev/remote_link.h"

namespace tandem::remote {

class RemoteNode;

class RemoteVdev final : private vdev::RemoteLinkListener {
 public:
  // Storage reserved for the link (RemoteBusStorage): the largest vring and
  // the endpoint table (power of two, 3/4 usable).
  static constexpr std::uint16_t kMaxVringNum = 256;
  static constexpr std::size_t kEndpointSlots = 32;
  static constexpr std::size_t kMaxEndpoints = 8;

  // kWaitingForDriver, kRunning, kFailed (vdev/remote_link.h).
  using LinkState = vdev::RemoteLinkState;

  // This vdev's share of RemoteNode::Counters.
  struct Counters {
    std::uint32_t link_starts = 0;
    std::uint32_t link_failures = 0;  // set-up refused or bus broken
    std::uint32_t driver_resets = 0;  // DRIVER_OK lost while running
    std::uint64_t polls = 0;
  };

  // A vdev of `node` (its mailbox and lock). Not served until
  // node.AddVdev(*this).
  explicit RemoteVdev(RemoteNode& node);
  RemoteVdev(const RemoteVdev&) = delete;
  RemoteVdev& operator=(const RemoteVdev&) = delete;

  // Before the node's Run(): a named endpoint on this vdev's bus, created
  // at its next free address (0x400 up) and announced each time this link
  // comes up. The rules of RemoteNode::AddEndpoint: `endpoint`, `name` and
  // `handler` outlive the node; kResourceExhausted beyond kMaxEndpoints,
  // kInvalidArgument for an empty name or one of rpmsg::kNameSize
  // characters or more, kAlreadyExists for an endpoint added twice,
  // kFailedPrecondition once Run() has started.
  Status AddEndpoint(rpmsg::Endpoint& endpoint, const char* name, rpmsg::MessageHandler& handler);

  // Sends `payload` back to the sender of `message` from `endpoint`, an
  // endpoint of this vdev (RemoteNode::Reply finds the vdev by itself).
  Status Reply(rpmsg::Endpoint& endpoint, const rpmsg::ReceivedMessage& message,
               ConstByteSpan payload);

  // The bus index (0 for the node's own vdev, k for the k-th added);
  // meaningful once added.
  std::uint32_t index() const { return index_; }
  // Added to a node (AddVdev) or the node's own.
  bool added() const { return added_; }
  // Run() found this vdev's entry in the table. An added vdev whose entry
  // is missing is logged once and left unused (kWaitingForDriver forever).
  bool in_table() const { return link_.has_value(); }

  rpmsg::RemoteBus& bus() { return bus_; }
  LinkState link_state() const { return link_ ? link_->state() : LinkState::kWaitingForDriver; }
  bool running() const { return link_ && link_->running(); }
  // The running link's configuration; nullptr unless kRunning.
  const vdev::VdevLink* link() const { return link_ ? link_->link() : nullptr; }
  // Bytes per RPMsg buffer (header included) and the largest payload: the
  // running link's, else what the image is built for (docs/buffers.md).
  std::uint32_t buffer_size() const;
  std::size_t mtu() const { return buffer_size() - rpmsg::kHeaderSize; }
  const Counters& counters() const { return counters_; }

 private:
  friend class RemoteNode;

  struct Service {
    rpmsg::Endpoint* endpoint = nullptr;
    const char* name = nullptr;
    rpmsg::MessageHandler* handler = nullptr;
  };

  // From RemoteNode: the node's own vdev (index 0, added).
  RemoteVdev(RemoteNode& node, std::uint32_t index);
  // From RemoteNode::Run(): finds the entry (vdev_index = index()) and
  // opens the link; the error if the table has none.
  Status Open();
  // RemoteLink::Poll() once (running links only); true if the budget ran
  // out with more pending.
  bool Poll();
  // vdev::RemoteLinkListener, inside the link's calls (main loop).
  void OnLinkUp(const vdev::VdevLink& link) override;
  void OnLinkDown(vdev::LinkDownCause cause) override;
  void OnLinkFailed(vdev::LinkFailure failure, const Status& error) override;
  void CreateEndpoints();
  void DestroyEndpoints();

  RemoteNode& node_;
  std::uint32_t index_ = 0;
  bool added_ = false;
  // "" for vdev 0 (its log lines stay as they always were), "vdev<k>: ".
  char tag_[12] = {};
  rpmsg::RemoteBusStorage<kMaxVringNum, kEndpointSlots> storage_;
  rpmsg::RemoteBus bus_;
  std::optional<vdev::RemoteLink> link_;  // once Run() found the entry
  Service services_[kMaxEndpoints];
  std::size_t service_count_ = 0;
  Counters counters_;
};

}  // namespace tandem::remote
