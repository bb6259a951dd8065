#include "tandem/rsc/resource_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tandem/rsc/errors.h"
#include "tandem/rsc/table_patch.h"
#include "tandem/testing/rsc_tables.h"

namespace tandem::rsc {
namespace {

using namespace tandem::rsc::testing;

Status ParseStatus(const Bytes& b, VendorHandler* h = nullptr) {
  return ResourceTable::Parse(Span(b), h).status();
}

// A typical table: code carveout, data carveout, devmem, trace, rpmsg vdev.
std::vector<Bytes> GoodEntries() {
  return {
      CarveoutBytes(0x20000000, 0x40000, "code", 0x80000000, 3),
      CarveoutBytes(kAddrAny, 0x10000, "data"),
      DevmemBytes(0x40000000, 0x50000000, 0x1000, "uart"),
      TraceBytes(0x20040000, 0x1000, "trace0"),
      VdevBytes(kVirtioIdRpmsg, 4, 1, {{kAddrAny, 16, 256, 0}, {0x20050000, 4096, 128, 1}}),
  };
}

TEST(ResourceTable, ParsesEveryEntryType) {
  const Bytes b = TableBytes(GoodEntries());
  const Result<ResourceTable> t = ResourceTable::Parse(Span(b));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 5u);

  const Entry e0 = t->entry(0).value();
  ASSERT_EQ(e0.kind(), EntryKind::kCarveout);
  EXPECT_EQ(e0.offset(), 36u);  // 16-byte header + 5 offsets
  EXPECT_EQ(e0.carveout().offset, 36u);
  EXPECT_EQ(e0.carveout().da, 0x20000000u);
  EXPECT_EQ(e0.carveout().pa, 0x80000000u);
  EXPECT_EQ(e0.carveout().len, 0x40000u);
  EXPECT_EQ(e0.carveout().flags, 3u);
  EXPECT_STREQ(e0.carveout().name.c_str(), "code");

  const Entry e1 = t->entry(1).value();
  EXPECT_EQ(e1.offset(), 36u + 56u);
  EXPECT_EQ(e1.carveout().da, kAddrAny);

  const Devmem d = t->entry(2)->devmem();
  EXPECT_EQ(d.da, 0x40000000u);
  EXPECT_EQ(d.pa, 0x50000000u);
  EXPECT_EQ(d.len, 0x1000u);
  EXPECT_STREQ(d.name.c_str(), "uart");

  const Trace tr = t->entry(3)->trace();
  EXPECT_EQ(tr.da, 0x20040000u);
  EXPECT_EQ(tr.len, 0x1000u);
  EXPECT_STREQ(tr.name.c_str(), "trace0");

  const Vdev v = t->entry(4)->vdev();
  EXPECT_EQ(v.id, kVirtioIdRpmsg);
  EXPECT_EQ(v.notifyid, 4u);
  EXPECT_EQ(v.dfeatures, 1u);
  ASSERT_EQ(v.vrings().size(), 2u);
  EXPECT_EQ(v.vrings()[0].da, kAddrAny);
  EXPECT_EQ(v.vrings()[0].align, 16u);
  EXPECT_EQ(v.vrings()[0].num, 256u);
  EXPECT_EQ(v.vrings()[1].da, 0x20050000u);
  EXPECT_EQ(v.vrings()[1].notifyid, 1u);
  EXPECT_EQ(v.config.size(), 0u);

  EXPECT_EQ(t->entry(5).status().code(), StatusCode::kOutOfRange);
}

TEST(ResourceTable, IteratesEntriesInTableOrder) {
  const Bytes b = TableBytes(GoodEntries());
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  std::vector<EntryKind> kinds;
  std::vector<std::uint32_t> offsets;
  for (const Entry& e : t.entries()) {
    kinds.push_back(e.kind());
    offsets.push_back(e.offset());
  }
  EXPECT_EQ(kinds,
            (std::vector<EntryKind>{EntryKind::kCarveout, EntryKind::kCarveout, EntryKind::kDevmem,
                                    EntryKind::kTrace, EntryKind::kVdev}));
  for (std::size_t i = 0; i < offsets.size(); ++i)
    EXPECT_EQ(offsets[i], GetLe32(b, OffsetField(i)));
}

TEST(ResourceTable, VdevConfigSpaceIsAViewIntoTheTable) {
  const Bytes config = {1, 2, 3, 4, 5, 6};
  const Bytes b = TableBytes({VdevBytes(5, 0, 0, {{kAddrAny, 4, 8, 0}}, config)});
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  const Vdev v = t.entry(0)->vdev();
  EXPECT_EQ(v.config_len, 6u);
  ASSERT_EQ(v.config.size(), 6u);
  EXPECT_EQ(std::memcmp(v.config.data(), config.data(), 6), 0);
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(v.config.data()),
            b.data() + 16 + 4 + 4 + 24 + 20);
}

