// The stream translator on recorded Responses streams (fixtures/openai-responses/) and on
// cases built from them. Every output is checked by a validator of the Anthropic event
// grammar, and the shapes are compared with real Anthropic streams (fixtures/anthropic-sse/).
#include "core/stream_translator.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/json_depth.h"
#include "core/message_accumulator.h"
#include "core/reasoning_signature.h"
#include "core/responses_stream_reader.h"
#include "core/token_counter.h"
#include "core/tool_catalog.h"
#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }
using Objects = std::vector<json::object>;

constexpr const char* kReasoning =
    "openai-responses/openai-reasoning-encrypted-content.1.chunks.txt";
constexpr const char* kPhase = "openai-responses/openai-phase.1.chunks.txt";
constexpr const char* kError = "openai-responses/openai-error.1.chunks.txt";
constexpr const char* kWebSearch = "openai-responses/openai-web-search-tool.1.chunks.txt";

// ---------------------------------------------------------------- helpers

// A recording may hold several streams one after the other (the reasoning one holds four
// requests of one agent loop); each starts with response.created.
std::vector<Objects> split_streams(const Objects& lines) {
  std::vector<Objects> streams;
  for (const json::object& line : lines) {
    if (streams.empty() || line.at("type") == "response.created") streams.emplace_back();
    streams.back().push_back(line);
  }
  return streams;
}

Objects stream_of(const char* fixture, std::size_t which = 0) {
  return split_streams(test::read_chunks(fixture)).at(which);
}

ResponsesEvent to_event(const json::object& line) {
  return ResponsesEvent{std::string(line.at("type").as_string()), line};
}

StreamSetup setup(const ToolCatalog* tools = nullptr) {
  StreamSetup s;
  s.message_id = "msg_test";
  s.client_model = "claude-opus-5-5";
  s.upstream_model = "gpt-5.5";
  s.tools = tools;
  s.error_context.estimated_input_tokens = 1234;
  s.error_context.context_window = 272000;
  return s;
}

// Translates a whole stream (then the upstream's end of stream).
AnthropicEvents translate(const Objects& lines, StreamSetup s = setup()) {
  StreamTranslator translator(std::move(s));
  AnthropicEvents out;
  for (const json::object& line : lines) translator.on_event(to_event(line), out);
  translator.on_upstream_end(out);
  return out;
}

// The wire framing of a recording: "event: <type>\ndata: <json>\n\n".
std::string frame(const Objects& lines) {
  std::string bytes;
  for (const json::object& line : lines) {
    bytes += "event: ";
    bytes += std::string(line.at("type").as_string());
    bytes += "\ndata: ";
    bytes += json::serialize(line);
    bytes += "\n\n";
  }
  return bytes;
}

// Translates the framed bytes, read in chunks of `chunk` bytes.
AnthropicEvents translate_bytes(const std::string& bytes, std::size_t chunk) {
  ResponsesStreamReader reader;
  StreamTranslator translator(setup());
  AnthropicEvents out;
  std::vector<ResponsesEvent> events;
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
    events.clear();
    EXPECT_TRUE(reader.feed(std::string_view(bytes).substr(pos, chunk), events)) << reader.error();
    for (const ResponsesEvent& event : events) translator.on_event(event, out);
  }
  translator.on_upstream_end(out);
  return out;
}

std::vector<std::string> types_of(const AnthropicEvents& events) {
  std::vector<std::string> types;
  for (const AnthropicEvent& event : events) types.push_back(event.type);
  return types;
}

bool same_events(const AnthropicEvents& a, const AnthropicEvents& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].type != b[i].type || a[i].data != b[i].data) return false;
  return true;
}

std::set<std::string> keys_of(const json::object& object) {
  std::set<std::string> keys;
  for (const auto& entry : object) keys.insert(std::string(entry.key()));
  return keys;
}

// What one content block of the output amounts to.
struct Block {
  std::string type;
  json::object start;        // content_block from content_block_start
  std::string text;          // text_delta / thinking_delta, concatenated
  std::string signature;     // signature_delta
  std::string partial_json;  // input_json_delta, concatenated
  json::array citations;     // citations_delta
  int deltas = 0;
};

std::vector<Block> blocks_of(const AnthropicEvents& events) {
  std::vector<Block> blocks;
  for (const AnthropicEvent& event : events) {
    if (event.type == "content_block_start") {
      Block block;
      block.start = event.data.at("content_block").as_object();
      block.type = std::string(block.start.at("type").as_string());
      blocks.push_back(block);
    } else if (event.type == "content_block_delta") {
      Block& block = blocks.at(event.data.at("index").to_number<std::size_t>());
      const json::object& delta = event.data.at("delta").as_object();
      const json::string& type = delta.at("type").as_string();
      ++block.deltas;
      if (type == "text_delta") block.text += std::string(delta.at("text").as_string());
      if (type == "thinking_delta") block.text += std::string(delta.at("thinking").as_string());
      if (type == "signature_delta")
        block.signature += std::string(delta.at("signature").as_string());
      if (type == "input_json_delta")
        block.partial_json += std::string(delta.at("partial_json").as_string());
      if (type == "citations_delta") block.citations.push_back(delta.at("citation"));
    }
  }
  return blocks;
}

const json::object& message_delta_of(const AnthropicEvents& events) {
  for (const AnthropicEvent& event : events)
    if (event.type == "message_delta") return event.data;
  throw std::runtime_error("no message_delta");
}

std::string stop_reason_of(const AnthropicEvents& events) {
  return std::string(message_delta_of(events).at("delta").at("stop_reason").as_string());
}

// ---------------------------------------------------------------- the validator

