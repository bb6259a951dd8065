#pragma once
// ManagedRemote: one remote processor as tandemd owns it - a host::Session
// that stays attached for the daemon's life (over an AnyCorePlatform: the
// simulated core for a host-architecture ELF, QEMU for a Cortex-M one), its configuration
// (firmware, recovery, coredump; Linux's sysfs knobs), its EventLog, and a supervisor thread that
// logs crashes, recoveries and channels as they happen.
//
// Lifecycle calls are serialized by the Session; the configuration has its
// own lock. Nothing here blocks on a client: channel clients read through
// their own queues (channel_session.h).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tandem/any_core/any_core_platform.h"
#include "tandem/base/thread_annotations.h"
#include "tandem/client/client.h"
#include "tandem/daemon/event_log.h"
#include "tandem/host/session.h"
#include "tandem/hosted/mutex.h"
#include "tandem/rpmsg/host_bus.h"

namespace tandem::daemon {

using client::Error;
using client::Json;

// What the daemon remembers of a remote across its own restarts.
struct RemoteConfig {
  std::string name;
  std::string firmware;  // absolute path; empty: none set yet
  bool recovery = true;  // Linux: recovery enabled|disabled
  bool coredump = true;  // Linux: coredump enabled|disabled (kept post-mortem)
  // RPMsg buffer size the host requires (docs/buffers.md); 0: as the
  // firmware asks (`tandem buffers NAME auto`).
  std::uint32_t buffer_size = 0;
  Json ToJson() const;
  static RemoteConfig FromJson(const Json& j);
};

struct DaemonPaths {
  std::string runtime_dir;
  std::string launcher;  // empty: the default tandem-core
};

// The optional "vdev" of a request: which RPMsg vdev (bus) of the remote,
// 0 when absent; kInvalidArgument unless an integer below
// host::Session::kMaxVdevs (docs/vdevs.md).
Error VdevOf(const Json& request, std::uint32_t* vdev);

class ManagedRemote {
 public:
  // A channel the remote announced, as the daemon last saw it.
  struct ChannelView {
    std::string name;
    std::uint32_t remote = 0;
    std::uint32_t local = 0;  // kAddrAny unless a driver of the daemon is bound
    bool bound = false;
    std::uint32_t vdev = 0;  // the bus: its RPMsg vdev, in table order (docs/vdevs.md)
  };

  static Error Create(RemoteConfig config, const DaemonPaths& paths,
                      std::unique_ptr<ManagedRemote>* out);
  ~ManagedRemote();  // ends the supervisor; leaves the remote as it is

  const std::string& name() const { return name_; }
  host::Session& session() { return *session_; }
  EventLog& log() { return log_; }
  RemoteConfig config() const TANDEM_EXCLUDES(mutex_);

  // Takes over a core of this name that runs already (left by a previous
  // daemon or `tandem start` of an older version): quietly nothing if none.
  void AttachIfRunning();

  // Linux's words: state start|stop|detach, firmware, recovery, crash.
  Error Start(const std::string& firmware);  // empty: the configured one
  Error Stop();
  Error Detach();
  Error SetFirmware(const std::string& path);
  Error SetRecovery(bool enabled);
  Error SetCoredump(bool enabled);
  // The required RPMsg buffer size for the next start (0: as the firmware
  // asks); kInvalidArgument unless 0 or a multiple of 8 from 32 to 65536.
  Error SetBufferSize(std::uint32_t size);
  // {"buffer_size", "buffers", "mtu", "negotiated", "required"}: placed
  // vdev `vdev`'s buffers (0 without one) and the configured requirement.
  Json Buffers(std::uint32_t vdev = 0) const;
  Error Recover();
  Error Crash();

  // The priority doorbell (docs/doorbell.md): sends `value` and, with
  // `wait` > 0, waits that long for the remote's next event; `count` > 1
  // repeats it (round trips timed here, in the daemon). One such command
  // at a time per remote: its replies are its own. {"sent", "received",
  // "last", "rtt_us": {min, median, p99, max}}.
  Error Event(std::uint32_t value, int count, std::chrono::milliseconds wait, Json* out)
      TANDEM_EXCLUDES(event_mutex_);

