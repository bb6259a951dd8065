#pragma once
// The firmware image `tandem bench` boots when none is given ("" if none).

namespace tandem::cli {

const char* DefaultFirmware();

}  // namespace tandem::cli