// The grammar of an Anthropic stream: message_start first and once; blocks one at a time,
// indices 0, 1, 2…, each start → deltas of its own kind → stop (a signature_delta last in a
// thinking block, tool input that parses as an object; citations_delta only in a text block
// that starts with `citations`; a server tool's result right after its server_tool_use); then
// message_delta + message_stop, or a single `error` event; nothing after the end. `ping` may
// come after message_start.
testing::AssertionResult valid_anthropic_stream(const AnthropicEvents& events) {
  auto fail = [&](std::size_t at, const std::string& why) {
    return testing::AssertionFailure()
           << "event " << at << " (" << (at < events.size() ? events[at].type : "-")
           << "): " << why;
  };
  if (events.empty()) return testing::AssertionFailure() << "no events";
  const std::set<std::string> stop_reasons = {"end_turn",
                                              "max_tokens",
                                              "stop_sequence",
                                              "tool_use",
                                              "pause_turn",
                                              "refusal",
                                              "model_context_window_exceeded"};
  const std::set<std::string> usage_keys = {"input_tokens", "cache_creation_input_tokens",
                                            "cache_read_input_tokens", "output_tokens"};
  bool started = false;
  bool message_delta = false;
  bool ended = false;
  int next_index = 0;
  int open = -1;
  std::string open_type;
  bool signed_block = false;
  bool cites = false;
  std::string partial_json;
  std::string server_tool_id;  // of the last server_tool_use, until its result

  for (std::size_t i = 0; i < events.size(); ++i) {
    const AnthropicEvent& event = events[i];
    const json::object& data = event.data;
    if (ended) return fail(i, "event after the end of the stream");
    if (!data.contains("type") || data.at("type") != event.type.c_str())
      return fail(i, "data.type differs from the event type");
    if (event.type == "message_start") {
      if (started) return fail(i, "second message_start");
      started = true;
      const json::object& message = data.at("message").as_object();
      if (message.at("type") != "message" || message.at("role") != "assistant")
        return fail(i, "message_start is not an assistant message");
      if (!message.at("content").as_array().empty()) return fail(i, "content not empty");
      if (!message.at("stop_reason").is_null() || !message.at("stop_sequence").is_null())
        return fail(i, "stop_reason/stop_sequence not null");
      if (!message.at("id").is_string() || !message.at("model").is_string())
        return fail(i, "id/model missing");
      if (keys_of(message.at("usage").as_object()) != usage_keys) return fail(i, "usage keys");
      continue;
    }
    if (!started && event.type != "error") return fail(i, "before message_start");
    if (event.type == "ping") continue;
    if (event.type == "error") {
      const json::object& error = data.at("error").as_object();
      if (!error.at("type").is_string() || !error.at("message").is_string())
        return fail(i, "error without type/message");
      if (keys_of(data) != std::set<std::string>{"type", "error"}) return fail(i, "error keys");
      ended = true;
      continue;
    }
    if (message_delta && event.type != "message_stop") return fail(i, "after message_delta");
    if (event.type == "content_block_start") {
      if (open >= 0) return fail(i, "block started while another is open");
      if (data.at("index") != next_index) return fail(i, "index not consecutive");
      const json::object& block = data.at("content_block").as_object();
      open_type = std::string(block.at("type").as_string());
      if (!server_tool_id.empty() && !open_type.ends_with("_tool_result"))
        return fail(i, "server_tool_use without its result");
      cites = block.contains("citations");
      if (open_type == "text") {
        if (block.at("text") != "") return fail(i, "text block starts non-empty");
        if (cites && !block.at("citations").as_array().empty()) return fail(i, "citations start non-empty");
      } else if (open_type == "server_tool_use") {
        if (!block.at("id").as_string().starts_with("srvtoolu_") ||
            (block.at("name") != "web_search" && block.at("name") != "web_fetch") ||
            !block.at("input").as_object().empty())
          return fail(i, "server_tool_use start");
        server_tool_id = std::string(block.at("id").as_string());
      } else if (open_type == "web_search_tool_result" || open_type == "web_fetch_tool_result") {
        if (block.at("tool_use_id").as_string() != server_tool_id) return fail(i, "result of another call");
        if (!block.at("content").is_array() && !block.at("content").is_object())
          return fail(i, "result without content");
        server_tool_id.clear();
      } else if (open_type == "thinking") {
        if (block.at("thinking") != "" || block.at("signature") != "")
          return fail(i, "thinking block starts non-empty");
      } else if (open_type == "tool_use") {
        if (!block.at("id").is_string() || block.at("id").as_string().empty() ||
            !block.at("name").is_string() || block.at("name").as_string().empty() ||
            !block.at("input").as_object().empty())
          return fail(i, "tool_use start");
      } else {
        return fail(i, "unexpected block type " + open_type);
      }
      open = next_index++;
      signed_block = false;
      partial_json.clear();
    } else if (event.type == "content_block_delta") {
      if (open < 0 || data.at("index") != open) return fail(i, "delta outside its block");
      const json::object& delta = data.at("delta").as_object();
      const std::string type(delta.at("type").as_string());
      if (open_type == "text" && type != "text_delta" && !(cites && type == "citations_delta"))
        return fail(i, type + " in text block");
      if (open_type.ends_with("_tool_result")) return fail(i, "delta in a tool result block");
      if (open_type == "thinking") {
        if (type != "thinking_delta" && type != "signature_delta")
          return fail(i, type + " in thinking block");
        if (signed_block) return fail(i, "delta after signature_delta");
        signed_block = type == "signature_delta";
      }
      if (open_type == "tool_use" || open_type == "server_tool_use") {
        if (type != "input_json_delta") return fail(i, type + " in tool_use block");
        partial_json += std::string(delta.at("partial_json").as_string());
      }
    } else if (event.type == "content_block_stop") {
      if (open < 0 || data.at("index") != open) return fail(i, "stop of a block not open");
      if (open_type == "tool_use" || open_type == "server_tool_use") {
        boost::system::error_code ec;
        json::value input = json::parse(partial_json, ec, {}, deep_json());
        if (ec || !input.is_object()) return fail(i, "tool input is not a JSON object");
      }
      open = -1;
    } else if (event.type == "message_delta") {
      if (open >= 0) return fail(i, "message_delta with a block open");
      const json::object& delta = data.at("delta").as_object();
      if (!stop_reasons.contains(std::string(delta.at("stop_reason").as_string())))
        return fail(i, "unknown stop_reason");
      if (!delta.at("stop_sequence").is_null()) return fail(i, "stop_sequence");
      json::object usage = data.at("usage").as_object();
      if (json::value* server = usage.if_contains("server_tool_use")) {
        if (keys_of(server->as_object()) != std::set<std::string>{"web_search_requests", "web_fetch_requests"})
          return fail(i, "server_tool_use usage keys");
        usage.erase("server_tool_use");
      }
      if (json::value* details = usage.if_contains("output_tokens_details")) {
        // The SDK's MessageDeltaUsage.output_tokens_details: {thinking_tokens}, ≤ output_tokens.
        if (keys_of(details->as_object()) != std::set<std::string>{"thinking_tokens"})
          return fail(i, "output_tokens_details keys");
        const json::value& thinking = details->at("thinking_tokens");
        if (!thinking.is_int64() || thinking.as_int64() < 0 ||
            thinking.as_int64() > usage.at("output_tokens").as_int64())
          return fail(i, "thinking_tokens not a count within output_tokens");
        usage.erase("output_tokens_details");
      }
      if (keys_of(usage) != usage_keys) return fail(i, "usage keys");
      for (const auto& figure : usage)
        if (!figure.value().is_int64() || figure.value().as_int64() < 0)
          return fail(i, "usage figure not a count");
      message_delta = true;
    } else if (event.type == "message_stop") {
      if (!message_delta) return fail(i, "message_stop without message_delta");
      ended = true;
    } else {
      return fail(i, "unknown event type");
    }
  }
  if (!ended) return testing::AssertionFailure() << "stream has no terminal event";
  return testing::AssertionSuccess();
}

// ---------------------------------------------------------------- every recording

TEST(StreamTranslator, EveryRecordedStreamBecomesAValidAnthropicStream) {
  const auto names = test::list_fixtures("openai-responses", ".chunks.txt");
  ASSERT_GE(names.size(), 7u);
  for (const std::string& name : names) {
    const auto streams = split_streams(test::read_chunks("openai-responses/" + name));
    for (std::size_t s = 0; s < streams.size(); ++s) {
      SCOPED_TRACE(name + " stream " + std::to_string(s));
      AnthropicEvents events = translate(streams[s]);
      if (events.empty())  // failed before any output: an HTTP error, tested on its own below
        EXPECT_EQ(name, "openai-error.1.chunks.txt");
      else
        EXPECT_TRUE(valid_anthropic_stream(events));

      // The same bytes as the wire frames them, in reads of various sizes.
      const std::string bytes = frame(streams[s]);
      for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{512}, bytes.size()})
        EXPECT_TRUE(same_events(translate_bytes(bytes, chunk), events)) << "chunk " << chunk;
    }
  }
}

TEST(StreamTranslator, TranslationDoesNotDependOnHowTheBytesAreChunked) {
  for (const char* fixture : {kError, kPhase}) {
    SCOPED_TRACE(fixture);
    const Objects stream = stream_of(fixture);
    const AnthropicEvents expected = translate(stream);
    const std::string bytes = frame(stream);
    // Every chunk size for the small error stream; the phase stream up to 300 bytes a read.
    const std::size_t largest = bytes.size() < 4000 ? bytes.size() : 300;
    for (std::size_t chunk = 1; chunk <= largest; ++chunk)
      ASSERT_TRUE(same_events(translate_bytes(bytes, chunk), expected)) << "chunk " << chunk;
  }
}

// ---------------------------------------------------------------- reasoning and tools

TEST(StreamTranslator, ReasoningBecomesAThinkingBlockSignedWithTheFinalEncryptedContent) {
  const Objects stream = stream_of(kReasoning, 0);
  std::string summary;
  std::string added_encrypted;
  std::string done_encrypted;
  for (const json::object& line : stream) {
    if (line.at("type") == "response.reasoning_summary_text.done")
      summary = std::string(line.at("text").as_string());
    const json::value* item = line.if_contains("item");
    if (item && item->at("type") == "reasoning") {
      std::string encrypted(item->at("encrypted_content").as_string());
      (line.at("type") == "response.output_item.added" ? added_encrypted : done_encrypted) =
          encrypted;
    }
  }
  ASSERT_FALSE(summary.empty());
  ASSERT_NE(added_encrypted, done_encrypted) << "the recording no longer tells them apart";

  const std::vector<Block> blocks = blocks_of(translate(stream));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].type, "thinking");
  EXPECT_EQ(blocks[0].text, summary);
  std::optional<ReasoningSignature> unwrapped = unwrap_reasoning_signature(blocks[0].signature);
  ASSERT_TRUE(unwrapped.has_value());
  EXPECT_EQ(unwrapped->model, "gpt-5.5");
  EXPECT_EQ(unwrapped->encrypted_content, done_encrypted);
}

