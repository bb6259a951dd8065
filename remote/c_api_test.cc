// tandem/c/remote.h on a fake board against a real host bus
// (testing/fake_board.h, fake_host.h): a node built from the C config,
// an OpenAMP-shaped endpoint on its device, the main loop until shutdown.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tandem/c/openamp.h"
#include "tandem/c/remote.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_host.h"

namespace tandem::remote {
namespace {

using testing::Bytes;
using testing::FakeBoard;
using testing::FakeHost;
using testing::RecordingDriver;

int EchoBack(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv) {
  ++*static_cast<int*>(priv);
  EXPECT_EQ(rpmsg_sendto(ept, data, static_cast<int>(len), src), static_cast<int>(len));
  return RPMSG_SUCCESS;
}

tandem_remote_node_config CConfig(const RemoteNodeConfig& c) {
  tandem_remote_node_config config = {};
  config.name = c.name;
  config.resource_table = c.resource_table.data();
  config.resource_table_size = c.resource_table.size();
  config.device_memory = c.device_memory.base();
  config.device_memory_size = c.device_memory.size();
  config.device_memory_address = c.device_memory.device_address();
  config.image_address = c.image.da;
  config.image_size = c.image.size;
  return config;
}

TEST(RemoteCApi, NodeFromACConfigAnnouncesEchoesAndShutsDownCleanly) {
  FakeBoard board;
  FakeHost host(board);
  auto node = std::make_unique<tandem_remote_node>();
  const RemoteNodeConfig cpp_config = host.node_config("c-node");
  const tandem_remote_node_config config = CConfig(cpp_config);
  ASSERT_EQ(tandem_remote_node_init(node.get(), &board.bsp(), &config), TANDEM_OK);
  EXPECT_EQ(tandem_remote_node_link_up(node.get()), 0);

  RecordingDriver driver;
  ASSERT_TRUE(host.bus().RegisterDriver("c-echo", driver).ok());
  int received = 0;
  struct rpmsg_endpoint ept = {};
  ept.priv = &received;
  ASSERT_EQ(rpmsg_create_ept(&ept, tandem_openamp_rdev(tandem_remote_node_device(node.get())),
                             "c-echo", RPMSG_ADDR_ANY, RPMSG_ADDR_ANY, EchoBack, nullptr),
            RPMSG_SUCCESS);

  bool sent = false, shutdown = false, was_up = false;
  board.on_wait = [&] {
    if (board.waits == 1) host.Boot();
    host.Poll().IgnoreError();
    was_up = was_up || tandem_remote_node_link_up(node.get()) == 1;
    if (!driver.bound.empty() && !sent) {
      EXPECT_TRUE(driver.bound[0]->TrySend(Bytes("from the host")).ok());
      sent = true;
    }
    if (!shutdown && !driver.messages.empty()) {
      board.inbox.push_back(remoteproc::mailbox::kShutdown);
      shutdown = true;
    }
  };
  tandem_remote_node_log(node.get(), "c log %u", 7u);
  EXPECT_EQ(tandem_remote_node_run(node.get()), TANDEM_REMOTE_EXIT_CLEAN);
  EXPECT_TRUE(was_up);
  EXPECT_EQ(received, 1);
  ASSERT_EQ(driver.messages.size(), 1u);
  EXPECT_EQ(driver.messages[0].text, "from the host");
  EXPECT_EQ(driver.messages[0].src, 0x400u);
  EXPECT_NE(board.console.find("c log 7\n"), std::string::npos);
  EXPECT_NE(board.console.find("c-node: booted"), std::string::npos);
  rpmsg_destroy_ept(&ept);
}

TEST(RemoteCApi, InitRefusesAMissingTableOrAnUnmappableWindow) {
  FakeBoard board;
  auto node = std::make_unique<tandem_remote_node>();
  tandem_remote_node_config config = {};
  EXPECT_EQ(tandem_remote_node_init(node.get(), &board.bsp(), &config), TANDEM_EINVAL);
  char table[8] = {};
  config.resource_table = table;
  config.resource_table_size = sizeof(table);
  config.device_memory = nullptr;  // a region needs memory
  config.device_memory_size = 4096;
  EXPECT_LT(tandem_remote_node_init(node.get(), &board.bsp(), &config), 0);
}

}  // namespace
}  // namespace tandem::remote
