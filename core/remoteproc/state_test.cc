#include "tandem/remoteproc/state.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>

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
        EXPECT_EQ(std::string(next.status().message()),
                  std::string("cannot ") + EventName(e) + " a remote that is " + StateName(s));
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
  EXPECT_EQ(NextState(static_cast<State>(200), Event::kLoad).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(NextState(State::kOffline, static_cast<Event>(200)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::remoteproc
