#include "tandem/remoteproc/remote_proc.h"

#include <cstring>
#include <limits>

#include "tandem/base/checked_math.h"
#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/elf/segment_loader.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/trace_buffer.h"
#include "tandem/rsc/table_patch.h"
#include "tandem/rsc/wire.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remoteproc {
namespace {

// Carveouts and the buffer area are allocated with page alignment, as
// Linux's dma_alloc_coherent gives them.
constexpr std::uint64_t kPageSize = 4096;
// VirtIO 1.x 2.7 (table "Virtqueue Part Alignment"): the descriptor table
// needs 16-byte alignment.
constexpr std::uint64_t kDescriptorAlign = 16;
constexpr std::uint64_t kFourGiB = std::uint64_t{1} << 32;

// Byte offset of fw_rsc_vdev.status inside a vdev entry (after the type
// word); 4-byte aligned, so the 32-bit word holding it can be published
// with one store-release.
constexpr std::size_t kVdevStatusOffset = sizeof(rsc::FwRscHdr) + offsetof(rsc::FwRscVdev, status);
static_assert(kVdevStatusOffset % 4 == 0);
constexpr std::size_t kVdevGfeaturesOffset =
    sizeof(rsc::FwRscHdr) + offsetof(rsc::FwRscVdev, gfeatures);

// Resource-table addresses are 32-bit: whatever we write there must fit.
bool Fits32(std::uint64_t da, std::uint64_t length) {
  return da < kFourGiB && length <= kFourGiB - da;
}

bool FitsSizeT(std::uint64_t v) {
  if constexpr (sizeof(std::size_t) >= sizeof(std::uint64_t)) {
    return true;
  } else {
    return v <= std::numeric_limits<std::size_t>::max();
  }
}

bool Overlap(std::uint64_t a, std::uint64_t a_len, std::uint64_t b, std::uint64_t b_len) {
  // Both ranges were checked not to wrap when they were mapped.
  return a < b + b_len && b < a + a_len;
}

bool SameName(const rsc::ResourceName& name, const char* s) {
  return std::strncmp(name.c_str(), s, rsc::kNameSize + 1) == 0;
}

}  // namespace

// --- Segment sink --------------------------------------------------------

// Places PT_LOAD segments: every device range must lie inside one mapped
// carveout (Linux: rproc_da_to_va in rproc_elf_load_segments).
class RemoteProc::LoadSink final : public elf::SegmentSink {
 public:
  explicit LoadSink(RemoteProc& rproc) : rproc_(rproc) {}

  Status Write(std::uint64_t da, ConstByteSpan data) override {
    TANDEM_TRY_ASSIGN(shm::Region target, Locate(da, data.size()));
    return target.WriteBytes(0, data);
  }
  Status Zero(std::uint64_t da, std::uint64_t length) override {
    TANDEM_TRY_ASSIGN(shm::Region target, Locate(da, length));
    return target.Fill(0, target.size(), std::byte{0});
  }

 private:
  Result<shm::Region> Locate(std::uint64_t da, std::uint64_t length) {
    auto target = rproc_.memory_.Translate(da, length, MemoryKind::kCarveout);
    if (!target.ok()) {
      rproc_.Detail("segment 0x");
      rproc_.DetailHex(da);
      rproc_.Detail(" size 0x");
      rproc_.DetailHex(length);
      rproc_.Detail(" not inside any carveout");
      return DataLoss("ELF segment not inside any carveout");
    }
    return target;
  }

  RemoteProc& rproc_;
};

// --- Construction, details -------------------------------------------------

RemoteProc::RemoteProc(Platform& platform, const Options& options, VdevListener* listener)
    : platform_(platform), options_(options), listener_(listener) {}

void RemoteProc::ClearDetail() {
  error_detail_.fill('\0');
  error_detail_len_ = 0;
}

void RemoteProc::Detail(const char* text) {
  if (text == nullptr) return;
  while (*text != '\0' && error_detail_len_ + 1 < error_detail_.size()) {
    error_detail_[error_detail_len_++] = *text++;
  }
  error_detail_[error_detail_len_] = '\0';
}