TEST(ResourceTable, AcceptsZeroEntryTable) {
  const Bytes b = TableBytes({});
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.entries().begin() == t.entries().end());
}

TEST(ResourceTable, RejectsTableSmallerThanHeader) {
  const Bytes b = TableBytes({});
  for (std::size_t len = 0; len < 16; ++len) {
    EXPECT_EQ(ResourceTable::Parse(Span(b).first(len)).status().code(), StatusCode::kDataLoss);
  }
}

TEST(ResourceTable, RejectsTruncationAtEveryLength) {
  // Every proper prefix of a good table loses a part of some entry.
  const Bytes b = TableBytes(GoodEntries());
  for (std::size_t len = 0; len < b.size(); ++len) {
    EXPECT_FALSE(ResourceTable::Parse(Span(b).first(len)).ok()) << len;
  }
}

TEST(ResourceTable, RejectsUnsupportedVersion) {
  for (std::uint32_t ver : {0u, 2u, 0xffffffffu}) {
    const Bytes b = TableBytes(GoodEntries(), ver);
    const Status s = ParseStatus(b);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(s.Is(error::kUnsupportedVersion)) << s.message();
  }
}

TEST(ResourceTable, RejectsHugeNum) {
  Bytes b = TableBytes(GoodEntries());
  for (std::uint32_t num : {0xffffffffu, 0x40000000u, 0x3fffffffu, 1000u}) {
    PutLe32(b, 4, num);
    const Status s = ParseStatus(b);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << num;
    EXPECT_TRUE(s.Is(error::kOffsetArrayPastEnd)) << s.message();
  }
}

TEST(ResourceTable, RejectsMoreEntriesThanTheLimit) {
  std::vector<Bytes> entries(kMaxEntries + 1, TraceBytes(0x1000, 16, "t"));
  const Bytes b = TableBytes(entries);
  const Status s = ParseStatus(b);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.Is(error::kTooManyEntries)) << s.message();
  entries.pop_back();
  EXPECT_TRUE(ResourceTable::Parse(Span(TableBytes(entries))).ok());
}

TEST(ResourceTable, RejectsOffsetArrayPastEnd) {
  Bytes b = TableBytes({});
  PutLe32(b, 4, 1);  // one offset, but the table ends after the header
  Status s = ParseStatus(b);
  EXPECT_TRUE(s.Is(error::kOffsetArrayPastEnd)) << s.message();
  b.resize(19);  // three of its four bytes
  s = ParseStatus(b);
  EXPECT_TRUE(s.Is(error::kOffsetArrayPastEnd)) << s.message();
}

TEST(ResourceTable, RejectsOffsetPastEnd) {
  Bytes b = TableBytes(GoodEntries());
  for (std::uint32_t off : {static_cast<std::uint32_t>(b.size()), 0xfffffffcu}) {
    Bytes bad = b;
    PutLe32(bad, OffsetField(4), off);
    const Status s = ParseStatus(bad);
    EXPECT_TRUE(s.Is(error::kEntryOffsetPastEnd)) << off << ": " << s.message();
  }
}

TEST(ResourceTable, RejectsUnalignedOffset) {
  Bytes b = TableBytes(GoodEntries());
  PutLe32(b, OffsetField(2), GetLe32(b, OffsetField(2)) + 2);
  const Status s = ParseStatus(b);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kEntryOffsetUnaligned)) << s.message();
}

