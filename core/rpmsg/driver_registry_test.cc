#include "tandem/rpmsg/driver_registry.h"

#include <gtest/gtest.h>

#include <string>

#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {
namespace {

class NullHandler final : public ChannelHandler {
 public:
  void OnBound(Channel&) override {}
  void OnUnbound(Channel&) override {}
};

TEST(DriverRegistry, FindsTheHandlerRegisteredForAName) {
  DriverRegistry r;
  NullHandler a, b;
  ASSERT_TRUE(r.Add("rpmsg-client-sample", a).ok());
  ASSERT_TRUE(r.Add("rpmsg-tty", b).ok());
  EXPECT_EQ(r.Find("rpmsg-client-sample"), &a);
  EXPECT_EQ(r.Find("rpmsg-tty"), &b);
  EXPECT_EQ(r.Find("rpmsg-tt"), nullptr);  // whole names only
  EXPECT_EQ(r.Find("rpmsg-tty2"), nullptr);
}

TEST(DriverRegistry, RejectsBadNamesAndSecondRegistrations) {
  DriverRegistry r;
  NullHandler a;
  EXPECT_TRUE(r.Add("", a).Is(kBadDriverName));
  EXPECT_TRUE(r.Add(nullptr, a).Is(kBadDriverName));
  EXPECT_TRUE(r.Add(std::string(kNameSize, 'x').c_str(), a).Is(kBadDriverName));
  EXPECT_TRUE(r.Add(std::string(kNameSize - 1, 'x').c_str(), a).ok());
  const Status again = r.Add("other", a);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(again.Is(kDriverRegistered));
}

TEST(DriverRegistry, FirstOfTwoHandlersForOneNameWins) {
  DriverRegistry r;
  NullHandler a, b;
  ASSERT_TRUE(r.Add("svc", a).ok());
  ASSERT_TRUE(r.Add("svc", b).ok());
  EXPECT_EQ(r.Find("svc"), &a);
  r.Remove(a);
  EXPECT_EQ(r.Find("svc"), &b);
}

TEST(DriverRegistry, FullTableAndReuseAfterRemove) {
  DriverRegistry r;
  NullHandler h[DriverRegistry::kMaxDrivers + 1];
  for (std::size_t i = 0; i < DriverRegistry::kMaxDrivers; ++i) {
    ASSERT_TRUE(r.Add(("d" + std::to_string(i)).c_str(), h[i]).ok());
  }
  const Status full = r.Add("late", h[DriverRegistry::kMaxDrivers]);
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(full.Is(kDriverTableFull));
  r.Remove(h[3]);
  EXPECT_EQ(r.Find("d3"), nullptr);
  r.Remove(h[3]);  // a no-op the second time
  EXPECT_TRUE(r.Add("late", h[DriverRegistry::kMaxDrivers]).ok());
  EXPECT_EQ(r.Find("late"), &h[DriverRegistry::kMaxDrivers]);
}

}  // namespace
}  // namespace tandem::rpmsg
