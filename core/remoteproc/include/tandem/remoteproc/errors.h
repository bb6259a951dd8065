#pragma once
// Every reason a remoteproc call fails with (base/status.h: a Status made
// from a Reason matches it with Status::Is). Callers and tests match on the
// name; the text is the message a human reads. Errors of the layers below
// (elf, rsc, shm, the Platform) pass through unchanged and are not listed.
//
//   const Status s = rproc.Load(image);
//   if (s.Is(error::kSegmentOutsideCarveout)) ...
//
// Spelled `inline constexpr auto kX = Reason{...}`, not `Reason kX{...}`:
// arm-none-eabi-g++ 12 puts a direct-initialized inline constexpr object
// with a user-provided constructor in .data (RAM, copied from flash at
// reset); the copy-initialized form stays in .rodata.

#include <array>
#include <cstddef>
#include <utility>

#include "tandem/base/status.h"
#include "tandem/remoteproc/state.h"

namespace tandem::remoteproc::error {

// --- Lifecycle (state.h, remote_proc.h) ----------------------------------
inline constexpr auto kStateOrEventOutOfRange = Reason{"remoteproc state or event out of range"};
inline constexpr auto kNoHandshakeNeverRan = Reason{"no shutdown handshake: the remote never ran"};
inline constexpr auto kNoHandshakeCrashed = Reason{"no shutdown handshake: the remote had crashed"};
inline constexpr auto kCannotRecoverAttached = Reason{
    "cannot recover an attached remote: there is no firmware image to reload (Stop() it, then "
    "Boot() a firmware)"};
inline constexpr auto kVdevResetNotAcked =
    Reason{"attach: the remote did not acknowledge the vdev reset"};

// --- Options -----------------------------------------------------------------
inline constexpr auto kBadRpmsgBufferSize =
    Reason{"rpmsg_buffer_size must be a multiple of 8 and at least 32"};

// --- Remote memory (remote_memory.h, memory_map.h) ----------------------------
inline constexpr auto kRegionTooLargeForHost =
    Reason{"remote memory region larger than the host's size_t"};
inline constexpr auto kPlatformMappedWrongRange =
    Reason{"platform mapped a different range than requested"};
inline constexpr auto kRegionsOverlap = Reason{"remote memory regions overlap"};
inline constexpr auto kTooManyRegions = Reason{"remoteproc: more than 16 mapped regions"};
inline constexpr auto kEmptyDeviceRange = Reason{"remoteproc: empty device range"};
inline constexpr auto kRangeNotMapped = Reason{"device range is not inside one mapped region"};

// --- Image and loaded table (image_loader.h) -----------------------------------
inline constexpr auto kTableTooLarge =
    Reason{"resource table larger than kMaxTableSize (4096 bytes)"};
inline constexpr auto kSegmentOutsideCarveout = Reason{"ELF segment not inside any carveout"};
inline constexpr auto kImageSpanWraps = Reason{"ELF segments reach the end of the address space"};
inline constexpr auto kLoadedTableOutsideCarveout =
    Reason{"loaded resource table (.resource_table address) not inside any carveout"};
inline constexpr auto kLoadedTableMisaligned =
    Reason{"loaded resource table (.resource_table address) is not 4-byte aligned"};
inline constexpr auto kLoadedTableOverlapsVring = Reason{"loaded resource table overlaps a vring"};
inline constexpr auto kLoadedTableOverlapsBuffers =
    Reason{"loaded resource table overlaps the rpmsg buffer area"};
// Attach: the table the platform says the running remote uses.
inline constexpr auto kAttachedTableMisaligned =
    Reason{"loaded resource table is not 4-byte aligned"};

// --- Resource entries (resource_handlers.h) -------------------------------------
inline constexpr auto kTableChanged = Reason{"resource table changed after it was parsed"};
inline constexpr auto kCarveoutZeroLength = Reason{"carveout with zero length"};
inline constexpr auto kAttachCarveoutAnyAddress =
    Reason{"attach: carveout without a fixed device address (FW_RSC_ADDR_ANY)"};
inline constexpr auto kCarveoutAbove4GiB =
    Reason{"platform placed a carveout above 4 GiB (table addresses are 32-bit)"};
inline constexpr auto kDevmemZeroLength = Reason{"devmem with zero length"};
inline constexpr auto kDevmemAnyAddress = Reason{"devmem without a fixed device address"};
inline constexpr auto kTraceZeroLength = Reason{"trace buffer with zero length"};
inline constexpr auto kTraceAnyAddress = Reason{"trace buffer without a fixed device address"};
inline constexpr auto kTraceOutsideCarveout = Reason{"trace buffer not inside any carveout"};

// --- The RPMsg vdev (vdev_placement.h) ---------------------------------------------
inline constexpr auto kVdevVringCount =
    Reason{"rpmsg vdev must have exactly two vrings (remote->host, host->remote)"};
inline constexpr auto kVdevAsymmetricVrings =
    Reason{"rpmsg vrings must have the same num (symmetric rx/tx vrings)"};
inline constexpr auto kAttachVringAnyAddress =
    Reason{"attach: vring without a fixed device address (FW_RSC_ADDR_ANY)"};
inline constexpr auto kVringAbove4GiB =
    Reason{"platform placed a vring above 4 GiB (table addresses are 32-bit)"};
inline constexpr auto kVringMisaligned =
    Reason{"vring device address is not 16-byte aligned (VirtIO 1.x 2.7)"};
inline constexpr auto kNotifyIdInControlRange =
    Reason{"vring notifyid is in the mailbox control range"};
inline constexpr auto kBufferAreaOverflows = Reason{"rpmsg buffer area size overflows"};
inline constexpr auto kBufferCarveoutTooSmall =
    Reason{"carveout vdev0buffer is smaller than 2 * vring num * rpmsg_buffer_size"};
inline constexpr auto kVringsOverlap = Reason{"the two vrings overlap"};
inline constexpr auto kVringOverlapsBuffers = Reason{"a vring overlaps the rpmsg buffer area"};
inline constexpr auto kSameNotifyId = Reason{"the two vrings have the same notifyid"};

// --- Vdev status and kicks ------------------------------------------------------------
inline constexpr auto kNoVdev = Reason{"no rpmsg vdev is set up"};
inline constexpr auto kVdevStatusOutsideTable = Reason{"vdev status outside the table"};
inline constexpr auto kKickNotRunning = Reason{"kick: no running rpmsg vdev"};
inline constexpr auto kKickUnknownNotifyId = Reason{"kick: not a notifyid of this vdev's vrings"};

// --- Diagnostics (coredump.h, trace_buffer.h) -------------------------------------------
inline constexpr auto kCoredumpNotRunning =
    Reason{"coredump needs a running, crashed or attached remote"};
inline constexpr auto kCoreTooManyRegions = Reason{"coredump: too many regions"};
inline constexpr auto kCoreEntryTooWide =
    Reason{"coredump: entry point does not fit an ELF32 core"};
inline constexpr auto kCoreOffsetsOverflow = Reason{"coredump: file offsets overflow"};
inline constexpr auto kCoreRegionTooWide = Reason{"coredump: region does not fit an ELF32 core"};
inline constexpr auto kNothingMapped = Reason{"no remote memory is mapped"};
inline constexpr auto kNoTrace = Reason{"the resource table has no trace buffer"};
inline constexpr auto kTraceOutputTooSmall =
    Reason{"trace output is smaller than the trace buffer"};

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
using TransitionReason = Reason<kTransitionTextSize>;

consteval TransitionReason Compose(State state, Event event) {
  char text[kTransitionTextSize] = {};
  std::size_t n = 0;
  for (const char* part : {kCannot, EventName(event), kARemoteThatIs, StateName(state)}) {
    for (const char* p = part; *p != '\0'; ++p) text[n++] = *p;
  }
  return TransitionReason(text);
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
constexpr const internal::TransitionReason& IllegalTransition(State state, Event event) {
  return internal::kTransitions[static_cast<std::size_t>(state)][static_cast<std::size_t>(event)];
}

}  // namespace tandem::remoteproc::error