  Json Status() const;
  std::vector<ChannelView> Channels() const;
  // Changes each time the set of channels or the link state changes.
  std::uint64_t channel_generation() const { return generation_.load(); }
  // The remote address of the channel named `name` on bus `vdev`, if
  // announced there.
  bool FindChannel(const std::string& name, std::uint32_t* remote, std::uint32_t vdev = 0) const;

  // Local addresses for clients' endpoints that asked for any: cyclic over
  // [kFirstClientAddress, kLastClientAddress], so an address comes back
  // only after the whole range was used (Linux's rpmsg_char takes the
  // lowest free one, which hands a departed client's late replies to the
  // next client). Below it, 0x400.., stay the addresses Linux gives channels.
  static constexpr std::uint32_t kFirstClientAddress = 0x1000;
  static constexpr std::uint32_t kLastClientAddress = 0xFFFF;
  std::uint32_t NextClientAddress();

  Error Trace(std::string* text) const;
  Error Coredump(const std::string& path) const;
  // The last crash's post-mortem (host::PostMortem): its core file, kept
  // from before recovery rebooted the remote; and a summary with its trace.
  Error PostMortemCore(const std::string& path) const;
  Json PostMortemJson() const;  // null if no crash yet
  // Read-only inspection (host/inspect.h): {"rings"|"rsc": ..., "text": ...}.
  Error Rings(Json* out, std::uint32_t vdev = 0) const;
  Error ResourceTable(Json* out) const;

 private:
  ManagedRemote(RemoteConfig config, const DaemonPaths& paths);
  void Supervise();
  void NoteChannels();
  Error Boot(const std::string& firmware);

  const std::string name_;
  const DaemonPaths paths_;
  EventLog log_;
  std::unique_ptr<host::Session> session_;
  // session_'s platform: the simulated core or QEMU, as the firmware is
  // for (issue #12). Owned by session_.
  any_core::AnyCorePlatform* platform_ = nullptr;

  // One lifecycle command at a time (start, stop, detach, recover, attach),
  // whoever sends it: the daemon's answer to two users at once.
  hosted::Mutex ops_mutex_ TANDEM_ACQUIRED_BEFORE(mutex_);
  mutable hosted::Mutex mutex_;  // leaf
  RemoteConfig config_ TANDEM_GUARDED_BY(mutex_);
  std::vector<ChannelView> channels_ TANDEM_GUARDED_BY(mutex_);
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint32_t> next_client_address_{0};
  bool link_up_ = false;  // supervisor only
  // Detached on request (`state NAME detach`): not taken over again by the
  // supervisor, which otherwise attaches to a core of this name that runs
  // while we are offline (left by a daemon that was still exiting).
  std::atomic<bool> user_detached_{false};
  std::string last_attach_error_;  // under ops_mutex_: logged once

  // The remote's events (Session's event callback), until an Event()
  // takes them; the oldest are dropped beyond kMaxQueuedEvents.
  static constexpr std::size_t kMaxQueuedEvents = 256;
  void OnEvent(std::uint32_t value) TANDEM_EXCLUDES(event_mutex_);
  hosted::Mutex event_ops_mutex_ TANDEM_ACQUIRED_BEFORE(event_mutex_);  // one Event() at a time
  hosted::Mutex event_mutex_;                                           // leaf
  hosted::CondVar event_cv_;
  std::deque<std::uint32_t> events_ TANDEM_GUARDED_BY(event_mutex_);
  std::uint64_t events_dropped_ TANDEM_GUARDED_BY(event_mutex_) = 0;

  std::atomic<bool> stopping_{false};
  std::thread supervisor_;
};

// "Booting fw image demo.elf, size 123456" etc. want the base name.
std::string BaseName(const std::string& path);

}  // namespace tandem::daemon
