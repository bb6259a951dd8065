#include "tandem/host/postmortem.h"

namespace tandem::host {

const char* CoredumpPolicyName(CoredumpPolicy policy) {
  return policy == CoredumpPolicy::kEnabled ? "enabled" : "disabled";
}

}  // namespace tandem::host
