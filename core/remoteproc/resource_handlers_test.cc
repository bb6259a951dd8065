// The resource handlers alone, over FakePlatform and a parsed table: each
// handler's checks, what it writes back for Placement::kBoot and leaves
// alone for Placement::kAttach, and the dispatch order.

#include "resource_handlers.h"

#include <gtest/gtest.h>

#include <string>

#include "handler_test_env.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/rsc/builder.h"

namespace tandem::remoteproc {
namespace {

using testing::AssembleTable;
using testing::Bytes;
using testing::FakePlatform;
using testing::Span;

using Handlers = testing::HandlerTest;

using testing::kSram;

// --- Carveout -------------------------------------------------------------------

TEST_F(Handlers, CarveoutWithZeroLengthIsRejected) {
  rsc::Carveout c;
  c.da = kSram;
  c.len = 0;
  ResourceContext ctx = Context(Placement::kBoot);
  EXPECT_TRUE(HandleCarveout(c, ctx).Is(error::kCarveoutZeroLength));
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(Handlers, BootPlacesAnAnyAddressCarveoutAndWritesDaAndPaBack) {
  Use(AssembleTable(rsc::MakeCarveout(rsc::kAddrAny, 0x2000, "data")));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  ASSERT_EQ(map_.regions().size(), 1u);
  const std::uint64_t da = map_.regions()[0].region.device_address();
  EXPECT_EQ(da, FakePlatform::kPoolBase);  // the platform chose it
  const rsc::Carveout c = EntryNow(0).carveout();
  EXPECT_EQ(c.da, da);
  EXPECT_EQ(c.pa, da);
}

TEST_F(Handlers, BootWritesPaOfAFixedCarveoutAttachLeavesTheTableAlone) {
  Use(AssembleTable(rsc::MakeCarveout(kSram, 0x1000, "code")));
  const Bytes before = table_;
  ASSERT_TRUE(HandleAll(Placement::kAttach).ok());
  EXPECT_EQ(table_, before);
  EXPECT_TRUE(Mapped("code"));

  platform_.ReleaseMemory();
  map_.Clear();
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok());
  EXPECT_EQ(EntryNow(0).carveout().pa, kSram);
}

TEST_F(Handlers, AttachRefusesAnAnyAddressCarveoutNamingIt) {
  Use(AssembleTable(rsc::MakeCarveout(rsc::kAddrAny, 0x2000, "data")));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kAttachCarveoutAnyAddress));
  EXPECT_EQ(std::string(detail_.c_str()), "data");
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(Handlers, CarveoutThePlatformCannotMapFailsWithThePlatformsStatus) {
  Use(AssembleTable(rsc::MakeCarveout(0x50000000, 0x1000, "nowhere")));
  EXPECT_EQ(HandleAll(Placement::kBoot).code(), StatusCode::kNotFound);
  EXPECT_EQ(std::string(detail_.c_str()), "cannot map nowhere size 0x1000 at 0x50000000");
}

// --- Devmem -----------------------------------------------------------------------

TEST_F(Handlers, DevmemWithZeroLengthOrWithoutAFixedAddressIsRejected) {
  rsc::Devmem d;
  d.da = kSram;
  d.len = 0;
  ResourceContext ctx = Context(Placement::kBoot);
  EXPECT_TRUE(HandleDevmem(d, ctx).Is(error::kDevmemZeroLength));
  d.len = 0x1000;
  d.da = rsc::kAddrAny;
  EXPECT_TRUE(HandleDevmem(d, ctx).Is(error::kDevmemAnyAddress));
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(Handlers, DevmemIsMappedAsDevmem) {
  Use(AssembleTable(rsc::MakeDevmem(kSram + 0x10000, kSram + 0x10000, 0x1000, "regs")));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok());
  ASSERT_EQ(map_.regions().size(), 1u);
  EXPECT_EQ(map_.regions()[0].kind, MemoryKind::kDevmem);
}

// --- Trace ---------------------------------------------------------------------------

TEST_F(Handlers, TraceWithZeroLengthOrWithoutAFixedAddressIsRejected) {
  rsc::Trace t;
  t.da = kSram;
  t.len = 0;
  ResourceContext ctx = Context(Placement::kBoot);
  EXPECT_TRUE(HandleTrace(t, ctx).Is(error::kTraceZeroLength));
  t.len = 0x100;
  t.da = rsc::kAddrAny;
  EXPECT_TRUE(HandleTrace(t, ctx).Is(error::kTraceAnyAddress));
}

TEST_F(Handlers, TraceOutsideTheCarveoutsIsRejectedWithItsRange) {
  Use(AssembleTable(rsc::MakeCarveout(kSram, 0x1000, "code"),
                    rsc::MakeTrace(kSram + 0xFF0, 0x20, "trace")));  // straddles the end
  EXPECT_TRUE(HandleAll(Placement::kBoot).Is(error::kTraceOutsideCarveout));
  EXPECT_EQ(std::string(detail_.c_str()), "trace 0x20000ff0 size 0x20");
}

TEST_F(Handlers, OnlyTheFirstTraceIsUsedTheOthersAreCounted) {
  Use(AssembleTable(rsc::MakeCarveout(kSram, 0x1000, "code"),
                    rsc::MakeTrace(kSram + 0x800, 0x100, "trace0"),
                    rsc::MakeTrace(kSram + 0x900, 0x100, "trace1")));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok());
  EXPECT_EQ(out_.trace.da, kSram + 0x800);
  EXPECT_EQ(out_.trace.len, 0x100u);
  EXPECT_EQ(out_.skipped_traces, 1u);
}

// --- Dispatch ----------------------------------------------------------------------------

// Linux's loader walks the table in order; a trace listed before its
// carveout still finds it here, because memory entries are handled first.
TEST_F(Handlers, MemoryEntriesAreHandledBeforeTheEntriesThatLiveInThem) {
  Use(AssembleTable(rsc::MakeTrace(kSram + 0x800, 0x100, "trace"),
                    rsc::MakeCarveout(kSram, 0x1000, "code")));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  EXPECT_EQ(out_.trace.len, 0x100u);
}

// A vendor entry on the wire: type in RSC_VENDOR_START..END, then a body.
struct VendorEntry {
  Le32 type;
  Le32 payload;
};

TEST_F(Handlers, VendorEntriesAreTheFirmwaresOwnAndIgnored) {
  Use(AssembleTable(VendorEntry{Le32(rsc::kRscVendorStart), Le32(0xDEADBEEF)},
                    rsc::MakeCarveout(kSram, 0x1000, "code")));
  ASSERT_EQ(EntryNow(0).kind(), rsc::EntryKind::kVendor);
  const Bytes before = table_;
  ASSERT_TRUE(HandleAll(Placement::kAttach).ok());
  EXPECT_EQ(table_, before);
  EXPECT_EQ(map_.regions().size(), 1u);
}

TEST_F(Handlers, AnEntryThatNoLongerParsesFails) {
  ResourceContext ctx = Context(Placement::kBoot);
  EXPECT_TRUE(HandleResource(rsc::Entry(), ctx).Is(error::kTableChanged));  // kInvalid
}

TEST_F(Handlers, AFailingEntryStopsTheWalk) {
  Use(AssembleTable(rsc::MakeCarveout(0x50000000, 0x1000, "nowhere"),
                    rsc::MakeCarveout(kSram, 0x1000, "code")));
  EXPECT_FALSE(HandleAll(Placement::kBoot).ok());
  EXPECT_FALSE(Mapped("code"));
}

}  // namespace
}  // namespace tandem::remoteproc
