// The C API over a real host/remote bus pair (testing/bus_pair.h): the
// error table, the native tandem_rpmsg_* calls in both roles, OpenAMP's
// names and error values (tandem/c/openamp.h, also from a C99 application,
// openamp_app.c), and Zephyr's rpmsg_service with the reference snippet
// compiled as C (zephyr_snippet.c).

#include <gtest/gtest.h>

#include <cstring>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "openamp_app.h"
#include "tandem/c/openamp.h"
#include "tandem/c/rpmsg.h"
#include "tandem/c/rpmsg_service.h"
#include "tandem/capi/bridge.h"
#include "tandem/testing/rpmsg_helpers.h"

namespace tandem::capi {
namespace {

using rpmsg::testing::BusPair;
using rpmsg::testing::RecordingDriver;

// --- Error codes -------------------------------------------------------------

struct CodeRow {
  StatusCode code;
  int c_code;
  int openamp;  // what tandem/c/openamp.h returns for it
};

// One row per StatusCode. A new StatusCode fails the static_assert below
// until it gets a TANDEM_E* and a row here.
constexpr CodeRow kCodes[] = {
    {StatusCode::kOk, TANDEM_OK, RPMSG_SUCCESS},
    {StatusCode::kInvalidArgument, TANDEM_EINVAL, RPMSG_ERR_PARAM},
    {StatusCode::kOutOfRange, TANDEM_ERANGE, RPMSG_ERR_BUFF_SIZE},
    {StatusCode::kDataLoss, TANDEM_EDATALOSS, RPMSG_ERR_DEV_STATE},
    {StatusCode::kUnavailable, TANDEM_EUNAVAILABLE, RPMSG_ERR_NO_BUFF},
    {StatusCode::kDeadlineExceeded, TANDEM_ETIMEDOUT, RPMSG_ERR_NO_BUFF},
    {StatusCode::kFailedPrecondition, TANDEM_ESTATE, RPMSG_ERR_DEV_STATE},
    {StatusCode::kResourceExhausted, TANDEM_ENOSPACE, RPMSG_ERR_NO_MEM},
    {StatusCode::kNotFound, TANDEM_ENOTFOUND, RPMSG_ERR_ADDR},
    {StatusCode::kAlreadyExists, TANDEM_EEXIST, RPMSG_ERR_ADDR},
    {StatusCode::kUnimplemented, TANDEM_ENOTSUP, RPMSG_ERR_PERM},
    {StatusCode::kAborted, TANDEM_EABORTED, RPMSG_ERR_DEV_STATE},
    {StatusCode::kInternal, TANDEM_EINTERNAL, RPMSG_ERR_INIT},
};
static_assert(std::size(kCodes) == static_cast<std::size_t>(StatusCode::kInternal) + 1,
              "every StatusCode needs a TANDEM_E* code");

TEST(CapiErrors, EveryStatusCodeMapsToItsOwnCodeAndBack) {
  std::set<int> seen;
  for (const CodeRow& row : kCodes) {
    SCOPED_TRACE(StatusCodeName(row.code));
    EXPECT_EQ(ToErrorCode(Status(row.code, "x")), row.c_code);
    EXPECT_EQ(ToStatusCode(row.c_code), row.code);
    EXPECT_STREQ(tandem_rpmsg_error_name(row.c_code), StatusCodeName(row.code));
    EXPECT_LE(row.c_code, 0);
    EXPECT_TRUE(seen.insert(row.c_code).second) << "two codes share " << row.c_code;
    EXPECT_EQ(tandem_openamp_error(row.c_code), row.openamp);
  }
  EXPECT_STREQ(tandem_rpmsg_error_name(1), "UNKNOWN");
  EXPECT_STREQ(tandem_rpmsg_error_name(TANDEM_EINTERNAL - 1), "UNKNOWN");
}

TEST(CapiErrors, OpenAmpValuesAreOpenAmps) {
  // lib/include/openamp/rpmsg.h: RPMSG_ERROR_BASE -2000, then -1 .. -9.
  EXPECT_EQ(RPMSG_ERR_NO_MEM, -2001);
  EXPECT_EQ(RPMSG_ERR_NO_BUFF, -2002);
  EXPECT_EQ(RPMSG_ERR_PARAM, -2003);
  EXPECT_EQ(RPMSG_ERR_DEV_STATE, -2004);
  EXPECT_EQ(RPMSG_ERR_BUFF_SIZE, -2005);
  EXPECT_EQ(RPMSG_ERR_INIT, -2006);
  EXPECT_EQ(RPMSG_ERR_ADDR, -2007);
  EXPECT_EQ(RPMSG_ERR_PERM, -2008);
  EXPECT_EQ(RPMSG_ERR_NXIO, -2009);
  EXPECT_EQ(RPMSG_ADDR_ANY, 0xFFFFFFFFu);
}

// --- Both roles over a bus pair --------------------------------------------

struct Received {
  std::vector<std::string> texts;
  std::vector<std::uint32_t> sources;
  bool echo = false;
  bool hold = false;
  std::vector<void*> held;
  int hold_result = 0;
  int unbinds = 0;
};

int Record(tandem_rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv) {
  auto& r = *static_cast<Received*>(priv);
  r.texts.emplace_back(static_cast<const char*>(data), len);
  r.sources.push_back(src);
  if (r.hold) {
    r.hold_result = tandem_rpmsg_hold_rx_buffer(ept, data);
    if (r.hold_result == TANDEM_OK) r.held.push_back(data);
  }
  if (r.echo) {
    EXPECT_EQ(tandem_rpmsg_send(ept, data, len), TANDEM_OK);
  }
  return 0;
}

void CountUnbind(tandem_rpmsg_endpoint* ept) {
  ++static_cast<Received*>(tandem_rpmsg_ept_priv(ept))->unbinds;
}

class CapiTest : public ::testing::Test {
 protected:
  CapiTest() {
    InitDevice(remote_, pair_.remote(), nullptr);
    InitDevice(host_, pair_.host(), &registrar_);
  }
  ~CapiTest() override {
    tandem_rpmsg_destroy_ept(&remote_ept_);
    tandem_rpmsg_destroy_ept(&host_ept_);
    rpmsg::testing::ExpectHostBuffersConserved(pair_.host());
    rpmsg::testing::ExpectNoCallOutsUnderLock(pair_);
  }

