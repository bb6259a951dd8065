#include "tandem/remoteproc/remote_proc.h"

#include <cstring>

#include "image_loader.h"
#include "placement.h"
#include "remote_memory.h"
#include "resource_handlers.h"
#include "tandem/base/checked_math.h"
#include "tandem/elf/elf_file.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/rsc/rpmsg_config.h"
#include "tandem/rsc/table_patch.h"
#include "tandem/rsc/wire.h"
#include "vdev_placement.h"

// The lifecycle (state.h): load, start, stop, crash, recover, attach,
// detach, and the vdev status the host driver writes. What a step does to
// memory is in the pieces it calls: image_loader.h, resource_handlers.h,
// vdev_placement.h.

namespace tandem::remoteproc {
namespace {

// Byte offset of fw_rsc_vdev.status inside a vdev entry (after the type
// word); 4-byte aligned, so the 32-bit word holding it can be published
// with one store-release.
constexpr std::size_t kVdevStatusOffset = sizeof(rsc::FwRscHdr) + offsetof(rsc::FwRscVdev, status);
static_assert(kVdevStatusOffset % 4 == 0);
constexpr std::size_t kVdevGfeaturesOffset =
    sizeof(rsc::FwRscHdr) + offsetof(rsc::FwRscVdev, gfeatures);

}  // namespace

RemoteProc::RemoteProc(Platform& platform, const Options& options, VdevListener* listener)
    : platform_(platform), options_(options), listener_(listener) {}

void RemoteProc::ReleaseAll() {
  platform_.ReleaseMemory();
  memory_.Clear();
  table_size_ = 0;
  parsed_table_.reset();
  loaded_table_ = {};
  // The skipped counts stay readable after a failed Load()/Attach() or a
  // Stop(); the next one resets them.
  resources_.vdev_count = 0;
  resources_.vdev_entries = 0;
  resources_.trace = {};
  vdev_announced_ = false;
  entry_ = 0;
}

void RemoteProc::NotifyVdevReset() {
  if (vdev_announced_ && listener_ != nullptr) listener_->OnVdevReset();
  vdev_announced_ = false;
}

Status RemoteProc::CheckOptions() const {
  if (options_.rpmsg_buffer_size != 0 && !rsc::IsValidRpmsgBufferSize(options_.rpmsg_buffer_size)) {
    return InvalidArgument(error::kBadRpmsgBufferSize);
  }
  return OkStatus();
}

Status RemoteProc::ParseCachedTable() {
  auto parsed = rsc::ResourceTable::Parse(cached_table());
  if (!parsed.ok()) {
    detail_.Append("resource table: ");
    detail_.Append(parsed.status().message());
    return parsed.status();
  }
  parsed_table_ = *parsed;
  return OkStatus();
}

// --- Load --------------------------------------------------------------------

Status RemoteProc::Load(ConstByteSpan firmware) {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kLoad));
  detail_.Clear();
  if (const Status s = DoLoad(firmware); !s.ok()) {
    ReleaseAll();
    return s;
  }
  firmware_ = firmware;
  state_ = next;
  return OkStatus();
}

Status RemoteProc::DoLoad(ConstByteSpan firmware) {
  ReleaseAll();
  resources_ = {};
  TANDEM_TRY(CheckOptions());
  TANDEM_TRY_ASSIGN(const elf::ElfFile elf, elf::ElfFile::Parse(firmware));
  if (options_.expected_machine != 0) TANDEM_TRY(elf.CheckMachine(options_.expected_machine));
  firmware_is_64bit_ = elf.is_64bit();
  firmware_machine_ = elf.machine();

  RemoteMemory memory{platform_, memory_, detail_};
  auto section = elf.FindSection(kResourceTableSection);
  if (section.ok()) {
    TANDEM_TRY_ASSIGN(const ConstByteSpan bytes, elf.SectionData(*section));
    TANDEM_TRY_ASSIGN(table_size_, CacheTable(bytes, ByteSpan(table_.data(), table_.size())));
    TANDEM_TRY(ParseCachedTable());
    ResourceContext ctx{memory, TableBytes(), Placement::kBoot, options_.rpmsg_buffer_size,
                        resources_};
    TANDEM_TRY(HandleResources(*parsed_table_, ctx));
  } else if (section.status().code() == StatusCode::kNotFound) {
    TANDEM_TRY(MapImageSpan(elf, memory));
  } else {
    return section.status();
  }

  TANDEM_TRY(LoadSegments(elf, memory));
  // After the segments, which may cover a fixed vring.
  for (PlacedVdev& v : Vdevs()) TANDEM_TRY(ClearVrings(v.resources));
  if (parsed_table_) {
    TANDEM_TRY_ASSIGN(loaded_table_,
                      WriteLoadedTable(section->addr, cached_table(), Vdevs(), memory));
  }
  entry_ = elf.entry();
  return OkStatus();
}

