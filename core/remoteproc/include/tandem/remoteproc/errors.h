#pragma once
// Every reason a remoteproc call fails with (base/status.h: a Status made
// from a reason matches it with Status::Is). Callers and tests match on the
// name; the text is the message a human reads. Errors of the layers below
// (elf, rsc, shm, the Platform) pass through unchanged and are not listed.
//
//   const Status s = rproc.Load(image);
//   if (s.Is(error::kSegmentOutsideCarveout)) ...

#include <array>
#include <cstddef>
#include <utility>

#include "tandem/base/status.h"
#include "tandem/remoteproc/state.h"

namespace tandem::remoteproc::error {

// --- Lifecycle (state.h, remote_proc.h) ----------------------------------
inline constexpr char kStateOrEventOutOfRange[] = "remoteproc state or event out of range";
inline constexpr char kNoHandshakeNeverRan[] = "no shutdown handshake: the remote never ran";
inline constexpr char kNoHandshakeCrashed[] = "no shutdown handshake: the remote had crashed";
inline constexpr char kCannotRecoverAttached[] =
    "cannot recover an attached remote: there is no firmware image to reload (Stop() it, then "
    "Boot() a firmware)";
inline constexpr char kVdevResetNotAcked[] =
    "attach: the remote did not acknowledge the vdev reset";

// --- Options -----------------------------------------------------------------
inline constexpr char kBadRpmsgBufferSize[] =
    "rpmsg_buffer_size must be 0 (as the firmware asks) or a multiple of 8 from 32 to 65536";

// --- Remote memory (remote_memory.h, memory_map.h) ----------------------------
inline constexpr char kRegionTooLargeForHost[] =
    "remote memory region larger than the host's size_t";
inline constexpr char kPlatformMappedWrongRange[] =
    "platform mapped a different range than requested";
inline constexpr char kRegionsOverlap[] = "remote memory regions overlap";
inline constexpr char kTooManyRegions[] = "remoteproc: more than 16 mapped regions";
inline constexpr char kEmptyDeviceRange[] = "remoteproc: empty device range";
inline constexpr char kRangeNotMapped[] = "device range is not inside one mapped region";

// --- Image and loaded table (image_loader.h) -----------------------------------
inline constexpr char kTableTooLarge[] = "resource table larger than kMaxTableSize (4096 bytes)";
inline constexpr char kSegmentOutsideCarveout[] = "ELF segment not inside any carveout";
inline constexpr char kImageSpanWraps[] = "ELF segments reach the end of the address space";
inline constexpr char kLoadedTableOutsideCarveout[] =
    "loaded resource table (.resource_table address) not inside any carveout";
inline constexpr char kLoadedTableMisaligned[] =
    "loaded resource table (.resource_table address) is not 4-byte aligned";
inline constexpr char kLoadedTableOverlapsVring[] = "loaded resource table overlaps a vring";
inline constexpr char kLoadedTableOverlapsBuffers[] =
    "loaded resource table overlaps the rpmsg buffer area";
// Attach: the table the platform says the running remote uses.
inline constexpr char kAttachedTableMisaligned[] = "loaded resource table is not 4-byte aligned";

// --- Resource entries (resource_handlers.h) -------------------------------------
inline constexpr char kTableChanged[] = "resource table changed after it was parsed";
inline constexpr char kCarveoutZeroLength[] = "carveout with zero length";
inline constexpr char kAttachCarveoutAnyAddress[] =
    "attach: carveout without a fixed device address (FW_RSC_ADDR_ANY)";
inline constexpr char kCarveoutAbove4GiB[] =
    "platform placed a carveout above 4 GiB (table addresses are 32-bit)";
inline constexpr char kDevmemZeroLength[] = "devmem with zero length";
inline constexpr char kDevmemAnyAddress[] = "devmem without a fixed device address";
inline constexpr char kTraceZeroLength[] = "trace buffer with zero length";
inline constexpr char kTraceAnyAddress[] = "trace buffer without a fixed device address";
inline constexpr char kTraceOutsideCarveout[] = "trace buffer not inside any carveout";

// --- The RPMsg vdev (vdev_placement.h) ---------------------------------------------
inline constexpr char kVdevVringCount[] =
    "rpmsg vdev must have exactly two vrings (remote->host, host->remote)";
inline constexpr char kVdevAsymmetricVrings[] =
    "rpmsg vrings must have the same num (symmetric rx/tx vrings)";
inline constexpr char kAttachVringAnyAddress[] =
    "attach: vring without a fixed device address (FW_RSC_ADDR_ANY)";
inline constexpr char kVringAbove4GiB[] =
    "platform placed a vring above 4 GiB (table addresses are 32-bit)";
inline constexpr char kVringMisaligned[] =
    "vring device address is not 16-byte aligned (VirtIO 1.x 2.7)";
inline constexpr char kNotifyIdInControlRange[] = "vring notifyid is in the mailbox control range";
inline constexpr char kBufferAreaOverflows[] = "rpmsg buffer area size overflows";
inline constexpr char kBufferCarveoutTooSmall[] =
    "carveout vdev0buffer is smaller than 2 * vring num * rpmsg_buffer_size";
// The host requires one RPMsg buffer size (Options::rpmsg_buffer_size) and
// the firmware's table asks for another (VIRTIO_RPMSG_F_BUFSZ, or 512
// without it); the detail names both.
inline constexpr char kRpmsgBufferSizeMismatch[] =
    "RPMsg buffer size mismatch: the host is configured for one size, the firmware asks for "
    "another";
inline constexpr char kVringsOverlap[] = "the two vrings overlap";
inline constexpr char kAttachVdevOverlapsImage[] =
    "attach: a vring or the buffer area overlaps the firmware image or device memory";
inline constexpr char kVringOverlapsBuffers[] = "a vring overlaps the rpmsg buffer area";
inline constexpr char kSameNotifyId[] = "the two vrings have the same notifyid";
// Two RPMsg vdevs of one table (docs/vdevs.md).
inline constexpr char kVdevsOverlap[] = "the rings or buffers of two rpmsg vdevs overlap";
inline constexpr char kVdevsShareNotifyId[] = "two rpmsg vdevs have a vring notifyid in common";

// --- Vdev status and kicks ------------------------------------------------------------
inline constexpr char kNoVdev[] = "no rpmsg vdev is set up";
inline constexpr char kVdevStatusOutsideTable[] = "vdev status outside the table";
inline constexpr char kKickNotRunning[] = "kick: no running rpmsg vdev";
inline constexpr char kKickUnknownNotifyId[] = "kick: not a notifyid of the vdevs' vrings";

// --- Diagnostics (coredump.h, trace_buffer.h) -------------------------------------------
inline constexpr char kCoredumpNotRunning[] =
    "coredump needs a running, crashed or attached remote";
inline constexpr char kCoreTooManyRegions[] = "coredump: too many regions";
inline constexpr char kCoreEntryTooWide[] = "coredump: entry point does not fit an ELF32 core";
inline constexpr char kCoreOffsetsOverflow[] = "coredump: file offsets overflow";
inline constexpr char kCoreRegionTooWide[] = "coredump: region does not fit an ELF32 core";
inline constexpr char kDescribeNotAttached[] = "describing the image needs an attached remote";
inline constexpr char kNothingMapped[] = "no remote memory is mapped";
inline constexpr char kNoTrace[] = "the resource table has no trace buffer";
inline constexpr char kTraceOutputTooSmall[] = "trace output is smaller than the trace buffer";

// --- Illegal transitions -----------------------------------------------------------------
// One reason per (state, event) pair, "cannot <event> a remote that is
// <state>", composed at compile time from StateName()/EventName() (a Status
// never allocates, so each pair needs its own static text).
namespace internal {

consteval std::size_t Length(const char* s) {
  std::size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

inline constexpr const char kCannot[] = "cannot ";
inline constexpr const char kARemoteThatIs[] = " a remote that is ";

consteval std::size_t TransitionTextSize() {
  std::size_t event = 0;
  std::size_t state = 0;
  for (std::size_t e = 0; e < kEventCount; ++e) {
    const std::size_t n = Length(EventName(static_cast<Event>(e)));
    if (n > event) event = n;
  }
  for (std::size_t s = 0; s < kStateCount; ++s) {
    const std::size_t n = Length(StateName(static_cast<State>(s)));
    if (n > state) state = n;
  }
  return Length(kCannot) + event + Length(kARemoteThatIs) + state + 1;
}

inline constexpr std::size_t kTransitionTextSize = TransitionTextSize();
struct TransitionReason {
  char text[kTransitionTextSize];
};

consteval TransitionReason Compose(State state, Event event) {
  TransitionReason reason = {};
  std::size_t n = 0;
  for (const char* part : {kCannot, EventName(event), kARemoteThatIs, StateName(state)}) {
    for (const char* p = part; *p != '\0'; ++p) reason.text[n++] = *p;
  }
  return reason;
}

template <std::size_t... E>
consteval std::array<TransitionReason, kEventCount> Row(State state, std::index_sequence<E...>) {
  return {Compose(state, static_cast<Event>(E))...};
}

template <std::size_t... S>
consteval std::array<std::array<TransitionReason, kEventCount>, kStateCount> Table(
    std::index_sequence<S...>) {
  return {Row(static_cast<State>(S), std::make_index_sequence<kEventCount>{})...};
}

inline constexpr auto kTransitions = Table(std::make_index_sequence<kStateCount>{});

}  // namespace internal

// The reason NextState() gives for `event` in `state` when that is illegal
// (for a legal pair the text exists but is never returned). Both must be in
// range (NextState() checks before it asks).
constexpr const char (&IllegalTransition(State state, Event event))[internal::kTransitionTextSize] {
  return internal::kTransitions[static_cast<std::size_t>(state)][static_cast<std::size_t>(event)]
      .text;
}

}  // namespace tandem::remoteproc::error
