#include "core/message_accumulator.h"
#include "core/json_depth.h"
#include "core/json_fields.h"

#include <boost/json.hpp>

namespace claudegpt {

namespace {

namespace json = boost::json;

json::object skeleton() {
  json::object message;
  message["id"] = "";
  message["type"] = "message";
  message["role"] = "assistant";
  message["model"] = "";
  message["content"].emplace_array();
  message["stop_reason"] = nullptr;
  message["stop_sequence"] = nullptr;
  message["usage"].emplace_object();
  return message;
}

std::optional<std::size_t> index_of(const json::object& data) {
  const json::value* index = data.if_contains("index");
  if (index == nullptr) return std::nullopt;
  if (index->is_int64() && index->get_int64() >= 0)
    return static_cast<std::size_t>(index->get_int64());
  if (index->is_uint64()) return static_cast<std::size_t>(index->get_uint64());
  return std::nullopt;
}

// Appends `piece` to the string field `key` of `block`.
void append_to(json::object& block, std::string_view key, std::string_view piece) {
  json::value& field = block[key];
  if (!field.is_string()) field = "";
  field.get_string().append(piece);
}

}  // namespace

void MessageAccumulator::add(const AnthropicEvent& event) {
  const json::object& data = event.data;
  if (event.type == "message_start") {
    const json::value* message = data.if_contains("message");
    message_ = skeleton();
    if (message && message->is_object())
      for (const auto& field : message->get_object()) message_[field.key()] = field.value();
    if (!message_["content"].is_array()) message_["content"].emplace_array();
    if (!message_["usage"].is_object()) message_["usage"].emplace_object();
    partial_json_.clear();
    return;
  }
  if (event.type == "error") {
    const json::value* error = data.if_contains("error");
    ApiError captured;
    if (error && error->is_object()) {
      captured.type = std::string(string_field(error->get_object(), "type"));
      captured.message = std::string(string_field(error->get_object(), "message"));
    }
    if (captured.type.empty()) captured.type = "api_error";
    captured.status = status_for_error_type(captured.type);
    error_ = std::move(captured);
    return;
  }
  if (event.type == "message_stop") {
    complete_ = true;
    return;
  }
  if (message_.empty()) message_ = skeleton();
  json::array& content = message_["content"].as_array();

  if (event.type == "content_block_start") {
    std::optional<std::size_t> index = index_of(data);
    const json::value* block = data.if_contains("content_block");
    if (!index || !block || !block->is_object() || *index > content.size() + 1024) return;
    if (content.size() <= *index) content.resize(*index + 1);
    content[*index] = *block;
    if (partial_json_.size() <= *index) partial_json_.resize(*index + 1);
    partial_json_[*index].clear();
  } else if (event.type == "content_block_delta") {
    std::optional<std::size_t> index = index_of(data);
    const json::value* delta_value = data.if_contains("delta");
    if (!index || *index >= content.size() || !content[*index].is_object() || !delta_value ||
        !delta_value->is_object())
      return;
    json::object& block = content[*index].get_object();
    const json::object& delta = delta_value->get_object();
    std::string_view type = string_field(delta, "type");
    if (type == "text_delta") {
      append_to(block, "text", string_field(delta, "text"));
    } else if (type == "thinking_delta") {
      append_to(block, "thinking", string_field(delta, "thinking"));
    } else if (type == "signature_delta") {
      append_to(block, "signature", string_field(delta, "signature"));
    } else if (type == "input_json_delta") {
      if (partial_json_.size() <= *index) partial_json_.resize(*index + 1);
      partial_json_[*index].append(string_field(delta, "partial_json"));
    } else if (type == "citations_delta") {
      json::value& citations = block["citations"];
      if (!citations.is_array()) citations.emplace_array();
      if (const json::value* citation = delta.if_contains("citation"))
        citations.get_array().push_back(*citation);
    }
  } else if (event.type == "message_delta") {
    if (const json::value* delta = data.if_contains("delta"); delta && delta->is_object()) {
      for (std::string_view key : {"stop_reason", "stop_sequence"})
        if (const json::value* value = delta->get_object().if_contains(key)) message_[key] = *value;
      // Auto mode's verdicts: a top-level key of a Message (core/safeguards.h).
      if (const json::value* results = delta->get_object().if_contains("safeguard_results"))
        message_["safeguard_results"] = *results;
    }
    if (const json::value* usage = data.if_contains("usage"); usage && usage->is_object()) {
      json::object& total = message_["usage"].as_object();
      for (const auto& figure : usage->get_object()) total[figure.key()] = figure.value();
    }
  }
  // content_block_stop, ping and unknown events change nothing.
}

json::object MessageAccumulator::message() const {
  json::object message = message_.empty() ? skeleton() : message_;
  json::array& content = message["content"].as_array();
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (!content[i].is_object()) continue;
    json::object& block = content[i].get_object();
    std::string_view type = string_field(block, "type");
    if (type != "tool_use" && type != "server_tool_use") continue;
    if (i >= partial_json_.size() || partial_json_[i].empty()) {
      if (!block["input"].is_object()) block["input"].emplace_object();
      continue;
    }
    boost::system::error_code ec;
    json::value input = json::parse(partial_json_[i], ec, {}, deep_json());
    if (!ec && input.is_object())
      block["input"] = std::move(input);
    else
      block["input"].emplace_object();
  }
  return message;
}

}  // namespace claudegpt
