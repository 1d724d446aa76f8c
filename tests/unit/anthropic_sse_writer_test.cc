// The SSE writer: the exact frame, and a round trip through the reader on translated and on
// real Anthropic streams.
#include "core/anthropic_sse_writer.h"

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

AnthropicEvent event_of(std::string_view json_text) {
  json::object data = json::parse(json_text).as_object();
  return AnthropicEvent{std::string(data.at("type").as_string()), std::move(data)};
}

AnthropicEvents read_back(const std::string& bytes) {
  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> parsed;
  EXPECT_TRUE(reader.feed(bytes, parsed)) << reader.error();
  AnthropicEvents events;
  for (ResponsesEvent& event : parsed) events.push_back({event.type, std::move(event.data)});
  return events;
}

void expect_same(const AnthropicEvents& actual, const AnthropicEvents& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].type, expected[i].type);
    EXPECT_EQ(actual[i].data, expected[i].data);
  }
}

TEST(AnthropicSseWriter, WritesEventLineCompactDataLineAndABlankLine) {
  std::string out;
  write_sse(event_of(R"({"type": "content_block_delta", "index": 0,
                         "delta": {"type": "text_delta", "text": "Hi \"you\"\n"}})"),
            out);
  EXPECT_EQ(out,
            "event: content_block_delta\n"
            "data: {\"type\":\"content_block_delta\",\"index\":0,"
            "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \\\"you\\\"\\n\"}}\n\n");
}

TEST(AnthropicSseWriter, AppendsToWhatIsAlreadyThere) {
  std::string out = "before";
  write_sse(event_of(R"({"type":"message_stop"})"), out);
  EXPECT_EQ(out, "beforeevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

TEST(AnthropicSseWriter, WritesLargeEventsWhole) {
  std::string big(100'000, 'x');
  AnthropicEvent event{"content_block_delta", {{"type", "content_block_delta"}, {"text", big}}};
  std::string out;
  write_sse(event, out);
  expect_same(read_back(out), {event});
}

TEST(AnthropicSseWriter, ATranslatedStreamReadsBackAsTheSameEvents) {
  StreamSetup setup;
  setup.message_id = "msg_1";
  setup.client_model = "claude-opus-5-5";
  StreamTranslator translator(setup);
  AnthropicEvents events;
  for (const json::object& line :
       test::read_chunks("openai-responses/openai-reasoning-encrypted-content.1.chunks.txt")) {
    if (translator.finished()) break;  // the first of the recorded requests
    translator.on_event({std::string(line.at("type").as_string()), line}, events);
  }
  ASSERT_GT(events.size(), 10u);
  std::string out;
  for (const AnthropicEvent& event : events) write_sse(event, out);
  expect_same(read_back(out), events);
}

TEST(AnthropicSseWriter, ARealAnthropicStreamReadsBackAsTheSameEvents) {
  const AnthropicEvents events =
      read_back(test::read_fixture("anthropic-sse/sdk-tool_use_response.txt"));
  ASSERT_FALSE(events.empty());
  std::string out;
  for (const AnthropicEvent& event : events) write_sse(event, out);
  expect_same(read_back(out), events);
}

}  // namespace
}  // namespace claudegpt
