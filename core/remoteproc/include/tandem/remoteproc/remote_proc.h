#pragma once
// RemoteProc: the host's manager of one remote core. Loads a firmware ELF
// into the remote's memory as its resource table asks, releases the core,
// stops it with a handshake, records crashes and recovers, attaches to a
// remote that is already running, dumps its memory, reads its trace.
// Behaviour follows Linux's drivers/remoteproc (remoteproc_core.c,
// remoteproc_virtio.c, remoteproc_coredump.c); docs/remoteproc.md walks
// through it.
//
// Lifecycle: state.h (one transition function; an illegal call returns
// kFailedPrecondition and changes nothing).
//
// Memory: no heap. The copy of the resource table (Linux's
// rproc->cached_table) lives in a member array of kMaxTableSize bytes, the
// mapped regions in a MemoryMap of kMaxRegions, the last error's detail and
// the crash detail in fixed char buffers. A RemoteProc cannot be copied or
// moved (its parsed table points into itself).
//
// Firmware bytes: Load() keeps the span it was given, to reload the same
// image on recovery. The caller keeps those bytes alive and unchanged until
// the next Load(), Stop() or destruction.
//
// Threading: RemoteProc is NOT thread-safe. One thread (the host's control
// thread, or the platform glue's event loop) makes every call, including
// ReportCrash() for crashes the platform detects; the glue serializes
// mailbox events with the user's commands. Platform calls and listener
// callbacks run on that thread, from inside RemoteProc's methods.
//
// Trust: the firmware file, the resource table in it and everything read
// back from the remote's memory are untrusted: every address and length is
// range- and overflow-checked and a violation is a Status, never a crash.
// The Platform and the VdevListener are trusted (our code).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/elf/elf_file.h"
#include "tandem/remoteproc/coredump.h"
#include "tandem/remoteproc/crash.h"
#include "tandem/remoteproc/error_detail.h"
#include "tandem/remoteproc/memory_map.h"
#include "tandem/remoteproc/platform.h"
#include "tandem/remoteproc/state.h"
#include "tandem/remoteproc/table_resources.h"
#include "tandem/remoteproc/vdev.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// Largest resource table we copy (Linux has no fixed bound; real tables are
// a few hundred bytes).
inline constexpr std::size_t kMaxTableSize = 4096;

// The ELF section that holds the resource table (Linux:
// rproc_elf_find_rsc_table).
inline constexpr const char* kResourceTableSection = ".resource_table";
// Name of the carveout that, if the table has one, holds the first RPMsg
// vdev's buffers (Linux: the "vdev%dbuffer" memory region,
// rproc_add_virtio_dev); the vdev with entry index N uses "vdevNbuffer"
// (VdevRegionName).
inline constexpr char kVdevBufferName[] = "vdev0buffer";

struct Options {
  // Recover at once when a crash is reported (Linux sysfs "recovery
  // enabled"); otherwise stay crashed until Recover() or Stop().
  bool recovery = true;
  // How long Stop() waits for mailbox::kShutdownAck, and Attach() for
  // mailbox::kVdevResetAck.
  std::uint32_t shutdown_timeout_ms = 2000;
  // e_machine the firmware must have; 0 accepts any.
  std::uint16_t expected_machine = 0;
  // Bytes per RPMsg buffer, header included (docs/buffers.md). 0: as the
  // firmware's table asks (VIRTIO_RPMSG_F_BUFSZ with its config space, or
  // Linux's 512 without it). Otherwise the size the host requires: a
  // multiple of 8 from 32 to 65536, and a firmware that asks for another
  // fails Load()/Attach() with error::kRpmsgBufferSizeMismatch (the detail
  // names both). The count is the firmware's: 2 * vring num.
  std::uint32_t rpmsg_buffer_size = 0;
};