TEST(StreamTranslator, FunctionCallsBecomeToolUseBlocksWithOneInputDelta) {
  const AnthropicEvents events = translate(stream_of(kReasoning, 0));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].type, "tool_use");
  EXPECT_EQ(blocks[1].start.at("id"), "call_AB6AaRZ1FYZB2RwS6A5vbdqn");
  EXPECT_EQ(blocks[1].start.at("name"), "calculator");
  EXPECT_EQ(blocks[1].deltas, 1);
  EXPECT_EQ(json::parse(blocks[1].partial_json), json::parse(R"({"a":12,"b":7,"op":"add"})"));
  EXPECT_EQ(stop_reason_of(events), "tool_use");
}

TEST(StreamTranslator, UsageComesFromResponseCompletedWithTheCachedPartSeparated) {
  // Recorded: input 134, cached 0, output 28 (reasoning 0).
  EXPECT_EQ(message_delta_of(translate(stream_of(kReasoning, 0))).at("usage"),
            parse_object(R"({"input_tokens":134,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":0,"output_tokens":28,
                            "output_tokens_details":{"thinking_tokens":0}})"));
  // Recorded: input 7112 of which 3072 cached, output 463 (reasoning 64).
  EXPECT_EQ(message_delta_of(translate(stream_of(kPhase))).at("usage"),
            json::parse(R"({"input_tokens":4040,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":3072,"output_tokens":463,
                            "output_tokens_details":{"thinking_tokens":64}})"));
}

// A stream of the phase recording whose final usage is `usage` (the Responses API's shape).
Objects with_usage(std::string_view usage) {
  Objects stream = stream_of(kPhase);
  stream.back()["response"].as_object()["usage"] = json::parse(usage);
  return stream;
}

// GPT-5.6 and later report cache writes in input_tokens_details.cache_write_tokens, part of
// input_tokens like the cached (read) tokens (OpenAI's prompt-caching guide; a live cold
// call: input 3438, cached 0, written 3435; warm: cached 3423, written 12). Anthropic counts
// the three apart, so that input + cache_read + cache_creation is all the input.
TEST(StreamTranslator, CacheWritesBecomeCacheCreationInputTokensOutsideTheInputTokens) {
  const AnthropicEvents cold = translate(with_usage(R"({"input_tokens":3438,"output_tokens":9,
      "input_tokens_details":{"cached_tokens":0,"cache_write_tokens":3435}})"));
  EXPECT_EQ(message_delta_of(cold).at("usage"),
            json::parse(R"({"input_tokens":3,"cache_creation_input_tokens":3435,
                            "cache_read_input_tokens":0,"output_tokens":9})"));
  const AnthropicEvents warm = translate(with_usage(R"({"input_tokens":3438,"output_tokens":9,
      "input_tokens_details":{"cached_tokens":3423,"cache_write_tokens":12}})"));
  EXPECT_EQ(message_delta_of(warm).at("usage"),
            json::parse(R"({"input_tokens":3,"cache_creation_input_tokens":12,
                            "cache_read_input_tokens":3423,"output_tokens":9})"));

  StreamTranslator translator(setup());
  AnthropicEvents out;
  for (const json::object& line : with_usage(R"({"input_tokens":3438,"output_tokens":9,
      "input_tokens_details":{"cached_tokens":3423,"cache_write_tokens":12}})"))
    translator.on_event(to_event(line), out);
  const TurnUsage usage = translator.usage();
  EXPECT_EQ(usage.input_tokens, 3438);
  EXPECT_EQ(usage.cached_tokens, 3423);
  EXPECT_EQ(usage.cache_write_tokens, 12);
}

TEST(StreamTranslator, CacheWritesAreScaledLikeTheOtherInputFigures) {
  StreamSetup scaled = setup();
  scaled.error_context.input_token_scale = 2.0;
  EXPECT_EQ(message_delta_of(translate(with_usage(R"({"input_tokens":3438,"output_tokens":9,
                "input_tokens_details":{"cached_tokens":3000,"cache_write_tokens":400}})"),
                                       scaled)).at("usage"),
            json::parse(R"({"input_tokens":76,"cache_creation_input_tokens":800,
                            "cache_read_input_tokens":6000,"output_tokens":9})"));
}

// Figures that cannot be parts of the input are cut to what fits: never a negative count.
TEST(StreamTranslator, CacheWritesBeyondTheInputAreCutToWhatFits) {
  EXPECT_EQ(message_delta_of(translate(with_usage(R"({"input_tokens":100,"output_tokens":1,
                "input_tokens_details":{"cached_tokens":60,"cache_write_tokens":500}})")))
                .at("usage"),
            json::parse(R"({"input_tokens":0,"cache_creation_input_tokens":40,
                            "cache_read_input_tokens":60,"output_tokens":1})"));
  EXPECT_EQ(message_delta_of(translate(with_usage(R"({"input_tokens":100,"output_tokens":1,
                "input_tokens_details":{"cached_tokens":10,"cache_write_tokens":-5}})")))
                .at("usage"),
            json::parse(R"({"input_tokens":90,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":10,"output_tokens":1})"));
  EXPECT_EQ(message_delta_of(translate(with_usage(R"({"input_tokens":100,"output_tokens":1,
                "input_tokens_details":{"cached_tokens":10,"cache_write_tokens":"many"}})")))
                .at("usage"),
            json::parse(R"({"input_tokens":90,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":10,"output_tokens":1})"));
}

// Claude Code compacts near its own model's window; scaled input figures make it compact
// near the backend's. Output figures are never scaled.
TEST(StreamTranslator, InputFiguresAreScaledForClaudeCodesContextWindow) {
  StreamSetup scaled = setup();
  scaled.error_context.input_token_scale = 2.5;
  EXPECT_EQ(message_delta_of(translate(stream_of(kPhase), scaled)).at("usage"),
            json::parse(R"({"input_tokens":10100,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":7680,"output_tokens":463,
                            "output_tokens_details":{"thinking_tokens":64}})"));
}

TEST(StreamTranslator, MessageStartCarriesTheClientModelAndTheEstimatedInput) {
  const AnthropicEvents events = translate(stream_of(kPhase));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type, "message_start");
  EXPECT_EQ(events[0].data, json::parse(R"({"type":"message_start","message":{
      "id":"msg_test","type":"message","role":"assistant","model":"claude-opus-5-5",
      "content":[],"stop_reason":null,"stop_sequence":null,
      "usage":{"input_tokens":1234,"cache_creation_input_tokens":0,
               "cache_read_input_tokens":0,"output_tokens":0}}})"));
}

TEST(StreamTranslator, ToolNamesAreMappedBackAndArgumentsCleaned) {
  // Modelled on the reasoning recording's function call, with an MCP tool whose name the
  // upstream cannot carry and an optional argument the model filled with "".
  ToolCatalog tools;
  const std::string client_name =
      "mcp__some.server__a_tool_with_a_name_far_longer_than_sixty_four_chars";
  const std::string upstream_name = tools.add(client_name, parse_object(R"({"type":"object",
      "properties":{"path":{"type":"string"},"note":{"type":"string"}},"required":["path"]})"));
  ASSERT_NE(upstream_name, client_name);
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1",
          "type":"function_call","status":"in_progress","arguments":"","call_id":"call_1",
          "name":")" +
                   upstream_name + R"("}})"),
      parse_object(R"({"type":"response.function_call_arguments.delta","output_index":0,
          "item_id":"fc_1","delta":"{\"path\":\"a.txt\","})"),
      parse_object(R"({"type":"response.function_call_arguments.delta","output_index":0,
          "item_id":"fc_1","delta":"\"note\":\"\"}"})"),
      parse_object(R"({"type":"response.function_call_arguments.done","output_index":0,
          "item_id":"fc_1","arguments":"{\"path\":\"a.txt\",\"note\":\"\"}"})"),
      parse_object(R"({"type":"response.completed","response":{"usage":null}})"),
  };
  const AnthropicEvents events = translate(stream, setup(&tools));
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].start.at("name"), client_name.c_str());
  EXPECT_EQ(blocks[0].partial_json, R"({"path":"a.txt"})");
}