TEST(ResourceTable, RejectsOffsetIntoHeader) {
  Bytes b = TableBytes(GoodEntries());
  for (std::uint32_t off : {0u, 8u, 32u /* inside the offset array */}) {
    PutLe32(b, OffsetField(0), off);
    const Status s = ParseStatus(b);
    EXPECT_TRUE(s.Is(error::kEntryOffsetInHeader)) << off << ": " << s.message();
  }
}

TEST(ResourceTable, RejectsOffsetsOutOfOrderOrDuplicated) {
  const Bytes good = TableBytes(GoodEntries());
  Bytes swapped = good;
  PutLe32(swapped, OffsetField(1), GetLe32(good, OffsetField(2)));
  PutLe32(swapped, OffsetField(2), GetLe32(good, OffsetField(1)));
  Status s = ParseStatus(swapped);
  EXPECT_TRUE(s.Is(error::kEntryOffsetsNotIncreasing)) << s.message();
  Bytes duplicate = good;
  PutLe32(duplicate, OffsetField(1), GetLe32(good, OffsetField(0)));
  s = ParseStatus(duplicate);
  EXPECT_TRUE(s.Is(error::kEntryOffsetsNotIncreasing)) << s.message();
}

TEST(ResourceTable, RejectsOverlappingEntries) {
  // Entry 1 starts inside entry 0 (a carveout needs 56 bytes).
  Bytes b = TableBytes(GoodEntries());
  PutLe32(b, OffsetField(1), GetLe32(b, OffsetField(0)) + 52);
  const Status s = ParseStatus(b);
  EXPECT_TRUE(s.Is(error::kCarveoutTruncated)) << s.message();
}

// The last entry of each type, one byte short of its size.
TEST(ResourceTable, RejectsEachEntryTypeTruncated) {
  struct Case {
    Bytes entry;
    bool (*is_expected)(const Status&);
    const char* name;
  };
  // A Reason is a distinct type per text length, so each case carries a
  // matcher rather than the Reason itself.
  const std::vector<Case> cases = {
      {CarveoutBytes(0x1000, 16, "c"),
       [](const Status& s) { return s.Is(error::kCarveoutTruncated); }, "carveout"},
      {DevmemBytes(0x1000, 0x1000, 16, "d"),
       [](const Status& s) { return s.Is(error::kDevmemTruncated); }, "devmem"},
      {TraceBytes(0x1000, 16, "t"), [](const Status& s) { return s.Is(error::kTraceTruncated); },
       "trace"},
      {VdevBytes(7, 0, 0, {}), [](const Status& s) { return s.Is(error::kVdevTruncated); }, "vdev"},
      {{0, 0}, [](const Status& s) { return s.Is(error::kEntryTypeTruncated); }, "type"},
  };
  for (const Case& c : cases) {
    const Bytes full = TableBytes({c.entry});
    EXPECT_TRUE(c.entry.size() < 4 || ResourceTable::Parse(Span(full)).ok()) << c.name;
    const Bytes cut(full.begin(), full.end() - (c.entry.size() < 4 ? 2 : 1));
    const Status s = ParseStatus(cut);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << c.name;
    EXPECT_TRUE(c.is_expected(s)) << c.name << ": " << s.message();
  }
}

TEST(ResourceTable, RejectsVdevVringsPastTheEntry) {
  Bytes b = TableBytes({VdevBytes(7, 0, 0, {{kAddrAny, 16, 256, 0}}), TraceBytes(0, 4, "t")});
  const std::size_t vdev = GetLe32(b, OffsetField(0));
  b[vdev + 4 + 21] = 2;  // num_of_vrings 2, room for 1 before the trace entry
  Status s = ParseStatus(b);
  EXPECT_TRUE(s.Is(error::kVringsPastEntry)) << s.message();
  b[vdev + 4 + 21] = 9;
  s = ParseStatus(b);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.Is(error::kTooManyVrings)) << s.message();
}

