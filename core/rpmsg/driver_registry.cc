#include "tandem/rpmsg/driver_registry.h"

#include <cstring>

#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

Status DriverRegistry::Add(const char* name, ChannelHandler& handler, bool several) {
  if (!ValidName(name)) return InvalidArgument(kBadDriverName);
  Entry* free_entry = nullptr;
  for (Entry& e : entries_) {
    if (e.handler == &handler) return AlreadyExists(kDriverRegistered);
    if (e.handler == nullptr && free_entry == nullptr) free_entry = &e;
  }
  if (free_entry == nullptr) return ResourceExhausted(kDriverTableFull);
  std::memset(free_entry->name, 0, sizeof(free_entry->name));
  std::memcpy(free_entry->name, name, NameLength(name));
  free_entry->handler = &handler;
  free_entry->several = several;
  return OkStatus();
}

void DriverRegistry::Remove(ChannelHandler& handler) {
  for (Entry& e : entries_) {
    if (e.handler == &handler) e = Entry{};
  }
}

bool DriverRegistry::SameName(const char* a, const char* b) {
  return std::strncmp(a, b, kNameSize) == 0;
}

ChannelHandler* DriverRegistry::Find(const char* name) const {
  for (const Entry& e : entries_) {
    if (e.handler != nullptr && SameName(e.name, name)) return e.handler;
  }
  return nullptr;
}

}  // namespace tandem::rpmsg