Objects function_call_items(const std::vector<std::pair<std::string, std::string>>& calls) {
  Objects stream = {parse_object(R"({"type":"response.created","response":{}})")};
  for (std::size_t i = 0; i < calls.size(); ++i) {
    json::object item = {{"id", "fc_" + std::to_string(i)},
                         {"type", "function_call"},
                         {"status", "completed"},
                         {"arguments", calls[i].second},
                         {"call_id", "call_" + std::to_string(i)},
                         {"name", calls[i].first}};
    json::object added = {
        {"type", "response.output_item.added"}, {"output_index", i}, {"item", item}};
    added["item"].as_object()["arguments"] = "";
    stream.push_back(added);
    stream.push_back({{"type", "response.function_call_arguments.done"},
                      {"output_index", i},
                      {"arguments", calls[i].second}});
    stream.push_back({{"type", "response.output_item.done"}, {"output_index", i}, {"item", item}});
  }
  stream.push_back(parse_object(R"({"type":"response.completed","response":{}})"));
  return stream;
}

TEST(StreamTranslator, ParallelFunctionCallsBecomeOneBlockEachInOrder) {
  const AnthropicEvents events = translate(
      function_call_items({{"Read", R"({"file_path":"/a"})"}, {"Glob", R"({"pattern":"*"})"}}));
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].start.at("id"), "call_0");
  EXPECT_EQ(blocks[0].start.at("name"), "Read");
  EXPECT_EQ(blocks[1].start.at("id"), "call_1");
  EXPECT_EQ(blocks[1].start.at("name"), "Glob");
  EXPECT_EQ(blocks[1].partial_json, R"({"pattern":"*"})");
  EXPECT_EQ(stop_reason_of(events), "tool_use");
}

// Boost.JSON's default depth (32) used to turn such an input into {}: the call lost its input.
TEST(StreamTranslator, DeeplyNestedArgumentsReachTheClientWhole) {
  std::string nested = "1";
  for (int level = 0; level < 200; ++level) nested = R"({"a":)" + nested + "}";
  const AnthropicEvents events = translate(function_call_items({{"Configure", nested}}));
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].partial_json, nested);
}

TEST(StreamTranslator, ArgumentsThatAreNotAJsonObjectBecomeAnEmptyInput) {
  const AnthropicEvents events = translate(
      function_call_items({{"Read", R"({"file_path":"/a)"}, {"Bash", "[1]"}, {"Ls", ""}}));
  ASSERT_TRUE(valid_anthropic_stream(events));
  for (const Block& block : blocks_of(events)) EXPECT_EQ(block.partial_json, "{}");
}

TEST(StreamTranslator, ReasoningWithAnEmptySummaryStillCarriesItsSignature) {
  // Modelled on the reasoning recording: a reasoning item whose summary stayed empty.
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,
          "item":{"id":"rs_1","type":"reasoning","summary":[]}})"),
      parse_object(R"({"type":"response.output_item.done","output_index":0,
          "item":{"id":"rs_1","type":"reasoning","encrypted_content":"gAAAAB-secret",
                  "summary":[]}})"),
      parse_object(R"({"type":"response.completed","response":{}})"),
  };
  const AnthropicEvents events = translate(stream);
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].type, "thinking");
  EXPECT_EQ(blocks[0].text, "");
  EXPECT_EQ(blocks[0].signature, wrap_reasoning_signature("gpt-5.5", "gAAAAB-secret"));
}

TEST(StreamTranslator, ReasoningWithNothingToShowOrCarryGivesNoBlock) {
  // The web search recording (store:true) has seven reasoning items without summary or
  // encrypted content.
  const AnthropicEvents events = translate(stream_of(kWebSearch));
  ASSERT_TRUE(valid_anthropic_stream(events));
  for (const Block& block : blocks_of(events)) EXPECT_NE(block.type, "thinking");
}

// ---------------------------------------------------------------- server-side tools

// The final text of the recording's answer, as OpenAI wrote it (inline links included).
std::string recorded_answer() {
  for (const json::object& line : stream_of(kWebSearch))
    if (line.at("type") == "response.output_text.done") return std::string(line.at("text").as_string());
  return {};
}

TEST(StreamTranslator, WebSearchCallsBecomeServerToolUseAndResultPairsBeforeTheAnswer) {
  const AnthropicEvents events = translate(stream_of(kWebSearch));
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  // Six web_search_call items (search, search, open_page, find_in_page ×3), as in
  // anthropic-web-search-tool.1.chunks.txt: each a server_tool_use then its result.
  ASSERT_GE(blocks.size(), 13u);
  for (std::size_t i = 0; i < 12; i += 2) {
    SCOPED_TRACE(i);
    EXPECT_EQ(blocks[i].type, "server_tool_use");
    EXPECT_EQ(blocks[i].start.at("name"), "web_search");
    EXPECT_TRUE(blocks[i].start.at("id").as_string().starts_with("srvtoolu_"));
    EXPECT_EQ(blocks[i + 1].type, "web_search_tool_result");
    EXPECT_EQ(blocks[i + 1].start.at("tool_use_id"), blocks[i].start.at("id"));
  }
  EXPECT_EQ(blocks[0].partial_json, R"({"query":"tech news today December 5 2025"})");
  EXPECT_EQ(blocks[0].start.at("id"), "srvtoolu_0cc96ac817fdc57e006933370e71cc81989ece73cbdfe67d25");
  const json::array& first = blocks[1].start.at("content").as_array();
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first[0].at("type"), "web_search_result");
  EXPECT_EQ(first[0].at("url"), "https://www.wired.com/story/the-big-interview-2025-recap");
  // Cited, so titled from the citation (the sources themselves carry no titles).
  EXPECT_EQ(first[0].at("title"), "Check Out Highlights From WIRED's Big Interview Event");
  EXPECT_EQ(blocks[4].partial_json,
            R"({"query":"https://techcrunch.com/2025/12/05/petco-confirms-security-lapse-exposed-customers-personal-data/"})");
  for (std::size_t i = 12; i < blocks.size(); ++i) EXPECT_EQ(blocks[i].type, "text");

  const json::object& usage = events[events.size() - 2].data.at("usage").as_object();
  EXPECT_EQ(usage.at("server_tool_use").at("web_search_requests"), 6);
  EXPECT_EQ(usage.at("server_tool_use").at("web_fetch_requests"), 0);
  EXPECT_EQ(stop_reason_of(events), "end_turn");
}

TEST(StreamTranslator, TheAnswerIsSplitAtItsCitationsWithTheInlineLinksTakenOut) {
  const std::vector<Block> blocks = blocks_of(translate(stream_of(kWebSearch)));
  std::string restored, shown;
  int cited_blocks = 0, citations = 0;
  for (const Block& block : blocks) {
    if (block.type != "text") continue;
    EXPECT_FALSE(block.text.empty());
    shown += block.text;
    restored += block.text;
    if (block.start.contains("citations")) ++cited_blocks;
    for (const json::value& citation : block.citations) {
      ++citations;
      EXPECT_EQ(citation.at("type"), "web_search_result_location");
      EXPECT_FALSE(citation.at("cited_text").as_string().empty());
      EXPECT_EQ(std::string_view(citation.at("url").as_string()).find("utm_source=openai"), std::string_view::npos);
      restored += std::string(citation.at("encrypted_index").as_string());
    }
  }
  EXPECT_EQ(citations, 12);  // the recording's twelve url_citation annotations
  EXPECT_GE(cited_blocks, 10);
  EXPECT_EQ(restored, recorded_answer());  // nothing lost: the links ride in the citations
  EXPECT_EQ(shown.find("utm_source=openai"), std::string::npos);
}

