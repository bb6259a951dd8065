#pragma once
// Compile-time builder for the resource table a firmware declares.
//
// The entry types below are standard-layout structs of Le32 and byte arrays
// whose bytes are exactly the Linux wire format (wire.h); every Make*()
// is consteval, so a table is a constant whose mistakes stop the build. Two
// ways to declare a table, both placed in section ".resource_table" where
// the host's ELF reader finds it:
//
// 1. rsc::Table<...> computes the header and offsets itself:
//
//      [[gnu::section(".resource_table"), gnu::used]]
//      constinit rsc::Table<rsc::CarveoutEntry, rsc::TraceEntry, rsc::RpmsgVdevEntry<2>>
//          resource_table{
//              rsc::MakeCarveout(0x20000000, 0x40000, "code"),
//              rsc::MakeTrace(0x20040000, 0x1000, "trace"),
//              rsc::MakeRpmsgVdev(/*notifyid=*/0, /*dfeatures=*/1 /* VIRTIO_RPMSG_F_NS */,
//                                 {{rsc::kAddrAny, 16, 256, 0}, {rsc::kAddrAny, 16, 256, 1}}),
//          };
//      // resource_table.get<2>() is the vdev.
//
// 2. A named struct with a TableHeader<N> first, offsets from offsetof:
//
//      struct FirmwareRscTable {
//        rsc::TableHeader<2> header;
//        rsc::CarveoutEntry code;
//        rsc::RpmsgVdevEntry<2> vdev;
//      };
//      [[gnu::section(".resource_table"), gnu::used]]
//      constinit FirmwareRscTable resource_table = {
//          .header = rsc::MakeHeader<2>({offsetof(FirmwareRscTable, code),
//                                        offsetof(FirmwareRscTable, vdev)}),
//          .code = rsc::MakeCarveout(0x20000000, 0x40000, "code"),
//          .vdev = rsc::MakeRpmsgVdev(0, 1, {{...}, {...}}),
//      };
//
// Checked at compile time:
//  - static_assert: a name longer than 31 characters (the 32-byte field keeps
//    its NUL, which Linux prints with %s); an rpmsg vdev without exactly two
//    vrings; a vdev with 0 or more than kMaxVrings vrings; more than
//    kMaxEntries entries; any entry type whose size is not a multiple of 4 or
//    that is not standard layout; padding inside rsc::Table.
//  - consteval failures (the build stops in a function named after the
//    rule, see namespace build_error): vring num not a power of two or above
//    32768, vring align not a power of two, MakeHeader offsets not 4-byte
//    aligned, not increasing, or overlapping the header.
//
// Host-written fields (vring da for kAddrAny, vdev status and gfeatures) are
// filled into this memory by the host before the firmware starts; declare
// the table without `const` so the compiler does not fold reads of them,
// and read them through volatile or with the cache invalidated.

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tandem/base/endian.h"
#include "tandem/rsc/limits.h"
#include "tandem/rsc/rpmsg_config.h"
#include "tandem/rsc/wire.h"

