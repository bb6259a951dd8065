#pragma once
// The firmware image `tandem bench` and `tandem demo` boot when none is given ("" if none).

namespace tandem::cli {

const char* DefaultFirmware();

}  // namespace tandem::cli