void RemoteProc::DetailHex(std::uint64_t value) {
  char digits[17];
  std::size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  char text[17];
  for (std::size_t i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  Detail(text);
}

// --- Memory ------------------------------------------------------------------

Result<shm::Region> RemoteProc::Map(std::uint64_t da, std::uint64_t size, std::uint64_t align,
                                    MemoryKind kind, const char* name) {
  if (!FitsSizeT(size))
    return ResourceExhausted("remote memory region larger than the host's size_t");
  const MemoryRequest request{da, size, align, name};
  auto mapped = platform_.MapMemory(request);
  if (!mapped.ok()) {
    Detail("cannot map ");
    Detail(name);
    Detail(" size 0x");
    DetailHex(size);
    if (da != kAnyAddress) {
      Detail(" at 0x");
      DetailHex(da);
    }
    return mapped.status();
  }
  // The platform is trusted, but a wrong view would let us write where we
  // must not; checking costs nothing.
  if (mapped->size() < size || (da != kAnyAddress && mapped->device_address() != da)) {
    return Internal("platform mapped a different range than requested");
  }
  TANDEM_TRY_ASSIGN(const shm::Region exact, mapped->Sub(0, static_cast<std::size_t>(size)));
  for (const MappedRegion& m : memory_.regions()) {
    if (Overlap(m.region.device_address(), m.region.size(), exact.device_address(), exact.size())) {
      Detail(name);
      Detail(" overlaps ");
      Detail(m.name.c_str());
      return DataLoss("remote memory regions overlap");
    }
  }
  TANDEM_TRY(memory_.Add(exact, kind, name));
  return exact;
}

void RemoteProc::ReleaseAll() {
  platform_.ReleaseMemory();
  memory_.Clear();
  table_size_ = 0;
  parsed_table_.reset();
  loaded_table_ = {};
  vdev_entry_.reset();
  vdev_.reset();
  vdev_announced_ = false;
  trace_da_ = 0;
  trace_len_ = 0;
  entry_ = 0;
}

void RemoteProc::NotifyVdevReset() {
  if (vdev_announced_ && listener_ != nullptr) listener_->OnVdevReset();
  vdev_announced_ = false;
}

// --- Load --------------------------------------------------------------------

Status RemoteProc::Load(ConstByteSpan firmware) {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kLoad));
  ClearDetail();
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
  skipped_vdevs_ = 0;
  skipped_traces_ = 0;
  if (options_.rpmsg_buffer_size < 32 || options_.rpmsg_buffer_size % 8 != 0) {
    return InvalidArgument("rpmsg_buffer_size must be a multiple of 8 and at least 32");
  }
  TANDEM_TRY_ASSIGN(const elf::ElfFile elf, elf::ElfFile::Parse(firmware));
  if (options_.expected_machine != 0) TANDEM_TRY(elf.CheckMachine(options_.expected_machine));
  firmware_is_64bit_ = elf.is_64bit();
  firmware_machine_ = elf.machine();

  auto section = elf.FindSection(kResourceTableSection);
  if (section.ok()) {
    TANDEM_TRY_ASSIGN(const ConstByteSpan bytes, elf.SectionData(*section));
    if (bytes.size() > kMaxTableSize) {
      return ResourceExhausted("resource table larger than kMaxTableSize (4096 bytes)");
    }
    // The cached table (Linux: rproc->cached_table): our private copy, so
    // the file can be checked once and patched freely.
    if (!bytes.empty()) std::memcpy(table_.data(), bytes.data(), bytes.size());
    table_size_ = bytes.size();
    TANDEM_TRY(ParseCachedTable());
    TANDEM_TRY(MapCarveoutsAndDevmem(/*attaching=*/false));
    TANDEM_TRY(SetUpTrace());
    TANDEM_TRY(SetUpVdev(/*attaching=*/false));
  } else if (section.status().code() == StatusCode::kNotFound) {
    // No table: no resources, like Linux. Linux then relies on the
    // platform driver's own memories (ops->da_to_va); our Platform has
    // only MapMemory, so the span of the loadable segments is mapped as one
    // carveout.
    TANDEM_TRY(MapImageSpan(elf));
  } else {
    return section.status();
  }

  LoadSink sink(*this);
  TANDEM_TRY(elf::LoadSegments(elf, sink));
  if (vdev_) {
    // After the segments (which may cover a fixed vring): the remote must
    // not see ring indices of an earlier run or of the image.
    for (VringResources& v : vdev_->vring) TANDEM_TRY(v.ring.Fill(0, v.ring.size(), std::byte{0}));
  }
  if (parsed_table_) TANDEM_TRY(WriteLoadedTable(section->addr));
  entry_ = elf.entry();
  return OkStatus();
}