TEST(StreamTranslator, SearchesPastMaxUsesGetAMaxUsesExceededResult) {
  StreamSetup limited = setup();
  limited.max_web_searches = 2;
  const AnthropicEvents events = translate(stream_of(kWebSearch), limited);
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  EXPECT_TRUE(blocks[3].start.at("content").is_array());
  ASSERT_TRUE(blocks[5].start.at("content").is_object());
  EXPECT_EQ(blocks[5].start.at("content").at("type"), "web_search_tool_result_error");
  EXPECT_EQ(blocks[5].start.at("content").at("error_code"), "max_uses_exceeded");
}

Objects then_completed(Objects stream, std::int64_t input, std::int64_t output) {
  stream.back() = {{"type", "response.completed"},
                   {"response", {{"usage", {{"input_tokens", input}, {"output_tokens", output}}}}}};
  return stream;
}

TEST(StreamTranslator, AWebFetchCallIsTheProxysToPerformAndTheTurnGoesOnAfterIt) {
  StreamSetup s = setup();
  s.fetches_left = 4;
  StreamTranslator translator(s);
  AnthropicEvents out;
  for (const json::object& line : then_completed(
           function_call_items({{"WebFetch", R"({"url":"https://example.com/a","prompt":"the title?"})"}}), 100, 10))
    translator.on_event(to_event(line), out);
  EXPECT_FALSE(translator.finished());
  ASSERT_TRUE(translator.awaiting_fetches());
  ASSERT_EQ(translator.pending_fetches().size(), 1u);
  const PendingFetch fetch = translator.pending_fetches()[0];
  EXPECT_EQ(fetch.tool_use_id, "srvtoolu_0");
  EXPECT_EQ(fetch.url, "https://example.com/a");
  EXPECT_EQ(fetch.prompt, "the title?");

  translator.fetch_result({fetch.tool_use_id, fetch.url, "2026-11-24T10:00:00Z", "Example A", "A", ""}, out);
  ASSERT_TRUE(translator.resume_after_fetches(out));
  const Objects continued = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"It is Example A."})"),
      parse_object(R"({"type":"response.completed","response":{"usage":{"input_tokens":300,"output_tokens":7,
          "input_tokens_details":{"cached_tokens":100}}}})"),
  };
  for (const json::object& line : continued) translator.on_event(to_event(line), out);
  ASSERT_TRUE(translator.finished());

  ASSERT_TRUE(valid_anthropic_stream(out));
  const std::vector<Block> blocks = blocks_of(out);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].type, "server_tool_use");
  EXPECT_EQ(blocks[0].start.at("name"), "web_fetch");
  EXPECT_EQ(blocks[0].partial_json, R"({"url":"https://example.com/a","prompt":"the title?"})");
  EXPECT_EQ(blocks[1].type, "web_fetch_tool_result");
  const json::value& result = blocks[1].start.at("content");
  EXPECT_EQ(result.at("type"), "web_fetch_result");
  EXPECT_EQ(result.at("url"), "https://example.com/a");
  EXPECT_EQ(result.at("retrieved_at"), "2026-11-24T10:00:00Z");
  EXPECT_EQ(result.at("content").at("source").at("data"), "Example A");
  EXPECT_EQ(result.at("content").at("title"), "A");
  EXPECT_EQ(blocks[2].text, "It is Example A.");
  EXPECT_EQ(stop_reason_of(out), "end_turn");
  // Both responses are paid for: the usage is their sum.
  const json::object& usage = out[out.size() - 2].data.at("usage").as_object();
  EXPECT_EQ(usage.at("input_tokens"), 300);
  EXPECT_EQ(usage.at("cache_read_input_tokens"), 100);
  EXPECT_EQ(usage.at("output_tokens"), 17);
  EXPECT_EQ(usage.at("server_tool_use").at("web_fetch_requests"), 1);
}

// Over a turn continued after the proxy's fetches, the writes of every response add up.
TEST(StreamTranslator, CacheWritesOfAContinuedTurnAreSummed) {
  StreamSetup s = setup();
  s.fetches_left = 4;
  StreamTranslator translator(s);
  AnthropicEvents out;
  Objects first = function_call_items({{"WebFetch", R"({"url":"https://example.com/a","prompt":"?"})"}});
  first.back() = parse_object(R"({"type":"response.completed","response":{"usage":{
      "input_tokens":2000,"output_tokens":10,
      "input_tokens_details":{"cached_tokens":0,"cache_write_tokens":1900}}}})");
  for (const json::object& line : first) translator.on_event(to_event(line), out);
  ASSERT_TRUE(translator.awaiting_fetches());
  const PendingFetch fetch = translator.pending_fetches()[0];
  translator.fetch_result({fetch.tool_use_id, fetch.url, "2026-11-24T10:00:00Z", "A", "A", ""}, out);
  ASSERT_TRUE(translator.resume_after_fetches(out));
  for (const json::object& line :
       {parse_object(R"({"type":"response.created","response":{}})"),
        parse_object(R"({"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"A."})"),
        parse_object(R"({"type":"response.completed","response":{"usage":{"input_tokens":2500,
            "output_tokens":3,"input_tokens_details":{"cached_tokens":1920,"cache_write_tokens":500}}}})")})
    translator.on_event(to_event(line), out);
  ASSERT_TRUE(translator.finished());
  const json::object& usage = message_delta_of(out).at("usage").as_object();
  EXPECT_EQ(usage.at("input_tokens"), 180);
  EXPECT_EQ(usage.at("cache_creation_input_tokens"), 2400);
  EXPECT_EQ(usage.at("cache_read_input_tokens"), 1920);
  EXPECT_EQ(translator.usage().cache_write_tokens, 2400);
}

TEST(StreamTranslator, FetchesBesideClientToolCallsEndTheTurnWithToolUse) {
  StreamSetup s = setup();
  s.fetches_left = 4;
  StreamTranslator translator(s);
  AnthropicEvents out;
  for (const json::object& line :
       function_call_items({{"WebFetch", R"({"url":"https://example.com/","prompt":"p"})"},
                            {"Read", R"({"file_path":"/a"})"}}))
    translator.on_event(to_event(line), out);
  ASSERT_TRUE(translator.awaiting_fetches());
  translator.fetch_result({"srvtoolu_0", "https://example.com/", "t", "", "", "url_not_accessible"}, out);
  EXPECT_FALSE(translator.resume_after_fetches(out));
  ASSERT_TRUE(translator.finished());
  ASSERT_TRUE(valid_anthropic_stream(out));
  const std::vector<Block> blocks = blocks_of(out);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].type, "tool_use");
  EXPECT_EQ(blocks[1].type, "server_tool_use");
  EXPECT_EQ(blocks[2].type, "web_fetch_tool_result");
  EXPECT_EQ(blocks[2].start.at("content").at("type"), "web_fetch_tool_result_error");
  EXPECT_EQ(blocks[2].start.at("content").at("error_code"), "url_not_accessible");
  EXPECT_EQ(stop_reason_of(out), "tool_use");
}

TEST(StreamTranslator, WebFetchCallsPastTheChainLimitGoToTheClient) {
  StreamSetup s = setup();
  s.fetches_left = 1;
  StreamTranslator translator(s);
  AnthropicEvents out;
  for (const json::object& line : function_call_items({{"WebFetch", R"({"url":"https://a/","prompt":"p"})"},
                                                       {"WebFetch", R"({"url":"https://b/","prompt":"p"})"}}))
    translator.on_event(to_event(line), out);
  ASSERT_EQ(translator.pending_fetches().size(), 1u);
  EXPECT_EQ(translator.pending_fetches()[0].url, "https://a/");
  const std::vector<Block> blocks = blocks_of(out);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].type, "tool_use");
  EXPECT_EQ(blocks[0].start.at("name"), "WebFetch");
  EXPECT_EQ(blocks[0].partial_json, R"({"url":"https://b/","prompt":"p"})");

  // Without the proxy's fetching, WebFetch is an ordinary client tool.
  const std::vector<Block> plain = blocks_of(translate(function_call_items({{"WebFetch", R"({"url":"https://a/"})"}})));
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].type, "tool_use");
}

TEST(StreamTranslator, SummaryPartsAreSeparatedByABlankLine) {
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,
          "item":{"id":"rs_1","type":"reasoning","summary":[]}})"),
      parse_object(
          R"({"type":"response.reasoning_summary_part.added","output_index":0,"summary_index":0})"),
      parse_object(R"({"type":"response.reasoning_summary_text.delta","output_index":0,
          "summary_index":0,"delta":"**One**"})"),
      parse_object(
          R"({"type":"response.reasoning_summary_part.added","output_index":0,"summary_index":1})"),
      parse_object(R"({"type":"response.reasoning_summary_text.delta","output_index":0,
          "summary_index":1,"delta":"**Two**"})"),
      parse_object(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1",
          "type":"reasoning","encrypted_content":"enc",
          "summary":[{"type":"summary_text","text":"**One**"},
                     {"type":"summary_text","text":"**Two**"}]}})"),
      parse_object(R"({"type":"response.completed","response":{}})"),
  };
  const AnthropicEvents events = translate(stream);
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "**One**\n\n**Two**");
  EXPECT_EQ(blocks[0].signature, wrap_reasoning_signature("gpt-5.5", "enc"));
}

