#include "core/refused_option.h"

#include <array>

#include <boost/json.hpp>

#include "core/json_fields.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 2> kDroppableIncludes = {"reasoning.encrypted_content",
                                                                "web_search_call.action.sources"};
constexpr std::string_view kEncryptedReasoning = "reasoning.encrypted_content";

// The next effort down that models lacking `effort` may have: xhigh exists only on newer
// models, none only from gpt-5.1 on, minimal not on every one. "" → send none at all.
std::string step_down(std::string_view effort) {
  if (effort == "xhigh") return "high";
  if (effort == "none") return "minimal";
  if (effort == "minimal") return "low";
  return "";
}

// The include value an error about `include` (or `include[N]`) means.
std::string refused_include(std::string_view param, std::string_view message, const json::object& sent) {
  const json::value* include = sent.if_contains("include");
  if (!include || !include->is_array()) return "";
  const json::array& values = include->get_array();
  if (param.size() > 9 && param.starts_with("include[") && param.back() == ']') {
    std::size_t index = 0;
    for (char c : param.substr(8, param.size() - 9)) {
      if (c < '0' || c > '9') return "";
      index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    if (index < values.size() && values[index].is_string()) return std::string(values[index].get_string());
    return "";
  }
  for (const json::value& value : values)
    if (value.is_string() && message.find(value.get_string()) != std::string_view::npos)
      return std::string(value.get_string());
  // A non-reasoning model: "Encrypted content is not supported with this model."
  if (message.find("ncrypted content") != std::string_view::npos) return std::string(kEncryptedReasoning);
  return "";
}

bool droppable_include(std::string_view value) {
  for (std::string_view known : kDroppableIncludes)
    if (value == known) return true;
  return false;
}

bool remove_include(json::object& body, std::string_view value) {
  json::value* include = body.if_contains("include");
  if (!include || !include->is_array()) return false;
  json::array& values = include->get_array();
  bool removed = false;
  for (auto it = values.begin(); it != values.end();) {
    if (it->is_string() && it->get_string() == value) {
      it = values.erase(it);
      removed = true;
    } else {
      ++it;
    }
  }
  if (values.empty()) body.erase("include");
  return removed;
}

}  // namespace

std::string RefusedOption::describe() const {
  std::string text = param;
  if (!refused_value.empty()) text += "=" + refused_value;
  if (param == "reasoning.effort") text += "\u2192" + (replacement.empty() ? std::string("(none)") : replacement);
  return text;
}

std::optional<RefusedOption> refused_option(std::string_view body, const json::object& sent) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const json::object& top = parsed.get_object();
  std::string param;
  std::string message;
  if (const json::object* error = object_field(top, "error")) {
    message = string_field(*error, "message");
    const std::string_view code = string_field(*error, "code");
    const bool says_unsupported = message.find("not supported") != std::string::npos;
    if (code == "unsupported_parameter" || code == "unsupported_value" || code == "invalid_value" ||
        (code.empty() && says_unsupported))  // "Encrypted content is not supported with this model."
      param = string_field(*error, "param");
  } else if (std::string_view detail = string_field(top, "detail"); !detail.empty()) {
    // The Codex backend: {"detail":"Unsupported parameter: max_tool_calls"}.
    constexpr std::string_view kPrefix = "Unsupported parameter: ";
    if (detail.starts_with(kPrefix)) param = detail.substr(kPrefix.size());
    message = detail;
  }
  // An unverified organisation: the words are what identify it (its param says the same).
  if (message.find("verified to generate reasoning summaries") != std::string::npos)
    param = "reasoning.summary";
  if (param.empty()) return std::nullopt;

  const json::object* reasoning = object_field(sent, "reasoning");
  RefusedOption refusal;
  if (param == "reasoning.summary") {
    if (!reasoning || !reasoning->contains("summary")) return std::nullopt;
    refusal.param = param;
  } else if (param == "reasoning.effort") {
    if (!reasoning || string_field(*reasoning, "effort").empty()) return std::nullopt;
    refusal.param = param;
    refusal.refused_value = string_field(*reasoning, "effort");
    refusal.replacement = step_down(refusal.refused_value);
  } else if (param == "reasoning") {
    if (!reasoning) return std::nullopt;
    refusal.param = param;
  } else if (param == "include" || param.starts_with("include[")) {
    std::string value = refused_include(param, message, sent);
    if (!droppable_include(value)) return std::nullopt;
    refusal.param = "include";
    refusal.refused_value = std::move(value);
  } else if (param == "max_tool_calls" || param == "prompt_cache_retention") {
    if (!sent.contains(param)) return std::nullopt;
    refusal.param = param;
  } else if (param == "text.verbosity") {
    const json::object* text = object_field(sent, "text");
    if (!text || !text->contains("verbosity")) return std::nullopt;
    refusal.param = param;
  } else {
    return std::nullopt;  // not ours to drop: the input, tools, instructions, the model…
  }
  return refusal;
}

bool apply_refusal(const RefusedOption& refusal, json::object& body) {
  json::object* reasoning = object_field(body, "reasoning");
  if (refusal.param == "reasoning.summary") return reasoning && reasoning->erase("summary") > 0;
  if (refusal.param == "reasoning.effort") {
    if (!reasoning || string_field(*reasoning, "effort") != refusal.refused_value) return false;
    if (refusal.replacement.empty()) reasoning->erase("effort");
    else (*reasoning)["effort"] = refusal.replacement;
    return true;
  }
  if (refusal.param == "reasoning") {
    bool changed = body.erase("reasoning") > 0;
    return remove_include(body, kEncryptedReasoning) || changed;
  }
  if (refusal.param == "include") return remove_include(body, refusal.refused_value);
  if (refusal.param == "text.verbosity") {
    json::object* text = object_field(body, "text");
    return text && text->erase("verbosity") > 0;
  }
  if (refusal.param == "max_tool_calls" || refusal.param == "prompt_cache_retention")
    return body.erase(refusal.param) > 0;
  return false;
}

bool apply_refusals(const std::vector<RefusedOption>& refusals, json::object& body) {
  bool changed = false;
  // An effort stepped down twice (xhigh → high, then high refused too) takes two passes.
  for (bool again = true; again;) {
    again = false;
    for (const RefusedOption& refusal : refusals)
      if (apply_refusal(refusal, body)) again = changed = true;
  }
  return changed;
}

}  // namespace claudegpt