Status RemoteProc::ParseCachedTable() {
  auto parsed = rsc::ResourceTable::Parse(cached_table());
  if (!parsed.ok()) {
    Detail("resource table: ");
    Detail(parsed.status().message());
    return parsed.status();
  }
  parsed_table_ = *parsed;
  return OkStatus();
}

Status RemoteProc::MapImageSpan(const elf::ElfFile& elf) {
  std::uint64_t low = ~std::uint64_t{0};
  std::uint64_t high = 0;
  for (std::size_t i = 0; i < elf.program_header_count(); ++i) {
    TANDEM_TRY_ASSIGN(const elf::ProgramHeader ph, elf.program_header(i));
    if (ph.type != elf::kPtLoad || ph.memsz == 0) continue;
    // ElfFile::Parse checked paddr + memsz does not overflow.
    if (ph.paddr < low) low = ph.paddr;
    if (ph.paddr + ph.memsz > high) high = ph.paddr + ph.memsz;
  }
  if (high == 0) return OkStatus();  // nothing to load
  const std::uint64_t start = low & ~(kPageSize - 1);
  std::uint64_t end;
  if (!AlignUp<std::uint64_t>(high, kPageSize, &end) || end <= start) {
    return DataLoss("ELF segments reach the end of the address space");
  }
  return Map(start, end - start, kPageSize, MemoryKind::kCarveout, "firmware").status();
}

Status RemoteProc::MapCarveoutsAndDevmem(bool attaching) {
  for (const rsc::Entry& e : parsed_table_->entries()) {
    if (e.kind() == rsc::EntryKind::kCarveout) {
      const rsc::Carveout c = e.carveout();
      if (c.len == 0) return DataLoss("carveout with zero length");
      if (c.da == rsc::kAddrAny) {
        if (attaching) {
          Detail(c.name.c_str());
          return DataLoss("attach: carveout without a fixed device address (FW_RSC_ADDR_ANY)");
        }
        // Linux: rproc_alloc_carveout, then the chosen address is written
        // back (rsc->da, rsc->pa) for the firmware to find.
        TANDEM_TRY_ASSIGN(const shm::Region r, Map(kAnyAddress, c.len, kPageSize,
                                                   MemoryKind::kCarveout, c.name.c_str()));
        if (!Fits32(r.device_address(), c.len)) {
          return Internal("platform placed a carveout above 4 GiB (table addresses are 32-bit)");
        }
        const auto da = static_cast<std::uint32_t>(r.device_address());
        TANDEM_TRY(rsc::SetCarveoutAddress(TableBytes(), c, da, da));
      } else {
        TANDEM_TRY(Map(c.da, c.len, kPageSize, MemoryKind::kCarveout, c.name.c_str()));
        // Linux writes pa for every carveout it allocated; with no IOMMU
        // in our model the physical address is the device address.
        if (!attaching) TANDEM_TRY(rsc::SetCarveoutAddress(TableBytes(), c, c.da, c.da));
      }
    } else if (e.kind() == rsc::EntryKind::kDevmem) {
      const rsc::Devmem d = e.devmem();
      if (d.len == 0) return DataLoss("devmem with zero length");
      if (d.da == rsc::kAddrAny) return DataLoss("devmem without a fixed device address");
      TANDEM_TRY(Map(d.da, d.len, kPageSize, MemoryKind::kDevmem, d.name.c_str()));
    } else if (e.kind() == rsc::EntryKind::kInvalid) {
      return DataLoss("resource table changed after it was parsed");
    }
  }
  return OkStatus();
}

