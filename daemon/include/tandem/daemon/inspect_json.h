#pragma once
// JSON shapes of host::RingsReport and host::ResourceTableReport, what the
// daemon's "rings" and "rsc" requests answer (docs/daemon.md). Field names
// follow the structs (host/inspect.h) and Linux's remoteproc.h.
#include "tandem/client/client.h"
#include "tandem/host/inspect.h"

namespace tandem::daemon {

client::Json ToJson(const host::RingsReport& report);
client::Json ToJson(const host::ResourceTableReport& report);

}  // namespace tandem::daemon
