#pragma once
// The remoteproc lifecycle as one pure transition function (docs/style.md
// practice 9). RemoteProc asks NextState() before it does anything, so an
// illegal request changes nothing and says why.
//
// States use Linux's sysfs words (drivers/remoteproc/remoteproc_sysfs.c,
// "state" attribute); "loaded" is ours (Linux goes offline -> running in one
// rproc_boot(); we split loading from releasing the core so that tests,
// tools and a debugger can look at the placed image first).
//
//   from \ event   load    start    stop     crash    recover  attach    detach
//   offline        loaded  -        -        -        -        attached  -
//   loaded         -       running  offline  -        -        -         -
//   running        -       -        offline  crashed  -        -         detached
//   crashed        -       -        offline  -        running  -         -
//   attached       -       -        offline  crashed  -        -         detached
//   detached       -       -        -        -        -        attached  -
//
// "-" is illegal: kFailedPrecondition with error::IllegalTransition(state,
// event), "cannot <event> a remote that is <state>" (errors.h). Notes:
//  - stop from loaded releases the placed image (the core never ran);
//    stop from crashed is Linux's "stop" written to a crashed rproc;
//  - crash from crashed is illegal: a second report of the same crash is
//    ignored (Linux rproc_crash_handler_work ignores a crash while
//    RPROC_CRASHED);
//  - running -> detach is ours: Linux detaches only a remote it attached
//    to; we also let the host that booted a remote leave it running for a
//    later host process (the CLI's `tandem start`, then `tandem stop`);
//  - detached -> stop is illegal: the host no longer manages the remote;
//    attach first (Linux's rproc_shutdown refuses a detached rproc too).
//
// No heap, no OS; pure functions.

#include <cstddef>
#include <cstdint>

#include "tandem/base/result.h"

namespace tandem::remoteproc {

enum class State : std::uint8_t { kOffline, kLoaded, kRunning, kCrashed, kAttached, kDetached };
enum class Event : std::uint8_t { kLoad, kStart, kStop, kCrash, kRecover, kAttach, kDetach };

inline constexpr std::size_t kStateCount = 6;
inline constexpr std::size_t kEventCount = 7;

// The state after `event` in `state`, or kFailedPrecondition.
Result<State> NextState(State state, Event event);

// "offline", "loaded", "running", "crashed", "attached", "detached";
// "invalid" for a value outside the enum. constexpr: errors.h composes the
// illegal-transition reasons from these words at compile time.
constexpr const char* StateName(State state) {
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
// "load", "start", "stop", "crash", "recover", "attach", "detach".
constexpr const char* EventName(Event event) {
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