Status RemoteProc::SetUpTrace() {
  for (const rsc::Entry& e : parsed_table_->entries()) {
    if (e.kind() != rsc::EntryKind::kTrace) continue;
    if (trace_len_ != 0) {
      ++skipped_traces_;
      continue;
    }
    const rsc::Trace t = e.trace();
    if (t.len == 0) return DataLoss("trace buffer with zero length");
    if (t.da == rsc::kAddrAny) return DataLoss("trace buffer without a fixed device address");
    // Linux rproc_handle_trace: the buffer must be in memory we can read.
    if (memory_.Find(t.da, t.len, MemoryKind::kCarveout) == nullptr) {
      Detail("trace 0x");
      DetailHex(t.da);
      Detail(" size 0x");
      DetailHex(t.len);
      return DataLoss("trace buffer not inside any carveout");
    }
    trace_da_ = t.da;
    trace_len_ = t.len;
  }
  return OkStatus();
}

Status RemoteProc::SetUpVdev(bool attaching) {
  for (const rsc::Entry& e : parsed_table_->entries()) {
    if (e.kind() != rsc::EntryKind::kVdev) continue;
    const rsc::Vdev& v = e.vdev();
    // One RPMsg vdev is what the host driver serves; other VirtIO devices
    // (or a second rpmsg vdev) are left alone.
    if (v.id != rsc::kVirtioIdRpmsg || vdev_entry_) {
      ++skipped_vdevs_;
      continue;
    }
    if (v.num_of_vrings != 2) {
      return DataLoss("rpmsg vdev must have exactly two vrings (remote->host, host->remote)");
    }
    // virtio_rpmsg_bus.c: "we expect symmetric tx/rx vrings"; the buffer
    // area is split in two equal halves.
    if (v.vring[0].num != v.vring[1].num) {
      return DataLoss("rpmsg vrings must have the same num (symmetric rx/tx vrings)");
    }
    vdev_entry_ = v;
    vdev_.emplace();
    vdev_->device_features = v.dfeatures;
    for (std::size_t i = 0; i < 2; ++i) TANDEM_TRY(PlaceVring(v, i, attaching));
    TANDEM_TRY(PlaceBuffers(v.vring[0].num));
    TANDEM_TRY(CheckVdevLayout());
    // Feature negotiation: the driver accepts what it supports of what the
    // device offers (VirtIO 1.x 3.1.1 step 5) and writes it as gfeatures.
    vdev_->features = v.dfeatures & kSupportedVdevFeatures;
    TANDEM_TRY(rsc::SetVdevGuestFeatures(TableBytes(), v, vdev_->features));
    // A fresh device starts in reset (VirtIO 1.x 2.1); on attach the reset
    // is written in DoAttach, to the loaded table.
    if (!attaching) TANDEM_TRY(rsc::SetVdevStatus(TableBytes(), v, 0));
  }
  return OkStatus();
}

Status RemoteProc::PlaceVring(const rsc::Vdev& vdev, std::size_t index, bool attaching) {
  const rsc::Vring& spec = vdev.vring[index];
  TANDEM_TRY_ASSIGN(const virtio::RingLayout layout,
                    virtio::RingLayout::Compute(spec.num, spec.align));
  const std::uint64_t size = layout.size();
  const char* name = index == 0 ? "vdev0vring0" : "vdev0vring1";
  shm::Region ring;
  if (spec.da == rsc::kAddrAny) {
    if (attaching)
      return DataLoss("attach: vring without a fixed device address (FW_RSC_ADDR_ANY)");
    // Linux: rproc_alloc_vring allocates each vring as a carveout.
    const std::uint64_t align = spec.align < kDescriptorAlign ? kDescriptorAlign : spec.align;
    TANDEM_TRY_ASSIGN(ring, Map(kAnyAddress, size, align, MemoryKind::kVring, name));
    if (!Fits32(ring.device_address(), size)) {
      return Internal("platform placed a vring above 4 GiB (table addresses are 32-bit)");
    }
    TANDEM_TRY(rsc::SetVringDeviceAddress(TableBytes(), vdev, index,
                                          static_cast<std::uint32_t>(ring.device_address())));
  } else {
    if (spec.da % kDescriptorAlign != 0) {
      return DataLoss("vring device address is not 16-byte aligned (VirtIO 1.x 2.7)");
    }
    // A fixed vring normally sits in one of the firmware's carveouts;
    // otherwise it is memory of its own.
    auto in_carveout = memory_.Translate(spec.da, size, MemoryKind::kCarveout);
    if (in_carveout.ok()) {
      ring = *in_carveout;
    } else {
      TANDEM_TRY_ASSIGN(ring, Map(spec.da, size, kPageSize, MemoryKind::kVring, name));
    }
  }
  std::uint32_t notifyid = spec.notifyid;
  if (!attaching) {
    // Linux allocates notifyids from 0 in vring order (rproc_alloc_vring,
    // idr_alloc) and writes them into the table.
    notifyid = static_cast<std::uint32_t>(index);
    TANDEM_TRY(rsc::SetVringNotifyId(TableBytes(), vdev, index, notifyid));
  } else if (mailbox::IsControl(notifyid)) {
    return DataLoss("vring notifyid is in the mailbox control range");
  }
  VringResources& out = vdev_->vring[index];
  out.ring = ring;
  out.da = ring.device_address();
  out.num = spec.num;
  out.align = spec.align;
  out.notifyid = notifyid;
  return OkStatus();
}