TEST(ResourceTable, RejectsConfigLenPastTheEntry) {
  const Bytes good = TableBytes({VdevBytes(7, 0, 0, {{kAddrAny, 16, 256, 0}}, {1, 2, 3, 4})});
  const std::size_t config_len = GetLe32(good, OffsetField(0)) + 4 + 16;
  for (std::uint32_t len : {5u, 1000u, 0xffffffffu}) {
    Bytes b = good;
    PutLe32(b, config_len, len);
    const Status s = ParseStatus(b);
    EXPECT_TRUE(s.Is(error::kConfigPastEntry)) << len << ": " << s.message();
  }
}

TEST(ResourceTable, RejectsBadVringNum) {
  for (std::uint32_t num : {0u, 3u, 100u, 65536u, 0x80000000u}) {
    const Bytes b =
        TableBytes({VdevBytes(7, 0, 0, {{kAddrAny, 16, 256, 0}, {kAddrAny, 16, num, 1}})});
    const Status s = ParseStatus(b);
    EXPECT_TRUE(s.Is(error::kBadVringNum)) << num << ": " << s.message();
  }
  for (std::uint32_t num : {1u, 32768u}) {
    EXPECT_TRUE(
        ResourceTable::Parse(Span(TableBytes({VdevBytes(7, 0, 0, {{0x1000, 16, num, 0}})}))).ok())
        << num;
  }
}

TEST(ResourceTable, RejectsBadVringAlign) {
  for (std::uint32_t align : {0u, 3u, 4097u}) {
    const Bytes b = TableBytes({VdevBytes(7, 0, 0, {{kAddrAny, align, 256, 0}})});
    const Status s = ParseStatus(b);
    EXPECT_TRUE(s.Is(error::kBadVringAlign)) << align << ": " << s.message();
  }
}

TEST(ResourceTable, RejectsOverlappingCarveouts) {
  const Bytes b = TableBytes({CarveoutBytes(0x1000, 0x1000, "a"), TraceBytes(0, 4, "t"),
                              CarveoutBytes(0x1fff, 0x10, "b")});
  const Status s = ParseStatus(b);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kCarveoutsOverlap)) << s.message();
  // Containing the other one entirely, in either order.
  EXPECT_FALSE(ResourceTable::Parse(Span(TableBytes({CarveoutBytes(0x1800, 0x10, "a"),
                                                     CarveoutBytes(0x1000, 0x1000, "b")})))
                   .ok());
}

TEST(ResourceTable, AcceptsAdjacentAndHostPlacedCarveouts) {
  const Bytes b =
      TableBytes({CarveoutBytes(0x1000, 0x1000, "a"), CarveoutBytes(0x2000, 0x10, "b"),
                  CarveoutBytes(0x0ff0, 0x10, "c"), CarveoutBytes(kAddrAny, 0x1000, "d"),
                  CarveoutBytes(kAddrAny, 0x1000, "e"), CarveoutBytes(0x1800, 0, "f")});
  const Result<ResourceTable> t = ResourceTable::Parse(Span(b));
  EXPECT_TRUE(t.ok()) << t.status().message();
}

TEST(ResourceTable, RejectsRangesWrappingTheAddressSpace) {
  Status s = ParseStatus(TableBytes({CarveoutBytes(0xfffff000, 0x1001, "a")}));
  EXPECT_TRUE(s.Is(error::kCarveoutWraps)) << s.message();
  s = ParseStatus(TableBytes({DevmemBytes(0xffffff00, 0, 0x101, "d")}));
  EXPECT_TRUE(s.Is(error::kDevmemWraps)) << s.message();
  s = ParseStatus(TableBytes({TraceBytes(0xfffffff0, 0x11, "t")}));
  EXPECT_TRUE(s.Is(error::kTraceWraps)) << s.message();
  // Ending exactly at 2^32 is fine.
  EXPECT_TRUE(
      ResourceTable::Parse(Span(TableBytes({CarveoutBytes(0xfffff000, 0x1000, "a")}))).ok());
}

TEST(ResourceTable, RejectsUnknownTypes) {
  for (std::uint32_t type : {4u, 5u, 127u, 513u, 0xffffffffu}) {
    const Bytes b = TableBytes({VendorBytes(type, {1, 2, 3, 4})});
    const Status s = ParseStatus(b);
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << type;
    EXPECT_TRUE(s.Is(error::kUnsupportedType)) << s.message();
  }
}

