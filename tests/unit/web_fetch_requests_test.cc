// The upstream requests of a proxy-side WebFetch: the extraction, and the continued turn.
#include "core/web_fetch_requests.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/reasoning_signature.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

json::object turn_request() {
  return json::parse(R"({"model":"gpt-5.5","instructions":"be brief","tools":[{"type":"function",
      "name":"WebFetch","parameters":{"type":"object","properties":{}},"strict":false}],
      "input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"read it"}]}],
      "store":false,"stream":true})").as_object();
}

// What the client was sent so far: a thinking block, a fetch and its result (modelled on
// anthropic-web-fetch-tool.1.chunks.txt).
json::array sent_so_far() {
  json::array content = json::parse(R"([
    {"type":"thinking","thinking":"I should read it.","signature":""},
    {"type":"server_tool_use","id":"srvtoolu_abc","name":"web_fetch",
     "input":{"url":"https://example.com/","prompt":"title?"}},
    {"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_abc","content":{"type":"web_fetch_result",
     "url":"https://example.com/","retrieved_at":"2026-11-24T10:00:00Z","content":{"type":"document",
     "source":{"type":"text","media_type":"text/plain","data":"Example Domain"}}}}])").as_array();
  content[0].as_object()["signature"] = wrap_reasoning_signature("gpt-5.5", "gAAAA-enc");
  return content;
}

RequestOptions options() {
  RequestOptions o;
  o.upstream_model = "gpt-5.5";
  return o;
}

TEST(WebFetchRequests, TheContinuedTurnIsTheTurnsRequestWithTheFetchAppended) {
  const json::object original = turn_request();
  json::object continued = continued_request(original, sent_so_far(), options());
  const json::array& input = continued.at("input").as_array();
  ASSERT_EQ(input.size(), 4u);
  EXPECT_EQ(input[0], original.at("input").as_array()[0]);  // the prefix is untouched
  EXPECT_EQ(input[1].at("type"), "reasoning");
  EXPECT_EQ(input[1].at("encrypted_content"), "gAAAA-enc");
  EXPECT_EQ(input[2].at("type"), "function_call");
  EXPECT_EQ(input[2].at("name"), "WebFetch");
  EXPECT_EQ(input[2].at("call_id"), "srvtoolu_abc");
  EXPECT_EQ(json::parse(input[2].at("arguments").as_string()),
            json::parse(R"({"url":"https://example.com/","prompt":"title?"})"));
  EXPECT_EQ(input[3].at("type"), "function_call_output");
  EXPECT_EQ(input[3].at("call_id"), "srvtoolu_abc");
  EXPECT_EQ(input[3].at("output"), "Example Domain");
  continued.erase("input");
  json::object rest = original;
  rest.erase("input");
  EXPECT_EQ(continued, rest);  // everything else as the turn sent it
}

TEST(WebFetchRequests, AFailedFetchTellsTheModelItsStatusAndReason) {
  json::array content = sent_so_far();
  content[2] = json::parse(R"({"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_abc",
      "content":{"type":"web_fetch_tool_result_error","error_code":"url_not_accessible"}})");
  json::object continued = continued_request(
      turn_request(), content, options(), {{"srvtoolu_abc", "Fetching https://example.com/ failed: HTTP 404 Not Found"}});
  const json::array& input = continued.at("input").as_array();
  EXPECT_EQ(input.back().at("output"), "Fetching https://example.com/ failed: HTTP 404 Not Found");
}

TEST(WebFetchRequests, TheExtractionAsksTheSmallModelAboutThePageOnly) {
  json::object request = page_extraction_request("gpt-5.4-mini", "https://example.com/", "# Example\nHello",
                                                 "What does it say?", 4000);
  EXPECT_EQ(request.at("model"), "gpt-5.4-mini");
  EXPECT_EQ(request.at("stream"), true);
  EXPECT_EQ(request.at("store"), false);
  const std::string instructions(request.at("instructions").as_string());
  EXPECT_NE(instructions.find("4000 characters"), std::string::npos);
  const std::string text(request.at("input").at(0).at("content").at(0).at("text").as_string());
  EXPECT_NE(text.find("# Example\nHello"), std::string::npos);
  EXPECT_NE(text.find("What does it say?"), std::string::npos);
  EXPECT_NE(text.find("https://example.com/"), std::string::npos);
}

}  // namespace
}  // namespace claudegpt
