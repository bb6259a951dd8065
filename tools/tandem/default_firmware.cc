// The image `tandem bench` and `tandem demo` boot when none is given: this build's demo, or
// the installed one (tools/tandem/CMakeLists.txt compiles this file per
// variant of the CLI).
#include "default_firmware.h"

namespace tandem::cli {

const char* DefaultFirmware() {
#ifdef TANDEM_DEFAULT_FIRMWARE
  return TANDEM_DEFAULT_FIRMWARE;
#else
  return "";
#endif
}

}  // namespace tandem::cli