  // A remote endpoint "svc" bound to a host RecordingDriver.
  void BindRemoteService(Received& remote_rx) {
    ASSERT_TRUE(pair_.host().RegisterDriver("svc", driver_).ok());
    ASSERT_EQ(tandem_rpmsg_create_ept(&remote_ept_, &remote_, "svc", TANDEM_RPMSG_ADDR_ANY,
                                      TANDEM_RPMSG_ADDR_ANY, Record, nullptr, &remote_rx),
              TANDEM_OK);
    pair_.Pump();
    ASSERT_EQ(driver_.bound.size(), 1u);
  }
  void HostSends(const std::string& text) {
    ASSERT_TRUE(driver_.bound[0]->TrySend(AsBytes(text.data(), text.size())).ok());
    pair_.Pump();
  }

  BusPair pair_;
  HostBusRegistrar registrar_{pair_.host()};
  tandem_rpmsg_device remote_{};
  tandem_rpmsg_device host_{};
  tandem_rpmsg_endpoint remote_ept_{};
  tandem_rpmsg_endpoint host_ept_{};
  RecordingDriver driver_;
};

TEST_F(CapiTest, RemoteEndpointIsAnnouncedLearnsItsPeerAndEchoes) {
  Received rx;
  rx.echo = true;
  BindRemoteService(rx);
  EXPECT_EQ(tandem_rpmsg_ept_addr(&remote_ept_), 0x400u);
  EXPECT_STREQ(tandem_rpmsg_ept_name(&remote_ept_), "svc");
  EXPECT_EQ(tandem_rpmsg_ept_device(&remote_ept_), &remote_);
  EXPECT_EQ(tandem_rpmsg_ept_ready(&remote_ept_), 0);
  EXPECT_EQ(tandem_rpmsg_send(&remote_ept_, "x", 1), TANDEM_ESTATE);  // no peer yet

  HostSends("hello");
  ASSERT_EQ(rx.texts, std::vector<std::string>{"hello"});
  const std::uint32_t host_addr = driver_.bound[0]->local_address();
  EXPECT_EQ(rx.sources[0], host_addr);
  EXPECT_EQ(tandem_rpmsg_ept_dest(&remote_ept_), host_addr);
  EXPECT_EQ(tandem_rpmsg_ept_ready(&remote_ept_), 1);
  ASSERT_EQ(driver_.collector.messages.size(), 1u);
  EXPECT_EQ(driver_.collector.messages[0].src, 0x400u);
  EXPECT_EQ(std::string(driver_.collector.messages[0].payload.begin(),
                        driver_.collector.messages[0].payload.end()),
            "hello");
}

TEST_F(CapiTest, SendVariantsAndTheirErrors) {
  Received rx;
  BindRemoteService(rx);
  HostSends("hi");
  const std::uint32_t host_addr = driver_.bound[0]->local_address();
  EXPECT_EQ(tandem_rpmsg_trysend(&remote_ept_, "a", 1), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_send_timeout(&remote_ept_, "b", 1, 1000), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_sendto(&remote_ept_, host_addr, "c", 1, TANDEM_RPMSG_NO_WAIT), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_sendto(&remote_ept_, TANDEM_RPMSG_ADDR_ANY, "c", 1, 0), TANDEM_EINVAL);
  EXPECT_EQ(tandem_rpmsg_send_offchannel(&remote_ept_, 0x999, host_addr, "d", 1, 0), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_send_offchannel(&remote_ept_, TANDEM_RPMSG_ADDR_ANY, host_addr, "d", 1, 0),
            TANDEM_EINVAL);
  const std::vector<char> too_big(tandem_rpmsg_tx_buffer_size(&remote_) + 1, 'z');
  EXPECT_EQ(tandem_rpmsg_send(&remote_ept_, too_big.data(), too_big.size()), TANDEM_EINVAL);
  pair_.Pump();
  ASSERT_EQ(driver_.collector.messages.size(), 4u);
  EXPECT_EQ(driver_.collector.messages[3].src, 0x999u);  // off-channel source

  // Sizes: Linux's 512-byte buffers minus the 16-byte header.
  EXPECT_EQ(tandem_rpmsg_tx_buffer_size(&remote_), 496u);
  EXPECT_EQ(tandem_rpmsg_rx_buffer_size(&remote_), 496u);
  EXPECT_EQ(tandem_rpmsg_buffer_count(&remote_), pair_.options().num);
  EXPECT_EQ(tandem_rpmsg_device_link_up(&remote_), 1);
  EXPECT_EQ(tandem_rpmsg_device_link_up(nullptr), 0);

  // Every buffer taken: trysend reports "nothing now", a timed send times out.
  tandem_rpmsg_buffer_slot slots[64];
  ASSERT_EQ(tandem_rpmsg_device_set_buffer_slots(&remote_, slots, std::size(slots)), TANDEM_OK);
  std::vector<void*> taken;
  for (;;) {
    void* data = nullptr;
    if (tandem_rpmsg_get_tx_buffer(&remote_ept_, &data, nullptr, 0) != TANDEM_OK) break;
    taken.push_back(data);
  }
  EXPECT_FALSE(taken.empty());
  EXPECT_EQ(tandem_rpmsg_trysend(&remote_ept_, "e", 1), TANDEM_EUNAVAILABLE);
  EXPECT_EQ(tandem_rpmsg_send_timeout(&remote_ept_, "e", 1, 1000), TANDEM_ETIMEDOUT);
  for (void* data : taken) {
    EXPECT_EQ(tandem_rpmsg_release_tx_buffer(&remote_ept_, data), TANDEM_OK);
  }
  EXPECT_EQ(tandem_rpmsg_trysend(&remote_ept_, "f", 1), TANDEM_OK);
}

TEST_F(CapiTest, CreateRefusesTakenAddressesAndRecreatesAfterDestroy) {
  Received rx;
  EXPECT_EQ(tandem_rpmsg_create_ept(&remote_ept_, &remote_, nullptr, 0x500, TANDEM_RPMSG_ADDR_ANY,
                                    Record, nullptr, &rx),
            TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_create_ept(&remote_ept_, &remote_, nullptr, 0x501, TANDEM_RPMSG_ADDR_ANY,
                                    Record, nullptr, &rx),
            TANDEM_EEXIST);  // already created
  tandem_rpmsg_endpoint other{};
  EXPECT_EQ(tandem_rpmsg_create_ept(&other, &remote_, nullptr, 0x500, TANDEM_RPMSG_ADDR_ANY, Record,
                                    nullptr, &rx),
            TANDEM_EEXIST);  // address taken
  EXPECT_EQ(
      tandem_rpmsg_create_ept(&other, &remote_, "a-name-of-thirty-two-characters!",
                              TANDEM_RPMSG_ADDR_ANY, TANDEM_RPMSG_ADDR_ANY, Record, nullptr, &rx),
      TANDEM_EINVAL);
  EXPECT_EQ(tandem_rpmsg_create_ept(&other, &remote_, nullptr, 0x600, TANDEM_RPMSG_ADDR_ANY,
                                    nullptr, nullptr, &rx),
            TANDEM_EINVAL);
  tandem_rpmsg_device unbound{};
  EXPECT_EQ(tandem_rpmsg_create_ept(&other, &unbound, nullptr, 0x600, TANDEM_RPMSG_ADDR_ANY, Record,
                                    nullptr, &rx),
            TANDEM_ESTATE);
  tandem_rpmsg_destroy_ept(&remote_ept_);
  tandem_rpmsg_destroy_ept(&remote_ept_);  // twice: a no-op
  EXPECT_EQ(tandem_rpmsg_ept_addr(&remote_ept_), TANDEM_RPMSG_ADDR_ANY);
  EXPECT_EQ(tandem_rpmsg_create_ept(&other, &remote_, nullptr, 0x500, TANDEM_RPMSG_ADDR_ANY, Record,
                                    nullptr, &rx),
            TANDEM_OK);
  tandem_rpmsg_destroy_ept(&other);
}

TEST_F(CapiTest, ZeroCopySendNeedsASlotAndSendsInPlace) {
  Received rx;
  BindRemoteService(rx);
  HostSends("first");
  void* data = nullptr;
  uint32_t capacity = 0;
  EXPECT_EQ(tandem_rpmsg_get_tx_buffer(&remote_ept_, &data, &capacity, 0), TANDEM_ENOSPACE);
  tandem_rpmsg_buffer_slot slots[1];
  ASSERT_EQ(tandem_rpmsg_device_set_buffer_slots(&remote_, slots, 1), TANDEM_OK);
  ASSERT_EQ(tandem_rpmsg_get_tx_buffer(&remote_ept_, &data, &capacity, 0), TANDEM_OK);
  EXPECT_EQ(capacity, 496u);
  void* second = nullptr;
  EXPECT_EQ(tandem_rpmsg_get_tx_buffer(&remote_ept_, &second, nullptr, 0), TANDEM_ENOSPACE);
  std::memcpy(data, "in place", 8);
  int dummy = 0;
  EXPECT_EQ(tandem_rpmsg_send_nocopy(&remote_ept_, TANDEM_RPMSG_ADDR_ANY, &dummy, 8),
            TANDEM_EINVAL);  // not a buffer of ours
  EXPECT_EQ(tandem_rpmsg_send_nocopy(&remote_ept_, TANDEM_RPMSG_ADDR_ANY, data, capacity + 1),
            TANDEM_EINVAL);  // too long: still ours
  EXPECT_EQ(tandem_rpmsg_send_nocopy(&remote_ept_, TANDEM_RPMSG_ADDR_ANY, data, 8), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_release_tx_buffer(&remote_ept_, data), TANDEM_EINVAL);  // sent: gone
  pair_.Pump();
  ASSERT_EQ(driver_.collector.messages.size(), 1u);
  EXPECT_EQ(std::string(driver_.collector.messages[0].payload.begin(),
                        driver_.collector.messages[0].payload.end()),
            "in place");
  // The slot is free again; a buffer released unsent goes back to the pool.
  ASSERT_EQ(tandem_rpmsg_get_tx_buffer(&remote_ept_, &data, nullptr, 0), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_release_tx_buffer(&remote_ept_, data), TANDEM_OK);
  EXPECT_EQ(pair_.remote().stats().tx_held, 0u);
}

TEST_F(CapiTest, HeldRxBufferOutlivesTheCallbackUntilReleasedByPointer) {
  Received rx;
  BindRemoteService(rx);
  tandem_rpmsg_buffer_slot slots[2];
  ASSERT_EQ(tandem_rpmsg_device_set_buffer_slots(&remote_, slots, 2), TANDEM_OK);
  rx.hold = true;
  HostSends("kept");
  ASSERT_EQ(rx.hold_result, TANDEM_OK);
  ASSERT_EQ(rx.held.size(), 1u);
  EXPECT_EQ(std::memcmp(rx.held[0], "kept", 4), 0);  // still in shared memory, untouched
  EXPECT_EQ(pair_.remote().stats().rx_held, 1u);
  EXPECT_EQ(tandem_rpmsg_hold_rx_buffer(&remote_ept_, rx.held[0]), TANDEM_ESTATE);  // not in cb
  EXPECT_EQ(tandem_rpmsg_device_set_buffer_slots(&remote_, nullptr, 0), TANDEM_ESTATE);  // in use
  EXPECT_EQ(tandem_rpmsg_release_rx_buffer(&remote_ept_, rx.held[0]), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_release_rx_buffer(&remote_ept_, rx.held[0]), TANDEM_EINVAL);
  EXPECT_EQ(pair_.remote().stats().rx_held, 0u);
  // Destroying an endpoint gives back what it still holds.
  HostSends("again");
  EXPECT_EQ(pair_.remote().stats().rx_held, 1u);
  tandem_rpmsg_destroy_ept(&remote_ept_);
  EXPECT_EQ(pair_.remote().stats().rx_held, 0u);
}

struct HostSide {
  tandem_rpmsg_endpoint* ept;
  Received* rx;
  std::string name;
  std::uint32_t dest = 0;
  int create_result = -100;
};

void BindOnHost(tandem_rpmsg_device* dev, const char* name, uint32_t dest, void* priv) {
  auto& h = *static_cast<HostSide*>(priv);
  h.name = name;
  h.dest = dest;
  h.create_result = tandem_rpmsg_create_ept(h.ept, dev, nullptr, TANDEM_RPMSG_ADDR_ANY, dest,
                                            Record, CountUnbind, h.rx);
}

TEST_F(CapiTest, HostNameServiceBindCreatesTheEndpointAndUnbindTellsIt) {
  Received host_rx, remote_rx;
  HostSide side{&host_ept_, &host_rx};
  tandem_rpmsg_ns_driver driver{};
  tandem_rpmsg_ns_driver unused{};
  EXPECT_EQ(tandem_rpmsg_ns_bind(&unused, &remote_, "svc", BindOnHost, &side), TANDEM_ENOTSUP);
  ASSERT_EQ(tandem_rpmsg_ns_bind(&driver, &host_, "svc", BindOnHost, &side), TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_ns_bind(&driver, &host_, "svc", BindOnHost, &side), TANDEM_EEXIST);
  remote_rx.echo = true;
  ASSERT_EQ(tandem_rpmsg_create_ept(&remote_ept_, &remote_, "svc", TANDEM_RPMSG_ADDR_ANY,
                                    TANDEM_RPMSG_ADDR_ANY, Record, nullptr, &remote_rx),
            TANDEM_OK);
  pair_.Pump();
  EXPECT_EQ(side.name, "svc");
  EXPECT_EQ(side.dest, 0x400u);
  ASSERT_EQ(side.create_result, TANDEM_OK);
  EXPECT_EQ(tandem_rpmsg_ept_ready(&host_ept_), 1);
  ASSERT_EQ(tandem_rpmsg_send(&host_ept_, "ping", 4), TANDEM_OK);
  pair_.Pump();
  EXPECT_EQ(remote_rx.texts, std::vector<std::string>{"ping"});
  EXPECT_EQ(remote_rx.sources[0], tandem_rpmsg_ept_addr(&host_ept_));
  EXPECT_EQ(host_rx.texts, std::vector<std::string>{"ping"});  // the echo

  tandem_rpmsg_destroy_ept(&remote_ept_);  // NS DESTROY
  pair_.Pump();
  EXPECT_EQ(host_rx.unbinds, 1);
  tandem_rpmsg_ns_unbind(&driver);
  tandem_rpmsg_ns_unbind(&driver);  // twice: a no-op
}

// --- OpenAMP's names --------------------------------------------------------

int OpenAmpRecord(struct rpmsg_endpoint* ept, void* data, size_t len, uint32_t src, void* priv) {
  auto& r = *static_cast<Received*>(priv);
  EXPECT_EQ(ept->dest_addr, src);  // learned before the callback, as OpenAMP
  r.texts.emplace_back(static_cast<const char*>(data), len);
  r.sources.push_back(src);
  return RPMSG_SUCCESS;
}

TEST_F(CapiTest, OpenAmpShimReturnsLengthsAndOpenAmpErrors) {
  ASSERT_TRUE(pair_.host().RegisterDriver("oa", driver_).ok());
  Received rx;
  struct rpmsg_endpoint ept = {};
  ept.priv = &rx;  // OpenAMP apps set priv themselves; create keeps it
  ASSERT_EQ(rpmsg_create_ept(&ept, tandem_openamp_rdev(&remote_), "oa", RPMSG_ADDR_ANY,
                             RPMSG_ADDR_ANY, OpenAmpRecord, nullptr),
            RPMSG_SUCCESS);
  EXPECT_EQ(ept.addr, 0x400u);
  EXPECT_EQ(ept.dest_addr, RPMSG_ADDR_ANY);
  EXPECT_STREQ(ept.name, "oa");
  EXPECT_EQ(is_rpmsg_ept_ready(&ept), 0u);
  EXPECT_EQ(rpmsg_send(&ept, "x", 1), RPMSG_ERR_PARAM);  // OpenAMP: dst RPMSG_ADDR_ANY
  pair_.Pump();
  ASSERT_EQ(driver_.bound.size(), 1u);
  HostSends("hello");
  ASSERT_EQ(rx.texts.size(), 1u);
  EXPECT_EQ(is_rpmsg_ept_ready(&ept), 1u);
  EXPECT_EQ(ept.dest_addr, driver_.bound[0]->local_address());

  EXPECT_EQ(rpmsg_send(&ept, "abc", 3), 3);
  EXPECT_EQ(rpmsg_trysend(&ept, "de", 2), 2);
  EXPECT_EQ(rpmsg_sendto(&ept, "f", 1, ept.dest_addr), 1);
  EXPECT_EQ(rpmsg_sendto(&ept, "f", 1, RPMSG_ADDR_ANY), RPMSG_ERR_PARAM);
  EXPECT_EQ(rpmsg_send(&ept, "f", -1), RPMSG_ERR_PARAM);
  EXPECT_EQ(rpmsg_get_tx_buffer_size(&ept), 496);
  EXPECT_EQ(rpmsg_get_rx_buffer_size(&ept), 496);
  const std::vector<char> too_big(497, 'z');
  EXPECT_EQ(rpmsg_send(&ept, too_big.data(), 497), RPMSG_ERR_BUFF_SIZE);
  uint32_t len = 0;
  EXPECT_EQ(rpmsg_get_tx_payload_buffer(&ept, &len, 0), nullptr);  // no slots
  tandem_rpmsg_buffer_slot slots[1];
  ASSERT_EQ(tandem_rpmsg_device_set_buffer_slots(&remote_, slots, 1), TANDEM_OK);
  void* tx = rpmsg_get_tx_payload_buffer(&ept, &len, 0);
  ASSERT_NE(tx, nullptr);
  EXPECT_EQ(len, 496u);
  std::memcpy(tx, "zc", 2);
  EXPECT_EQ(rpmsg_send_nocopy(&ept, tx, 2), 2);
  tx = rpmsg_get_tx_payload_buffer(&ept, &len, 0);
  ASSERT_NE(tx, nullptr);
  EXPECT_EQ(rpmsg_release_tx_buffer(&ept, tx), RPMSG_SUCCESS);
  pair_.Pump();
  ASSERT_EQ(driver_.collector.messages.size(), 4u);
  EXPECT_EQ(driver_.collector.messages[3].payload.size(), 2u);
  rpmsg_destroy_ept(&ept);
  EXPECT_EQ(ept.addr, RPMSG_ADDR_ANY);
  pair_.Pump();
  EXPECT_EQ(driver_.unbound.size(), 1u);
}

TEST_F(CapiTest, OpenAmpApplicationInCEchoesCopyingAndZeroCopy) {
  RecordingDriver nocopy_driver;
  ASSERT_TRUE(pair_.host().RegisterDriver("rpmsg-openamp-demo-channel", driver_).ok());
  ASSERT_TRUE(pair_.host().RegisterDriver("nocopy", nocopy_driver).ok());
  tandem_rpmsg_buffer_slot slots[4];
  ASSERT_EQ(tandem_rpmsg_device_set_buffer_slots(&remote_, slots, 4), TANDEM_OK);
  ASSERT_EQ(openamp_app_start(&remote_), RPMSG_SUCCESS);
  pair_.Pump();
  ASSERT_EQ(driver_.bound.size(), 1u);
  ASSERT_EQ(nocopy_driver.bound.size(), 1u);
  HostSends("echo me");
  EXPECT_EQ(openamp_app_last_send_result(), 7);
  ASSERT_TRUE(nocopy_driver.bound[0]->TrySend(AsBytes("zero copy", 9)).ok());
  pair_.Pump();
  EXPECT_EQ(openamp_app_last_send_result(), 9);
  ASSERT_EQ(driver_.collector.messages.size(), 1u);
  ASSERT_EQ(nocopy_driver.collector.messages.size(), 1u);
  EXPECT_EQ(std::string(nocopy_driver.collector.messages[0].payload.begin(),
                        nocopy_driver.collector.messages[0].payload.end()),
            "zero copy");
  EXPECT_EQ(pair_.remote().stats().rx_held, 0u);
  openamp_app_stop();
  pair_.Pump();
  EXPECT_EQ(driver_.unbound.size(), 1u);
}

// --- Zephyr's rpmsg_service -------------------------------------------------

TEST_F(CapiTest, ZephyrSnippetRegistersAnnouncesAndSends) {
  tandem_rpmsg_service_reset();
  ASSERT_TRUE(pair_.host().RegisterDriver("my_channel", driver_).ok());
  init_ipc();  // before the device is set, as Zephyr allows
  EXPECT_FALSE(rpmsg_service_endpoint_is_bound(0));
  ASSERT_EQ(tandem_rpmsg_service_set_device(&remote_), RPMSG_SUCCESS);
  pair_.Pump();
  ASSERT_EQ(driver_.bound.size(), 1u);
  HostSends("hello zephyr");
  EXPECT_TRUE(rpmsg_service_endpoint_is_bound(0));
  char text[] = "from the snippet";
  send_to_remote(text, sizeof(text) - 1);
  pair_.Pump();
  ASSERT_EQ(driver_.collector.messages.size(), 1u);
  EXPECT_EQ(std::string(driver_.collector.messages[0].payload.begin(),
                        driver_.collector.messages[0].payload.end()),
            "from the snippet");
  EXPECT_EQ(rpmsg_service_send(7, text, 1), RPMSG_ERR_PARAM);  // no such id
  for (int i = 1; i < TANDEM_RPMSG_SERVICE_MAX_ENDPOINTS; ++i) {
    EXPECT_EQ(rpmsg_service_register_endpoint(("extra" + std::to_string(i)).c_str(), rpmsg_cb), i)
        << i;
  }
  EXPECT_EQ(rpmsg_service_register_endpoint("one-too-many", rpmsg_cb), RPMSG_ERR_NO_MEM);
  tandem_rpmsg_service_reset();
  pair_.Pump();
}

TEST_F(CapiTest, ZephyrServiceOnAHostBindsWhenTheRemoteAnnounces) {
  tandem_rpmsg_service_reset();
  ASSERT_EQ(tandem_rpmsg_service_set_device(&host_), RPMSG_SUCCESS);
  const int id = rpmsg_service_register_endpoint("svc", rpmsg_cb);
  ASSERT_EQ(id, 0);
  EXPECT_EQ(rpmsg_service_send(id, "x", 1), RPMSG_ERR_DEV_STATE);  // not announced yet
  Received remote_rx;
  ASSERT_EQ(tandem_rpmsg_create_ept(&remote_ept_, &remote_, "svc", TANDEM_RPMSG_ADDR_ANY,
                                    TANDEM_RPMSG_ADDR_ANY, Record, nullptr, &remote_rx),
            TANDEM_OK);
  pair_.Pump();
  EXPECT_TRUE(rpmsg_service_endpoint_is_bound(id));
  EXPECT_EQ(rpmsg_service_send(id, "to remote", 9), 9);
  pair_.Pump();
  EXPECT_EQ(remote_rx.texts, std::vector<std::string>{"to remote"});
  tandem_rpmsg_service_reset();
}

}  // namespace
}  // namespace tandem::capi
