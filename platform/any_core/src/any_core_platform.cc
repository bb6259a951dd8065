#include "tandem/any_core/any_core_platform.h"

#include <cstring>
#include <utility>

#include "tandem/elf/elf_file.h"
#include "tandem/qemu/board_for_image.h"

namespace tandem::any_core {
namespace {

// The e_machine the simulated core runs: this host's own.
#if defined(__x86_64__)
constexpr std::uint16_t kHostMachine = 62;  // EM_X86_64
#elif defined(__aarch64__)
constexpr std::uint16_t kHostMachine = 183;  // EM_AARCH64
#else
constexpr std::uint16_t kHostMachine = 0;
#endif
constexpr std::uint16_t kEmArm = 40;

std::size_t BoardIndex(const qemu::Mps2Board& board) {
  if (std::strcmp(board.machine, qemu::kMps2An386.machine) == 0) return 1;
  if (std::strcmp(board.machine, qemu::kMps2An500.machine) == 0) return 2;
  return 0;
}

}  // namespace

AnyCorePlatform::AnyCorePlatform(AnyCorePlatformOptions options) : options_(std::move(options)) {}

AnyCorePlatform::~AnyCorePlatform() = default;

Result<std::unique_ptr<AnyCorePlatform>> AnyCorePlatform::Create(AnyCorePlatformOptions options) {
  std::unique_ptr<AnyCorePlatform> p(new AnyCorePlatform(std::move(options)));
  TANDEM_TRY_ASSIGN(p->simulated_, linux_platform::LinuxPlatform::Create(p->options_.simulated));
  p->active_.store(p->simulated_.get());
  return p;
}

Result<qemu::QemuPlatform*> AnyCorePlatform::QemuFor(const qemu::Mps2Board& board) {
  std::unique_ptr<qemu::QemuPlatform>& slot = qemu_[BoardIndex(board)];
  if (slot == nullptr) {
    qemu::QemuPlatformOptions o = options_.qemu;
    o.board = board;
    TANDEM_TRY_ASSIGN(std::unique_ptr<qemu::QemuPlatform> made, qemu::QemuPlatform::Create(o));
    TANDEM_TRY(made->SetEventCallbacks(callbacks_));
    slot = std::move(made);
  }
  return slot.get();
}

Status AnyCorePlatform::PrepareFor(ConstByteSpan image) {
  if (active().IsRunning()) return FailedPrecondition("a core runs: stop it first");
  auto file = elf::ElfFile::Parse(image);
  if (!file.ok() || (file->machine() == kHostMachine && kHostMachine != 0)) {
    active_.store(simulated_.get());
    return OkStatus();
  }
  if (file->machine() != kEmArm) {
    return InvalidArgument(
        "the firmware is for a machine this host runs neither on the simulated core (its own "
        "architecture) nor on QEMU (ARM Cortex-M)");
  }
  TANDEM_TRY_ASSIGN(const qemu::Mps2Board board, qemu::BoardForImage(image));
  TANDEM_TRY_ASSIGN(qemu::QemuPlatform * q, QemuFor(board));
  active_.store(q);
  return OkStatus();
}

linux_platform::LinuxPlatform* AnyCorePlatform::linux_platform() const {
  return active_.load() == simulated_.get() ? simulated_.get() : nullptr;
}

qemu::QemuPlatform* AnyCorePlatform::qemu_platform() const {
  host::HostPlatform* a = active_.load();
  for (const auto& q : qemu_) {
    if (q != nullptr && q.get() == a) return q.get();
  }
  return nullptr;
}

std::string AnyCorePlatform::core_description() const {
  if (const qemu::QemuPlatform* q = qemu_platform()) {
    const qemu::Mps2Board& b = q->options().board;
    return std::string("QEMU ") + b.machine + " (" + qemu::BoardCpuName(b) + ")";
  }
  return "the simulated core";
}

pid_t AnyCorePlatform::core_pid() const {
  if (const qemu::QemuPlatform* q = qemu_platform()) return q->qemu_pid();
  return simulated_->core_pid();
}

Result<shm::Region> AnyCorePlatform::MapMemory(const remoteproc::MemoryRequest& request) {
  return active().MapMemory(request);
}
void AnyCorePlatform::ReleaseMemory() { active().ReleaseMemory(); }
Status AnyCorePlatform::Start(std::uint64_t entry) { return active().Start(entry); }
Status AnyCorePlatform::Reset() { return active().Reset(); }
Status AnyCorePlatform::Send(std::uint32_t message) { return active().Send(message); }
Status AnyCorePlatform::WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) {
  return active().WaitForControl(message, timeout_ms);
}
Result<shm::Region> AnyCorePlatform::LoadedResourceTable() {
  return active().LoadedResourceTable();
}

// The callbacks go to every platform made so far and are kept for the ones
// made later: whichever runs the core reports through them.
Status AnyCorePlatform::SetEventCallbacks(EventCallbacks callbacks) {
  TANDEM_TRY(simulated_->SetEventCallbacks(callbacks));
  for (auto& q : qemu_) {
    if (q != nullptr) TANDEM_TRY(q->SetEventCallbacks(callbacks));
  }
  callbacks_ = std::move(callbacks);
  return OkStatus();
}

bool AnyCorePlatform::IsRunning() const { return active().IsRunning(); }
std::optional<host::CoreExit> AnyCorePlatform::last_exit() const { return active().last_exit(); }
Status AnyCorePlatform::SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) {
  return active().SetLoadedResourceTable(device_address, size);
}
Status AnyCorePlatform::Detach() { return active().Detach(); }
bool AnyCorePlatform::SupportsDetach() const { return active().SupportsDetach(); }

Status AnyCorePlatform::AttachExisting(std::string_view name) {
  if (active().IsRunning()) return FailedPrecondition("a core runs: nothing to attach to");
  active_.store(simulated_.get());
  return simulated_->AttachExisting(name);
}

}  // namespace tandem::any_core
