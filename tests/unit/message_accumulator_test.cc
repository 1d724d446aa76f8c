// The accumulator folds a stream back into one Message: on our own translation of a
// recorded Responses stream, and on real Anthropic streams (fixtures/anthropic-sse/).
#include "core/message_accumulator.h"

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/reasoning_signature.h"
#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }

constexpr const char* kReasoning =
    "openai-responses/openai-reasoning-encrypted-content.1.chunks.txt";

// Events of an Anthropic recording: raw SSE (sdk-*) or one JSON a line.
AnthropicEvents anthropic_recording(const std::string& name) {
  AnthropicEvents events;
  if (name.starts_with("sdk-")) {
    ResponsesStreamReader reader;
    std::vector<ResponsesEvent> parsed;
    EXPECT_TRUE(reader.feed(test::read_fixture("anthropic-sse/" + name), parsed));
    for (ResponsesEvent& event : parsed) events.push_back({event.type, std::move(event.data)});
  } else {
    for (json::object& line : test::read_chunks("anthropic-sse/" + name))
      events.push_back({std::string(line.at("type").as_string()), std::move(line)});
  }
  return events;
}

MessageAccumulator accumulate(const AnthropicEvents& events) {
  MessageAccumulator accumulator;
  for (const AnthropicEvent& event : events) accumulator.add(event);
  return accumulator;
}

TEST(MessageAccumulator, FoldsTheTranslatedReasoningStreamIntoTheExpectedMessage) {
  // The first request of the recording: reasoning, then a calculator call.
  std::string summary;
  std::string encrypted;
  StreamSetup setup;
  setup.message_id = "msg_1";
  setup.client_model = "claude-opus-5-5";
  setup.upstream_model = "gpt-5.5";
  StreamTranslator translator(setup);
  AnthropicEvents events;
  for (const json::object& line : test::read_chunks(kReasoning)) {
    if (translator.finished()) break;
    if (line.at("type") == "response.reasoning_summary_text.done")
      summary = std::string(line.at("text").as_string());
    if (line.at("type") == "response.output_item.done" && line.at("item").at("type") == "reasoning")
      encrypted = std::string(line.at("item").at("encrypted_content").as_string());
    translator.on_event({std::string(line.at("type").as_string()), line}, events);
  }
  ASSERT_FALSE(summary.empty());
  ASSERT_FALSE(encrypted.empty());

  const MessageAccumulator accumulator = accumulate(events);
  EXPECT_TRUE(accumulator.complete());
  EXPECT_FALSE(accumulator.error().has_value());

  json::object expected = parse_object(R"({
    "id":"msg_1","type":"message","role":"assistant","model":"claude-opus-5-5",
    "content":[
      {"type":"thinking","thinking":"","signature":""},
      {"type":"tool_use","id":"call_AB6AaRZ1FYZB2RwS6A5vbdqn","name":"calculator",
       "input":{"a":12,"b":7,"op":"add"}}],
    "stop_reason":"tool_use","stop_sequence":null,
    "usage":{"input_tokens":134,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,
             "output_tokens":28,"output_tokens_details":{"thinking_tokens":0}}})");
  json::object& thinking = expected["content"].as_array()[0].as_object();
  thinking["thinking"] = summary;
  thinking["signature"] = wrap_reasoning_signature("gpt-5.5", encrypted);
  EXPECT_EQ(accumulator.message(), expected);
}

TEST(MessageAccumulator, FoldsARealThinkingStreamWithUsageFromMessageDelta) {
  const MessageAccumulator accumulator =
      accumulate(anthropic_recording("anthropic-clear-thinking.1.chunks.txt"));
  EXPECT_TRUE(accumulator.complete());
  const json::object message = accumulator.message();
  const json::array& content = message.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0].at("type"), "thinking");
  EXPECT_EQ(content[0].at("thinking"),
            "The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185");
  EXPECT_TRUE(content[0].at("signature").as_string().starts_with("EvQBCkYICxgCKkAxhD4N"));
  EXPECT_EQ(content[1], parse_object(R"({"type":"text","text":"925 ÷ 5 = 185"})"));
  EXPECT_EQ(message.at("stop_reason"), "end_turn");
  EXPECT_TRUE(message.at("stop_sequence").is_null());
  // message_start said output_tokens 2; message_delta's 53 replaces it (cumulative figures).
  EXPECT_EQ(message.at("usage").at("output_tokens"), 53);
  EXPECT_EQ(message.at("usage").at("input_tokens"), 69);
}

TEST(MessageAccumulator, ParsesToolInputFromTheConcatenatedPartialJson) {
  const json::object message =
      accumulate(anthropic_recording("sdk-tool_use_response.txt")).message();
  const json::array& content = message.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[1].at("type"), "tool_use");
  EXPECT_EQ(content[1].at("name"), "get_weather");
  EXPECT_EQ(content[1].at("input"), json::parse(R"({"location":"Paris"})"));
  EXPECT_EQ(message.at("stop_reason"), "tool_use");
}

TEST(MessageAccumulator, ToolInputCutByMaxTokensBecomesEmpty) {
  const json::object message =
      accumulate(anthropic_recording("sdk-incomplete_partial_json_response.txt")).message();
  const json::array& content = message.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[1].at("input"), json::object());
  EXPECT_EQ(message.at("stop_reason"), "max_tokens");
}

TEST(MessageAccumulator, KeepsServerToolBlocksAndCitations) {
  const json::object message =
      accumulate(anthropic_recording("anthropic-web-search-tool.1.chunks.txt")).message();
  const json::array& content = message.at("content").as_array();
  ASSERT_GE(content.size(), 3u);
  EXPECT_EQ(content[0].at("type"), "server_tool_use");
  EXPECT_TRUE(content[0].at("input").as_object().contains("query"));
  EXPECT_EQ(content[1].at("type"), "web_search_tool_result");
  std::size_t citations = 0;
  for (const json::value& block : content)
    if (const json::value* list = block.as_object().if_contains("citations");
        list && list->is_array())
      citations += list->as_array().size();
  EXPECT_EQ(citations, 14u);  // one per citations_delta in the recording
}

TEST(MessageAccumulator, CapturesAnErrorEvent) {
  MessageAccumulator accumulator;
  accumulator.add({"message_start", parse_object(R"({"type":"message_start","message":{"id":"m",
      "type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,
      "stop_sequence":null,"usage":{}}})")});
  EXPECT_FALSE(accumulator.complete());
  accumulator.add({"error", parse_object(R"({"type":"error","error":{"type":"overloaded_error",
      "message":"Overloaded"}})")});
  EXPECT_FALSE(accumulator.complete());
  ASSERT_TRUE(accumulator.error().has_value());
  EXPECT_EQ(accumulator.error()->status, 529);
  EXPECT_EQ(accumulator.error()->type, "overloaded_error");
  EXPECT_EQ(accumulator.error()->message, "Overloaded");
}

TEST(MessageAccumulator, IgnoresEventsThatDoNotFit) {
  MessageAccumulator accumulator;
  accumulator.add({"content_block_delta", parse_object(R"({"type":"content_block_delta","index":3,
      "delta":{"type":"text_delta","text":"x"}})")});
  accumulator.add({"ping", parse_object(R"({"type":"ping"})")});
  const json::object message = accumulator.message();
  EXPECT_TRUE(message.at("content").as_array().empty());
  EXPECT_EQ(message.at("type"), "message");
}

}  // namespace
}  // namespace claudegpt