TEST(StreamTranslator, ReasoningTextDeltasAreThinkingToo) {
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,
          "item":{"id":"rs_1","type":"reasoning","summary":[]}})"),
      parse_object(R"({"type":"response.reasoning_text.delta","output_index":0,"content_index":0,
          "delta":"raw thought"})"),
      parse_object(R"({"type":"response.output_item.done","output_index":0,
          "item":{"id":"rs_1","type":"reasoning","summary":[]}})"),
      parse_object(R"({"type":"response.completed","response":{}})"),
  };
  const AnthropicEvents events = translate(stream);
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "raw thought");
  EXPECT_EQ(blocks[0].signature, "");  // no encrypted content: no signature_delta
}

// ---------------------------------------------------------------- text

TEST(StreamTranslator, CommentaryAndFinalMessagesAreBothText) {
  const Objects stream = stream_of(kPhase);
  std::vector<std::string> texts;
  for (const json::object& line : stream)
    if (line.at("type") == "response.output_item.done")
      texts.emplace_back(line.at("item").at("content").at(0).at("text").as_string());
  ASSERT_EQ(texts.size(), 2u);

  const AnthropicEvents events = translate(stream);
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].type, "text");
  EXPECT_EQ(blocks[0].text, texts[0]);
  EXPECT_EQ(blocks[1].type, "text");
  EXPECT_EQ(blocks[1].text, texts[1]);
  EXPECT_EQ(stop_reason_of(events), "end_turn");
}

TEST(StreamTranslator, EachTextDeltaIsForwardedAtOnce) {
  const Objects stream = stream_of(kReasoning, 3);  // the final answer: eight text deltas
  StreamTranslator translator(setup());
  int deltas = 0;
  for (const json::object& line : stream) {
    AnthropicEvents out;
    translator.on_event(to_event(line), out);
    if (line.at("type") != "response.output_text.delta") continue;
    ++deltas;
    ASSERT_FALSE(out.empty());
    const AnthropicEvent& last = out.back();
    EXPECT_EQ(last.type, "content_block_delta");
    EXPECT_EQ(last.data.at("delta").at("text"), line.at("delta"));
    EXPECT_EQ(out.size(), deltas == 1 ? 3u : 1u);  // the first also starts message and block
  }
  EXPECT_EQ(deltas, 8);
}

TEST(StreamTranslator, TextWithoutDeltasIsTakenFromTheDoneEvents) {
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,
          "item":{"id":"msg_1","type":"message","role":"assistant","content":[]}})"),
      parse_object(R"({"type":"response.output_text.done","output_index":0,"content_index":0,
          "text":"whole"})"),
      parse_object(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"msg_1",
          "type":"message","role":"assistant",
          "content":[{"type":"output_text","text":"whole"}]}})"),
      parse_object(R"({"type":"response.completed","response":{}})"),
  };
  const AnthropicEvents events = translate(stream);
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "whole");
}

Objects refusal_stream() {
  return {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,
          "item":{"id":"msg_1","type":"message","role":"assistant","content":[]}})"),
      parse_object(R"({"type":"response.content_part.added","output_index":0,"content_index":0,
          "part":{"type":"refusal","refusal":""}})"),
      parse_object(R"({"type":"response.refusal.delta","output_index":0,"content_index":0,
          "delta":"I can't help"})"),
      parse_object(R"({"type":"response.refusal.delta","output_index":0,"content_index":0,
          "delta":" with that."})"),
      parse_object(R"({"type":"response.refusal.done","output_index":0,"content_index":0,
          "refusal":"I can't help with that."})"),
      parse_object(R"({"type":"response.content_part.done","output_index":0,"content_index":0,
          "part":{"type":"refusal","refusal":"I can't help with that."}})"),
      parse_object(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"msg_1",
          "type":"message","role":"assistant","content":[{"type":"refusal",
          "refusal":"I can't help with that."}]}})"),
      parse_object(R"({"type":"response.completed","response":{}})"),
  };
}

TEST(StreamTranslator, ARefusalIsTextAndStopsWithRefusal) {
  const AnthropicEvents events = translate(refusal_stream());
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].type, "text");
  EXPECT_EQ(blocks[0].text, "I can't help with that.");
  EXPECT_EQ(stop_reason_of(events), "refusal");
}

// ---------------------------------------------------------------- endings

Objects with_terminal(Objects stream, const std::string& terminal_json) {
  stream.pop_back();  // response.completed
  stream.push_back(json::parse(terminal_json).as_object());
  return stream;
}

TEST(StreamTranslator, IncompleteForOutputTokensStopsWithMaxTokens) {
  const AnthropicEvents events = translate(with_terminal(stream_of(kPhase), R"({
      "type":"response.incomplete","response":{"status":"incomplete",
      "incomplete_details":{"reason":"max_output_tokens"},
      "usage":{"input_tokens":10,"input_tokens_details":null,"output_tokens":5}}})"));
  ASSERT_TRUE(valid_anthropic_stream(events));
  EXPECT_EQ(stop_reason_of(events), "max_tokens");
  EXPECT_EQ(message_delta_of(events).at("usage"),
            parse_object(R"({"input_tokens":10,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":0,"output_tokens":5})"));
}

// ---------------------------------------------------------------- thinking tokens

