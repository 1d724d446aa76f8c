// What the fuzz targets (fuzz/) found, each pinned as the behaviour it broke, on the smallest
// input that shows it (minimised by libFuzzer, then written out by hand).
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/anthropic_sse_writer.h"
#include "core/finite_numbers.h"
#include "core/request_translator.h"
#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "text/utf8.h"
#include "web/page_text.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

bool is_well_formed_utf8(std::string_view s) {
  std::size_t replaced = 0;
  well_formed_utf8(s, &replaced);
  return replaced == 0;
}

// The events a Responses stream (SSE bytes) becomes for the client.
AnthropicEvents translate(std::string_view sse) {
  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> events;
  StreamSetup setup;
  setup.message_id = "msg_test";
  setup.client_model = "claude-opus-4-5";
  setup.upstream_model = "gpt-5.5";
  StreamTranslator translator(setup);
  AnthropicEvents out;
  const bool ok = reader.feed(sse, events);
  for (const ResponsesEvent& event : events) translator.on_event(event, out);
  if (ok)
    translator.on_upstream_end(out);
  else
    translator.fail(ApiError::with_status(502, "malformed: " + reader.error()), out);
  return out;
}

// ---- fixed (core/finite_numbers.h): numbers past double range (1e999). Boost.JSON 1.81
// reads them as infinity and writes infinity as `Infinity`, which is not JSON. Found by
// responses_stream_fuzz, request_translator_fuzz and anthropic_sse_round_trip_fuzz.

TEST(FuzzFindings, AToolCallWithANumberPastDoubleRangeStillGivesTheClientJsonInput) {
  const AnthropicEvents out = translate(
      "data: {\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"type\":"
      "\"function_call\",\"name\":\"Read\",\"call_id\":\"call_1\",\"arguments\":"
      "\"{\\\"file_path\\\":\\\"/a\\\",\\\"limit\\\":1e999}\"}}\n\n"
      "data: {\"type\":\"response.completed\",\"response\":{}}\n\n");
  int tool_inputs = 0;
  for (const AnthropicEvent& event : out) {
    if (event.type != "content_block_delta") continue;
    const json::object& delta = event.data.at("delta").as_object();
    if (delta.at("type") != "input_json_delta") continue;
    ++tool_inputs;
    const std::string partial_json(delta.at("partial_json").as_string());
    boost::system::error_code ec;
    const json::value input = json::parse(partial_json, ec);
    EXPECT_FALSE(ec) << "the Anthropic SDK cannot parse this tool input: " << partial_json;
    EXPECT_TRUE(input.is_object());
  }
  EXPECT_EQ(tool_inputs, 1);
}

TEST(FuzzFindings, WhatTheReaderAcceptsTheWriterWritesAsJson) {
  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> events;
  if (!reader.feed("data: {\"type\":\"message_delta\",\"n\":2e2000}\n\n", events)) return;
  ASSERT_EQ(events.size(), 1u);
  std::string wire;
  write_sse(AnthropicEvent{events[0].type, events[0].data}, wire);
  const std::string data = wire.substr(wire.find("data: ") + 6);
  boost::system::error_code ec;
  json::parse(data, ec);
  EXPECT_FALSE(ec) << "not JSON: " << data;
}

TEST(FuzzFindings, AClientNumberPastDoubleRangeIsNotSentUpstreamAsInfinity) {
  json::value request = json::parse(R"({"model":"claude-opus-4-5","max_tokens":100,
    "messages":[{"role":"user","content":"read it"},
      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read",
        "input":{"file_path":"/a","limit":1e999}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}]})");
  clamp_infinite_numbers(request);  // as the endpoint does with every client body it parses
  RequestOptions options;
  options.upstream_model = "gpt-5.5";
  try {
    const TranslatedRequest translated = translate_request(request, options);
    const std::string wire = json::serialize(translated.body);
    boost::system::error_code ec;
    json::parse(wire, ec);
    EXPECT_FALSE(ec) << "the upstream gets a body that is not JSON";
    for (const json::value& item : translated.body.at("input").as_array()) {
      if (item.at("type") != "function_call") continue;
      const std::string arguments(item.at("arguments").as_string());
      json::parse(arguments, ec);
      EXPECT_FALSE(ec) << "function_call arguments that are not JSON: " << arguments;
    }
  } catch (const InvalidRequest&) {
    // Refusing the request (400) is a fine answer too.
  }
}

