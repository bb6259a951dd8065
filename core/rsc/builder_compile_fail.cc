// Negative-compile cases for builder.h: each CASE must fail to compile with
// the diagnostic named in src/rsc/CMakeLists.txt (CASE 0 must compile, so a
// broken harness cannot pass as "failed as expected"). Not part of any
// target; CTest runs the compiler on it.

#include <cstddef>

#include "tandem/rsc/builder.h"

namespace rsc = tandem::rsc;

#if CASE == 0
constexpr auto kOk = rsc::MakeRpmsgVdev(0, 1, {{rsc::kAddrAny, 16, 128, 0}, {0x1000, 16, 256, 1}});
#elif CASE == 1
constexpr auto kLongName = rsc::MakeCarveout(0, 16, "a-name-that-is-longer-than-31-chars");
#elif CASE == 2
constexpr auto kThreeVrings = rsc::MakeRpmsgVdev(
    0, 1, {{rsc::kAddrAny, 16, 256, 0}, {rsc::kAddrAny, 16, 256, 1}, {rsc::kAddrAny, 16, 256, 2}});
#elif CASE == 3
constexpr auto kBadNum =
    rsc::MakeRpmsgVdev(0, 1, {{rsc::kAddrAny, 16, 100, 0}, {rsc::kAddrAny, 16, 256, 1}});
#elif CASE == 4
constexpr auto kBadAlign =
    rsc::MakeRpmsgVdev(0, 1, {{rsc::kAddrAny, 12, 128, 0}, {rsc::kAddrAny, 16, 256, 1}});
#elif CASE == 5
struct T {
  rsc::TableHeader<2> h;
  rsc::CarveoutEntry a;
  rsc::CarveoutEntry b;
};
constexpr T kOutOfOrder{.h = rsc::MakeHeader<2>({offsetof(T, b), offsetof(T, a)}),
                        .a = rsc::MakeCarveout(0, 1, "a"),
                        .b = rsc::MakeCarveout(8, 1, "b")};
#elif CASE == 6
struct T {
  rsc::TableHeader<1> h;
  rsc::CarveoutEntry a;
};
constexpr T kUnaligned{.h = rsc::MakeHeader<1>({offsetof(T, a) + 2}),
                       .a = rsc::MakeCarveout(0, 1, "a")};
#elif CASE == 7
struct Odd {
  char c[3];
};
rsc::Table<rsc::CarveoutEntry, Odd> odd_table{rsc::MakeCarveout(0, 1, "a"), Odd{}};
#elif CASE == 8
constexpr auto kHugeNum =
    rsc::MakeRpmsgVdev(0, 1, {{rsc::kAddrAny, 16, 65536, 0}, {rsc::kAddrAny, 16, 256, 1}});
#elif CASE == 9
constexpr auto kOddSize =
    rsc::MakeSizedRpmsgVdev<1020>(0, 1, {{rsc::kAddrAny, 16, 256, 0}, {rsc::kAddrAny, 16, 256, 1}});
#elif CASE == 10
constexpr auto kBitByHand =
    rsc::MakeSizedRpmsgVdev<1024>(0, 5, {{rsc::kAddrAny, 16, 256, 0}, {rsc::kAddrAny, 16, 256, 1}});
#endif

int main() { return 0; }
