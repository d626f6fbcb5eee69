#include "anvil/text/string_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace anvil::text {
namespace {

TEST(StringTable, HoldsCopiesInOrder) {
  StringTable t;
  EXPECT_TRUE(t.empty());
  {
    std::string temporary = "\xE2\x96\x81the";
    t.push_back(temporary);
    temporary.assign("overwritten");  // the table kept its own copy
  }
  t.push_back("");
  t.push_back(std::string_view("a\0b", 3));
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], "\xE2\x96\x81the");
  EXPECT_EQ(t[1], "");
  EXPECT_EQ(t[2], std::string_view("a\0b", 3));
  EXPECT_EQ(t.back(), std::string_view("a\0b", 3));
  std::vector<std::string_view> seen(t.begin(), t.end());
  EXPECT_EQ(seen, (std::vector<std::string_view>{"\xE2\x96\x81the", "", std::string_view("a\0b", 3)}));
}

TEST(StringTable, BuildsFromListsAndReservesExactly) {
  const std::vector<std::string> merges = {"a b", "ab c", "Ġ t"};
  StringTable t = merges;
  EXPECT_EQ(std::vector<std::string_view>(t.begin(), t.end()),
            (std::vector<std::string_view>{"a b", "ab c", "Ġ t"}));
  // A list is measured first: the arena and the offsets are allocated once, nothing spare.
  const std::vector<std::string> tokens(100, std::string(20, 't'));
  StringTable big = tokens;
  EXPECT_EQ(big.memory_bytes(), 100 * 20 + 100 * sizeof(uint32_t));
  t = {"x", "yz"};
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1], "yz");
  t.clear();
  EXPECT_TRUE(t.empty());
}

}  // namespace
}  // namespace anvil::text
