// The request parser (core/json_parse.h): Boost.JSON's value, faster; Boost.JSON's errors.
#include "core/json_parse.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_depth.h"
#include "fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

json::value parsed(std::string_view text) {
  boost::system::error_code ec;
  json::value value = parse_json(text, ec);
  EXPECT_FALSE(ec) << ec.message() << " in " << text;
  return value;
}

TEST(ParseJson, GivesBoostJsonsValueForEveryRecordedClaudeCodeRequest) {
  int requests = 0;
  for (const std::string& name : test::list_fixtures("claude-code-requests", ".json")) {
    std::string text = test::read_fixture("claude-code-requests/" + name);
    EXPECT_EQ(parsed(text), json::parse(text, {}, deep_json())) << name;
    ++requests;
  }
  EXPECT_GT(requests, 20);
}

TEST(ParseJson, BuildsTheValueInTheStorageItIsGiven) {
  json::monotonic_resource arena;
  boost::system::error_code ec;
  json::value value = parse_json(R"({"messages":[{"role":"user","content":"hi"}]})", ec, &arena);
  ASSERT_FALSE(ec);
  EXPECT_EQ(value.storage().get(), &arena);
  EXPECT_EQ(value.at("messages").storage().get(), &arena);
}

TEST(ParseJson, ReadsNumbersAsBoostJsonDoes) {
  EXPECT_EQ(parsed("[-0]").at(0).kind(), json::kind::int64);
  EXPECT_EQ(parsed("[18446744073709551615]").at(0).kind(), json::kind::uint64);
  EXPECT_EQ(parsed("[-0.0]").at(0).kind(), json::kind::double_);
  EXPECT_EQ(parsed("[123456789012345678901234567890]").at(0).as_double(), 1.2345678901234568e29)
      << "past 64 bits: a double, as Boost.JSON reads it";
  EXPECT_EQ(parsed("[1e999]").at(0).as_double(), std::numeric_limits<double>::infinity())
      << "out of range: Boost.JSON's infinity (the endpoint clamps it)";
  EXPECT_EQ(parsed("[0.1, 1e-7, 5e-324]"), json::parse("[0.1, 1e-7, 5e-324]"));
}

TEST(ParseJson, RoundsEveryNumberCorrectly) {
  // As strtod reads them; Boost.JSON 1.81 reads each a little off (2.2250738585072014e-308,
  // 2308.0576811111114, 1111118982282070.4).
  for (const char* number : {"2.2250738585072011e-308", "2308.0576811111111", "1111118982282070.5800"})
    EXPECT_EQ(parsed("[" + std::string(number) + "]").at(0).as_double(), std::strtod(number, nullptr)) << number;
}

TEST(ParseJson, KeepsTheLastOfDuplicateKeysAndUnescapesStrings) {
  EXPECT_EQ(parsed(R"({"a":1,"a":2})"), json::parse(R"({"a":1,"a":2})"));
  EXPECT_EQ(parsed(R"(["\u00e9\n\"\ud83d\ude00\/"])").at(0).as_string(), "\xC3\xA9\n\"\xF0\x9F\x98\x80/");
}

TEST(ParseJson, RefusesWhatBoostJsonRefusesWithItsError) {
  for (std::string_view bad : {"", "{", R"({"a":})", "[1,]", "{\"a\":\"\xC3\"}", "nul", "[1] x", "\xEF\xBB\xBF{}"}) {
    boost::system::error_code ours, theirs;
    parse_json(bad, ours);
    json::parse(bad, theirs, {}, deep_json());
    ASSERT_TRUE(theirs) << bad;
    EXPECT_EQ(ours, theirs) << bad;
  }
}

TEST(ParseJson, NestsAsDeepAsTheLimitAndNoDeeper) {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  boost::system::error_code ec;
  parse_json(nested(kMaxJsonDepth), ec);
  EXPECT_FALSE(ec);
  parse_json(nested(kMaxJsonDepth + 1), ec);
  EXPECT_EQ(ec, json::error::too_deep);
}

}  // namespace
}  // namespace claudegpt
