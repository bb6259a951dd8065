#pragma once
// RPMsg wire format, byte for byte as Linux lays it out:
//   struct rpmsg_hdr      (drivers/rpmsg/virtio_rpmsg_bus.c)
//   struct rpmsg_ns_msg   (include/linux/rpmsg/ns.h)
// and the address conventions of include/linux/rpmsg.h and
// virtio_rpmsg_bus.c. Every multi-byte field is little-endian (VirtIO 1.x,
// VIRTIO_F_VERSION_1). wire_test.cc checks the layout against bytes written
// out field by field from the Linux structures.
//
// Nothing here is trusted when it comes from the peer: ParseNsMessage() is
// the only way name-service bytes become an NsAnnouncement.

#include <cstddef>
#include <cstdint>

#include "tandem/base/endian.h"
#include "tandem/base/result.h"
#include "tandem/base/span.h"

namespace tandem::rpmsg {

// RPMSG_ADDR_ANY: "no address" / "allocate one for me".
inline constexpr std::uint32_t kAddrAny = 0xFFFFFFFF;
// RPMSG_NS_ADDR: the name service listens here.
inline constexpr std::uint32_t kNsAddress = 0x35;
// RPMSG_RESERVED_ADDRESSES: addresses below are reserved for predefined
// services; dynamic addresses are allocated from here up.
inline constexpr std::uint32_t kFirstDynamicAddress = 0x400;
// RPMSG_NAME_SIZE, including the terminating NUL.
inline constexpr std::size_t kNameSize = 32;

// Linux's defaults (virtio_rpmsg_bus.c): 512-byte buffers, and as many
// buffers per direction as the vring has entries, at most 256
// (MAX_RPMSG_NUM_BUFS / 2).
inline constexpr std::uint32_t kDefaultBufferSize = 512;
inline constexpr std::uint32_t kMaxBuffersPerDirection = 256;

// enum rpmsg_ns_flags
enum class NsFlags : std::uint32_t {
  kCreate = 0,   // RPMSG_NS_CREATE
  kDestroy = 1,  // RPMSG_NS_DESTROY
};

// struct rpmsg_hdr: every message starts with it, the payload follows.
struct RpmsgHeader {
  Le32 src;       // sender's address
  Le32 dst;       // receiver's address
  Le32 reserved;  // always 0 on the wire; never used for local bookkeeping
  Le16 len;       // payload bytes after the header
  Le16 flags;     // unused by Linux; sent as 0, ignored on receipt
};
static_assert(sizeof(RpmsgHeader) == 16);
static_assert(offsetof(RpmsgHeader, src) == 0 && offsetof(RpmsgHeader, dst) == 4 &&
              offsetof(RpmsgHeader, reserved) == 8 && offsetof(RpmsgHeader, len) == 12 &&
              offsetof(RpmsgHeader, flags) == 14);

inline constexpr std::size_t kHeaderSize = sizeof(RpmsgHeader);

// struct rpmsg_ns_msg: the payload of a message to kNsAddress.
struct NsMessage {
  char name[kNameSize] = {};  // service name; NOT trusted to be NUL-terminated
  Le32 addr;                  // the announcing endpoint's address
  Le32 flags;                 // NsFlags
};
static_assert(sizeof(NsMessage) == 40);
static_assert(offsetof(NsMessage, name) == 0 && offsetof(NsMessage, addr) == 32 &&
              offsetof(NsMessage, flags) == 36);

constexpr RpmsgHeader MakeHeader(std::uint32_t src, std::uint32_t dst, std::uint16_t len) {
  RpmsgHeader h;
  h.src.set(src);
  h.dst.set(dst);
  h.reserved.set(0);
  h.len.set(len);
  h.flags.set(0);
  return h;
}

// A validated name-service message: the name is NUL-terminated and
// non-empty, the address is a real address, the flags are known.
struct NsAnnouncement {
  char name[kNameSize];
  std::uint32_t addr;
  NsFlags flags;
};

// Validates the payload of a message sent to kNsAddress. Returns kDataLoss
// with what was wrong: the wrong size (Linux: "malformed ns msg"), a name
// without a NUL in its 32 bytes, an empty name, addr == kAddrAny, or flags
// other than CREATE/DESTROY. (Linux forces a NUL into byte 31 and tests only
// the DESTROY bit; we reject instead, since a peer that sends such a message
// is broken or hostile, and a guess could bind the wrong driver.)
Result<NsAnnouncement> ParseNsMessage(ConstByteSpan payload);

// Builds an announcement. `name` must be NUL-terminated and shorter than
// kNameSize (callers validate with ValidName()); the unused tail of the name
// field is zero, so no stale bytes of ours reach shared memory.
NsMessage MakeNsMessage(const char* name, std::uint32_t addr, NsFlags flags);

// --- Flow control (docs/flow_control.md) -----------------------------------
// Tandem's endpoint flow control follows the wire format of Arnaud
// Pouliquen's (ST) rpmsg flow-control proposal (lkml RFC, May 2022:
// include/linux/rpmsg/fc.h, "rpmsg: virtio: Add support of the
// VIRTIO_RPMSG_F_FC feature"): a 12-byte message sent from the endpoint
// whose state changes to the reserved address RPMSG_FC_ADDR (54). Only when
// the feature bit (virtio/features.h kRpmsgFeatureFlowControl) was
// negotiated: otherwise 54 is an ordinary address and nothing is sent.
inline constexpr std::uint32_t kFlowControlAddress = 54;  // RPMSG_FC_ADDR
// RPMSG_EPT_FC_ON: set when the endpoint is ready to receive ("XON"), clear
// when it asks the peer to pause sending to it ("XOFF"). No other bit is
// defined; a message with another bit set is refused.
inline constexpr std::uint32_t kFlowOn = 1u << 0;

// struct rpmsg_ept_msg
struct FlowMessage {
  Le32 src;    // the endpoint whose state this is (also the header's src)
  Le32 dst;    // the peer endpoint that should pause or resume sending to src
  Le32 flags;  // kFlowOn or 0
};
static_assert(sizeof(FlowMessage) == 12);
static_assert(offsetof(FlowMessage, src) == 0 && offsetof(FlowMessage, dst) == 4 &&
              offsetof(FlowMessage, flags) == 8);

// A validated flow message.
struct FlowState {
  std::uint32_t src;  // the peer endpoint that spoke
  std::uint32_t dst;  // our endpoint it speaks to
  bool paused;        // true: stop sending from dst to src
};

// Validates the payload of a message sent to kFlowControlAddress: exactly
// 12 bytes (ST: "malformed fc msg"), neither address kAddrAny, no flag but
// kFlowOn. kDataLoss with what was wrong; counted and dropped by the bus.
Result<FlowState> ParseFlowMessage(ConstByteSpan payload);
FlowMessage MakeFlowMessage(std::uint32_t src, std::uint32_t dst, bool paused);

// True if `name` is non-null, non-empty and fits kNameSize with its NUL.
bool ValidName(const char* name);
// Length of a ValidName() name (bounded by kNameSize).
std::size_t NameLength(const char* name);

}  // namespace tandem::rpmsg
