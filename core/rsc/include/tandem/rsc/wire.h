#pragma once
// Resource-table wire format, exactly as Linux include/linux/remoteproc.h
// (struct resource_table, fw_rsc_hdr, fw_rsc_carveout, fw_rsc_devmem,
// fw_rsc_trace, fw_rsc_vdev, fw_rsc_vdev_vring). All fields little-endian
// (the Le wire integers); every struct is naturally 4-byte aligned with no
// padding, checked below against the Linux layout.
//
// The parser never overlays these on untrusted bytes: it memcpy's them out
// (the table may sit at any alignment inside an ELF file). The builder
// (builder.h) composes them into the table a firmware declares.

#include <cstddef>
#include <cstdint>

#include "tandem/base/endian.h"

namespace tandem::rsc {

// Resource types (enum fw_resource_type).
inline constexpr std::uint32_t kRscCarveout = 0;  // RSC_CARVEOUT
inline constexpr std::uint32_t kRscDevmem = 1;    // RSC_DEVMEM
inline constexpr std::uint32_t kRscTrace = 2;     // RSC_TRACE
inline constexpr std::uint32_t kRscVdev = 3;      // RSC_VDEV
inline constexpr std::uint32_t kRscLast = 4;      // RSC_LAST
// Vendor-specific types; Linux treats the range as inclusive of both ends
// (remoteproc_core.c: type >= RSC_VENDOR_START && type <= RSC_VENDOR_END).
inline constexpr std::uint32_t kRscVendorStart = 128;  // RSC_VENDOR_START
inline constexpr std::uint32_t kRscVendorEnd = 512;    // RSC_VENDOR_END

// "Any address": the host allocates and writes the address back into the
// loaded table (FW_RSC_ADDR_ANY).
inline constexpr std::uint32_t kAddrAny = 0xFFFFFFFF;

// The only resource-table version (resource_table.ver).
inline constexpr std::uint32_t kTableVersion = 1;

// VirtIO device ID of an RPMsg device (VirtIO 1.x 5, "Device Types": 7 is
// rpmsg; Linux include/uapi/linux/virtio_ids.h VIRTIO_ID_RPMSG).
inline constexpr std::uint32_t kVirtioIdRpmsg = 7;

inline constexpr std::size_t kNameSize = 32;  // name[32] in the entries

// struct resource_table without the flexible offset[] array: ver, num,
// reserved[2]. Followed by `num` Le32 offsets from the start of the table.
struct FwTableHeader {
  Le32 ver;
  Le32 num;
  Le32 reserved[2];
};
static_assert(sizeof(FwTableHeader) == 16);
static_assert(offsetof(FwTableHeader, num) == 4);

// struct fw_rsc_hdr: every entry starts with its type; the body follows.
struct FwRscHdr {
  Le32 type;
};
static_assert(sizeof(FwRscHdr) == 4);

// struct fw_rsc_carveout (body after the type).
struct FwRscCarveout {
  Le32 da;
  Le32 pa;
  Le32 len;
  Le32 flags;
  Le32 reserved;
  std::uint8_t name[kNameSize];
};
static_assert(sizeof(FwRscCarveout) == 52);
static_assert(offsetof(FwRscCarveout, pa) == 4);
static_assert(offsetof(FwRscCarveout, len) == 8);
static_assert(offsetof(FwRscCarveout, name) == 20);

// struct fw_rsc_devmem (body after the type).
struct FwRscDevmem {
  Le32 da;
  Le32 pa;
  Le32 len;
  Le32 flags;
  Le32 reserved;
  std::uint8_t name[kNameSize];
};
static_assert(sizeof(FwRscDevmem) == 52);
static_assert(offsetof(FwRscDevmem, name) == 20);

// struct fw_rsc_trace (body after the type).
struct FwRscTrace {
  Le32 da;
  Le32 len;
  Le32 reserved;
  std::uint8_t name[kNameSize];
};
static_assert(sizeof(FwRscTrace) == 44);
static_assert(offsetof(FwRscTrace, name) == 12);

// struct fw_rsc_vdev_vring.
struct FwRscVdevVring {
  Le32 da;
  Le32 align;
  Le32 num;
  Le32 notifyid;
  Le32 pa;  // reserved in current Linux; must be zero
};
static_assert(sizeof(FwRscVdevVring) == 20);
static_assert(offsetof(FwRscVdevVring, notifyid) == 12);

// struct fw_rsc_vdev (body after the type), followed by num_of_vrings
// FwRscVdevVring and then config_len bytes of device config space.
struct FwRscVdev {
  Le32 id;
  Le32 notifyid;
  Le32 dfeatures;
  Le32 gfeatures;
  Le32 config_len;
  std::uint8_t status;
  std::uint8_t num_of_vrings;
  std::uint8_t reserved[2];
};
static_assert(sizeof(FwRscVdev) == 24);
static_assert(offsetof(FwRscVdev, gfeatures) == 12);
static_assert(offsetof(FwRscVdev, config_len) == 16);
static_assert(offsetof(FwRscVdev, status) == 20);
static_assert(offsetof(FwRscVdev, num_of_vrings) == 21);

// The config space of an RPMsg vdev that offers VIRTIO_RPMSG_F_BUFSZ
// (rpmsg_config.h): the first 8 bytes after its vrings. The convention of
// NuttX's and Xiaomi's OpenAMP (struct fw_rsc_config / rpmsg_virtio_config:
// h2r_buf_size, then r2h_buf_size, both le32, bytes per buffer with the
// 16-byte rpmsg header). Linux's virtio_rpmsg_bus reads no config space.
struct RpmsgVirtioConfig {
  Le32 h2r_buf_size;  // host -> remote buffers
  Le32 r2h_buf_size;  // remote -> host buffers
};
static_assert(sizeof(RpmsgVirtioConfig) == 8);
static_assert(offsetof(RpmsgVirtioConfig, r2h_buf_size) == 4);

}  // namespace tandem::rsc