// How the last Stop() went.
struct StopReport {
  State from = State::kOffline;  // the state Stop() was called in
  // True iff the remote acknowledged the shutdown request before the reset.
  bool graceful = false;
  // The handshake's outcome: ok, kDeadlineExceeded (no ack in time),
  // kAborted (the remote died meanwhile), a Send() error, or
  // kFailedPrecondition when there was no handshake (loaded or crashed).
  Status handshake;
};

class RemoteProc {
 public:
  RemoteProc(Platform& platform, const Options& options, VdevListener* listener = nullptr);
  RemoteProc(const RemoteProc&) = delete;
  RemoteProc& operator=(const RemoteProc&) = delete;

  // The listener may also be set (or changed) later, while offline.
  void set_vdev_listener(VdevListener* listener) { listener_ = listener; }
  // Told of every recorded crash before recovery (crash.h); nullptr: none.
  void set_crash_listener(CrashListener* listener) { crash_listener_ = listener; }

  // --- Lifecycle ---------------------------------------------------------
  // offline -> loaded. Parses the ELF, checks the machine, copies and
  // validates the resource table, maps carveouts and devmem, allocates the
  // vrings and buffers of each RPMsg vdev, patches what it chose into the
  // cached table, loads the PT_LOAD segments (each must lie inside one
  // carveout), writes the table to where the firmware linked it. On any
  // error everything mapped is released, the state stays offline and
  // error_detail() adds numbers to the Status message.
  Status Load(ConstByteSpan firmware);
  // loaded -> running: releases the core at the ELF entry, then
  // OnVdevReady(). If either fails the core is reset, the memory released,
  // and the state is offline.
  Status Start();
  // Load() then Start().
  Status Boot(ConstByteSpan firmware);
  // loaded | running | attached | crashed -> offline. From running or
  // attached: OnVdevReset(), vdev status 0, mailbox::kShutdown, wait for
  // mailbox::kShutdownAck (shutdown_timeout_ms); then, whatever the answer,
  // Platform::Reset() and ReleaseMemory(). last_stop() says how it went.
  // Returns the Reset() status (the state is offline either way).
  Status Stop();

  // The platform or the glue saw the remote crash. running | attached ->
  // crashed, the cause recorded in last_crash(); with recovery on (and a
  // firmware image) Recover() follows at once. In any other state the
  // report is counted in ignored_crash_reports() and changes nothing. The
  // crash listener, if any, runs between the two (the memory still mapped).
  // `detail` (may be null) is copied and cut to kCrashDetailSize - 1.
  void ReportCrash(CrashReason reason, const char* detail);
  // crashed -> running: OnVdevReset(), Reset(), ReleaseMemory(), then
  // Load() + Start() of the same firmware image. kFailedPrecondition for an
  // attached remote that crashed (no image to reload; it stays crashed).
  // If reloading fails the state is offline. last_recovery() keeps the
  // outcome of the last (automatic or manual) attempt.
  Status Recover();

  // offline | detached -> attached: takes over a remote that is already
  // running. Reads the table the platform says is loaded
  // (Platform::LoadedResourceTable), maps each carveout/devmem/vring/buffer
  // region at the fixed address written in it (FW_RSC_ADDR_ANY is an
  // error), resets the vdev (status 0, mailbox::kVdevReset, waits for
  // mailbox::kVdevResetAck) and calls OnVdevReady(). On error everything is
  // released and the state is unchanged.
  Status Attach();
  // attached -> detached: OnVdevReset(), vdev status 0, host views
  // released; the core keeps running (no Reset()).
  Status Detach();

  // Recovery policy (Linux sysfs "recovery enabled|disabled").
  void set_recovery(bool enabled) { options_.recovery = enabled; }
  bool recovery() const { return options_.recovery; }
  // Options::rpmsg_buffer_size for the next Load() / Attach() (checked
  // there; docs/buffers.md).
  void set_rpmsg_buffer_size(std::uint32_t size) { options_.rpmsg_buffer_size = size; }
  std::uint32_t rpmsg_buffer_size() const { return options_.rpmsg_buffer_size; }