// The handler's own error, to show that Parse() returns it unchanged.
inline constexpr char kVendorRefused[] = "vendor refused";

class RecordingVendor final : public VendorHandler {
 public:
  Status Handle(std::uint32_t type, ConstByteSpan body) override {
    const auto* p = reinterpret_cast<const std::uint8_t*>(body.data());
    calls.push_back({type, Bytes(p, p + body.size())});
    return type == refuse ? FailedPrecondition(kVendorRefused) : OkStatus();
  }
  struct Call {
    std::uint32_t type;
    Bytes body;
  };
  std::vector<Call> calls;
  std::uint32_t refuse = 0;
};

TEST(ResourceTable, SkipsVendorTypesWithoutHandler) {
  const Bytes b = TableBytes({VendorBytes(128, {9, 9, 9, 9}), TraceBytes(0, 4, "t"),
                              VendorBytes(512, {1, 2, 3, 4, 5, 6, 7, 8})});
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  const Entry e = t.entry(2).value();
  ASSERT_EQ(e.kind(), EntryKind::kVendor);
  EXPECT_EQ(e.vendor().type, 512u);
  EXPECT_EQ(e.vendor().body.size(), 8u);
}

TEST(ResourceTable, PassesVendorTypesToHandlerInOrder) {
  const Bytes b = TableBytes({VendorBytes(128, {9, 9, 9, 9}), TraceBytes(0, 4, "t"),
                              VendorBytes(300, {1, 2, 3, 4, 5, 6, 7, 8})});
  RecordingVendor vendor;
  ASSERT_TRUE(ResourceTable::Parse(Span(b), &vendor).ok());
  ASSERT_EQ(vendor.calls.size(), 2u);
  EXPECT_EQ(vendor.calls[0].type, 128u);
  EXPECT_EQ(vendor.calls[0].body, (Bytes{9, 9, 9, 9}));
  EXPECT_EQ(vendor.calls[1].type, 300u);
  EXPECT_EQ(vendor.calls[1].body, (Bytes{1, 2, 3, 4, 5, 6, 7, 8}));

  vendor.calls.clear();
  vendor.refuse = 300;
  const Status s = ParseStatus(b, &vendor);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(s.Is(kVendorRefused)) << s.message();
}

TEST(ResourceTable, VendorHandlerNotCalledForInvalidTable) {
  const Bytes b = TableBytes({VendorBytes(128, {9, 9, 9, 9}), VendorBytes(4, {})});
  RecordingVendor vendor;
  const Status s = ParseStatus(b, &vendor);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(s.Is(error::kUnsupportedType)) << s.message();
  EXPECT_TRUE(vendor.calls.empty());
}

TEST(ResourceTable, TruncatesNameWithoutNul) {
  const std::string long_name(40, 'x');  // AppendName writes the first 32, no NUL
  const Bytes b = TableBytes({CarveoutBytes(0x1000, 16, long_name), TraceBytes(0, 4, "y")});
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  EXPECT_EQ(std::string(t.entry(0)->carveout().name.c_str()), std::string(32, 'x'));
  EXPECT_STREQ(t.entry(1)->trace().name.c_str(), "y");
}

TEST(ResourceTable, IterationSurvivesBytesChangingAfterParse) {
  Bytes b = TableBytes(GoodEntries());
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  PutLe32(b, OffsetField(3), 0xfffffff0);  // contract broken by the caller
  std::vector<EntryKind> kinds;
  for (const Entry& e : t.entries()) kinds.push_back(e.kind());
  ASSERT_EQ(kinds.size(), 5u);
  EXPECT_EQ(kinds[2], EntryKind::kDevmem);  // still bounded by the table end
  EXPECT_EQ(kinds[3], EntryKind::kInvalid);
  EXPECT_EQ(kinds[4], EntryKind::kVdev);
  const Status s = t.entry(3).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kEntryOffsetPastEnd)) << s.message();
  EXPECT_TRUE(t.entry(5).status().Is(error::kEntryIndexOutOfRange));
}

// --- table_patch.h ---

