// json_text writes what boost::json::serialize writes, whatever size it was told to expect,
// and keeps no more room than it used (the upstream body lives as long as its stream).
#include "core/json_text.h"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

TEST(JsonText, IsWhatSerializeWritesWhateverSizeWasExpected) {
  const json::value request = test::read_json_fixture("claude-code-requests/cc2.1.330-first-turn.json");
  const std::string expected = json::serialize(request);
  for (std::size_t guess : {std::size_t{0}, std::size_t{100}, expected.size() / 2, expected.size(),
                            expected.size() * 3}) {
    const std::string text = json_text(request, guess);
    EXPECT_EQ(text, expected) << "expected size " << guess;
    EXPECT_LE(text.capacity(), text.size() + 8192) << "expected size " << guess;
  }
}

TEST(JsonText, WritesSmallValuesToo) {
  EXPECT_EQ(json_text(json::value(nullptr), 1 << 20), "null");
  EXPECT_EQ(json_text(json::parse(R"({"a":[1,"x\ny"]})"), 0), R"({"a":[1,"x\ny"]})");
}

}  // namespace
}  // namespace claudegpt
