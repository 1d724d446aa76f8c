// The SSE reader: framing, chunking, bounds. Streams are the recorded ones
// (fixtures/openai-responses/, framed as the wire frames them) or small hand-made ones.
#include "core/responses_stream_reader.h"

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

std::vector<ResponsesEvent> read_all(std::string_view bytes, std::size_t chunk = 0) {
  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> events;
  if (chunk == 0) chunk = bytes.size() + 1;
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk)
    EXPECT_TRUE(reader.feed(bytes.substr(pos, chunk), events)) << reader.error();
  return events;
}

std::string framed(const std::vector<json::object>& lines, std::string_view newline = "\n") {
  std::string bytes;
  for (const json::object& line : lines) {
    bytes += "event: " + std::string(line.at("type").as_string());
    bytes += newline;
    bytes += "data: " + json::serialize(line);
    bytes += newline;
    bytes += newline;
  }
  return bytes;
}

// What the reader hands on for a recorded event: everything, except the data of the two
// events that only echo the request, which it does not parse.
boost::json::object expected_data(const boost::json::object& line) {
  std::string_view type = line.at("type").as_string();
  if (type == "response.created" || type == "response.in_progress") return {};
  return line;
}

TEST(ResponsesStreamReader, ReadsEveryEventOfARecordedStream) {
  const auto lines =
      test::read_chunks("openai-responses/openai-reasoning-encrypted-content.1.chunks.txt");
  const std::vector<ResponsesEvent> events = read_all(framed(lines));
  ASSERT_EQ(events.size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(events[i].type, std::string(lines[i].at("type").as_string()));
    EXPECT_EQ(events[i].data, expected_data(lines[i]));
  }
}

TEST(ResponsesStreamReader, AnyChunkingGivesTheSameEvents) {
  const auto lines = test::read_chunks("openai-responses/openai-error.1.chunks.txt");
  for (std::string_view newline : {"\n", "\r\n", "\r"}) {
    const std::string bytes = framed(lines, newline);
    for (std::size_t chunk = 1; chunk <= bytes.size(); ++chunk) {
      const std::vector<ResponsesEvent> events = read_all(bytes, chunk);
      ASSERT_EQ(events.size(), lines.size()) << "chunk " << chunk;
      for (std::size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(events[i].data, expected_data(lines[i]));
    }
  }
}

TEST(ResponsesStreamReader, EventsThatOnlyEchoTheRequestAreNotParsed) {
  const auto events = read_all(
      "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"tools\":[]}}\n\n"
      "event: response.in_progress\ndata: {\"type\":\"response.in_progress\"}\n\n"
      "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\"}\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "response.created");
  EXPECT_TRUE(events[0].data.empty());
  EXPECT_EQ(events[1].type, "response.in_progress");
  EXPECT_TRUE(events[1].data.empty());
  EXPECT_FALSE(events[2].data.empty());
}

TEST(ResponsesStreamReader, TheTypeComesFromTheJsonNotTheEventLine) {
  const auto events = read_all(
      "data: {\"type\":\"response.created\"}\n\n"
      "event: something.else\ndata: {\"type\":\"response.in_progress\"}\n\n"
      "event: named.only\ndata: {\"no_type\":1}\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "response.created");
  EXPECT_EQ(events[1].type, "response.in_progress");
  EXPECT_EQ(events[2].type, "named.only");  // the event line only stands in for a missing type
}

TEST(ResponsesStreamReader, CommentsDoneAndEmptyEventsAreSkipped) {
  const auto events = read_all(
      ": keep-alive\n\n"
      "event: ping\n\n"
      "data: {\"type\":\"a\"}\n"
      ": a comment inside an event\n"
      "id: 7\nretry: 100\nunknown: field\n\n"
      "data: [DONE]\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "a");
}

TEST(ResponsesStreamReader, DataLinesOfOneEventAreJoinedByNewlines) {
  const auto events = read_all("data: {\"type\":\"a\",\ndata: \"text\":\"x\"}\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data.at("text"), "x");
}

TEST(ResponsesStreamReader, AFieldWithoutSpaceAfterTheColonIsRead) {
  const auto events = read_all("data:{\"type\":\"a\"}\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "a");
}

TEST(ResponsesStreamReader, AnEventNotEndedByABlankLineIsNotReported) {
  const auto events = read_all("data: {\"type\":\"a\"}\n\ndata: {\"type\":\"b\"}\n");
  ASSERT_EQ(events.size(), 1u);
}

TEST(ResponsesStreamReader, DataThatIsNotAJsonObjectIsAnError) {
  for (std::string_view bad :
       {"data: [1,2]\n\n", "data: {\"type\":\n\n", "data: hello\n\n", "data: \"text\"\n\n"}) {
    ResponsesStreamReader reader;
    std::vector<ResponsesEvent> events;
    EXPECT_FALSE(reader.feed(bad, events)) << bad;
    EXPECT_FALSE(reader.error().empty());
    EXPECT_TRUE(events.empty());
    EXPECT_FALSE(reader.feed("data: {\"type\":\"a\"}\n\n", events))
        << "a failed reader stays failed";
    EXPECT_TRUE(events.empty());
  }
}

TEST(ResponsesStreamReader, AnEventLargerThanTheLimitIsAnError) {
  ResponsesStreamReader reader(64);
  std::vector<ResponsesEvent> events;
  ASSERT_TRUE(reader.feed("data: {\"type\":\"small\"}\n\n", events));
  EXPECT_EQ(events.size(), 1u);
  // Over several data lines…
  EXPECT_FALSE(reader.feed("data: {\"type\":\"big\",\ndata: \"" + std::string(40, 'x') +
                               "\",\ndata: \"more\":\"" + std::string(40, 'y') + "\"}\n\n",
                           events));
  EXPECT_NE(reader.error().find("larger"), std::string::npos);

  // …and in one endless line, fed byte by byte: the reader stops at the limit.
  ResponsesStreamReader endless(64);
  bool ok = endless.feed("data: {\"type\":\"", events);
  std::size_t fed = 0;
  while (ok && fed < 10'000) {
    ok = endless.feed("x", events);
    ++fed;
  }
  EXPECT_FALSE(ok);
  EXPECT_LT(fed, 100u);
}

TEST(ResponsesStreamReader, ReadsARealAnthropicStreamToo) {
  // Raw SSE with the server's own whitespace, pings included.
  const std::string bytes = test::read_fixture("anthropic-sse/sdk-basic_response.txt");
  const auto events = read_all(bytes);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().type, "message_start");
  EXPECT_EQ(events.back().type, "message_stop");
  EXPECT_EQ(events.size(), read_all(bytes, 3).size());
}

}  // namespace
}  // namespace claudegpt
