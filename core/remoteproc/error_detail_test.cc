#include "tandem/remoteproc/error_detail.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::remoteproc {
namespace {

TEST(ErrorDetail, AppendsTextAndHexAndClears) {
  ErrorDetail d;
  EXPECT_STREQ(d.c_str(), "");
  d.Append("segment 0x");
  d.AppendHex(0x20080000);
  d.Append(" size 0x");
  d.AppendHex(0);
  d.Append(nullptr);
  EXPECT_STREQ(d.c_str(), "segment 0x20080000 size 0x0");
  d.AppendHex(~std::uint64_t{0});
  EXPECT_EQ(std::string(d.c_str()), "segment 0x20080000 size 0x0ffffffffffffffff");
  d.Clear();
  EXPECT_STREQ(d.c_str(), "");
}

TEST(ErrorDetail, CutsWhatDoesNotFitAndStaysTerminated) {
  ErrorDetail d;
  const std::string long_text(200, 'x');
  d.Append(long_text.c_str());
  d.Append("more");
  EXPECT_EQ(std::string(d.c_str()), std::string(ErrorDetail::kCapacity - 1, 'x'));
}

}  // namespace
}  // namespace tandem::remoteproc