// ---- fixed (core/request_translator.cc): a tool_use whose input is not an object ("input": "",
// which Anthropic's API refuses) was sent upstream with arguments that are not a JSON object
// ("\"\""); it is refused now. Found by request_translator_fuzz.

TEST(FuzzFindings, AToolUseInputThatIsNotAnObjectIsRefusedOrSentAsAnObject) {
  const json::value request = json::parse(R"({"model":"claude-opus-4-5","max_tokens":100,
    "messages":[{"role":"user","content":"go"},
      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":""}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}]})");
  RequestOptions options;
  options.upstream_model = "gpt-5.5";
  try {
    const TranslatedRequest translated = translate_request(request, options);
    for (const json::value& item : translated.body.at("input").as_array()) {
      if (item.at("type") != "function_call") continue;
      boost::system::error_code ec;
      const json::value arguments = json::parse(item.at("arguments").as_string(), ec);
      EXPECT_TRUE(!ec && arguments.is_object()) << item.at("arguments").as_string();
    }
  } catch (const InvalidRequest&) {
    // A 400, as Anthropic answers: fine.
  }
}

// ---- fixed (core/responses_stream_reader.cc): the reader's error message quoted the event's
// bytes as they were; it becomes the message of the `error` event the client gets, so invalid
// UTF-8 (or a character cut in two at the excerpt's end) made that event invalid JSON. Found
// by responses_stream_fuzz.

TEST(FuzzFindings, TheReadersErrorMessageIsUtf8WhateverTheUpstreamSent) {
  for (const std::string& data :
       {std::string("\xE0"), std::string("\xFF\xFEnot json"),
        std::string(199, 'a') + "\xC3\xA9" + " and more that is not JSON"}) {
    ResponsesStreamReader reader;
    std::vector<ResponsesEvent> events;
    EXPECT_FALSE(reader.feed("data: " + data + "\n\n", events));
    EXPECT_TRUE(is_well_formed_utf8(reader.error())) << reader.error();
  }
}

TEST(FuzzFindings, AMalformedEventEndsTheStreamWithAnErrorTheClientCanParse) {
  const AnthropicEvents out = translate(
      "data: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,"
      "\"delta\":\"Hi\"}\n\n"
      "data: \xE0\n\n");
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back().type, "error");
  std::string wire;
  write_sse(out.back(), wire);
  const std::string data = wire.substr(wire.find("data: ") + 6);
  boost::system::error_code ec;
  json::parse(data, ec);  // Boost.JSON, like JSON.parse on a UTF-8 body, wants UTF-8
  EXPECT_FALSE(ec) << ec.message();
}

// ---- fixed (core/stream_translator.cc): a function_call item without a name became a tool_use
// named "", which the client can neither run nor send back (the request translator refuses a
// tool_use without a name, so the session would be stuck). Now the turn fails with an error.
// Found by responses_stream_fuzz.

TEST(FuzzFindings, AFunctionCallWithoutANameGivesNoNamelessToolUse) {
  const AnthropicEvents out = translate(
      "data: {\"type\":\"response.output_item.done\",\"output_index\":0,"
      "\"item\":{\"type\":\"function_call\",\"call_id\":\"call_1\",\"arguments\":\"{}\"}}\n\n"
      "data: {\"type\":\"response.completed\",\"response\":{}}\n\n");
  for (const AnthropicEvent& event : out) {
    if (event.type != "content_block_start") continue;
    const json::object& block = event.data.at("content_block").as_object();
    if (block.at("type") == "tool_use") {
      EXPECT_NE(block.at("name"), "") << json::serialize(block);
    }
  }
}

// ---- fixed (core/stream_translator.cc): the nameless call came only in the final response,
// before anything was shown. The turn failed there, but the end of the response went on and
// sent message_delta and message_stop without a message_start: a stream no client can read.
// Found by responses_stream_fuzz in CI.

TEST(FuzzFindings, ANamelessCallInTheFinalResponseEndsTheTurnAsAnErrorOnly) {
  const AnthropicEvents out = translate(
      "data: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"type\":"
      "\"function_call\",\"call_id\":\"call_1\",\"arguments\":\"{}\"}]}}\n\n");
  EXPECT_TRUE(out.empty()) << out.front().type;  // nothing started: the relay sends the error
}