  // --- Vdevs -----------------------------------------------------------
  // `index` below is the RPMsg vdev's place in the table (VdevResources::
  // index; 0 for the first, which most tables have alone).
  //
  // Writes the VirtIO device status (VirtIO 1.x 2.1) of vdev `index` into
  // the cached table and, with a store-release, into the loaded table the
  // remote polls (Linux: rproc_virtio_set_status writes rsc->status). The
  // ring initialisation before it is therefore visible first.
  // kFailedPrecondition without that vdev or mapped memory.
  Status SetVdevStatus(std::uint8_t status, std::size_t index = 0);
  // The status byte as the remote sees it (read from the loaded table).
  Result<std::uint8_t> ReadVdevStatus(std::size_t index = 0) const;
  // The aligned 32-bit word of the loaded table whose low byte is the vdev
  // status (VirtIO 1.x 2.1: the remote sets DEVICE_NEEDS_RESET there), for
  // a listener that watches it while the vdev is up: valid from OnVdevReady
  // until OnVdevReset. kFailedPrecondition without that vdev.
  Result<shm::Region> VdevStatusWord(std::size_t index = 0) const;
  // Sends `notifyid` (one of the vdevs' vrings) through the mailbox.
  // kFailedPrecondition unless running or attached with a vdev;
  // kInvalidArgument for an id that is not one of the vrings'.
  Status Kick(std::uint32_t notifyid);
  // The RPMsg vdevs as handed to OnVdevReady, in index order.
  std::size_t vdev_count() const { return resources_.vdev_count; }
  // Vdev `index` (nullptr if the table has no such RPMsg vdev).
  const VdevResources* vdev(std::size_t index = 0) const {
    return index < resources_.vdev_count ? &resources_.vdevs[index].resources : nullptr;
  }

  // --- Inspection ------------------------------------------------------
  State state() const { return state_; }
  std::uint64_t entry() const { return entry_; }
  std::span<const MappedRegion> mapped_regions() const { return memory_.regions(); }
  // Host view of [da, da + length) of the remote's mapped memory.
  Result<shm::Region> Translate(std::uint64_t da, std::uint64_t length) const {
    return memory_.Translate(da, length);
  }
  // The cached table (empty without one) and its parsed view (nullptr).
  ConstByteSpan cached_table() const { return {table_.data(), table_size_}; }
  const rsc::ResourceTable* resource_table() const {
    return parsed_table_ ? &*parsed_table_ : nullptr;
  }
  // Device address of the loaded table (valid when resource_table()).
  std::uint64_t loaded_table_da() const { return loaded_table_.device_address(); }

  // Vdevs of another VirtIO type or beyond kMaxRpmsgVdevs RPMsg ones, and
  // trace entries beyond the first, are skipped and counted here.
  std::uint32_t skipped_vdevs() const { return resources_.skipped_vdevs; }
  std::uint32_t skipped_traces() const { return resources_.skipped_traces; }

  // More about the last failed Load()/Attach(): e.g. "segment 0x20001000
  // size 0x200 not inside any carveout". Empty after a success.
  const char* error_detail() const { return detail_.c_str(); }

  const CrashRecord& last_crash() const { return last_crash_; }
  std::uint32_t ignored_crash_reports() const { return ignored_crash_reports_; }
  const StopReport& last_stop() const { return last_stop_; }
  Status last_recovery() const { return last_recovery_; }

