#pragma once
// TEST-ONLY: a fake board (bsp.h) for host tests of firmware code, with a
// fake clock. Nothing runs concurrently: whatever "the host" does happens
// in on_wait, which runs at the start of every mbox_wait, i.e. whenever the
// firmware would sleep. A wait with nothing in the inbox advances the clock
// by its whole timeout, as if that much time had passed.
//
// Records what the firmware does: messages sent, console text, watchdog
// pets (and the longest stretch of fake time between two of them). After
// max_waits calls mbox_wait reports TANDEM_BSP_EABORTED, so a firmware loop
// that never ends fails the test instead of hanging it.

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "tandem/remote/bsp.h"

namespace tandem::remote::testing {

class FakeBoard {
 public:
  FakeBoard() {
    bsp_.abi_version = TANDEM_BSP_ABI_VERSION;
    bsp_.size = sizeof(TandemBsp);
    bsp_.ctx = this;
    bsp_.mbox_send = [](void* ctx, std::uint32_t msg, std::uint64_t timeout_ns) {
      return Self(ctx).Send(msg, timeout_ns);
    };
    bsp_.mbox_wait = [](void* ctx, std::uint32_t* msg, std::uint64_t timeout_ns) {
      return Self(ctx).WaitFor(msg, timeout_ns);
    };
    bsp_.now_ns = [](void* ctx) { return Self(ctx).now_ns; };
    bsp_.console_write = [](void* ctx, const char* s, std::size_t n) {
      Self(ctx).console.append(s, n);
    };
    bsp_.watchdog_pet = [](void* ctx) { Self(ctx).Pet(); };
    bsp_.exit = [](void* ctx, int code) {
      Self(ctx).exit_code = code;
      std::abort();  // a firmware under test must return, not exit
    };
  }
  FakeBoard(const FakeBoard&) = delete;
  FakeBoard& operator=(const FakeBoard&) = delete;

  const TandemBsp& bsp() const { return bsp_; }

  // Messages the firmware sent (kicks and control messages), in order.
  std::size_t CountSent(std::uint32_t message) const {
    std::size_t n = 0;
    for (std::uint32_t m : sent) n += m == message ? 1 : 0;
    return n;
  }
  // The largest fake-time gap between watchdog pets so far, including the
  // one still open.
  std::uint64_t MaxPetGap() const {
    const std::uint64_t open = now_ns - last_pet_ns;
    return open > max_pet_gap_ns ? open : max_pet_gap_ns;
  }

  // --- Scripting ---------------------------------------------------------
  std::function<void()> on_wait;               // the host's turn
  std::function<void(std::uint32_t)> on_send;  // sees every message sent
  std::deque<std::uint32_t> inbox;             // host -> firmware
  int wait_result = TANDEM_BSP_OK;             // force a mailbox failure
  int send_result = TANDEM_BSP_OK;
  int max_waits = 100000;

  // --- Observations ------------------------------------------------------
  std::uint64_t now_ns = 1'000'000'000;
  std::vector<std::uint32_t> sent;
  std::string console;
  int waits = 0;
  int pets = 0;
  std::uint64_t last_pet_ns = 1'000'000'000;
  std::uint64_t max_pet_gap_ns = 0;
  std::uint64_t longest_wait_ns = 0;
  int exit_code = -1;

 private:
  static FakeBoard& Self(void* ctx) { return *static_cast<FakeBoard*>(ctx); }

  int Send(std::uint32_t msg, std::uint64_t) {
    if (send_result != TANDEM_BSP_OK) return send_result;
    sent.push_back(msg);
    if (on_send) on_send(msg);
    return TANDEM_BSP_OK;
  }

  int WaitFor(std::uint32_t* msg, std::uint64_t timeout_ns) {
    if (++waits > max_waits) return TANDEM_BSP_EABORTED;
    if (wait_result != TANDEM_BSP_OK) return wait_result;
    if (timeout_ns > longest_wait_ns) longest_wait_ns = timeout_ns;
    if (on_wait) on_wait();
    if (!inbox.empty()) {
      *msg = inbox.front();
      inbox.pop_front();
      now_ns += 1000;  // a message takes a microsecond to arrive
      return TANDEM_BSP_OK;
    }
    now_ns += timeout_ns == TANDEM_BSP_FOREVER ? 1'000'000'000 : timeout_ns;
    return TANDEM_BSP_TIMEOUT;
  }

  void Pet() {
    ++pets;
    const std::uint64_t gap = now_ns - last_pet_ns;
    if (gap > max_pet_gap_ns) max_pet_gap_ns = gap;
    last_pet_ns = now_ns;
  }

  TandemBsp bsp_{};
};

}  // namespace tandem::remote::testing
