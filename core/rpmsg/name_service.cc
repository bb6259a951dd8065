#include "tandem/rpmsg/name_service.h"

namespace tandem::rpmsg {

void NameService::OnMessage(Endpoint&, ReceivedMessage& message) {
  Handle(message.payload()).IgnoreError();  // counted by the listener
}

Status NameService::Handle(ConstByteSpan payload) {
  // rpmsg_ns_cb(): the size must be exact; unlike Linux, a name without a
  // NUL or unknown flags are rejected, not patched up (wire.h).
  auto ns = ParseNsMessage(payload);
  if (!ns.ok()) {
    listener_.OnNsMalformed(ns.status());
    return ns.status();
  }
  if (ns->flags == NsFlags::kCreate) {
    listener_.OnNsCreate(*ns);
  } else {
    listener_.OnNsDestroy(*ns);
  }
  return OkStatus();
}

}  // namespace tandem::rpmsg