namespace tandem::rsc {

// Deliberately not constexpr: reaching one while evaluating a consteval
// Make*() is ill-formed, so the compiler reports the call by this name.
namespace build_error {
void VringNumMustBeAPowerOfTwoAtMost32768();
void VringAlignMustBeAPowerOfTwo();
void EntryOffsetMustBe4ByteAligned();
void EntryOffsetsMustIncrease();
void FirstEntryOffsetOverlapsTheHeader();
void RpmsgBufferSizeMustBeAMultipleOf8From32To65536();
void VirtioRpmsgFBufszComesFromTheBufferSize();
}  // namespace build_error

// struct resource_table with its offset array.
template <std::size_t N>
struct TableHeader {
  static_assert(N <= kMaxEntries, "too many resource table entries");
  Le32 ver;
  Le32 num;
  Le32 reserved[2];
  Le32 offset[N];
};
template <>
struct TableHeader<0> {
  Le32 ver;
  Le32 num;
  Le32 reserved[2];
};

struct CarveoutEntry {
  static constexpr std::uint32_t kType = kRscCarveout;
  Le32 type;
  FwRscCarveout body;
};
struct DevmemEntry {
  static constexpr std::uint32_t kType = kRscDevmem;
  Le32 type;
  FwRscDevmem body;
};
struct TraceEntry {
  static constexpr std::uint32_t kType = kRscTrace;
  Le32 type;
  FwRscTrace body;
};

// A vdev with NumVrings vrings and ConfigLen bytes of config space (padded
// to 4 bytes so entries stay aligned; config_len says ConfigLen).
template <std::size_t NumVrings, std::size_t ConfigLen = 0>
struct VdevEntry {
  static_assert(NumVrings >= 1 && NumVrings <= kMaxVrings, "a vdev has 1 to kMaxVrings vrings");
  static constexpr std::uint32_t kType = kRscVdev;
  Le32 type;
  FwRscVdev body;
  FwRscVdevVring vring[NumVrings];
  std::uint8_t config[(ConfigLen + 3) / 4 * 4];
};
template <std::size_t NumVrings>
struct VdevEntry<NumVrings, 0> {
  static_assert(NumVrings >= 1 && NumVrings <= kMaxVrings, "a vdev has 1 to kMaxVrings vrings");
  static constexpr std::uint32_t kType = kRscVdev;
  Le32 type;
  FwRscVdev body;
  FwRscVdevVring vring[NumVrings];
};
// An RPMsg vdev: two vrings (vring0 remote->host, vring1 host->remote), no
// config space (Linux virtio_rpmsg_bus reads none).
template <std::size_t NumVrings>
using RpmsgVdevEntry = VdevEntry<NumVrings, 0>;

// What a firmware says about one vring; pa is reserved and written as 0.
struct VringSpec {
  std::uint32_t da;  // kAddrAny: the host allocates
  std::uint32_t align;
  std::uint32_t num;
  std::uint32_t notifyid;
};

namespace builder_internal {

template <typename E>
constexpr bool kIsEntry = std::is_standard_layout_v<E>&& std::is_trivially_copyable_v<E> &&
                          sizeof(E) % 4 == 0 && alignof(E) == 4;

template <std::size_t N>
consteval void CopyName(std::uint8_t (&dst)[kNameSize], const char (&name)[N]) {
  static_assert(N <= kNameSize, "resource name too long: at most 31 characters");
  for (std::size_t i = 0; i < N; ++i) dst[i] = static_cast<std::uint8_t>(name[i]);
}

consteval FwRscVdevVring MakeVring(const VringSpec& spec) {
  const auto power_of_two = [](std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
  if (!power_of_two(spec.num) || spec.num > kMaxVringNum)
    build_error::VringNumMustBeAPowerOfTwoAtMost32768();
  if (!power_of_two(spec.align)) build_error::VringAlignMustBeAPowerOfTwo();
  FwRscVdevVring v{};
  v.da = Le32(spec.da);
  v.align = Le32(spec.align);
  v.num = Le32(spec.num);
  v.notifyid = Le32(spec.notifyid);
  v.pa = Le32(0);
  return v;
}

}  // namespace builder_internal

namespace builder_internal {
template <std::size_t N>
consteval TableHeader<N> MakeHeaderFromArray(const std::array<std::size_t, N>& offsets) {
  TableHeader<N> h{};
  h.ver = Le32(kTableVersion);
  h.num = Le32(static_cast<std::uint32_t>(N));
  for (std::size_t i = 0; i < N; ++i) {
    if (offsets[i] % 4 != 0) build_error::EntryOffsetMustBe4ByteAligned();
    if (i == 0 && offsets[i] < sizeof(TableHeader<N>)) {
      build_error::FirstEntryOffsetOverlapsTheHeader();
    }
    if (i > 0 && offsets[i] <= offsets[i - 1]) build_error::EntryOffsetsMustIncrease();
    h.offset[i] = Le32(static_cast<std::uint32_t>(offsets[i]));
  }
  return h;
}
}  // namespace builder_internal

// Header for a hand-written table struct: `offsets` are the offsetof() of
// each entry member, in order.
template <std::size_t N>
consteval TableHeader<N> MakeHeader(const std::size_t (&offsets)[N]) {
  std::array<std::size_t, N> a{};
  for (std::size_t i = 0; i < N; ++i) a[i] = offsets[i];
  return builder_internal::MakeHeaderFromArray<N>(a);
}
consteval TableHeader<0> MakeEmptyHeader() {
  TableHeader<0> h{};
  h.ver = Le32(kTableVersion);
  return h;
}

// A carveout at `da` (kAddrAny: host allocates), pa left to the host.
template <std::size_t N>
consteval CarveoutEntry MakeCarveout(std::uint32_t da, std::uint32_t len, const char (&name)[N],
                                     std::uint32_t flags = 0) {
  CarveoutEntry e{};
  e.type = Le32(kRscCarveout);
  e.body.da = Le32(da);
  e.body.pa = Le32(kAddrAny);
  e.body.len = Le32(len);
  e.body.flags = Le32(flags);
  builder_internal::CopyName(e.body.name, name);
  return e;
}

template <std::size_t N>
consteval DevmemEntry MakeDevmem(std::uint32_t da, std::uint32_t pa, std::uint32_t len,
                                 const char (&name)[N], std::uint32_t flags = 0) {
  DevmemEntry e{};
  e.type = Le32(kRscDevmem);
  e.body.da = Le32(da);
  e.body.pa = Le32(pa);
  e.body.len = Le32(len);
  e.body.flags = Le32(flags);
  builder_internal::CopyName(e.body.name, name);
  return e;
}

template <std::size_t N>
consteval TraceEntry MakeTrace(std::uint32_t da, std::uint32_t len, const char (&name)[N]) {
  TraceEntry e{};
  e.type = Le32(kRscTrace);
  e.body.da = Le32(da);
  e.body.len = Le32(len);
  builder_internal::CopyName(e.body.name, name);
  return e;
}

// Any VirtIO device without config space.
template <std::size_t NumVrings>
consteval VdevEntry<NumVrings> MakeVdev(std::uint32_t virtio_id, std::uint32_t notifyid,
                                        std::uint32_t dfeatures,
                                        const VringSpec (&vrings)[NumVrings]) {
  VdevEntry<NumVrings> e{};
  e.type = Le32(kRscVdev);
  e.body.id = Le32(virtio_id);
  e.body.notifyid = Le32(notifyid);
  e.body.dfeatures = Le32(dfeatures);
  e.body.num_of_vrings = static_cast<std::uint8_t>(NumVrings);
  for (std::size_t i = 0; i < NumVrings; ++i) e.vring[i] = builder_internal::MakeVring(vrings[i]);
  return e;
}

// A VirtIO device with ConfigLen bytes of initial config space.
template <std::size_t NumVrings, std::size_t ConfigLen>
consteval VdevEntry<NumVrings, ConfigLen> MakeVdev(std::uint32_t virtio_id, std::uint32_t notifyid,
                                                   std::uint32_t dfeatures,
                                                   const VringSpec (&vrings)[NumVrings],
                                                   const std::uint8_t (&config)[ConfigLen]) {
  VdevEntry<NumVrings, ConfigLen> e{};
  e.type = Le32(kRscVdev);
  e.body.id = Le32(virtio_id);
  e.body.notifyid = Le32(notifyid);
  e.body.dfeatures = Le32(dfeatures);
  e.body.config_len = Le32(static_cast<std::uint32_t>(ConfigLen));
  e.body.num_of_vrings = static_cast<std::uint8_t>(NumVrings);
  for (std::size_t i = 0; i < NumVrings; ++i) e.vring[i] = builder_internal::MakeVring(vrings[i]);
  for (std::size_t i = 0; i < ConfigLen; ++i) e.config[i] = config[i];
  return e;
}

// An RPMsg vdev (VIRTIO_ID_RPMSG): exactly two vrings. dfeatures bit 0 is
// VIRTIO_RPMSG_F_NS (name service).
template <std::size_t NumVrings>
consteval RpmsgVdevEntry<NumVrings> MakeRpmsgVdev(std::uint32_t notifyid, std::uint32_t dfeatures,
                                                  const VringSpec (&vrings)[NumVrings]) {
  static_assert(NumVrings == 2,
                "an rpmsg vdev has exactly two vrings (vring0 remote->host, vring1 host->remote)");
  return MakeVdev<NumVrings>(kVirtioIdRpmsg, notifyid, dfeatures, vrings);
}

// An RPMsg vdev whose buffers hold BufferSize bytes (header included;
// docs/buffers.md). With Linux's 512 it is exactly MakeRpmsgVdev's entry:
// no config space, no VIRTIO_RPMSG_F_BUFSZ, byte for byte the table a Linux
// host expects. With any other size it offers VIRTIO_RPMSG_F_BUFSZ (bit 2)
// and carries the 8-byte config space {h2r_buf_size, r2h_buf_size} =
// {BufferSize, BufferSize}; a host that does not accept the bit uses 512,
// which the firmware's vdev runtime refuses (vdev::kHostIgnoredBufferSize).
// Build errors: BufferSize not a multiple of 8 in 32..65536; bit 2 set by
// hand in `dfeatures` (it follows from BufferSize).
template <std::uint32_t BufferSize>
inline constexpr std::size_t kRpmsgConfigLen = BufferSize == kRpmsgDefaultBufferSize
                                                   ? 0
                                                   : sizeof(RpmsgVirtioConfig);
template <std::uint32_t BufferSize>
using SizedRpmsgVdevEntry = VdevEntry<2, kRpmsgConfigLen<BufferSize>>;

template <std::uint32_t BufferSize>
consteval SizedRpmsgVdevEntry<BufferSize> MakeSizedRpmsgVdev(std::uint32_t notifyid,
                                                             std::uint32_t dfeatures,
                                                             const VringSpec (&vrings)[2]) {
  if (!IsValidRpmsgBufferSize(BufferSize)) {
    build_error::RpmsgBufferSizeMustBeAMultipleOf8From32To65536();
  }
  if (OffersRpmsgBufferSize(dfeatures)) build_error::VirtioRpmsgFBufszComesFromTheBufferSize();
  if constexpr (kRpmsgConfigLen<BufferSize> == 0) {
    return MakeRpmsgVdev<2>(notifyid, dfeatures, vrings);
  } else {
    std::uint8_t config[sizeof(RpmsgVirtioConfig)] = {};
    for (std::size_t i = 0; i < 4; ++i) {
      const auto byte = static_cast<std::uint8_t>((BufferSize >> (8 * i)) & 0xFF);
      config[i] = byte;      // h2r_buf_size, little-endian
      config[4 + i] = byte;  // r2h_buf_size
    }
    return MakeVdev<2, sizeof(RpmsgVirtioConfig)>(
        kVirtioIdRpmsg, notifyid, dfeatures | kRpmsgFeatureBufSizeMask, vrings, config);
  }
}

namespace builder_internal {

// Entries stored one after the other as nested members (standard layout,
// no padding: every entry is 4-aligned with a size that is a multiple of 4).
template <typename... E>
struct EntryList;
template <typename Last>
struct EntryList<Last> {
  constexpr explicit EntryList(const Last& last) : first(last) {}
  Last first;
};
template <typename First, typename... Rest>
struct EntryList<First, Rest...> {
  constexpr explicit EntryList(const First& f, const Rest&... r) : first(f), rest(r...) {}
  First first;
  EntryList<Rest...> rest;
};

template <std::size_t I, typename List>
constexpr auto& Get(List& list) {
  if constexpr (I == 0) {
    return list.first;
  } else {
    return Get<I - 1>(list.rest);
  }
}

}  // namespace builder_internal

// A whole table: header plus the entries in order, offsets computed from the
// entry sizes.
template <typename... E>
struct Table {
  static_assert(sizeof...(E) >= 1, "a table built with rsc::Table has at least one entry");
  static_assert((builder_internal::kIsEntry<E> && ...),
                "every entry must be a 4-aligned standard-layout entry type with a size that is a "
                "multiple of 4");
  static constexpr std::size_t kCount = sizeof...(E);

