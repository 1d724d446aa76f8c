// The grammar of an Anthropic Messages stream, as a client (the Anthropic SDK, Claude Code)
// relies on it: message_start first and once; blocks one at a time, indexed 0, 1, 2…, each
// start → deltas of its own kind → stop; a server tool's result right after its
// server_tool_use; then message_delta + message_stop, or one `error` event; nothing after.
// `ping` may come after message_start. Whatever the upstream sends, the proxy's output must
// stay inside it.
#pragma once

#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/anthropic_event.h"
#include "core/json_depth.h"

namespace claudegpt::fuzz {

namespace grammar_detail {

inline const boost::json::value* field(const boost::json::object& object, std::string_view key) {
  return object.if_contains(key);
}
inline const boost::json::object* object_at(const boost::json::object& object,
                                            std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_object() ? &value->get_object() : nullptr;
}
inline bool string_is(const boost::json::object& object, std::string_view key,
                      std::string_view expected) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_string() && value->get_string() == expected;
}
inline std::string string_at(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string("\x01");
}
inline bool index_is(const boost::json::object& object, long long expected) {
  const boost::json::value* value = object.if_contains("index");
  return value && value->is_int64() && value->get_int64() == expected;
}
inline bool empty_object_at(const boost::json::object& object, std::string_view key) {
  const boost::json::object* value = object_at(object, key);
  return value && value->empty();
}

}  // namespace grammar_detail

