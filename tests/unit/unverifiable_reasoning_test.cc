// Reasoning the upstream can no longer verify: recognised in each shape the error comes in,
// dropped from a request without touching the rest of the conversation, and remembered in a
// bounded set.
#include "core/unverifiable_reasoning.h"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

namespace json = boost::json;

// As users quote it (openai/codex #8132, 2025-12-16).
constexpr std::string_view kRefusal = R"({
  "error": {
    "message": "The encrypted content gAAA...Rg== could not be verified.",
    "type": "invalid_request_error",
    "param": null,
    "code": "invalid_encrypted_content"
  }
})";

json::object request_replaying_reasoning() {
  return json::parse(R"({"model":"gpt-5.5","input":[
    {"role":"user","content":[{"type":"input_text","text":"list the files"}]},
    {"type":"reasoning","summary":[],"encrypted_content":"gAAAAABold1"},
    {"type":"function_call","call_id":"toolu_1","name":"Bash","arguments":"{\"command\":\"ls\"}"},
    {"type":"function_call_output","call_id":"toolu_1","output":"a.txt"},
    {"type":"reasoning","summary":[],"encrypted_content":"gAAAAABnew2"},
    {"role":"assistant","content":[{"type":"output_text","text":"One file: a.txt."}]}
  ],"include":["reasoning.encrypted_content"]})").as_object();
}

TEST(UnverifiableReasoning, RecognisedInAnHttpBodyAnErrorEventAndAFailedResponse) {
  EXPECT_TRUE(is_unverifiable_reasoning_error(kRefusal));
  EXPECT_TRUE(is_unverifiable_reasoning_error(
      json::parse(R"({"type":"error","code":"invalid_encrypted_content","message":"…"})").as_object()));
  EXPECT_TRUE(is_unverifiable_reasoning_error(
      json::parse(R"({"type":"response.failed","response":{"error":{"code":"invalid_encrypted_content"}}})")
          .as_object()));
}

TEST(UnverifiableReasoning, OtherRefusalsAreNotIt) {
  EXPECT_FALSE(is_unverifiable_reasoning_error(
      R"({"error":{"message":"Unsupported parameter: 'reasoning.summary'","param":"reasoning.summary","code":"unsupported_parameter"}})"));
  EXPECT_FALSE(is_unverifiable_reasoning_error("<html>invalid_encrypted_content</html>"));
  EXPECT_FALSE(is_unverifiable_reasoning_error(""));
}

TEST(UnverifiableReasoning, DroppingLeavesTheTextCallsAndResults) {
  json::object body = request_replaying_reasoning();
  EXPECT_EQ(drop_reasoning_items(body), (std::vector<std::string>{"gAAAAABold1", "gAAAAABnew2"}));
  const json::array& input = body.at("input").as_array();
  ASSERT_EQ(input.size(), 4u);
  EXPECT_EQ(input[1].at("type"), "function_call");
  EXPECT_EQ(input[2].at("type"), "function_call_output");
  EXPECT_EQ(body.at("include").as_array().size(), 1u) << "new reasoning is still asked for";
}

TEST(UnverifiableReasoning, OnlyTheDeadOnesAreDroppedLater) {
  DeadReasoning dead;
  dead.add("gAAAAABold1");
  json::object body = request_replaying_reasoning();
  drop_reasoning_items(body, [&](std::string_view content) { return dead.contains(content); });
  const json::array& input = body.at("input").as_array();
  ASSERT_EQ(input.size(), 5u);
  EXPECT_EQ(input[3].at("encrypted_content"), "gAAAAABnew2");
}

TEST(UnverifiableReasoning, ARequestWithoutReasoningIsLeftAlone) {
  json::object body = json::parse(R"({"input":"hello"})").as_object();
  EXPECT_TRUE(drop_reasoning_items(body).empty());
  EXPECT_EQ(body.at("input"), "hello");
}

TEST(UnverifiableReasoning, TheDeadSetKeepsTheNewestWithinItsCapacity) {
  DeadReasoning dead(2);
  dead.add("a");
  dead.add("b");
  dead.add("b");
  dead.add("c");
  EXPECT_EQ(dead.size(), 2u);
  EXPECT_FALSE(dead.contains("a"));
  EXPECT_TRUE(dead.contains("b"));
  EXPECT_TRUE(dead.contains("c"));
}

}  // namespace
}  // namespace claudegpt
