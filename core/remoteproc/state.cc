#include "tandem/remoteproc/state.h"

#include <cstddef>

#include "tandem/remoteproc/errors.h"

namespace tandem::remoteproc {
namespace {

// One cell of the transition table: legal, and to where. An illegal cell's
// reason is error::IllegalTransition(state, event).
struct Cell {
  bool legal;
  State next;
};

constexpr Cell To(State next) { return {true, next}; }
constexpr Cell kNo{false, State::kOffline};

// Rows in State order, columns in Event order:
//   load, start, stop, crash, recover, attach, detach.
constexpr Cell kTable[kStateCount][kEventCount] = {
    // offline
    {To(State::kLoaded), kNo, kNo, kNo, kNo, To(State::kAttached), kNo},
    // loaded
    {kNo, To(State::kRunning), To(State::kOffline), kNo, kNo, kNo, kNo},
    // running (detach: leave a remote we booted running for a later host;
    // Linux only detaches attached remotes, see remoteproc/state.h)
    {kNo, kNo, To(State::kOffline), To(State::kCrashed), kNo, kNo, To(State::kDetached)},
    // crashed
    {kNo, kNo, To(State::kOffline), kNo, To(State::kRunning), kNo, kNo},
    // attached
    {kNo, kNo, To(State::kOffline), To(State::kCrashed), kNo, kNo, To(State::kDetached)},
    // detached
    {kNo, kNo, kNo, kNo, kNo, To(State::kAttached), kNo},
};

}  // namespace

Result<State> NextState(State state, Event event) {
  const auto s = static_cast<std::size_t>(state);
  const auto e = static_cast<std::size_t>(event);
  if (s >= kStateCount || e >= kEventCount) {
    return InvalidArgument(error::kStateOrEventOutOfRange);
  }
  const Cell& cell = kTable[s][e];
  if (!cell.legal) return FailedPrecondition(error::IllegalTransition(state, event));
  return cell.next;
}

}  // namespace tandem::remoteproc
