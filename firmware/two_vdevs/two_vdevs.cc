// An image with two RPMsg vdevs: two independent RPMsg buses on one core
// (simulated_board/two_vdev_resource_table.h). Each bus has its own
// namespace and hands out its own addresses from 0x400 up:
//
//   bus 0 (vdev0, vrings of 256)  0x400  rpmsg-openamp-demo-channel  echo, byte for byte
//   bus 1 (vdev1, vrings of 64)   0x400  rpmsg-openamp-demo-channel  echo, byte for byte
//                                 0x401  tandem-vdev1-id             replies "vdev1" to anything
//
// The same echo name on both buses proves the namespaces independent;
// tandem-vdev1-id tells the buses apart. Boot, DRIVER_OK (per vdev), the
// mailbox, shutdown and vdev reset are RemoteNode's.

#include "tandem/remote/bsp.h"
#include "tandem/remote/echo_service.h"
#include "tandem/remote/print.h"
#include "tandem/remote/remote_node.h"
#include "tandem/remote/remote_vdev.h"
#include "tandem/simulated_board/node_config.h"
#include "tandem/simulated_board/runtime.h"
#include "tandem/simulated_board/two_vdev_resource_table.h"

namespace fw = tandem::remote;
namespace board = tandem::simulated_board;

// Patched in place by the host: never const (rpmsg_resource_table.h).
[[gnu::section(".resource_table"),
  gnu::used]] constinit board::TwoVdevResourceTable g_resource_table =
    board::MakeTwoVdevResourceTable();

namespace {

constexpr const char* kIdName = "tandem-vdev1-id";

// Replies "vdev1" to every message, on the vdev it came in on.
class IdService final : public tandem::rpmsg::MessageHandler {
 public:
  explicit IdService(fw::RemoteVdev& vdev) : vdev_(vdev) {}
  void OnMessage(tandem::rpmsg::Endpoint& endpoint,
                 tandem::rpmsg::ReceivedMessage& message) override {
    static constexpr char kId[] = "vdev1";
    vdev_
        .Reply(endpoint, message,
               tandem::ConstByteSpan(reinterpret_cast<const std::byte*>(kId), sizeof(kId) - 1))
        .IgnoreError();  // lost reply: the host's request times out
  }

 private:
  fw::RemoteVdev& vdev_;
};

}  // namespace

int FirmwareMain(const TandemBsp& bsp) {
  auto config = board::NodeConfig("two_vdevs", board::TableBytes(g_resource_table));
  if (!config.ok()) {
    fw::Print(bsp, "two_vdevs: no device window: %s\n", config.status().message());
    return fw::RemoteNode::kExitBadTable;
  }
  // Static: the node and its vdevs are far too large for the stack.
  static fw::RemoteNode node(bsp, *config);
  static fw::RemoteVdev vdev1(node);
  static fw::EchoService echo0(node);
  static fw::EchoService echo1(node);  // RemoteNode::Reply answers on bus 1
  static IdService id(vdev1);
  static tandem::rpmsg::Endpoint echo0_endpoint;
  static tandem::rpmsg::Endpoint echo1_endpoint;
  static tandem::rpmsg::Endpoint id_endpoint;
  if (const tandem::Status s = node.AddVdev(vdev1); !s.ok()) {
    fw::Print(bsp, "two_vdevs: vdev1 not added: %s\n", s.message());
    return fw::RemoteNode::kExitBadTable;
  }
  // Adding to a fresh node cannot fail (names are short, counts small).
  node.AddEndpoint(echo0_endpoint, fw::EchoService::kName, echo0).IgnoreError();
  vdev1.AddEndpoint(echo1_endpoint, fw::EchoService::kName, echo1).IgnoreError();
  vdev1.AddEndpoint(id_endpoint, kIdName, id).IgnoreError();
  return node.Run();
}
