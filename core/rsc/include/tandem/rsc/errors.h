#pragma once
// The errors the rsc layer returns, as Reasons (status.h): match them with
// `status.Is(error::kCarveoutsOverlap)`, never by text. The text is the
// message for humans; the StatusCode each comes with is in the comment of
// the function that returns it (resource_table.h, table_patch.h).

#include "tandem/base/status.h"

namespace tandem::rsc::error {

// --- ResourceTable::Parse: the table header and offset array ---
inline constexpr char kTableTooSmall[] = "resource table smaller than its 16-byte header";
inline constexpr char kUnsupportedVersion[] = "unsupported resource table version (expected 1)";
inline constexpr char kOffsetArrayPastEnd[] =
    "resource table offset array extends past the end of the table";
// More than kMaxEntries (limits.h).
inline constexpr char kTooManyEntries[] = "resource table has more than 256 entries";

// --- ResourceTable::Parse and ResourceTable::entry(): one entry ---
inline constexpr char kEntryOffsetUnaligned[] = "resource entry offset is not 4-byte aligned";
// The offset points into the header or the offset array.
inline constexpr char kEntryOffsetInHeader[] = "resource entry offset points into the table header";
inline constexpr char kEntryOffsetPastEnd[] = "resource entry offset is past the end of the table";
// Out of order or duplicated offsets.
inline constexpr char kEntryOffsetsNotIncreasing[] =
    "resource entry offsets are not strictly increasing";
// Fewer than 4 bytes before the next entry (or the table end).
inline constexpr char kEntryTypeTruncated[] = "resource entry truncated: no room for its type";
// A type that is neither a known resource nor in the vendor range.
inline constexpr char kUnsupportedType[] = "unsupported resource type";

inline constexpr char kCarveoutTruncated[] = "carveout entry truncated";
inline constexpr char kDevmemTruncated[] = "devmem entry truncated";
inline constexpr char kTraceTruncated[] = "trace entry truncated";
inline constexpr char kVdevTruncated[] = "vdev entry truncated";

// da + len goes past 2^32.
inline constexpr char kCarveoutWraps[] = "carveout wraps the 32-bit device address space";
inline constexpr char kDevmemWraps[] = "devmem wraps the 32-bit device address space";
inline constexpr char kTraceWraps[] = "trace buffer wraps the 32-bit device address space";

// More than kMaxVrings (limits.h).
inline constexpr char kTooManyVrings[] = "vdev has more than 8 vrings";
inline constexpr char kVringsPastEntry[] = "vdev vrings extend past the entry";
inline constexpr char kConfigPastEntry[] = "vdev config space (config_len) extends past the entry";
inline constexpr char kBadVringNum[] = "vring num is not a power of two <= 32768";
inline constexpr char kBadVringAlign[] = "vring align is not a power of two";

// Two fixed-address carveouts share device addresses.
inline constexpr char kCarveoutsOverlap[] = "carveouts overlap";

inline constexpr char kEntryIndexOutOfRange[] = "resource entry index out of range";

// --- rpmsg_config.h: RpmsgBufferSizeOf() ---
inline constexpr char kRpmsgConfigTooShort[] =
    "rpmsg vdev offers VIRTIO_RPMSG_F_BUFSZ but its config space (config_len) is shorter than 8 "
    "bytes";
inline constexpr char kRpmsgBufferSizesDiffer[] =
    "rpmsg vdev asks for different buffer sizes per direction (h2r_buf_size != r2h_buf_size), "
    "which Tandem does not support";
inline constexpr char kBadRpmsgBufferSize[] =
    "rpmsg vdev buffer size is not a multiple of 8 between 32 and 65536";

// --- table_patch.h ---
// The patched field lies outside the table (a copy cut short, or an entry
// from a bigger table).
inline constexpr char kFieldOutsideTable[] = "resource entry field is outside the table";
// The entry at the recorded offset has another type.
inline constexpr char kEntryTypeDiffers[] =
    "resource entry type differs: not the table the entry was parsed from";
inline constexpr char kVringIndexOutOfRange[] = "vring index past num_of_vrings";

}  // namespace tandem::rsc::error
