// NFKC_Casefold as the analyzers apply it to terms.
#include "anvil/text/nfkc_casefold.h"

#include <gtest/gtest.h>

namespace anvil::text {
namespace {

TEST(NfkcCasefoldTest, FoldsWidthCaseAndCompatibilityForms) {
  ASSERT_TRUE(check_nfkc_casefold_available().ok());
  EXPECT_EQ(nfkc_casefold(""), "");
  EXPECT_EQ(nfkc_casefold("Hello WORLD"), "hello world");
  EXPECT_EQ(nfkc_casefold("ＡＢＣ１２３ｘｙｚ"), "abc123xyz");  // full-width Latin and digits
  EXPECT_EQ(nfkc_casefold("Straße"), "strasse");                  // full case folding
  EXPECT_EQ(nfkc_casefold("signiﬁcant"), "significant");          // ligature
  EXPECT_EQ(nfkc_casefold("5µm"), "5μm");                          // micro sign -> Greek mu
  EXPECT_EQ(nfkc_casefold("①Ⅻ"), "1xii");
  EXPECT_EQ(nfkc_casefold("soft\u00ADhyphen"), "softhyphen");     // default ignorable removed
  EXPECT_EQ(nfkc_casefold("Cafe\u0301"), "café");                  // composed
  EXPECT_EQ(nfkc_casefold("中文，繁體"), "中文,繁體");              // full-width comma; Han unchanged
}

TEST(NfkcCasefoldTest, IllFormedUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(nfkc_casefold("A\xFF" "B"), "a\uFFFDb");
  EXPECT_EQ(nfkc_casefold("\xE4\xB8"), "\uFFFD");
}

TEST(NfkcCasefoldTest, AppendsToExistingText) {
  std::string out = "x:";
  append_nfkc_casefold("ＹＺ", out);
  EXPECT_EQ(out, "x:yz");
}

}  // namespace
}  // namespace anvil::text
