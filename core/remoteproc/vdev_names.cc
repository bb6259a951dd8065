#include "tandem/remoteproc/vdev.h"

namespace tandem::remoteproc {

VdevRegionName::VdevRegionName(std::uint32_t vdev_entry, const char* what) {
  constexpr std::size_t kLast = sizeof(text) - 1;
  std::size_t n = 0;
  for (const char* p = "vdev"; *p != '\0' && n < kLast; ++p) text[n++] = *p;
  char digits[10];
  std::size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + vdev_entry % 10);
    vdev_entry /= 10;
  } while (vdev_entry != 0);
  while (count > 0 && n < kLast) text[n++] = digits[--count];
  for (const char* p = what; p != nullptr && *p != '\0' && n < kLast; ++p) text[n++] = *p;
  text[n] = '\0';
}

}  // namespace tandem::remoteproc
