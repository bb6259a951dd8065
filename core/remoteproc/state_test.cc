#include "tandem/remoteproc/state.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "tandem/remoteproc/errors.h"

namespace tandem::remoteproc {
namespace {

constexpr State kStates[] = {State::kOffline, State::kLoaded,   State::kRunning,
                             State::kCrashed, State::kAttached, State::kDetached};
constexpr Event kEvents[] = {Event::kLoad,    Event::kStart,  Event::kStop,  Event::kCrash,
                             Event::kRecover, Event::kAttach, Event::kDetach};

// The transitions the design allows, written out independently of the
// implementation's table.
const std::set<std::tuple<State, Event, State>>& Legal() {
  static const std::set<std::tuple<State, Event, State>> legal = {
      {State::kOffline, Event::kLoad, State::kLoaded},
      {State::kLoaded, Event::kStart, State::kRunning},
      {State::kLoaded, Event::kStop, State::kOffline},
      {State::kRunning, Event::kStop, State::kOffline},
      {State::kRunning, Event::kCrash, State::kCrashed},
      {State::kCrashed, Event::kRecover, State::kRunning},
      {State::kCrashed, Event::kStop, State::kOffline},
      {State::kOffline, Event::kAttach, State::kAttached},
      {State::kDetached, Event::kAttach, State::kAttached},
      {State::kAttached, Event::kDetach, State::kDetached},
      {State::kRunning, Event::kDetach, State::kDetached},
      {State::kAttached, Event::kStop, State::kOffline},
      {State::kAttached, Event::kCrash, State::kCrashed},
  };
  return legal;
}

TEST(RemoteProcState, EveryStateEventPairMatchesTheDesignTable) {
  int legal_seen = 0;
  for (State s : kStates) {
    for (Event e : kEvents) {
      SCOPED_TRACE(std::string(StateName(s)) + " / " + EventName(e));
      const auto next = NextState(s, e);
      bool expected_legal = false;
      for (const auto& [from, event, to] : Legal()) {
        if (from == s && event == e) {
          expected_legal = true;
          ASSERT_TRUE(next.ok());
          EXPECT_EQ(*next, to);
          ++legal_seen;
        }
      }
      if (!expected_legal) {
        ASSERT_FALSE(next.ok());
        EXPECT_EQ(next.status().code(), StatusCode::kFailedPrecondition);
        EXPECT_TRUE(next.status().Is(error::IllegalTransition(s, e)));
      }
    }
  }
  EXPECT_EQ(legal_seen, 13);
}

TEST(RemoteProcState, StateNamesAreLinuxSysfsWords) {
  EXPECT_STREQ(StateName(State::kOffline), "offline");
  EXPECT_STREQ(StateName(State::kLoaded), "loaded");
  EXPECT_STREQ(StateName(State::kRunning), "running");
  EXPECT_STREQ(StateName(State::kCrashed), "crashed");
  EXPECT_STREQ(StateName(State::kAttached), "attached");
  EXPECT_STREQ(StateName(State::kDetached), "detached");
  EXPECT_STREQ(StateName(static_cast<State>(42)), "invalid");
}

TEST(RemoteProcState, OutOfRangeValuesAreRejectedNotIndexed) {
  const Status bad_state = NextState(static_cast<State>(200), Event::kLoad).status();
  EXPECT_EQ(bad_state.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(bad_state.Is(error::kStateOrEventOutOfRange));
  EXPECT_EQ(NextState(State::kOffline, static_cast<Event>(200)).status().code(),
            StatusCode::kInvalidArgument);
}

// The reasons' texts are the words a human reads: composed, at compile time,
// from the same names StateName()/EventName() give.
TEST(RemoteProcState, IllegalTransitionReasonsReadAsASentence) {
  for (State s : kStates) {
    for (Event e : kEvents) {
      EXPECT_EQ(std::string(error::IllegalTransition(s, e)),
                std::string("cannot ") + EventName(e) + " a remote that is " + StateName(s));
    }
  }
  static_assert(std::string_view(error::IllegalTransition(State::kLoaded, Event::kLoad)) ==
                "cannot load a remote that is loaded");
}

TEST(RemoteProcState, EachIllegalPairHasItsOwnReason) {
  const Status a = NextState(State::kOffline, Event::kStart).status();
  EXPECT_TRUE(a.Is(error::IllegalTransition(State::kOffline, Event::kStart)));
  EXPECT_FALSE(a.Is(error::IllegalTransition(State::kOffline, Event::kStop)));
  EXPECT_FALSE(a.Is(error::IllegalTransition(State::kLoaded, Event::kStart)));
}

}  // namespace
}  // namespace tandem::remoteproc
