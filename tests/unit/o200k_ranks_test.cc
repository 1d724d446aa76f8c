#include "core/o200k_ranks.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

constexpr std::uint32_t kNoRank = RankTable::kNoRank;

std::uint32_t find(const RankTable& table, std::string_view token) {
  return table.find(token.data(), token.size());
}

TEST(RankTable, FindsTokensOfEveryLengthAndNothingElse) {
  // One and two bytes (the flat table), up to eight (one slot), longer (the byte arena too).
  const std::string long_token(200, 'x');
  RankTable table;
  table.add("a", 7);
  table.add("ab", 8);
  table.add("abc", 9);
  table.add("abcdefgh", 10);
  table.add("abcdefghi", 11);
  table.add(long_token, 12);
  table.add(std::string_view("\0\xff", 2), 13);
  table.seal();

  EXPECT_EQ(find(table, "a"), 7u);
  EXPECT_EQ(find(table, "ab"), 8u);
  EXPECT_EQ(find(table, "abc"), 9u);
  EXPECT_EQ(find(table, "abcdefgh"), 10u);
  EXPECT_EQ(find(table, "abcdefghi"), 11u);
  EXPECT_EQ(find(table, long_token), 12u);
  EXPECT_EQ(find(table, std::string_view("\0\xff", 2)), 13u);

  EXPECT_EQ(find(table, ""), kNoRank);
  EXPECT_EQ(find(table, "b"), kNoRank);
  EXPECT_EQ(find(table, "ba"), kNoRank);
  EXPECT_EQ(find(table, "abd"), kNoRank);
  EXPECT_EQ(find(table, "abcdefg"), kNoRank);
  EXPECT_EQ(find(table, "abcdefgj"), kNoRank);
  EXPECT_EQ(find(table, "abcdefghj"), kNoRank);    // same first eight bytes and length
  EXPECT_EQ(find(table, long_token + "x"), kNoRank);  // longer than any token
  EXPECT_EQ(find(table, long_token.substr(1) + "y"), kNoRank);
}

TEST(RankTable, KeepsTheFirstRankOfATokenAddedTwice) {
  RankTable table;
  table.add("ab", 1);
  table.add("abcdefghij", 2);
  table.add("ab", 3);
  table.add("abcdefghij", 4);
  table.seal();
  EXPECT_EQ(find(table, "ab"), 1u);
  EXPECT_EQ(find(table, "abcdefghij"), 2u);
}

TEST(RankTable, LoadsTheRanksOfO200kBase) {
  // Ranks read off tiktoken@1.0.22's encoders/o200k_base.json.
  const RankTable ranks = load_o200k_ranks();
  EXPECT_EQ(find(ranks, "!"), 0u);
  EXPECT_EQ(find(ranks, "\""), 1u);
  EXPECT_EQ(find(ranks, "\xff"), 187u);
  EXPECT_EQ(find(ranks, std::string_view("\0", 1)), 188u);
  EXPECT_EQ(find(ranks, "ing"), 289u);
  EXPECT_EQ(find(ranks, " the"), 290u);
  EXPECT_EQ(find(ranks, "\u4E2D"), 1404u);
  EXPECT_EQ(find(ranks, " function"), 1114u);
  EXPECT_EQ(find(ranks, " functions"), 9964u);
  EXPECT_EQ(find(ranks, "hello"), 24912u);
  EXPECT_EQ(find(ranks, std::string(128, ' ')), 72056u);  // the longest token

  EXPECT_EQ(find(ranks, "zq"), kNoRank);
  EXPECT_EQ(find(ranks, "\xff\xfe"), kNoRank);
  EXPECT_EQ(find(ranks, "zzzzqqqq"), kNoRank);
  EXPECT_EQ(find(ranks, " functio"), kNoRank);
  EXPECT_EQ(find(ranks, " internationalization"), kNoRank);
  EXPECT_EQ(find(ranks, std::string(129, ' ')), kNoRank);
}

}  // namespace
}  // namespace claudegpt