  constexpr explicit Table(const E&... entries)
      : header(builder_internal::MakeHeaderFromArray<kCount>(OffsetArray())), list(entries...) {
    // The offsets assume the entries follow the header with no padding.
    static_assert(sizeof(Table) == sizeof(TableHeader<kCount>) + (sizeof(E) + ...),
                  "unexpected padding in the resource table");
    static_assert(std::is_standard_layout_v<Table> && std::is_trivially_copyable_v<Table>);
  }

  template <std::size_t I>
  constexpr auto& get() {
    return builder_internal::Get<I>(list);
  }
  template <std::size_t I>
  constexpr const auto& get() const {
    return builder_internal::Get<I>(list);
  }

  TableHeader<kCount> header;
  builder_internal::EntryList<E...> list;

 private:
  // constexpr, not consteval: clang 14 cannot take the address of a consteval
  // member in a constructor initializer. It only runs inside the consteval
  // MakeHeaderFromArray call above, so it is still evaluated at compile time.
  static constexpr std::array<std::size_t, kCount> OffsetArray() {
    const std::size_t sizes[] = {sizeof(E)...};
    std::array<std::size_t, kCount> offsets{};
    std::size_t at = sizeof(TableHeader<kCount>);
    for (std::size_t i = 0; i < kCount; ++i) {
      offsets[i] = at;
      at += sizes[i];
    }
    return offsets;
  }
};

}  // namespace tandem::rsc