Status RemoteProc::PlaceBuffers(std::uint32_t num) {
  const std::uint64_t count = 2 * std::uint64_t{num};
  std::uint64_t size;
  if (!CheckedMul<std::uint64_t>(count, options_.rpmsg_buffer_size, &size)) {
    return ResourceExhausted("rpmsg buffer area size overflows");
  }
  const MappedRegion* named = nullptr;
  for (const MappedRegion& m : memory_.regions()) {
    if (m.kind == MemoryKind::kCarveout && SameName(m.name, kVdevBufferName)) named = &m;
  }
  shm::Region buffers;
  if (named != nullptr) {
    if (named->region.size() < size) {
      Detail("need 0x");
      DetailHex(size);
      Detail(" bytes, have 0x");
      DetailHex(named->region.size());
      return DataLoss("carveout vdev0buffer is smaller than 2 * vring num * rpmsg_buffer_size");
    }
    TANDEM_TRY_ASSIGN(buffers, named->region.Sub(0, static_cast<std::size_t>(size)));
  } else {
    TANDEM_TRY_ASSIGN(buffers,
                      Map(kAnyAddress, size, kPageSize, MemoryKind::kBuffers, kVdevBufferName));
  }
  vdev_->buffers = buffers;
  vdev_->buffers_da = buffers.device_address();
  vdev_->buffer_size = options_.rpmsg_buffer_size;
  vdev_->buffer_count = static_cast<std::uint32_t>(count);
  return OkStatus();
}

Status RemoteProc::CheckVdevLayout() const {
  const VringResources& a = vdev_->vring[0];
  const VringResources& b = vdev_->vring[1];
  if (Overlap(a.da, a.ring.size(), b.da, b.ring.size())) return DataLoss("the two vrings overlap");
  for (const VringResources* v : {&a, &b}) {
    if (Overlap(v->da, v->ring.size(), vdev_->buffers_da, vdev_->buffers.size())) {
      return DataLoss("a vring overlaps the rpmsg buffer area");
    }
  }
  if (a.notifyid == b.notifyid) return DataLoss("the two vrings have the same notifyid");
  return OkStatus();
}

