#pragma once
// Test-only fakes for the remoteproc core (uses std::vector/std::map, never
// linked into the core).
//
// FakePlatform models a board: "banks" of device memory that exist at fixed
// device addresses whether or not the host has mapped them (so a test can
// place a remote's memory and resource table before Attach()), a pool bank
// for kAnyAddress requests (bump allocation, reset by ReleaseMemory()), and
// a scripted mailbox (replies, or an on_wait hook that runs the remote).
// Every bank is surrounded by guard bytes; GuardsIntact() proves nothing
// wrote outside the device memory (the fuzz harness checks it after every
// input).
//
// MapMemory() refuses what real platforms refuse: ranges not inside one
// bank (kNotFound), overlapping an existing mapping (kAlreadyExists, like
// MAP_FIXED_NOREPLACE), a full pool (kResourceExhausted), a misaligned host
// base (Region::Create). Bank bytes start as 0xCC so zero-fill is visible.
//
// FakeVdevListener records OnVdevReady/OnVdevReset calls in order and can
// drive the vdev status through the RemoteProc, as a real RPMsg bus would.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/base/checked_math.h"
#include "tandem/remoteproc/platform.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/remoteproc/vdev.h"
#include "tandem/virtio/features.h"

namespace tandem::remoteproc::testing {

class FakePlatform final : public Platform {
 public:
  static constexpr std::uint64_t kSramBase = 0x20000000;
  static constexpr std::size_t kSramSize = 1 << 20;
  static constexpr std::uint64_t kPoolBase = 0x30000000;
  static constexpr std::size_t kPoolSize = 1 << 20;
  static constexpr std::size_t kGuard = 4096;
  static constexpr std::uint8_t kGuardByte = 0xA5;
  static constexpr std::uint8_t kFreshByte = 0xCC;

  enum class Reply { kAck, kTimeout, kDied };

  struct Request {
    std::uint64_t device_address;
    std::uint64_t size;
    std::uint64_t align;
    std::string name;
  };
  struct Mapping {
    std::uint64_t da;
    std::uint64_t size;
  };

  FakePlatform(std::size_t sram_size = kSramSize, std::size_t pool_size = kPoolSize) {
    AddBank(kSramBase, sram_size);
    pool_bank_ = AddBank(kPoolBase, pool_size);
    pool_next_ = kPoolBase;
  }
  ~FakePlatform() {
    for (Bank& b : banks_) std::free(b.block);
  }
  FakePlatform(const FakePlatform&) = delete;
  FakePlatform& operator=(const FakePlatform&) = delete;

  // Adds device memory at [da, da + size); returns its index.
  std::size_t AddBank(std::uint64_t da, std::size_t size) {
    const std::size_t total = size + 2 * kGuard;
    auto* block = static_cast<std::byte*>(std::aligned_alloc(4096, (total + 4095) / 4096 * 4096));
    std::memset(block, kGuardByte, total);
    std::memset(block + kGuard, kFreshByte, size);
    banks_.push_back({da, size, block});
    return banks_.size() - 1;
  }

  // Back to the state of a fresh FakePlatform with the same banks (lets a
  // fuzz harness reuse one instance instead of allocating per input).
  void ResetAll() {
    for (Bank& b : banks_) {
      std::memset(b.block, kGuardByte, b.size + 2 * kGuard);
      std::memset(b.block + kGuard, kFreshByte, b.size);
    }
    requests.clear();
    mapped.clear();
    release_count = 0;
    starts.clear();
    reset_count = 0;
    running = false;
    sent.clear();
    waits.clear();
    replies.clear();
    on_send = nullptr;
    on_wait = nullptr;
    start_status = reset_status = send_status = OkStatus();
    loaded_table.reset();
    pool_next_ = banks_[pool_bank_].da;
  }

  // Host pointer to device address `da` with `len` bytes available, or null.
  std::byte* At(std::uint64_t da, std::size_t len = 1) {
    for (Bank& b : banks_) {
      if (da >= b.da && da - b.da <= b.size && len <= b.size - (da - b.da)) {
        return b.block + kGuard + (da - b.da);
      }
    }
    return nullptr;
  }
  std::vector<std::uint8_t> Read(std::uint64_t da, std::size_t len) {
    std::byte* p = At(da, len);
    if (p == nullptr) return {};
    std::vector<std::uint8_t> out(len);
    std::memcpy(out.data(), p, len);
    return out;
  }
  void Write(std::uint64_t da, const void* data, std::size_t len) {
    std::byte* p = At(da, len);
    if (p == nullptr) std::abort();
    std::memcpy(p, data, len);
  }
  template <typename T>
  T ReadAs(std::uint64_t da) {
    T value{};
    std::byte* p = At(da, sizeof(T));
    if (p == nullptr) std::abort();
    std::memcpy(&value, p, sizeof(T));
    return value;
  }

  bool GuardsIntact() const {
    for (const Bank& b : banks_) {
      for (std::size_t i = 0; i < kGuard; ++i) {
        if (b.block[i] != std::byte{kGuardByte}) return false;
        if (b.block[kGuard + b.size + i] != std::byte{kGuardByte}) return false;
      }
    }
    return true;
  }

