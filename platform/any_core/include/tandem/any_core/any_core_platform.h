#pragma once
// AnyCorePlatform: a host::HostPlatform that runs the core the firmware is
// for, so that the user does not have to know (issue #12, docs/qemu.md):
//
//   a host-architecture ELF  the simulated core (platform/linux:
//                            LinuxPlatform, its own process)
//   an ARM (Cortex-M) ELF    qemu-system-arm on the MPS2 board the image
//                            was built for (platform/qemu: QemuPlatform,
//                            board_for_image.h)
//
// The choice is made by PrepareFor(image), which the Session calls before
// each Boot, while no core runs; everything else is forwarded to the
// platform chosen last. Attaching (AttachExisting) is the simulated core's:
// a QEMU core lives and dies with its host, so there is none to attach to.
// Platforms are made on first use and kept until destruction (a QEMU one
// per board), so a reference a caller took stays valid.
//
// Threading: as host::HostPlatform. The choice changes only in PrepareFor /
// AttachExisting, on the controlling thread, while no core runs; other
// threads read it (an atomic pointer) for Send, IsRunning, last_exit.

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "tandem/base/result.h"
#include "tandem/host/host_platform.h"
#include "tandem/linux/linux_platform.h"
#include "tandem/qemu/qemu_platform.h"

namespace tandem::any_core {

struct AnyCorePlatformOptions {
  linux_platform::LinuxPlatformOptions simulated;
  // For QEMU runs; board is chosen from the image.
  qemu::QemuPlatformOptions qemu;
};

class AnyCorePlatform final : public host::HostPlatform {
 public:
  // The simulated core's platform is made now (its errors are Create's);
  // QEMU's when an ARM image is first prepared (kNotFound then if
  // qemu-system-arm is missing).
  static Result<std::unique_ptr<AnyCorePlatform>> Create(AnyCorePlatformOptions options);
  ~AnyCorePlatform() override;
  AnyCorePlatform(const AnyCorePlatform&) = delete;
  AnyCorePlatform& operator=(const AnyCorePlatform&) = delete;

  // Picks the platform for `image`. kFailedPrecondition while a core runs;
  // kInvalidArgument for a machine neither platform runs, or an ARM image
  // no MPS2 board here runs. An image that is not a valid ELF picks the
  // simulated core, whose loader then says what is wrong with it.
  Status PrepareFor(ConstByteSpan image) override;

  // The simulated core's platform when it is the chosen one, else nullptr.
  linux_platform::LinuxPlatform* linux_platform() const;
  // QEMU's platform when it is the chosen one, else nullptr.
  qemu::QemuPlatform* qemu_platform() const;
  // "the simulated core" or "QEMU mps2-an385 (Cortex-M3)".
  std::string core_description() const;
  // The process that runs the core (simulated core or QEMU), 0 if none.
  pid_t core_pid() const;

  // remoteproc::Platform.
  Result<shm::Region> MapMemory(const remoteproc::MemoryRequest& request) override;
  void ReleaseMemory() override;
  Status Start(std::uint64_t entry) override;
  Status Reset() override;
  Status Send(std::uint32_t message) override;
  Status WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) override;
  Result<shm::Region> LoadedResourceTable() override;

  // host::HostPlatform.
  Status SetEventCallbacks(EventCallbacks callbacks) override;
  bool IsRunning() const override;
  std::optional<host::CoreExit> last_exit() const override;
  Status SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) override;
  Status Detach() override;
  bool SupportsDetach() const override;
  Status AttachExisting(std::string_view name) override;

 private:
  static constexpr std::size_t kBoards = 3;  // AN385, AN386, AN500

  explicit AnyCorePlatform(AnyCorePlatformOptions options);
  host::HostPlatform& active() const { return *active_.load(); }
  Result<qemu::QemuPlatform*> QemuFor(const qemu::Mps2Board& board);

  AnyCorePlatformOptions options_;
  std::unique_ptr<linux_platform::LinuxPlatform> simulated_;
  std::array<std::unique_ptr<qemu::QemuPlatform>, kBoards> qemu_;
  std::atomic<host::HostPlatform*> active_{nullptr};
  // Kept to give a QEMU platform made later the Session's callbacks.
  EventCallbacks callbacks_;
};

}  // namespace tandem::any_core
