// Core helpers: reading lines, atomic writes, and the error kinds.
#include "tlab/core/io.h"

#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

TEST(ReadLines, TrimsLineEndsAndTrailingBlankLinesButKeepsInnerOnes) {
  TempDir dir;
  write_bytes(dir.str("names.txt"), "cat \r\n\ndog\r\n\n\n");
  EXPECT_EQ(read_lines(dir.str("names.txt")), (std::vector<std::string>{"cat", "", "dog"}));
  write_bytes(dir.str("empty.txt"), "");
  EXPECT_TRUE(read_lines(dir.str("empty.txt")).empty());
  try {
    read_lines(dir.str("missing.txt"));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.txt"), std::string::npos);
  }
}

TEST(Errors, EachKindIsItsOwnTypeAndUsageErrorsAreInvalidArguments) {
  EXPECT_THROW(TLAB_CHECK(false, "x"), UsageError);
  EXPECT_THROW(TLAB_CHECK(false, "x"), std::invalid_argument);
  EXPECT_THROW(TLAB_CHECK_DATA(false, "x"), DataError);
  EXPECT_THROW(TLAB_CHECK_WEIGHTS(false, "x"), WeightsError);
  try {
    TLAB_CHECK_WEIGHTS(false, "weights file '", "w.pth", "' is ", 3, " bytes");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "weights file 'w.pth' is 3 bytes");
  }
}

}  // namespace
}  // namespace tlab::test
