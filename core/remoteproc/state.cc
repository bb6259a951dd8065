#include "tandem/remoteproc/state.h"

#include <cstddef>

namespace tandem::remoteproc {
namespace {

// One cell of the transition table: a legal transition's target, or the
// message for an illegal one. Status messages are string literals, so every
// illegal pair has its own literal, spelled out by a local macro.
struct Cell {
  bool legal;
  State next;
  const char* message;
};

constexpr Cell To(State next) { return {true, next, ""}; }

#define TANDEM_NO(event, state) \
  Cell { false, State::kOffline, "cannot " event " a remote that is " state }

// Rows in State order, columns in Event order:
//   load, start, stop, crash, recover, attach, detach.
constexpr Cell kTable[kStateCount][kEventCount] = {
    // offline
    {To(State::kLoaded), TANDEM_NO("start", "offline"), TANDEM_NO("stop", "offline"),
     TANDEM_NO("crash", "offline"), TANDEM_NO("recover", "offline"), To(State::kAttached),
     TANDEM_NO("detach", "offline")},
    // loaded
    {TANDEM_NO("load", "loaded"), To(State::kRunning), To(State::kOffline),
     TANDEM_NO("crash", "loaded"), TANDEM_NO("recover", "loaded"), TANDEM_NO("attach", "loaded"),
     TANDEM_NO("detach", "loaded")},
    // running (detach: leave a remote we booted running for a later host;
    // Linux only detaches attached remotes, see remoteproc/state.h)
    {TANDEM_NO("load", "running"), TANDEM_NO("start", "running"), To(State::kOffline),
     To(State::kCrashed), TANDEM_NO("recover", "running"), TANDEM_NO("attach", "running"),
     To(State::kDetached)},
    // crashed
    {TANDEM_NO("load", "crashed"), TANDEM_NO("start", "crashed"), To(State::kOffline),
     TANDEM_NO("crash", "crashed"), To(State::kRunning), TANDEM_NO("attach", "crashed"),
     TANDEM_NO("detach", "crashed")},
    // attached
    {TANDEM_NO("load", "attached"), TANDEM_NO("start", "attached"), To(State::kOffline),
     To(State::kCrashed), TANDEM_NO("recover", "attached"), TANDEM_NO("attach", "attached"),
     To(State::kDetached)},
    // detached
    {TANDEM_NO("load", "detached"), TANDEM_NO("start", "detached"), TANDEM_NO("stop", "detached"),
     TANDEM_NO("crash", "detached"), TANDEM_NO("recover", "detached"), To(State::kAttached),
     TANDEM_NO("detach", "detached")},
};

#undef TANDEM_NO

}  // namespace

Result<State> NextState(State state, Event event) {
  const auto s = static_cast<std::size_t>(state);
  const auto e = static_cast<std::size_t>(event);
  if (s >= kStateCount || e >= kEventCount) {
    return InvalidArgument("remoteproc state or event out of range");
  }
  const Cell& cell = kTable[s][e];
  if (!cell.legal) return FailedPrecondition(cell.message);
  return cell.next;
}

const char* StateName(State state) {
  switch (state) {
    case State::kOffline: return "offline";
    case State::kLoaded: return "loaded";
    case State::kRunning: return "running";
    case State::kCrashed: return "crashed";
    case State::kAttached: return "attached";
    case State::kDetached: return "detached";
  }
  return "invalid";
}

const char* EventName(Event event) {
  switch (event) {
    case Event::kLoad: return "load";
    case Event::kStart: return "start";
    case Event::kStop: return "stop";
    case Event::kCrash: return "crash";
    case Event::kRecover: return "recover";
    case Event::kAttach: return "attach";
    case Event::kDetach: return "detach";
  }
  return "invalid";
}

}  // namespace tandem::remoteproc