// --- Start / stop ------------------------------------------------------------

Status RemoteProc::Start() {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kStart));
  return StartLoaded(next);
}

Status RemoteProc::StartLoaded(State next) {
  if (const Status s = platform_.Start(entry_); !s.ok()) {
    AbortRun();
    return s;
  }
  state_ = next;
  if (const Status s = AnnounceVdev(); !s.ok()) {
    AbortRun();
    return s;
  }
  return OkStatus();
}

Status RemoteProc::AnnounceVdev() {
  if (listener_ == nullptr) return OkStatus();
  // In index order; once the first is up, a failure of a later one resets
  // them all (the caller's NotifyVdevReset).
  for (const PlacedVdev& v : Vdevs()) {
    TANDEM_TRY(listener_->OnVdevReady(v.resources));
    vdev_announced_ = true;
  }
  return OkStatus();
}

void RemoteProc::ResetVdevStatuses() {
  for (std::size_t i = 0; i < resources_.vdev_count; ++i) {
    SetVdevStatus(0, i).IgnoreError();  // best effort: the caller resets or releases next
  }
}

void RemoteProc::AbortRun() {
  NotifyVdevReset();
  platform_.Reset().IgnoreError();  // forced; nothing better to do on failure
  ReleaseAll();
  firmware_ = {};
  state_ = State::kOffline;
}

Status RemoteProc::Boot(ConstByteSpan firmware) {
  TANDEM_TRY(Load(firmware));
  return Start();
}

Status RemoteProc::Stop() {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kStop));
  StopReport report;
  report.from = state_;
  NotifyVdevReset();
  // Driver-initiated device reset (VirtIO 1.x 3.1.1 step 1): the remote's
  // RPMsg side sees status 0 and stops using the rings.
  ResetVdevStatuses();
  if (state_ == State::kRunning || state_ == State::kAttached) {
    // The shutdown handshake (TI's RP_MBOX_SHUTDOWN / _ACK): the remote
    // gets to park itself; if it does not answer it is reset regardless.
    Status handshake = platform_.Send(mailbox::kShutdown);
    if (handshake.ok()) {
      handshake = platform_.WaitForControl(mailbox::kShutdownAck, options_.shutdown_timeout_ms);
    }
    report.graceful = handshake.ok();
    report.handshake = handshake;
  } else if (state_ == State::kLoaded) {
    report.handshake = FailedPrecondition(error::kNoHandshakeNeverRan);
  } else {
    report.handshake = FailedPrecondition(error::kNoHandshakeCrashed);
  }
  const Status reset = platform_.Reset();
  ReleaseAll();
  firmware_ = {};
  state_ = next;
  last_stop_ = report;
  return reset;
}

// --- Crash and recovery -------------------------------------------------------

void RemoteProc::ReportCrash(CrashReason reason, const char* detail) {
  const auto next = NextState(state_, Event::kCrash);
  if (!next.ok()) {
    // Not running: a late or repeated report (Linux ignores a crash of a
    // remote that is already crashed). Counted, never silent.
    ++ignored_crash_reports_;
    return;
  }
  last_crash_.reason = reason;
  std::size_t n = 0;
  if (detail != nullptr) {
    while (n + 1 < kCrashDetailSize && detail[n] != '\0') ++n;
    std::memcpy(last_crash_.detail, detail, n);
  }
  last_crash_.detail[n] = '\0';
  ++last_crash_.count;
  state_ = *next;
  if (crash_listener_ != nullptr) crash_listener_->OnCrashRecorded(*this);
  if (!options_.recovery) return;  // Linux sysfs "recovery disabled"
  Recover().IgnoreError();         // the outcome is in last_recovery()
}