TEST(StreamTranslator, ThinkingTokensAreTheUpstreamsReasoningTokensWithinTheOutput) {
  // Claude Code shows usage.output_tokens_details.thinking_tokens of message_delta.
  EXPECT_EQ(message_delta_of(translate(with_usage(R"({"input_tokens":100,"output_tokens":900,
                "output_tokens_details":{"reasoning_tokens":700}})")))
                .at("usage").at("output_tokens_details"),
            parse_object(R"({"thinking_tokens":700})"));
  // A malformed usage never claims more thinking than output.
  EXPECT_EQ(message_delta_of(translate(with_usage(R"({"input_tokens":100,"output_tokens":9,
                "output_tokens_details":{"reasoning_tokens":700}})")))
                .at("usage").at("output_tokens_details").at("thinking_tokens"),
            9);
  // No details from the upstream: no figure made up.
  EXPECT_FALSE(message_delta_of(translate(with_usage(R"({"input_tokens":100,"output_tokens":9,
                   "output_tokens_details":null})")))
                   .at("usage").as_object().contains("output_tokens_details"));
}

TEST(StreamTranslator, ANonStreamedMessageCarriesTheThinkingTokensToo) {
  MessageAccumulator message;
  for (const AnthropicEvent& event : translate(stream_of(kPhase))) message.add(event);
  ASSERT_TRUE(message.complete());
  EXPECT_EQ(message.message().at("usage").at("output_tokens_details"),
            parse_object(R"({"thinking_tokens":64})"));
}

// ---------------------------------------------------------------- the client's max_tokens

std::size_t o200k(std::string_view text) { return TokenCounter::o200k().count(text); }

StreamSetup with_max_tokens(std::int64_t max_tokens) {
  StreamSetup s = setup();
  s.max_tokens = max_tokens;
  return s;
}

// The final answer of the reasoning recording: eight text deltas, then response.completed.
std::string whole_answer() {
  std::string text;
  for (const json::object& line : stream_of(kReasoning, 3))
    if (line.at("type") == "response.output_text.delta") text += std::string(line.at("delta").as_string());
  return text;
}

TEST(StreamTranslator, VisibleTextStopsAtTheClientsMaxTokensWithStopReasonMaxTokens) {
  // The upstream had room to reason above max_tokens; its text may run past it too.
  const std::string whole = whole_answer();
  ASSERT_GT(o200k(whole), 6u);
  const AnthropicEvents events = translate(stream_of(kReasoning, 3), with_max_tokens(5));
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].type, "text");
  EXPECT_FALSE(blocks[0].text.empty());
  EXPECT_TRUE(whole.starts_with(blocks[0].text)) << blocks[0].text;
  EXPECT_LE(o200k(blocks[0].text), 5u);
  EXPECT_LT(blocks[0].text.size(), whole.size());
  EXPECT_EQ(stop_reason_of(events), "max_tokens");
  // The usage is still what the upstream spent.
  EXPECT_EQ(message_delta_of(events).at("usage").at("output_tokens"),
            message_delta_of(translate(stream_of(kReasoning, 3))).at("usage").at("output_tokens"));
}

TEST(StreamTranslator, TextThatFitsTheClientsMaxTokensEndsTheTurnAsUsual) {
  const std::string whole = whole_answer();
  for (std::int64_t max_tokens : {std::int64_t(o200k(whole)) + 10, std::int64_t{0}}) {
    SCOPED_TRACE(max_tokens);
    const AnthropicEvents events = translate(stream_of(kReasoning, 3), with_max_tokens(max_tokens));
    ASSERT_TRUE(valid_anthropic_stream(events));
    EXPECT_EQ(blocks_of(events).at(0).text, whole);
    EXPECT_EQ(stop_reason_of(events), "end_turn");
  }
}

TEST(StreamTranslator, ADeltaIsCutBetweenCodePointsAtTheLimit) {
  const std::string text = "\u00e9t\u00e9 \u00e0 la plage, puis \u00e0 la montagne \u2014 enfin chez nous";
  const std::string decoded = std::string(json::parse("\"" + text + "\"").as_string());
  json::object delta = parse_object(R"({"type":"response.output_text.delta","output_index":0,
      "content_index":0,"delta":""})");
  delta["delta"] = decoded;
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,
          "item":{"id":"msg_1","type":"message","role":"assistant","content":[]}})"),
      delta,
      parse_object(R"({"type":"response.completed","response":{}})"),
  };
  const AnthropicEvents events = translate(stream, with_max_tokens(4));
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::string shown = blocks_of(events).at(0).text;
  EXPECT_TRUE(decoded.starts_with(shown));
  EXPECT_LE(o200k(shown), 4u);
  EXPECT_GE(o200k(shown), 3u);  // as much as fits, not less
  EXPECT_NO_THROW(json::parse(json::serialize(json::value(shown))));
  EXPECT_EQ(stop_reason_of(events), "max_tokens");
}

TEST(StreamTranslator, NothingAfterTheCutIsSentNotEvenAToolCall) {
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":0,
          "item":{"id":"msg_1","type":"message","role":"assistant","content":[]}})"),
      parse_object(R"({"type":"response.output_text.delta","output_index":0,"content_index":0,
          "delta":"I will now write the file for you, as asked."})"),
      parse_object(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"msg_1",
          "type":"message","role":"assistant","content":[{"type":"output_text",
          "text":"I will now write the file for you, as asked."}]}})"),
      parse_object(R"({"type":"response.output_item.added","output_index":1,"item":{"id":"fc_1",
          "type":"function_call","call_id":"call_1","name":"Write","arguments":""}})"),
      parse_object(R"({"type":"response.function_call_arguments.done","output_index":1,
          "arguments":"{\"file_path\":\"/tmp/x\",\"content\":\"x\"}"})"),
      parse_object(R"({"type":"response.completed","response":{}})"),
  };
  const AnthropicEvents events = translate(stream, with_max_tokens(3));
  ASSERT_TRUE(valid_anthropic_stream(events));
  const std::vector<Block> blocks = blocks_of(events);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].type, "text");
  EXPECT_EQ(stop_reason_of(events), "max_tokens");
  // Without the limit the same stream calls the tool.
  EXPECT_EQ(stop_reason_of(translate(stream)), "tool_use");
}

TEST(StreamTranslator, AnUpstreamCutForMaxOutputTokensStillStopsWithMaxTokensUnderALimit) {
  const AnthropicEvents events = translate(with_terminal(stream_of(kPhase), R"({
      "type":"response.incomplete","response":{"status":"incomplete",
      "incomplete_details":{"reason":"max_output_tokens"}}})"), with_max_tokens(100000));
  ASSERT_TRUE(valid_anthropic_stream(events));
  EXPECT_EQ(stop_reason_of(events), "max_tokens");
}

TEST(StreamTranslator, IncompleteForContentFilterStopsWithRefusal) {
  const AnthropicEvents events = translate(with_terminal(stream_of(kPhase), R"({
      "type":"response.incomplete",
      "response":{"incomplete_details":{"reason":"content_filter"}}})"));
  ASSERT_TRUE(valid_anthropic_stream(events));
  EXPECT_EQ(stop_reason_of(events), "refusal");
}

TEST(StreamTranslator, AStreamCutBeforeItsEndIsAnErrorNotAnEndTurn) {
  Objects stream = stream_of(kPhase);
  stream.pop_back();  // the recorded response.completed never arrives
  const AnthropicEvents events = translate(stream);
  ASSERT_TRUE(valid_anthropic_stream(events));
  EXPECT_EQ(events.back().type, "error");
  for (const AnthropicEvent& event : events) EXPECT_NE(event.type, "message_stop");

  StreamTranslator translator(setup());
  AnthropicEvents out;
  for (const json::object& line : stream) translator.on_event(to_event(line), out);
  EXPECT_FALSE(translator.finished());
  translator.on_upstream_end(out);
  EXPECT_TRUE(translator.finished());
  ASSERT_TRUE(translator.error().has_value());
  EXPECT_EQ(translator.error()->status, 502);
  EXPECT_EQ(translator.error()->type, "api_error");
  EXPECT_EQ(out.back().data.at("error").at("message"), translator.error()->message.c_str());
}

TEST(StreamTranslator, AnErrorBeforeAnyOutputLeavesTheStreamUnstarted) {
  // Recorded: response.created, in_progress, then `error` (insufficient_quota) and
  // response.failed.
  StreamTranslator translator(setup());
  AnthropicEvents out;
  for (const json::object& line : stream_of(kError)) translator.on_event(to_event(line), out);
  translator.on_upstream_end(out);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(translator.started());
  EXPECT_TRUE(translator.finished());
  ASSERT_TRUE(translator.error().has_value());
  EXPECT_EQ(translator.error()->status, 402);
  EXPECT_EQ(translator.error()->type, "billing_error");
  EXPECT_NE(translator.error()->message.find("exceeded your current quota"), std::string::npos);
}

TEST(StreamTranslator, AnErrorAfterOutputEndsTheStreamWithOneErrorEvent) {
  Objects stream = stream_of(kPhase);
  stream.resize(6);  // up to the first text deltas
  stream.push_back(parse_object(R"({"type":"error","code":"server_error","message":"boom"})"));
  stream.push_back(parse_object(R"({"type":"response.failed","response":{"error":{
      "code":"rate_limit_exceeded","message":"later"}}})"));
  StreamTranslator translator(setup());
  AnthropicEvents out;
  for (const json::object& line : stream) translator.on_event(to_event(line), out);
  translator.on_upstream_end(out);
  ASSERT_TRUE(valid_anthropic_stream(out));
  EXPECT_TRUE(translator.started());
  EXPECT_EQ(out.back().type, "error");
  EXPECT_EQ(out.back().data,
            parse_object(R"({"type":"error","error":{"type":"api_error","message":"boom"}})"));
  ASSERT_TRUE(translator.error().has_value());
  EXPECT_EQ(translator.error()->status, 500);  // the first failure wins
}

