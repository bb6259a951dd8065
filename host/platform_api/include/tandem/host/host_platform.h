#pragma once
// HostPlatform: what a host::Session needs from the platform that runs its
// remote core: remoteproc::Platform (memory, start, reset, mailbox) plus the
// event side (callbacks for the remote's messages and for the core's end),
// attach/detach of a core that outlives its host, and where the loaded
// resource table is. Implemented by linux_platform::LinuxPlatform (a
// simulated core process) and by testing's FakeHostPlatform (a core thread
// in the test process), so that Session's tests need no processes.
//
// Why this header has an include root of its own (host/platform_api, CMake
// target tandem_host_platform) instead of host/include: the host runtime
// links the Linux platform (host -> platform/linux), and LinuxPlatform
// implements this interface, so the interface must sit below both. In
// host/include it would give platform/linux the include root of session.h,
// an upward include that the per-target include roots exist to prevent
// (docs/architecture.md decision 10). CoreExit (core_exit.h) moved here with
// it for the same reason: the crash callback reports one.
//
// Threading contract (LinuxPlatform's header has the Linux details, and
// docs/threading.md the whole picture):
//   * Callbacks are set while no core runs (kFailedPrecondition otherwise).
//     They run on the platform's event thread, one at a time, in arrival
//     order, with no platform lock held: they may call Send() and Reset(),
//     not Start/Detach/AttachExisting/WaitForControl.
//   * The crash callback runs once per run that ended other than by
//     Reset()/Detach()/destruction, after everything the core sent before
//     it ended was dispatched; WaitForControl() waiters get kAborted first.
//   * Send: any thread, any time, concurrently with everything, Detach and
//     AttachExisting included (kAborted while no core is attached).
//   * The rest: the controlling thread (Session: under its control_mutex_).

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/host/core_exit.h"
#include "tandem/remoteproc/platform.h"

namespace tandem::host {

class HostPlatform : public remoteproc::Platform {
 public:
  using NotifyCallback = std::function<void(std::uint32_t notifyid)>;
  using ControlCallback = std::function<void(std::uint32_t message)>;
  using CrashCallback = std::function<void(const CoreExit& exit)>;
  using IdleCallback = std::function<void()>;

  // What the event thread calls. An empty one is not called.
  struct EventCallbacks {
    // A vring notifyid (< 64) from the remote.
    NotifyCallback notify;
    // A control message (remoteproc/mailbox.h) from the remote, after it
    // was recorded for WaitForControl().
    ControlCallback control;
    // The core ended (crash, exit, watchdog).
    CrashCallback crash;
    // Nothing arrived for a while (LinuxPlatform: kIdlePeriod): a chance to
    // look at the rings without a kick, for a remote whose kicks a corrupt
    // event index suppresses.
    IdleCallback idle;
  };

  virtual ~HostPlatform() = default;

  // Replaces all four at once, while no core runs (kFailedPrecondition
  // otherwise): the event thread reads them without a lock.
  virtual Status SetEventCallbacks(EventCallbacks callbacks) = 0;

  // The firmware `image` (an ELF, untrusted) is about to be booted, while
  // no core runs: a platform that runs several kinds of core picks the one
  // it is for (any_core_platform.h). An error fails the boot.
  virtual Status PrepareFor(ConstByteSpan image) {
    (void)image;
    return OkStatus();
  }

  // A core runs and this platform watches it (not after Detach()).
  virtual bool IsRunning() const = 0;
  // How the last core run ended, if one did.
  virtual std::optional<CoreExit> last_exit() const = 0;

  // Where the host placed the loaded resource table (after Load), so that a
  // later host attaching to this core finds it (LoadedResourceTable()).
  virtual Status SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) = 0;
  // Leaves the core running for another host; this platform becomes idle.
  virtual Status Detach() = 0;
  // Whether Detach() can work at all (a QEMU core ends with its host).
  virtual bool SupportsDetach() const { return true; }
  // Takes over the running core `name` (left by Detach(), in this or
  // another host). kNotFound if there is none.
  virtual Status AttachExisting(std::string_view name) = 0;
};

}  // namespace tandem::host