  // --- Debug -----------------------------------------------------------
  // Writes an ELF core of every mapped region except devmem (coredump.h),
  // with `notes` (core_notes.h); a null state is filled in with this one's,
  // and, when crashed, null crash fields with last_crash(). Allowed when
  // running, crashed or attached.
  Status Coredump(CoredumpWriter& out, const CoreNotes& notes = {}) const;
  // The size of the file Coredump() would write now (same errors).
  Result<std::uint64_t> CoredumpSize(const CoreNotes& notes = {}) const;
  // The class, machine and entry the core file has: the loaded firmware's;
  // for an attached remote the image given to DescribeImage(), else the
  // expected machine with its usual class (MachineIs64BitByDefault).
  CoreFormat core_format() const { return {firmware_is_64bit_, firmware_machine_, entry_}; }
  // An attached remote runs `firmware` (its bytes are read now, not kept):
  // its class, machine and entry go into the core file. kFailedPrecondition
  // unless attached; the ELF's errors; kInvalidArgument for another machine
  // than Options::expected_machine.
  Status DescribeImage(ConstByteSpan firmware);
  // Size of the trace buffer (0 without one).
  std::size_t trace_size() const { return resources_.trace.len; }
  // Copies the trace buffer once into `out` and returns the text in
  // chronological order at its start (trace_buffer.h); not NUL-terminated.
  // kNotFound without a trace entry; kResourceExhausted if `out` is smaller
  // than trace_size(); kFailedPrecondition when nothing is mapped.
  Result<std::size_t> ReadTrace(std::span<char> out) const;

 private:
  // Steps of Load()/Attach(); each fails with a Status and leaves cleanup to
  // the caller (ReleaseAll()). The work is in the internal pieces beside
  // remote_proc.cc: resource_handlers.h (one handler per entry kind),
  // vdev_placement.h, image_loader.h, remote_memory.h.
  Status DoLoad(ConstByteSpan firmware);
  Status DoAttach();
  // Attach: the rings and buffer area the table names stay out of the image
  // (carveouts holding the loaded table) and device memory.
  Status CheckAttachedVdev(const VdevResources& vdev, std::uint64_t table_da,
                           std::uint64_t table_size);
  Status CheckOptions() const;
  Status ParseCachedTable();
  // Releases the core of a loaded image and announces the vdev; on failure
  // AbortRun().
  Status StartLoaded(State next);
  Status AnnounceVdev();
  // Every vdev's status 0, best effort (the run ends or is handed back).
  void ResetVdevStatuses();
  std::span<PlacedVdev> Vdevs() { return {resources_.vdevs.data(), resources_.vdev_count}; }
  std::span<const PlacedVdev> Vdevs() const {
    return {resources_.vdevs.data(), resources_.vdev_count};
  }
  // Forced end of a run that could not start: reset, release, offline.
  void AbortRun();
  // Tells the listener the vdev is gone (if it was announced).
  void NotifyVdevReset();
  // Platform::ReleaseMemory() and forgetting everything about the run.
  void ReleaseAll();
  ByteSpan TableBytes() { return {table_.data(), table_size_}; }
  // The regions a core file holds (diagnostics.cc); returns their count.
  std::size_t CoreRegions(std::span<shm::Region, kMaxRegions> regions) const;
  CoreNotes CompleteNotes(CoreNotes notes) const;

  Platform& platform_;
  Options options_;
  VdevListener* listener_;
  CrashListener* crash_listener_ = nullptr;

  State state_ = State::kOffline;
  ConstByteSpan firmware_;
  bool firmware_is_64bit_ = false;
  std::uint16_t firmware_machine_ = 0;
  std::uint64_t entry_ = 0;

  MemoryMap memory_;
  alignas(8) std::array<std::byte, kMaxTableSize> table_{};
  std::size_t table_size_ = 0;
  std::optional<rsc::ResourceTable> parsed_table_;
  shm::Region loaded_table_;  // host view of the table the remote reads

  TableResources resources_;     // vdevs, trace, skipped entries
  bool vdev_announced_ = false;  // an OnVdevReady() succeeded

  ErrorDetail detail_;

  CrashRecord last_crash_;
  std::uint32_t ignored_crash_reports_ = 0;
  StopReport last_stop_;
  Status last_recovery_;
};

}  // namespace tandem::remoteproc