Status RemoteProc::Recover() {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kRecover));
  if (firmware_.empty()) {
    last_recovery_ = FailedPrecondition(error::kCannotRecoverAttached);
    return last_recovery_;
  }
  // Linux rproc_trigger_recovery: stop (subdevices first), then boot the
  // same image again.
  const ConstByteSpan firmware = firmware_;
  NotifyVdevReset();
  if (const Status reset = platform_.Reset(); !reset.ok()) {
    last_recovery_ = reset;  // still crashed: we cannot reuse its memory
    return reset;
  }
  ReleaseAll();
  state_ = State::kOffline;
  detail_.Clear();
  Status s = DoLoad(firmware);
  if (!s.ok()) {
    ReleaseAll();
    firmware_ = {};
  } else {
    firmware_ = firmware;
    s = StartLoaded(next);
  }
  last_recovery_ = s;
  return s;
}

// --- Attach / detach ------------------------------------------------------------

Status RemoteProc::Attach() {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kAttach));
  detail_.Clear();
  if (const Status s = DoAttach(); !s.ok()) {
    ReleaseAll();
    return s;
  }
  const State before = state_;
  state_ = next;
  firmware_ = {};
  if (const Status s = AnnounceVdev(); !s.ok()) {
    // Not our remote to reset: give it back as we found it (a vdev
    // announced before the failing one is reset first).
    NotifyVdevReset();
    ResetVdevStatuses();
    ReleaseAll();
    state_ = before;
    return s;
  }
  return OkStatus();
}

Status RemoteProc::DoAttach() {
  ReleaseAll();
  resources_ = {};
  TANDEM_TRY(CheckOptions());
  TANDEM_TRY_ASSIGN(const shm::Region table, platform_.LoadedResourceTable());
  // Read the remote's table once into the cached copy; everything after
  // works on the copy.
  const std::size_t size = table.size() < kMaxTableSize ? table.size() : kMaxTableSize;
  TANDEM_TRY(table.ReadBytes(0, ByteSpan(table_.data(), size)));
  table_size_ = size;
  TANDEM_TRY(ParseCachedTable());
  RemoteMemory memory{platform_, memory_, detail_};
  ResourceContext ctx{memory, TableBytes(), Placement::kAttach, options_.rpmsg_buffer_size,
                      resources_};
  TANDEM_TRY(HandleResources(*parsed_table_, ctx));
  // Before anything is written (the gfeatures below, then the host driver
  // zeroing the rings and posting buffers): the table is the remote's, so
  // nothing it names for the driver to write may be the image (issue #10:
  // a vring0 moved into the image made the host zero it).
  for (const PlacedVdev& v : Vdevs()) {
    TANDEM_TRY(CheckAttachedVdev(v.resources, table.device_address(), table.size()));
  }
  // No image (until DescribeImage): the core file has the expected machine
  // and its usual class (issue #11: ELF32 for an x86-64 remote).
  firmware_is_64bit_ = MachineIs64BitByDefault(options_.expected_machine);
  firmware_machine_ = options_.expected_machine;
  entry_ = 0;
  TANDEM_TRY_ASSIGN(loaded_table_, table.Sub(0, size));
  if (reinterpret_cast<std::uintptr_t>(loaded_table_.base()) % 4 != 0) {
    return DataLoss(error::kAttachedTableMisaligned);
  }
  if (resources_.vdev_count == 0) return OkStatus();

  // Reset the vdevs without rebooting the remote: status 0 and our
  // gfeatures in its table for each, then one kVdevReset handshake for all;
  // the remote re-initializes its side and waits for DRIVER_OK again.
  for (std::size_t i = 0; i < resources_.vdev_count; ++i) {
    const std::size_t gfeatures_at = resources_.vdevs[i].entry.offset + kVdevGfeaturesOffset;
    TANDEM_TRY(loaded_table_.WriteBytes(gfeatures_at, cached_table().subspan(gfeatures_at, 4)));
    TANDEM_TRY(SetVdevStatus(0, i));
  }
  TANDEM_TRY(platform_.Send(mailbox::kVdevReset));
  const Status ack = platform_.WaitForControl(mailbox::kVdevResetAck, options_.shutdown_timeout_ms);
  if (!ack.ok()) {
    detail_.Append("vdev reset handshake: ");
    detail_.Append(ack.message());
    return Status(ack.code(), error::kVdevResetNotAcked);
  }
  return OkStatus();
}