Status RemoteProc::WriteLoadedTable(std::uint64_t da) {
  // Linux: rproc_elf_find_loaded_rsc_table finds the .resource_table
  // section's address in device memory and rproc_start copies the cached
  // table there. Linux carries on without it; we refuse, because the
  // remote could not see the addresses and status we write.
  auto loaded = memory_.Translate(da, table_size_, MemoryKind::kCarveout);
  if (!loaded.ok()) {
    Detail(".resource_table at 0x");
    DetailHex(da);
    Detail(" size 0x");
    DetailHex(table_size_);
    return DataLoss("loaded resource table (.resource_table address) not inside any carveout");
  }
  if (da % 4 != 0 || reinterpret_cast<std::uintptr_t>(loaded->base()) % 4 != 0) {
    return DataLoss("loaded resource table (.resource_table address) is not 4-byte aligned");
  }
  if (vdev_) {
    // The driver writes the rings and buffers; they must not hold the table.
    for (const VringResources& v : vdev_->vring) {
      if (Overlap(da, table_size_, v.da, v.ring.size())) {
        return DataLoss("loaded resource table overlaps a vring");
      }
    }
    if (Overlap(da, table_size_, vdev_->buffers_da, vdev_->buffers.size())) {
      return DataLoss("loaded resource table overlaps the rpmsg buffer area");
    }
  }
  loaded_table_ = *loaded;
  return loaded_table_.WriteBytes(0, cached_table());
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
  if (!vdev_ || listener_ == nullptr) return OkStatus();
  TANDEM_TRY(listener_->OnVdevReady(*vdev_));
  vdev_announced_ = true;
  return OkStatus();
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
  if (vdev_) SetVdevStatus(0).IgnoreError();  // best effort: we reset next anyway
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
    report.handshake = FailedPrecondition("no shutdown handshake: the remote never ran");
  } else {
    report.handshake = FailedPrecondition("no shutdown handshake: the remote had crashed");
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
  if (!options_.recovery) return;  // Linux sysfs "recovery disabled"
  Recover().IgnoreError();         // the outcome is in last_recovery()
}

Status RemoteProc::Recover() {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kRecover));
  if (firmware_.empty()) {
    last_recovery_ = FailedPrecondition(
        "cannot recover an attached remote: there is no firmware image to reload (Stop() it, then "
        "Boot() a firmware)");
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
  ClearDetail();
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
  ClearDetail();
  if (const Status s = DoAttach(); !s.ok()) {
    ReleaseAll();
    return s;
  }
  const State before = state_;
  state_ = next;
  firmware_ = {};
  if (const Status s = AnnounceVdev(); !s.ok()) {
    // Not our remote to reset: give it back as we found it.
    if (vdev_) SetVdevStatus(0).IgnoreError();
    ReleaseAll();
    state_ = before;
    return s;
  }
  return OkStatus();
}

Status RemoteProc::DoAttach() {
  ReleaseAll();
  skipped_vdevs_ = 0;
  skipped_traces_ = 0;
  if (options_.rpmsg_buffer_size < 32 || options_.rpmsg_buffer_size % 8 != 0) {
    return InvalidArgument("rpmsg_buffer_size must be a multiple of 8 and at least 32");
  }
  TANDEM_TRY_ASSIGN(const shm::Region table, platform_.LoadedResourceTable());
  // Read the remote's table once into the cached copy; everything after
  // works on the copy.
  const std::size_t size = table.size() < kMaxTableSize ? table.size() : kMaxTableSize;
  TANDEM_TRY(table.ReadBytes(0, ByteSpan(table_.data(), size)));
  table_size_ = size;
  TANDEM_TRY(ParseCachedTable());
  TANDEM_TRY(MapCarveoutsAndDevmem(/*attaching=*/true));
  TANDEM_TRY(SetUpTrace());
  TANDEM_TRY(SetUpVdev(/*attaching=*/true));
  // No image: the core dump says EM_NONE / ELF32 unless told the machine.
  firmware_is_64bit_ = false;
  firmware_machine_ = options_.expected_machine;
  entry_ = 0;
  TANDEM_TRY_ASSIGN(loaded_table_, table.Sub(0, size));
  if (reinterpret_cast<std::uintptr_t>(loaded_table_.base()) % 4 != 0) {
    return DataLoss("loaded resource table is not 4-byte aligned");
  }
  if (!vdev_) return OkStatus();

  // Reset the vdev without rebooting the remote: status 0 and our
  // gfeatures in its table, then the kVdevReset handshake; the remote
  // re-initializes its side and waits for DRIVER_OK again.
  const std::size_t gfeatures_at = vdev_entry_->offset + kVdevGfeaturesOffset;
  TANDEM_TRY(loaded_table_.WriteBytes(gfeatures_at, cached_table().subspan(gfeatures_at, 4)));
  TANDEM_TRY(SetVdevStatus(0));
  TANDEM_TRY(platform_.Send(mailbox::kVdevReset));
  const Status ack = platform_.WaitForControl(mailbox::kVdevResetAck, options_.shutdown_timeout_ms);
  if (!ack.ok()) {
    Detail("vdev reset handshake: ");
    Detail(ack.message());
    return Status(ack.code(), "attach: the remote did not acknowledge the vdev reset");
  }
  return OkStatus();
}

