#pragma once
// Host role: which ChannelHandler serves which service name, as an rpmsg
// driver's id_table does in Linux (rpmsg_core.c: rpmsg_dev_match() compares
// the channel name with each id over RPMSG_NAME_SIZE bytes). A fixed table
// in the HostBus (no heap); it only stores and matches - binding channels is
// the HostBus's (host_bus.h). Not thread-safe: the bus calls it with its
// lock held.

#include <cstddef>

#include "tandem/base/status.h"
#include "tandem/rpmsg/wire.h"

namespace tandem::rpmsg {

class ChannelHandler;

class DriverRegistry {
 public:
  static constexpr std::size_t kMaxDrivers = 16;

  // Registers `handler` for channels named `name` (copied). One registration
  // per handler; several handlers may share a name (the first registered
  // wins). kInvalidArgument (kBadDriverName) for an empty or too long name,
  // kAlreadyExists (kDriverRegistered), kResourceExhausted (kDriverTableFull).
  // `several`: the handler serves several channels at once (it said so with
  // ChannelHandler::ServesSeveralChannels(), asked once at registration).
  Status Add(const char* name, ChannelHandler& handler, bool several = false);
  // Forgets `handler`; a no-op if it is not registered.
  void Remove(ChannelHandler& handler);
  // The handler registered for channel name `name`, or nullptr. `name` is
  // read up to kNameSize bytes.
  ChannelHandler* Find(const char* name) const;
  // The first handler registered for `name` for which
  // `usable(ChannelHandler&, bool several)` is true, or nullptr.
  template <typename F>
  ChannelHandler* FindUsable(const char* name, F&& usable) const {
    for (const Entry& e : entries_) {
      if (e.handler != nullptr && SameName(e.name, name) && usable(*e.handler, e.several)) {
        return e.handler;
      }
    }
    return nullptr;
  }

 private:
  struct Entry {
    char name[kNameSize] = {};
    ChannelHandler* handler = nullptr;
    bool several = false;
  };
  static bool SameName(const char* a, const char* b);
  Entry entries_[kMaxDrivers];
};

}  // namespace tandem::rpmsg