  // --- Platform ----------------------------------------------------------
  Result<shm::Region> MapMemory(const MemoryRequest& request) override {
    requests.push_back(
        {request.device_address, request.size, request.align, request.name ? request.name : ""});
    if (request.size == 0) return InvalidArgument("fake: empty mapping");
    if (!IsPowerOfTwo(request.align)) return InvalidArgument("fake: align not a power of two");
    std::uint64_t da = request.device_address;
    if (da == kAnyAddress) {
      const std::uint64_t align = request.align < 8 ? 8 : request.align;
      std::uint64_t start;
      if (!AlignUp<std::uint64_t>(pool_next_, align, &start))
        return ResourceExhausted("fake: pool");
      const Bank& pool = banks_[pool_bank_];
      if (start - pool.da > pool.size || request.size > pool.size - (start - pool.da)) {
        return ResourceExhausted("fake: pool exhausted");
      }
      da = start;
      pool_next_ = start + request.size;
    }
    std::byte* host = nullptr;
    if (request.size <= SIZE_MAX) host = At(da, static_cast<std::size_t>(request.size));
    if (host == nullptr) return NotFound("fake: no device memory there");
    for (const Mapping& m : mapped) {
      if (da < m.da + m.size && m.da < da + request.size) {
        return AlreadyExists("fake: overlaps a mapping");
      }
    }
    auto region = shm::Region::Create(host, static_cast<std::size_t>(request.size), da);
    if (!region.ok()) return region.status();
    mapped.push_back({da, request.size});
    return region;
  }
  void ReleaseMemory() override {
    ++release_count;
    mapped.clear();
    pool_next_ = banks_[pool_bank_].da;
  }
  Status Start(std::uint64_t entry) override {
    starts.push_back(entry);
    if (!start_status.ok()) return start_status;
    running = true;
    return OkStatus();
  }
  Status Reset() override {
    ++reset_count;
    running = false;
    return reset_status;
  }
  Status Send(std::uint32_t message) override {
    sent.push_back(message);
    if (on_send) on_send(message);
    return send_status;
  }
  Status WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) override {
    waits.push_back({message, timeout_ms});
    const auto it = replies.find(message);
    const Reply reply =
        on_wait ? on_wait(message) : (it == replies.end() ? Reply::kAck : it->second);
    switch (reply) {
      case Reply::kAck: return OkStatus();
      case Reply::kTimeout: return DeadlineExceeded("fake: no answer");
      case Reply::kDied: return Aborted("fake: remote died");
    }
    return Internal("fake: bad reply");
  }
  Result<shm::Region> LoadedResourceTable() override {
    if (!loaded_table) return NotFound("fake: no loaded table");
    std::byte* host = At(loaded_table->da, static_cast<std::size_t>(loaded_table->size));
    if (host == nullptr) return NotFound("fake: loaded table not in device memory");
    return shm::Region::Create(host, static_cast<std::size_t>(loaded_table->size),
                               loaded_table->da);
  }

  // --- Recorded / scripted -----------------------------------------------
  std::vector<Request> requests;
  std::vector<Mapping> mapped;
  int release_count = 0;
  std::vector<std::uint64_t> starts;
  int reset_count = 0;
  bool running = false;
  std::vector<std::uint32_t> sent;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> waits;  // message, timeout
  std::map<std::uint32_t, Reply> replies;                      // default: ack
  // If set, WaitForControl() asks it instead of `replies`: a test's way of
  // letting the remote run while the host waits (e.g. until it acks).
  std::function<Reply(std::uint32_t)> on_wait;
  std::function<void(std::uint32_t)> on_send;
  Status start_status;
  Status reset_status;
  Status send_status;
  std::optional<Mapping> loaded_table;

 private:
  struct Bank {
    std::uint64_t da;
    std::size_t size;
    std::byte* block;  // guard | size bytes | guard
  };
  std::vector<Bank> banks_;
  std::size_t pool_bank_ = 0;
  std::uint64_t pool_next_ = 0;
};

class FakeVdevListener final : public VdevListener {
 public:
  // With `rproc` set, OnVdevReady drives the status as a VirtIO driver does
  // (VirtIO 1.x 3.1.1) and records what the remote would read.
  RemoteProc* rproc = nullptr;
  Status ready_status;

  Status OnVdevReady(const VdevResources& vdev) override {
    events.push_back("ready");
    last = vdev;
    if (!ready_status.ok()) return ready_status;
    if (rproc != nullptr) {
      using virtio::DeviceStatus;
      const std::uint8_t status = static_cast<std::uint8_t>(
          (DeviceStatus::kAcknowledge | DeviceStatus::kDriver) |
          static_cast<std::uint8_t>(static_cast<std::uint8_t>(DeviceStatus::kFeaturesOk) |
                                    static_cast<std::uint8_t>(DeviceStatus::kDriverOk)));
      return rproc->SetVdevStatus(status, vdev.index);
    }
    return OkStatus();
  }
  void OnVdevReset() override { events.push_back("reset"); }

  std::vector<std::string> events;
  std::optional<VdevResources> last;
};

}  // namespace tandem::remoteproc::testing