Status RemoteProc::Detach() {
  TANDEM_TRY_ASSIGN(const State next, NextState(state_, Event::kDetach));
  NotifyVdevReset();
  // Linux rproc_reset_rsc_table_on_detach: leave the table as a fresh
  // driver would find it (device status reset).
  if (vdev_) SetVdevStatus(0).IgnoreError();
  ReleaseAll();
  state_ = next;
  return OkStatus();
}

// --- Vdev --------------------------------------------------------------------------

Status RemoteProc::SetVdevStatus(std::uint8_t status) {
  if (!vdev_entry_ || table_size_ == 0 || loaded_table_.size() == 0) {
    return FailedPrecondition("no rpmsg vdev is set up");
  }
  TANDEM_TRY(rsc::SetVdevStatus(TableBytes(), *vdev_entry_, status));
  const std::size_t at = vdev_entry_->offset + kVdevStatusOffset;
  if (!RangeInside<std::size_t>(at, 4, table_size_))
    return Internal("vdev status outside the table");
  // The aligned word holding status, num_of_vrings and reserved[2]; the
  // other three bytes are the table's own, unchanged.
  Le32 word;
  std::memcpy(&word, table_.data() + at, sizeof(word));
  // Store-release: the rings the driver initialized before setting
  // DRIVER_OK are visible to the remote before the status is.
  return loaded_table_.PublishLe32(at, word.get());
}

Result<std::uint8_t> RemoteProc::ReadVdevStatus() const {
  if (!vdev_entry_ || loaded_table_.size() == 0)
    return FailedPrecondition("no rpmsg vdev is set up");
  return loaded_table_.Read<std::uint8_t>(vdev_entry_->offset + kVdevStatusOffset);
}

Status RemoteProc::Kick(std::uint32_t notifyid) {
  if ((state_ != State::kRunning && state_ != State::kAttached) || !vdev_) {
    return FailedPrecondition("kick: no running rpmsg vdev");
  }
  if (notifyid != vdev_->vring[0].notifyid && notifyid != vdev_->vring[1].notifyid) {
    return InvalidArgument("kick: not a notifyid of this vdev's vrings");
  }
  return platform_.Send(notifyid);
}

// --- Debug ---------------------------------------------------------------------------

Status RemoteProc::Coredump(CoredumpWriter& out) const {
  if (state_ != State::kRunning && state_ != State::kCrashed && state_ != State::kAttached) {
    return FailedPrecondition("coredump needs a running, crashed or attached remote");
  }
  std::array<shm::Region, kMaxRegions> regions{};
  std::size_t n = 0;
  for (const MappedRegion& m : memory_.regions()) {
    // Devmem may be device registers: reading them can have side effects
    // (Linux dumps only carveouts and what the driver registered).
    if (m.kind != MemoryKind::kDevmem) regions[n++] = m.region;
  }
  const CoreFormat format{firmware_is_64bit_, firmware_machine_, entry_};
  return WriteElfCore(format, std::span<const shm::Region>(regions.data(), n), out);
}

Result<std::size_t> RemoteProc::ReadTrace(std::span<char> out) const {
  if (memory_.empty()) return FailedPrecondition("no remote memory is mapped");
  if (trace_len_ == 0) return NotFound("the resource table has no trace buffer");
  if (out.size() < trace_len_)
    return ResourceExhausted("trace output is smaller than the trace buffer");
  TANDEM_TRY_ASSIGN(const shm::Region trace,
                    memory_.Translate(trace_da_, trace_len_, MemoryKind::kCarveout));
  // One copy of the remote's bytes; the text is arranged in the copy.
  TANDEM_TRY(trace.ReadBytes(0, ByteSpan(reinterpret_cast<std::byte*>(out.data()), trace_len_)));
  return ArrangeTraceText(out.first(trace_len_));
}

}  // namespace tandem::remoteproc