Status RemoteProc::CheckAttachedVdev(const VdevResources& vdev, std::uint64_t table_da,
                                     std::uint64_t table_size) {
  // The image, without an ELF: every carveout holding (part of) the loaded
  // table. Device memory may be registers. The driver writes the rings and
  // the buffer area; none of them may touch either. (Each other: HandleVdev.)
  struct Written {
    const char* what;
    std::uint64_t da;
    std::uint64_t size;
  };
  const Written written[] = {{"vring0", vdev.vring[0].da, vdev.vring[0].ring.size()},
                             {"vring1", vdev.vring[1].da, vdev.vring[1].ring.size()},
                             {"buffers", vdev.buffers_da, vdev.buffers.size()}};
  for (const MappedRegion& m : memory_.regions()) {
    const std::uint64_t da = m.region.device_address();
    const std::uint64_t size = m.region.size();
    const bool image = m.kind == MemoryKind::kCarveout && Overlap(da, size, table_da, table_size);
    if (!image && m.kind != MemoryKind::kDevmem) continue;
    for (const Written& w : written) {
      if (!Overlap(w.da, w.size, da, size)) continue;
      detail_.Append(w.what);
      detail_.Append(" at 0x");
      detail_.AppendHex(w.da);
      detail_.Append(" overlaps \"");
      detail_.Append(m.name.c_str());
      detail_.Append("\"");
      return DataLoss(error::kAttachVdevOverlapsImage);
    }
  }
  return OkStatus();
}

Status RemoteProc::Detach() {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kDetach));
  NotifyVdevReset();
  // Linux rproc_reset_rsc_table_on_detach: leave the table as a fresh
  // driver would find it (device status reset).
  ResetVdevStatuses();
  ReleaseAll();
  state_ = next;
  return OkStatus();
}

// --- Vdev --------------------------------------------------------------------------

Status RemoteProc::SetVdevStatus(std::uint8_t status, std::size_t index) {
  if (index >= resources_.vdev_count || table_size_ == 0 || loaded_table_.size() == 0) {
    return FailedPrecondition(error::kNoVdev);
  }
  const rsc::Vdev& entry = resources_.vdevs[index].entry;
  TANDEM_TRY(rsc::SetVdevStatus(TableBytes(), entry, status));
  const std::size_t at = entry.offset + kVdevStatusOffset;
  if (!RangeInside<std::size_t>(at, 4, table_size_)) {
    return Internal(error::kVdevStatusOutsideTable);
  }
  // The aligned word holding status, num_of_vrings and reserved[2]; the
  // other three bytes are the table's own, unchanged.
  Le32 word;
  std::memcpy(&word, table_.data() + at, sizeof(word));
  // Store-release: the rings the driver initialized before setting
  // DRIVER_OK are visible to the remote before the status is.
  return loaded_table_.PublishLe32(at, word.get());
}

Result<std::uint8_t> RemoteProc::ReadVdevStatus(std::size_t index) const {
  if (index >= resources_.vdev_count || loaded_table_.size() == 0) {
    return FailedPrecondition(error::kNoVdev);
  }
  return loaded_table_.Read<std::uint8_t>(resources_.vdevs[index].entry.offset + kVdevStatusOffset);
}

Result<shm::Region> RemoteProc::VdevStatusWord(std::size_t index) const {
  if (index >= resources_.vdev_count || loaded_table_.size() == 0) {
    return FailedPrecondition(error::kNoVdev);
  }
  return loaded_table_.Sub(resources_.vdevs[index].entry.offset + kVdevStatusOffset, sizeof(Le32));
}

Status RemoteProc::Kick(std::uint32_t notifyid) {
  if ((state_ != State::kRunning && state_ != State::kAttached) || resources_.vdev_count == 0) {
    return FailedPrecondition(error::kKickNotRunning);
  }
  for (const PlacedVdev& v : Vdevs()) {
    for (const VringResources& ring : v.resources.vring) {
      if (ring.notifyid == notifyid) return platform_.Send(notifyid);
    }
  }
  return InvalidArgument(error::kKickUnknownNotifyId);
}

}  // namespace tandem::remoteproc