// ---- fixed (core/stream_translator.cc): a usage figure past int64 range (4.4e45, a double)
// was converted with a plain cast: undefined behaviour (UBSan: "outside the range of
// representable values of type 'long'"), in practice INT64_MIN, a negative token count for
// the client. Found by responses_stream_fuzz.

TEST(FuzzFindings, AUsageFigurePastInt64RangeGivesTheClientACount) {
  const AnthropicEvents out = translate(
      "data: {\"type\":\"response.output_text.delta\",\"output_index\":0,\"content_index\":0,"
      "\"delta\":\"Hi\"}\n\n"
      "data: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":4.4e45,"
      "\"output_tokens\":-2e30,\"input_tokens_details\":{\"cached_tokens\":1e300}}}}\n\n");
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out[out.size() - 2].type, "message_delta");
  for (const auto& figure : out[out.size() - 2].data.at("usage").as_object()) {
    if (figure.key() == "server_tool_use") continue;
    ASSERT_TRUE(figure.value().is_int64()) << figure.key();
    EXPECT_GE(figure.value().as_int64(), 0) << figure.key();
  }
}

// ---- fixed (src/web/html_to_markdown.cc): line breaks inside <base href> went into every
// link made absolute against it, breaking the Markdown (blank lines inside a link). Browsers
// drop tabs and line breaks from URLs; so does the converter now. Found by page_text_fuzz.

TEST(FuzzFindings, LineBreaksInsideABaseHrefStayOutOfTheLinks) {
  const PageText page = page_text("<base href=\"t://\n\n\nm\"><a href=g>L</a>", "text/html",
                                  "https://example.com/", 1000);
  EXPECT_EQ(page.text, "[L](t://m/g)");
}

// ---- fixed (src/web/character_references.cc): gumbo 0.10, the HTML parser then, decoded a
// numeric character reference past 32 bits to a lone byte that is not UTF-8, which went into
// the page text (and from there into JSON). Such a reference is now written as U+FFFD, as
// browsers read it. Found by page_text_fuzz.

TEST(FuzzFindings, AnOverlongCharacterReferenceGivesUtf8Text) {
  const PageText page = page_text("<title>&#xF8888888</title><p>a&#xF8888888 b</p>", "text/html",
                                  "https://example.com/", 1000);
  EXPECT_TRUE(is_well_formed_utf8(page.text)) << page.text;
  EXPECT_TRUE(is_well_formed_utf8(page.title)) << page.title;
  EXPECT_EQ(page.text, "a\xEF\xBF\xBD b");
}

// ---- fixed (src/web/markup_prune.cc): gumbo 0.10, the HTML parser then, leaked a doctype it
// met inside a <noscript> in the head (name and identifiers), so a hostile page leaked about
// its own size on every fetch. The pruning pass drops doctypes after the first tag. Under the
// asan preset LeakSanitizer reproduced the leak; here, the page reads the same. Found by
// page_text_fuzz.

TEST(FuzzFindings, ADoctypeInsideTheHeadsNoscriptIsIgnored) {
  const std::string identifier(4096, 'x');
  const PageText page = page_text(
      "<!DOCTYPE html><html><head><noscript><!DOCTYPE html PUBLIC \"" + identifier + "\">" +
          "</noscript></head><body><p>Hello</p></body></html>",
      "text/html", "https://example.com/", 1000);
  EXPECT_EQ(page.text, "Hello");
}

// ---- fixed (src/web/page_text.cc): sniffing a body shorter than 12 bytes that starts "RIFF"
// threw std::out_of_range (the WebP check read bytes 8-11). Found by page_text_fuzz.

TEST(FuzzFindings, AShortBodyStartingLikeAWebpImageIsSniffedWithoutThrowing) {
  for (std::string_view body : {"RIFF", "RIFF>", "RIFF1234WEB", "RIFF1234WEBP"}) {
    PageText page;
    EXPECT_NO_THROW(page = page_text(body, "", "https://example.com/", 1000)) << body;
    EXPECT_EQ(page.readable, body != "RIFF1234WEBP") << body;
  }
}

}  // namespace
}  // namespace claudegpt