// Why `events` is not a well-formed stream (at which event), or "" when it is. `complete`:
// the stream must also have ended (message_stop or error).
inline std::string anthropic_stream_violation(const AnthropicEvents& events, bool complete) {
  using namespace grammar_detail;
  namespace json = boost::json;
  bool started = false, message_delta = false, ended = false, signed_block = false;
  long long next_index = 0, open = -1;
  std::string open_type, partial_json, server_tool_id;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const AnthropicEvent& event = events[i];
    const json::object& data = event.data;
    auto fail = [&](const std::string& why) {
      return "event " + std::to_string(i) + " (" + event.type + "): " + why;
    };
    if (ended) return fail("after the end of the stream");
    if (!string_is(data, "type", event.type)) return fail("data.type differs from the event type");
    if (event.type == "message_start") {
      if (started) return fail("second message_start");
      started = true;
      const json::object* message = object_at(data, "message");
      if (!message || !string_is(*message, "type", "message") ||
          !string_is(*message, "role", "assistant"))
        return fail("not an assistant message");
      const json::value* content = field(*message, "content");
      if (!content || !content->is_array() || !content->get_array().empty())
        return fail("content is not []");
      if (!field(*message, "id") || !field(*message, "id")->is_string() ||
          !field(*message, "model") || !field(*message, "model")->is_string())
        return fail("id or model missing");
      if (!object_at(*message, "usage")) return fail("usage missing");
      continue;
    }
    if (!started && event.type != "error") return fail("before message_start");
    if (event.type == "ping") continue;
    if (event.type == "error") {
      const json::object* error = object_at(data, "error");
      if (!error || !field(*error, "type") || !field(*error, "type")->is_string() ||
          !field(*error, "message") || !field(*error, "message")->is_string())
        return fail("error without type and message");
      ended = true;
      continue;
    }
    if (message_delta && event.type != "message_stop") return fail("after message_delta");
    if (event.type == "content_block_start") {
      if (open >= 0) return fail("a block starts while another is open");
      if (!index_is(data, next_index)) return fail("index not consecutive");
      const json::object* block = object_at(data, "content_block");
      if (!block) return fail("no content_block");
      open_type = string_at(*block, "type");
      if (!server_tool_id.empty() && !open_type.ends_with("_tool_result"))
        return fail("server_tool_use without its result");
      if (open_type == "text") {
        if (!string_is(*block, "text", "")) return fail("text block starts non-empty");
      } else if (open_type == "thinking") {
        if (!string_is(*block, "thinking", "") || !string_is(*block, "signature", ""))
          return fail("thinking block starts non-empty");
      } else if (open_type == "tool_use") {
        if (string_at(*block, "id").empty() || string_at(*block, "id") == "\x01" ||
            string_at(*block, "name").empty() || string_at(*block, "name") == "\x01" ||
            !empty_object_at(*block, "input"))
          return fail("tool_use start");
      } else if (open_type == "server_tool_use") {
        const std::string id = string_at(*block, "id");
        if (!id.starts_with("srvtoolu_") ||
            (!string_is(*block, "name", "web_search") && !string_is(*block, "name", "web_fetch")) ||
            !empty_object_at(*block, "input"))
          return fail("server_tool_use start");
        server_tool_id = id;
      } else if (open_type == "web_search_tool_result" || open_type == "web_fetch_tool_result") {
        if (!string_is(*block, "tool_use_id", server_tool_id)) return fail("result of another call");
        const json::value* content = field(*block, "content");
        if (!content || (!content->is_array() && !content->is_object()))
          return fail("result without content");
        server_tool_id.clear();
      } else {
        return fail("unexpected block type " + open_type);
      }
      open = next_index++;
      signed_block = false;
      partial_json.clear();
    } else if (event.type == "content_block_delta") {
      if (open < 0 || !index_is(data, open)) return fail("delta outside its block");
      const json::object* delta = object_at(data, "delta");
      if (!delta) return fail("no delta");
      const std::string type = string_at(*delta, "type");
      if (open_type == "text" && type != "text_delta" && type != "citations_delta")
        return fail(type + " in a text block");
      if (open_type.ends_with("_tool_result")) return fail("delta in a tool result block");
      if (open_type == "thinking") {
        if (type != "thinking_delta" && type != "signature_delta")
          return fail(type + " in a thinking block");
        if (signed_block) return fail("delta after signature_delta");
        signed_block = type == "signature_delta";
      }
      if (open_type == "tool_use" || open_type == "server_tool_use") {
        if (type != "input_json_delta") return fail(type + " in a tool_use block");
        const std::string piece = string_at(*delta, "partial_json");
        if (piece == "\x01") return fail("input_json_delta without partial_json");
        partial_json += piece;
      }
    } else if (event.type == "content_block_stop") {
      if (open < 0 || !index_is(data, open)) return fail("stop of a block not open");
      if (open_type == "tool_use" || open_type == "server_tool_use") {
        boost::system::error_code ec;
        const json::value input = json::parse(partial_json, ec, {}, deep_json());
        if (ec || !input.is_object()) return fail("tool input is not a JSON object");
      }
      open = -1;
    } else if (event.type == "message_delta") {
      if (open >= 0) return fail("message_delta with a block open");
      if (!server_tool_id.empty()) return fail("server_tool_use without its result");
      const json::object* delta = object_at(data, "delta");
      if (!delta) return fail("no delta");
      static const char* const kStopReasons[] = {"end_turn",   "max_tokens", "stop_sequence",
                                                 "tool_use",   "pause_turn", "refusal",
                                                 "model_context_window_exceeded"};
      bool known = false;
      for (const char* reason : kStopReasons) known = known || string_is(*delta, "stop_reason", reason);
      if (!known) return fail("unknown stop_reason");
      const json::object* usage = object_at(data, "usage");
      if (!usage) return fail("no usage");
      const auto is_count = [](const json::value& v) { return v.is_int64() && v.get_int64() >= 0; };
      for (const auto& figure : *usage) {
        if (figure.key() == "server_tool_use") continue;
        if (figure.key() == "output_tokens_details") {  // {thinking_tokens: N}, within output_tokens
          const json::object* details = figure.value().if_object();
          const json::value* thinking = details ? details->if_contains("thinking_tokens") : nullptr;
          const json::value* output = usage->if_contains("output_tokens");
          if (!thinking || !is_count(*thinking) || details->size() != 1 || !output || !is_count(*output) ||
              thinking->get_int64() > output->get_int64())
            return fail("usage.output_tokens_details is not {thinking_tokens: N} within output_tokens");
          continue;
        }
        if (!is_count(figure.value())) return fail("usage." + std::string(figure.key()) + " is not a count");
      }
      message_delta = true;
    } else if (event.type == "message_stop") {
      if (!message_delta) return fail("message_stop without message_delta");
      ended = true;
    } else {
      return fail("unknown event type");
    }
  }
  if (complete && started && !ended) return "the stream has no terminal event";
  return "";
}

}  // namespace claudegpt::fuzz
