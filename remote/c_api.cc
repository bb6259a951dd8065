// tandem/c/remote.h over RemoteNode: the node and its C RPMsg device live
// together in the caller's tandem_remote_node storage.

#include <cstdarg>
#include <cstdint>
#include <new>

#include "tandem/c/remote.h"
#include "tandem/capi/bridge.h"
#include "tandem/remote/c_node.h"
#include "tandem/remote/remote_node.h"

namespace tandem::remote {
namespace {

struct CNode {
  CNode(const TandemBsp& bsp, const RemoteNodeConfig& config) : node(bsp, config) {
    capi::InitDevice(device, node.bus(), nullptr);
  }
  RemoteNode node;
  tandem_rpmsg_device device = {};
};

static_assert(sizeof(CNode) <= sizeof(tandem_remote_node::opaque),
              "TANDEM_REMOTE_NODE_STORAGE too small for RemoteNode");
static_assert(alignof(CNode) <= alignof(tandem_remote_node));
static_assert(TANDEM_REMOTE_EXIT_CLEAN == RemoteNode::kExitClean);
static_assert(TANDEM_REMOTE_EXIT_BAD_TABLE == RemoteNode::kExitBadTable);
static_assert(TANDEM_REMOTE_EXIT_MAILBOX == RemoteNode::kExitMailbox);

CNode& Node(tandem_remote_node* node) {
  return *std::launder(reinterpret_cast<CNode*>(node->opaque.storage));
}
const CNode& Node(const tandem_remote_node* node) {
  return *std::launder(reinterpret_cast<const CNode*>(node->opaque.storage));
}

}  // namespace

int InitCNode(tandem_remote_node& node, const TandemBsp& bsp, const RemoteNodeConfig& config) {
  new (node.opaque.storage) CNode(bsp, config);
  return TANDEM_OK;
}

}  // namespace tandem::remote

extern "C" {

int tandem_remote_node_init(tandem_remote_node* node, const TandemBsp* bsp,
                            const tandem_remote_node_config* config) {
  if (node == nullptr || bsp == nullptr || config == nullptr || config->resource_table == nullptr) {
    return TANDEM_EINVAL;
  }
  auto memory = tandem::shm::Region::Create(config->device_memory, config->device_memory_size,
                                            config->device_memory_address);
  if (!memory.ok()) return tandem::capi::ToErrorCode(memory.status());
  tandem::remote::RemoteNodeConfig c;
  c.name = config->name != nullptr ? config->name : "remote";
  c.resource_table = tandem::ByteSpan(static_cast<std::byte*>(config->resource_table),
                                      config->resource_table_size);
  c.device_memory = *memory;
  c.image = {config->image_address, config->image_size};
  if (config->buffer_size != 0) c.buffer_size = config->buffer_size;
  return tandem::remote::InitCNode(*node, *bsp, c);
}

tandem_rpmsg_device* tandem_remote_node_device(tandem_remote_node* node) {
  return &tandem::remote::Node(node).device;
}

int tandem_remote_node_run(tandem_remote_node* node) {
  return tandem::remote::Node(node).node.Run();
}

int tandem_remote_node_link_up(const tandem_remote_node* node) {
  return tandem::remote::Node(node).node.link_state() ==
                 tandem::remote::RemoteNode::LinkState::kRunning
             ? 1
             : 0;
}

void tandem_remote_node_log(tandem_remote_node* node, const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  tandem::remote::Node(node).node.LogV(format, args);
  va_end(args);
}

}  // extern "C"