TEST(TablePatch, WritesAllocatedAddressesIntoTheLoadedCopy) {
  Bytes b = TableBytes(GoodEntries());
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  const Carveout data = t.entry(1)->carveout();
  const Vdev vdev = t.entry(4)->vdev();
  Bytes loaded = b;  // the host's copy
  ASSERT_TRUE(SetCarveoutAddress(MutableSpan(loaded), data, 0x30000000, 0x90000000).ok());
  ASSERT_TRUE(SetVringDeviceAddress(MutableSpan(loaded), vdev, 0, 0x30010000).ok());
  ASSERT_TRUE(SetVringNotifyId(MutableSpan(loaded), vdev, 1, 7).ok());
  ASSERT_TRUE(SetVdevGuestFeatures(MutableSpan(loaded), vdev, 1).ok());
  ASSERT_TRUE(SetVdevStatus(MutableSpan(loaded), vdev, 0x0f).ok());
  EXPECT_EQ(ReadVdevStatus(Span(loaded), vdev).value(), 0x0f);

  const ResourceTable patched = ResourceTable::Parse(Span(loaded)).value();
  EXPECT_EQ(patched.entry(1)->carveout().da, 0x30000000u);
  EXPECT_EQ(patched.entry(1)->carveout().pa, 0x90000000u);
  EXPECT_EQ(patched.entry(1)->carveout().len, 0x10000u);  // untouched
  const Vdev pv = patched.entry(4)->vdev();
  EXPECT_EQ(pv.vrings()[0].da, 0x30010000u);
  EXPECT_EQ(pv.vrings()[0].notifyid, 0u);
  EXPECT_EQ(pv.vrings()[1].notifyid, 7u);
  EXPECT_EQ(pv.vrings()[1].da, 0x20050000u);
  EXPECT_EQ(pv.gfeatures, 1u);
  EXPECT_EQ(pv.status, 0x0f);
  // Nothing else moved.
  std::size_t differing = 0;
  for (std::size_t i = 0; i < b.size(); ++i) differing += b[i] != loaded[i];
  EXPECT_LE(differing, 4u + 4u + 4u + 4u + 1u + 1u);
}

TEST(TablePatch, RejectsVringIndexPastNumOfVrings) {
  Bytes b = TableBytes(GoodEntries());
  const Vdev vdev = ResourceTable::Parse(Span(b))->entry(4)->vdev();
  Status s = SetVringDeviceAddress(MutableSpan(b), vdev, 2, 0);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(s.Is(error::kVringIndexOutOfRange)) << s.message();
  s = SetVringNotifyId(MutableSpan(b), vdev, 8, 0);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(s.Is(error::kVringIndexOutOfRange)) << s.message();
}

TEST(TablePatch, RejectsEntryOfAnotherTypeOrOutsideTheTable) {
  Bytes b = TableBytes(GoodEntries());
  const ResourceTable t = ResourceTable::Parse(Span(b)).value();
  Vdev wrong = t.entry(4)->vdev();
  wrong.offset = t.entry(3)->offset();  // the trace entry
  Status s = SetVdevStatus(MutableSpan(b), wrong, 1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(s.Is(error::kEntryTypeDiffers)) << s.message();
  s = ReadVdevStatus(Span(b), wrong).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(s.Is(error::kEntryTypeDiffers)) << s.message();

  Carveout far = t.entry(0)->carveout();
  far.offset = static_cast<std::uint32_t>(b.size() - 8);
  s = SetCarveoutAddress(MutableSpan(b), far, 0, 0);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(s.Is(error::kFieldOutsideTable)) << s.message();
  far.offset = 0xfffffffc;
  s = SetCarveoutAddress(MutableSpan(b), far, 0, 0);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(s.Is(error::kFieldOutsideTable)) << s.message();

  // A copy cut short: vring 1's notifyid and pa (its last 8 bytes) are gone.
  const Vdev vdev = t.entry(4)->vdev();
  Bytes cut(b.begin(), b.end() - 8);
  s = SetVringNotifyId(MutableSpan(cut), vdev, 1, 0);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(s.Is(error::kFieldOutsideTable)) << s.message();
  EXPECT_TRUE(SetVringDeviceAddress(MutableSpan(cut), vdev, 1, 0).ok());
}

}  // namespace
}  // namespace tandem::rsc
