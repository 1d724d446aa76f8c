// json_text writes what boost::json::serialize writes, byte for byte, whatever size it was
// told to expect, and keeps no more room than it used (the upstream body lives as long as
// its stream).
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

TEST(JsonText, IsWhatSerializeWritesForEveryRecordedRequestAndStream) {
  int files = 0;
  for (const std::string& name : test::list_fixtures("claude-code-requests", ".json")) {
    const json::value request = test::read_json_fixture("claude-code-requests/" + name);
    EXPECT_EQ(json_text(request, 0), json::serialize(request)) << name;
    ++files;
  }
  for (const std::string& name : test::list_fixtures("openai-responses", ".chunks.txt"))
    for (const json::object& event : test::read_chunks("openai-responses/" + name)) {
      std::string text;
      append_json_text(event, text);
      ASSERT_EQ(text, json::serialize(event)) << name;
      ++files;
    }
  EXPECT_GT(files, 100);
}

TEST(JsonText, EscapesAsBoostJsonDoes) {
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte += static_cast<char>(c);
  for (std::string text : {every_byte, std::string("\0 in the middle\0", 17), std::string(40, '"'),
                           std::string("caf\xC3\xA9 \xF0\x9F\x98\x80 \x7F")}) {
    const json::value value = json::array{text, json::object{{text, -1}}};
    EXPECT_EQ(json_text(value, 0), json::serialize(value));
  }
}

TEST(JsonText, WritesNumbersAsBoostJsonDoes) {
  for (const char* text : {"[0,-0,-1,9223372036854775807,-9223372036854775808,18446744073709551615]",
                           "[0.1,-0.0,1e-7,5e-324,1.7976931348623157e308,2.5,100.0,1e21,123456.789]",
                           "[true,false,null,{},[],\"\"]"}) {
    const json::value value = json::parse(text);
    EXPECT_EQ(json_text(value, 0), json::serialize(value)) << text;
  }
}

TEST(JsonText, WritesSmallValuesToo) {
  EXPECT_EQ(json_text(json::value(nullptr), 1 << 20), "null");
  EXPECT_EQ(json_text(json::parse(R"({"a":[1,"x\ny"]})"), 0), R"({"a":[1,"x\ny"]})");
}

}  // namespace
}  // namespace claudegpt
