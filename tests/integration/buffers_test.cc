// RPMsg buffer sizes end to end (docs/buffers.md): a host Session and the
// demo firmware built for 2048-byte buffers (firmware/demo_2k) on a
// simulated core in its own process. The size is negotiated through
// VIRTIO_RPMSG_F_BUFSZ; a host configured for another size refuses the
// image at boot with one clear error; the default demo image keeps Linux's
// table and 512-byte buffers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "tandem/elf/elf_file.h"
#include "tandem/host/session.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/rsc/rpmsg_config.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("bufs", tag); }

std::unique_ptr<Session> MakeSession(const SessionOptions& o) {
  auto s = Session::Create(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

void ExpectEcho(ChannelPort& port, const std::vector<std::byte>& payload) {
  ASSERT_TRUE(port.Send(payload, rpmsg::Timeout::Seconds(2)).ok()) << payload.size();
  std::vector<std::byte> in(payload.size() + 64);
  auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->len, payload.size());
  if (!payload.empty()) {
    ASSERT_EQ(std::memcmp(in.data(), payload.data(), payload.size()), 0);
  }
}

std::vector<std::byte> Pattern(std::size_t size, int seed) {
  std::vector<std::byte> p(size);
  for (std::size_t k = 0; k < size; ++k) p[k] = static_cast<std::byte>(seed * 31 + k * 7);
  return p;
}

TEST(Buffers, A2KFirmwareNegotiatesItsSizeAndEchoesAtTheMaxPayload) {
  auto s = MakeSession(Options("2k"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_2K_ELF)).ok())
      << s->rproc().error_detail();
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  const BufferInfo b = s->buffers();
  EXPECT_EQ(b.size, 2048u);
  EXPECT_EQ(b.count, 512u);
  EXPECT_TRUE(b.negotiated);
  EXPECT_EQ(b.mtu(), 2032u);
  const std::size_t mtu = s->bus().mtu();
  ASSERT_EQ(mtu, 2032u);
  // 1 KiB and more, up to exactly the max payload, content-checked.
  int seed = 0;
  for (std::size_t size : {std::size_t{0}, std::size_t{496}, std::size_t{497}, std::size_t{1024},
                           std::size_t{1500}, std::size_t{2031}, mtu}) {
    ExpectEcho(echo, Pattern(size, ++seed));
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 2000; ++i) {
    ExpectEcho(echo, Pattern(1024 + static_cast<std::size_t>(i) % (mtu - 1024 + 1), i));
    if (::testing::Test::HasFatalFailure()) return;
  }
  // One byte more than the MTU is refused, nothing sent.
  EXPECT_EQ(echo.Send(Pattern(mtu + 1, 0)).code(), StatusCode::kInvalidArgument);
  const auto stats = s->bus().stats();
  EXPECT_EQ(stats.rx_too_big + stats.rx_too_short + stats.rx_bad_buffer, 0u);
  ASSERT_TRUE(s->Stop().ok());
  EXPECT_TRUE(s->last_stop().graceful);
}

TEST(Buffers, AHostRequiringTheFirmwaresSizeBoots) {
  auto o = Options("req");
  o.rpmsg_buffer_size = 2048;
  auto s = MakeSession(o);
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_2K_ELF)).ok())
      << s->rproc().error_detail();
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ExpectEcho(echo, Pattern(2032, 7));
}

TEST(Buffers, AHostConfiguredFor512RefusesAFirmwareAsking2048AtBoot) {
  auto o = Options("mismatch");
  o.rpmsg_buffer_size = 512;
  auto s = MakeSession(o);
  const Status st = s->Boot(integration::ReadImage(TANDEM_DEMO_2K_ELF));
  EXPECT_TRUE(st.Is(remoteproc::error::kRpmsgBufferSizeMismatch)) << st.message();
  const std::string detail = s->rproc().error_detail();
  EXPECT_NE(detail.find("configured for 512-byte"), std::string::npos) << detail;
  EXPECT_NE(detail.find("asks for 2048"), std::string::npos) << detail;
  EXPECT_EQ(s->state(), remoteproc::State::kOffline);
  EXPECT_EQ(s->buffers().size, 0u);
  // Set to "as the firmware asks", the same session boots it.
  s->SetRpmsgBufferSize(0);
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_2K_ELF)).ok())
      << s->rproc().error_detail();
  EXPECT_EQ(s->buffers().size, 2048u);
}

TEST(Buffers, TheDefaultDemoKeepsLinuxs512AndItsTable) {
  // The image's table: no config space, no VIRTIO_RPMSG_F_BUFSZ.
  const std::vector<std::byte> image = integration::ReadImage(TANDEM_DEMO_ELF);
  auto elf = elf::ElfFile::Parse(image);
  ASSERT_TRUE(elf.ok());
  auto section = elf->FindSection(".resource_table");
  ASSERT_TRUE(section.ok());
  auto bytes = elf->SectionData(*section);
  ASSERT_TRUE(bytes.ok());
  auto table = rsc::ResourceTable::Parse(*bytes);
  ASSERT_TRUE(table.ok());
  bool found = false;
  for (const rsc::Entry& e : table->entries()) {
    if (e.kind() != rsc::EntryKind::kVdev) continue;
    found = true;
    EXPECT_EQ(e.vdev().config_len, 0u);
    EXPECT_FALSE(rsc::OffersRpmsgBufferSize(e.vdev().dfeatures));
  }
  EXPECT_TRUE(found);

  auto s = MakeSession(Options("default"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(image).ok()) << s->rproc().error_detail();
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  EXPECT_EQ(s->buffers().size, 512u);
  EXPECT_FALSE(s->buffers().negotiated);
  EXPECT_EQ(s->bus().mtu(), 496u);
  ExpectEcho(echo, Pattern(496, 3));
  EXPECT_EQ(echo.Send(Pattern(497, 0)).code(), StatusCode::kInvalidArgument);
}

TEST(Buffers, AHostRequiringAnotherSizeRefusesTheDefaultDemo) {
  auto o = Options("req1k");
  o.rpmsg_buffer_size = 1024;
  auto s = MakeSession(o);
  const Status st = s->Boot(integration::ReadImage(TANDEM_DEMO_ELF));
  EXPECT_TRUE(st.Is(remoteproc::error::kRpmsgBufferSizeMismatch)) << st.message();
  EXPECT_NE(std::string(s->rproc().error_detail()).find("asks for 512"), std::string::npos);
}

}  // namespace
}  // namespace tandem::host