TEST(StreamTranslator, AFailureFromTheIoEdgeTakesTheSamePath) {
  Objects stream = stream_of(kPhase);
  stream.resize(6);
  StreamTranslator translator(setup());
  AnthropicEvents out;
  for (const json::object& line : stream) translator.on_event(to_event(line), out);
  translator.fail(ApiError::with_status(504, "upstream timed out"), out);
  translator.fail(ApiError::with_status(500, "ignored"), out);
  translator.on_upstream_end(out);
  ASSERT_TRUE(valid_anthropic_stream(out));
  EXPECT_EQ(out.back().data.at("error").at("type"), "timeout_error");
  EXPECT_EQ(translator.error()->status, 504);
}

TEST(StreamTranslator, NothingIsSentAfterTheMessageStops) {
  StreamTranslator translator(setup());
  AnthropicEvents out;
  for (const json::object& line : stream_of(kPhase)) translator.on_event(to_event(line), out);
  const std::size_t sent = out.size();
  translator.on_upstream_end(out);
  translator.fail(ApiError::with_status(500, "late"), out);
  translator.on_event(to_event(parse_object(R"({"type":"error","message":"late"})")), out);
  EXPECT_EQ(out.size(), sent);
  EXPECT_FALSE(translator.error().has_value());
  EXPECT_EQ(out.back().type, "message_stop");
}

// ---------------------------------------------------------------- laziness and tolerance

TEST(StreamTranslator, MessageStartWaitsForOutputOrStart) {
  const Objects stream = stream_of(kPhase);
  StreamTranslator translator(setup());
  AnthropicEvents out;
  translator.on_event(to_event(stream[0]), out);  // response.created
  translator.on_event(to_event(stream[1]), out);  // response.in_progress
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(translator.started());
  translator.start(out);
  ASSERT_EQ(types_of(out), std::vector<std::string>{"message_start"});
  EXPECT_TRUE(translator.started());
  translator.start(out);
  for (std::size_t i = 2; i < stream.size(); ++i) translator.on_event(to_event(stream[i]), out);
  EXPECT_TRUE(valid_anthropic_stream(out));
}

TEST(StreamTranslator, AResponseWithNoOutputStillEndsProperly) {
  const Objects stream = {
      parse_object(R"({"type":"response.created","response":{}})"),
      parse_object(R"({"type":"response.completed","response":{"output":[],
          "usage":{"input_tokens":3,"output_tokens":0}}})"),
  };
  const AnthropicEvents events = translate(stream);
  ASSERT_TRUE(valid_anthropic_stream(events));
  EXPECT_EQ(types_of(events),
            (std::vector<std::string>{"message_start", "message_delta", "message_stop"}));
  EXPECT_EQ(stop_reason_of(events), "end_turn");
}

TEST(StreamTranslator, UnknownEventsAndFieldsAreIgnored) {
  const Objects stream = stream_of(kPhase);
  Objects noisy;
  for (json::object line : stream) {
    line["some_future_field"] = parse_object(R"({"nested":[1,2]})");
    noisy.push_back(std::move(line));
    noisy.push_back(parse_object(R"({"type":"response.some_future_event","output_index":0,
        "delta":"not text"})"));
  }
  EXPECT_TRUE(same_events(translate(noisy), translate(stream)));
}

// ---------------------------------------------------------------- real Anthropic shapes

// Events of an Anthropic recording: one JSON a line, or raw SSE.
AnthropicEvents anthropic_recording(const std::string& name) {
  AnthropicEvents events;
  const std::string text = test::read_fixture("anthropic-sse/" + name);
  if (name.starts_with("sdk-")) {
    ResponsesStreamReader reader;
    std::vector<ResponsesEvent> parsed;
    EXPECT_TRUE(reader.feed(text, parsed)) << reader.error();
    for (ResponsesEvent& event : parsed) events.push_back({event.type, std::move(event.data)});
  } else {
    for (json::object& line : test::read_chunks("anthropic-sse/" + name))
      events.push_back({std::string(line.at("type").as_string()), std::move(line)});
  }
  return events;
}

TEST(StreamTranslator, OutputHasTheShapesOfARealAnthropicStream) {
  // Ours, with every block kind: thinking, tool_use (reasoning recording), text (phase).
  AnthropicEvents ours = translate(stream_of(kReasoning, 0));
  for (AnthropicEvent& event : translate(stream_of(kPhase))) ours.push_back(std::move(event));

  std::map<std::string, std::set<std::string>> real_block_keys;
  std::set<std::string> real_message_keys;
  std::set<std::string> real_usage_keys;
  std::set<std::string> real_delta_usage_keys;
  for (const std::string& name : test::list_fixtures("anthropic-sse")) {
    for (const AnthropicEvent& event : anthropic_recording(name)) {
      if (event.type == "message_start") {
        real_message_keys = keys_of(event.data.at("message").as_object());
        for (const auto& key : keys_of(event.data.at("message").at("usage").as_object()))
          real_usage_keys.insert(key);
      } else if (event.type == "content_block_start") {
        const json::object& block = event.data.at("content_block").as_object();
        real_block_keys[std::string(block.at("type").as_string())] = keys_of(block);
      } else if (event.type == "message_delta") {
        for (const auto& key : keys_of(event.data.at("usage").as_object()))
          real_delta_usage_keys.insert(key);
        EXPECT_EQ(keys_of(event.data.at("delta").as_object()),
                  (std::set<std::string>{"stop_reason", "stop_sequence"}));
      }
    }
  }
  ASSERT_FALSE(real_message_keys.empty());
  // Newer than the recordings: the count of thinking tokens (beta thinking-token-count-2026-05-13),
  // MessageDeltaUsage.output_tokens_details in the pinned SDK, which Claude Code reads.
  real_delta_usage_keys.insert("output_tokens_details");
  std::set<std::string> block_kinds;
  for (const AnthropicEvent& event : ours) {
    if (event.type == "message_start") {
      EXPECT_EQ(keys_of(event.data.at("message").as_object()), real_message_keys);
      for (const auto& key : keys_of(event.data.at("message").at("usage").as_object()))
        EXPECT_TRUE(real_usage_keys.contains(key)) << key;
    } else if (event.type == "content_block_start") {
      const json::object& block = event.data.at("content_block").as_object();
      const std::string kind(block.at("type").as_string());
      block_kinds.insert(kind);
      ASSERT_TRUE(real_block_keys.contains(kind)) << kind;
      EXPECT_EQ(keys_of(block), real_block_keys[kind]) << kind;
    } else if (event.type == "message_delta") {
      EXPECT_EQ(keys_of(event.data.at("delta").as_object()),
                (std::set<std::string>{"stop_reason", "stop_sequence"}));
      for (const auto& key : keys_of(event.data.at("usage").as_object()))
        EXPECT_TRUE(real_delta_usage_keys.contains(key)) << key;
    }
    EXPECT_EQ(keys_of(event.data).count("type"), 1u);
  }
  EXPECT_EQ(block_kinds, (std::set<std::string>{"text", "thinking", "tool_use"}));
}

TEST(StreamTranslator, TheValidatorAcceptsRealAnthropicStreams) {
  // The validator itself, checked on the real thing.
  for (std::string name : {"anthropic-clear-thinking.1.chunks.txt", "sdk-basic_response.txt",
                           "sdk-tool_use_response.txt", "anthropic-web-search-tool.1.chunks.txt",
                           "anthropic-web-fetch-tool.1.chunks.txt"}) {
    SCOPED_TRACE(name);
    AnthropicEvents events = anthropic_recording(name);
    // Real usage in message_start/message_delta carries more keys than we send.
    for (AnthropicEvent& event : events) {
      json::object* usage = nullptr;
      if (event.type == "message_start")
        usage = &event.data["message"].as_object()["usage"].as_object();
      if (event.type == "message_delta") usage = &event.data["usage"].as_object();
      if (usage == nullptr) continue;
      json::object trimmed;
      for (const char* key : {"input_tokens", "cache_creation_input_tokens",
                              "cache_read_input_tokens", "output_tokens"})
        trimmed[key] = usage->contains(key) ? usage->at(key) : json::value(0);
      if (usage->contains("server_tool_use")) trimmed["server_tool_use"] = usage->at("server_tool_use");
      *usage = std::move(trimmed);
    }
    EXPECT_TRUE(valid_anthropic_stream(events));
  }
}

}  // namespace
}  // namespace claudegpt
