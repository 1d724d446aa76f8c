// Field by field (Anthropic Messages → OpenAI Responses):
//
//   model            → options.upstream_model (the client's name is not sent)
//   system           → instructions: text blocks joined by a blank line, without the
//                      per-request billing line, identity sentences rewritten
//   tools            → tools: functions (strict:false) in client order; web_search_* → the
//                      hosted web_search tool when the backend has it (allowed/blocked domains
//                      → filters, user_location; max_uses → max_tool_calls; its sources are
//                      included), else left out and the instructions say search is unavailable;
//                      other server tools, the DeferredToolPlaceholder and filtered tools
//                      (block_mcp, drop_tools; also struck from the deferred-tools list) are
//                      left out
//   messages         → input items, in order:
//     role system      → message{role:developer} (identity sentences rewritten)
//     text             → input_text (user) / output_text (assistant) parts of a message; our
//                        own citations give back the link markdown they hold (translate_text)
//     image            → input_image (data URL or url); document → input_file / input_text
//     tool_use         → function_call{call_id, name, arguments}
//     tool_result      → function_call_output{call_id, output}; is_error → "Error: " prefix;
//                        tool_reference → "Tool loaded: <name>"
//     thinking         → reasoning{summary, encrypted_content} when the signature is ours
//     server_tool_use web_fetch / web_search (the proxy's own) and their results →
//                        function_call (WebFetch / web_search) + function_call_output
//     other server_tool_use, *_tool_result (a session that began on Claude) → plain text
//     calls without results and results without calls → made valid (translate_tool_use)
//   tool_choice      → tool_choice (auto/required/none/function); disable_parallel_tool_use
//                      → parallel_tool_calls:false
//   output_config.effort, thinking → reasoning.effort (summary always "auto"); thinking
//                      disabled → the model's lowest effort (none, else minimal)
//   output_config.format (json_schema) → text.format
//   max_tokens       → max_output_tokens: at least 16, plus room to reason (by effort,
//                      within the model's output limit); the client's own figure is
//                      TranslatedRequest::visible_max_tokens. 0 → InvalidRequest
//   stream           → TranslatedRequest::client_wants_stream; upstream always streams
//   anything else    → not sent, named in `dropped`
//
// Item ids are never sent: with store:false the backend cannot resolve them (404).
#include "core/request_translator.h"
#include "core/json_fields.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <boost/json.hpp>

#include "core/identity_rewrite.h"
#include "core/json_text.h"
#include "core/known_models.h"
#include "core/reasoning_signature.h"
#include "core/token_counter.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

constexpr std::string_view kBillingPrefix = "x-anthropic-billing-header:";
constexpr std::int64_t kMinOutputTokens = 16;
constexpr std::int64_t kUnknownModelOutputLimit = 32'768;
// `max_tokens: 0` asks for a review without a generation (Claude Code's subagent review,
// ../shared/docs/claude-code-auto-mode.md §4.2, §4.3). A server without it answers 400 naming
// the review betas as unknown, which the client reads as "not served" and stops asking for an
// hour; any other answer would be a real generation or a failure it retries.
constexpr std::string_view kNoGenerationRefusal =
    "max_tokens: 0 (a review without a generation) is not supported here: Unexpected value(s) "
    "`subagent-review-2026-11-17`, `evaluate-safeguards-2026-11-21-grffcm` for the "
    "`anthropic-beta` header";
// Claude Code's prose list of tools it has not loaded yet: this line, then one name a line,
// then a blank line.
constexpr std::string_view kDeferredToolsHeader = "The following deferred tools";
constexpr std::string_view kNoWebSearch =
    "Web search is not available in this session: when a task needs it, say that you cannot "
    "search the web rather than answering as if you had searched.";
constexpr std::string_view kInterrupted =
    "Error: this tool call was interrupted; it has no result.";

// The first line of Claude Code's system prompt changes with every request (version hash):
// sent upstream it would break prompt caching at byte 0, and it is not an instruction.
std::string_view without_billing_line(std::string_view text) {
  if (!text.starts_with(kBillingPrefix)) return text;
  std::size_t newline = text.find('\n');
  return newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
}

// Room to reason above the client's max_tokens, by effort: a floor (what a short answer's
// reasoning takes at that effort) plus a share of max_tokens (longer answers come with longer
// reasoning). `none` reasons not at all, but a model that refuses it steps down to minimal.
// The room is a ceiling, not a cost: only tokens the model writes are billed.
std::int64_t reasoning_headroom(std::string_view effort, std::int64_t max_tokens) {
  if (effort == "none") return 1'024;
  if (effort == "minimal") return 2'048;
  if (effort == "low") return 8'192 + max_tokens / 4;
  if (effort == "high") return 32'768 + max_tokens / 2;
  if (effort == "xhigh") return 65'536 + max_tokens / 2;
  return 25'000 + max_tokens / 4;  // medium, and the upstream's default (medium) when unset
}

std::optional<double> number_of(const json::value* value) {
  if (!value) return std::nullopt;
  switch (value->kind()) {
    case json::kind::int64: return static_cast<double>(value->get_int64());
    case json::kind::uint64: return static_cast<double>(value->get_uint64());
    case json::kind::double_: return value->get_double();
    default: return std::nullopt;
  }
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r";
  std::size_t first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

std::int64_t o200k_tokens(std::string_view text) {
  return static_cast<std::int64_t>(TokenCounter::o200k().count(text));
}

json::object text_part(const json::storage_ptr& sp, std::string_view part_type,
                       std::string_view text) {
  json::object part(sp);
  part.reserve(2);
  part.emplace("type", part_type);
  part.emplace("text", text);
  return part;
}

json::string data_url(const json::storage_ptr& sp, std::string_view media_type,
                      std::string_view base64) {
  json::string url(sp);
  url.reserve(5 + media_type.size() + 8 + base64.size());
  url.append("data:").append(media_type).append(";base64,").append(base64);
  return url;
}

// A place in the request ("messages.3.content.1"), spelled out only for an error message:
// building the string for every block would cost more than translating the block.
struct Where {
  std::string_view field;
  std::size_t index = std::string_view::npos;
  std::size_t block = std::string_view::npos;
  std::size_t item = std::string_view::npos;

  Where with_block(std::size_t b) const { return {field, index, b, item}; }
  Where with_item(std::size_t i) const { return {field, index, block, i}; }

  std::string operator+(std::string_view problem) const {
    constexpr std::size_t none = std::string_view::npos;
    std::string text(field);
    if (index != none) text.append(".").append(std::to_string(index));
    if (block != none) text.append(".content.").append(std::to_string(block));
    if (item != none) text.append(".content.").append(std::to_string(item));
    return text.append(problem);
  }
};

enum class Role { user, assistant };

class Translator {
 public:
  Translator(const json::object& request, const RequestOptions& options, TranslatedRequest& out)
      : request_(request),
        options_(options),
        out_(out),
        sp_(out.body.storage()),
        input_(sp_),
        parts_(sp_) {
    if (options.rewrite_identity)
      statement_ = identity_statement(options.upstream_model, options.cutoff);
  }

  void run() {
    const json::value* messages = request_.if_contains("messages");
    if (!messages) throw InvalidRequest("messages: field required");
    if (!messages->is_array()) throw InvalidRequest("messages: must be an array");

    std::string instructions = translate_system();
    json::array tools = translate_tools();
    if (web_search_unavailable_) {
      if (!instructions.empty()) instructions.append("\n\n");
      instructions.append(kNoWebSearch);
    }
    json::array input = translate_messages(messages->get_array());

    json::object& body = out_.body;
    body.reserve(13);
    std::string_view client_model = string_field(request_, "model");
    body.emplace("model", options_.upstream_model.empty()
                              ? client_model
                              : std::string_view(options_.upstream_model));
    if (!instructions.empty()) body.emplace("instructions", std::move(instructions));
    bool has_tools = !tools.empty();
    if (has_tools) body.emplace("tools", std::move(tools));
    body.emplace("input", std::move(input));
    translate_tool_choice(has_tools);
    if (max_tool_calls_) body.emplace("max_tool_calls", *max_tool_calls_);
    translate_reasoning();
    translate_output_format();
    translate_max_tokens();
    json::array include(sp_);
    include.emplace_back("reasoning.encrypted_content");
    // The pages a search consulted, to give Claude Code its search results and citations.
    if (hosted_web_search_) include.emplace_back("web_search_call.action.sources");
    body.emplace("include", std::move(include));
    body.emplace("store", false);
    body.emplace("stream", true);
    translate_prompt_cache_key();

    if (const json::value* stream = request_.if_contains("stream"); stream && stream->is_bool())
      out_.client_wants_stream = stream->get_bool();
    note_unused_top_level_fields();
    out_.filtered_tool_tokens = filtered_tokens_;
  }

 private:
  // ---- bookkeeping

  void drop(std::string name) {
    if (std::find(out_.dropped.begin(), out_.dropped.end(), name) == out_.dropped.end())
      out_.dropped.push_back(std::move(name));
  }

  void note_unused_top_level_fields() {
    static constexpr std::string_view kTranslated[] = {"model",    "messages",      "system",
                                                       "tools",    "tool_choice",   "max_tokens",
                                                       "thinking", "output_config", "stream"};
    for (const auto& entry : request_) {
      std::string_view key = entry.key();
      if (std::find(std::begin(kTranslated), std::end(kTranslated), key) == std::end(kTranslated))
        drop(std::string(key));
    }
  }

  std::string rewritten(std::string_view text) const {
    return options_.rewrite_identity ? rewrite_identity(text, statement_) : std::string(text);
  }

  // ---- system → instructions

  std::string translate_system() {
    const json::value* system = request_.if_contains("system");
    if (!system || system->is_null()) return {};
    std::string buffer;
    if (system->is_string())
      return rewritten(without_filtered_tool_lines(without_billing_line(system->get_string()),
                                                   buffer));
    if (!system->is_array()) throw InvalidRequest("system: must be a string or an array of blocks");
    std::string instructions;
    std::size_t index = 0;
    for (const json::value& block_value : system->get_array()) {
      Where where{"system", index++};
      const json::object& block = block_object(block_value, where);
      std::string_view type = block_type(block, where);
      if (type != "text") {
        drop("system." + std::string(type));
        continue;
      }
      std::string_view text =
          without_filtered_tool_lines(without_billing_line(block_text(block, where)), buffer);
      if (text.empty()) continue;
      if (!instructions.empty()) instructions.append("\n\n");
      instructions.append(rewritten(text));
    }
    return instructions;
  }

  // ---- tools

  // Claude Code 2.1.330 lists this to keep deferred loading active; it says "never call this
  // tool". Matched by name only: real deferred tools can have no parameters (TaskList).
  static bool is_deferred_placeholder(std::string_view name) { return name == "DeferredToolPlaceholder"; }

  // A tool the user does not want sent (settings: block MCP tools, a list of names).
  bool filtered(std::string_view name) const {
    if (options_.block_mcp && name.starts_with("mcp__")) return true;
    return std::find(options_.drop_tools.begin(), options_.drop_tools.end(), name) !=
           options_.drop_tools.end();
  }

  // `text` without the lines of Claude Code's deferred-tools list that name a filtered tool
  // (else the model would load it with ToolSearch and call it anyway). A view of `text`
  // itself when nothing is removed, else of `buffer`. Other prose is left alone.
  std::string_view without_filtered_tool_lines(std::string_view text, std::string& buffer) {
    if (!options_.block_mcp && options_.drop_tools.empty()) return text;
    if (text.find(kDeferredToolsHeader) == std::string_view::npos) return text;
    std::string kept;
    std::size_t copied = 0;  // text[0, copied) is decided: in `kept`, or removed
    bool in_list = false;
    for (std::size_t start = 0; start < text.size();) {
      std::size_t newline = text.find('\n', start);
      std::size_t end = newline == std::string_view::npos ? text.size() : newline;
      std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
      std::string_view line = text.substr(start, end - start);
      std::string_view name = trimmed(line);
      if (!in_list) {
        in_list = line.find(kDeferredToolsHeader) != std::string_view::npos;
      } else if (name.empty()) {
        in_list = false;
      } else if (filtered(name)) {
        kept.append(text.substr(copied, start - copied));
        // The last line of the text has no newline of its own: take the one before it.
        if (newline == std::string_view::npos && kept.ends_with('\n')) kept.pop_back();
        filtered_tokens_ += o200k_tokens(text.substr(start, next - start));
        copied = next;
      }
      start = next;
    }
    if (copied == 0) return text;
    kept.append(text.substr(copied));
    buffer = std::move(kept);
    return buffer;
  }

  json::array translate_tools() {
    json::array tools(sp_);
    const json::value* client_tools = request_.if_contains("tools");
    if (!client_tools || client_tools->is_null()) return tools;
    if (!client_tools->is_array()) throw InvalidRequest("tools: must be an array");
    tools.reserve(client_tools->get_array().size());
    std::size_t index = 0;
    for (const json::value& tool_value : client_tools->get_array()) {
      Where where{"tools", index++};
      if (!tool_value.is_object()) throw InvalidRequest(where + ": must be an object");
      const json::object& tool = tool_value.get_object();
      std::string_view type = string_field(tool, "type");
      if (type.starts_with("web_search_")) {
        translate_web_search_tool(tool, type, tools);
        continue;
      }
      if (!type.empty() && type != "custom") {
        // Server tools run at Anthropic; they are not functions the model may call here.
        drop("tools." + std::string(type));
        continue;
      }
      const json::value* name_value = tool.if_contains("name");
      if (!name_value || !name_value->is_string() || name_value->get_string().empty())
        throw InvalidRequest(where + ".name: must be a non-empty string");
      std::string_view name = name_value->get_string();
      const json::value* schema_value = tool.if_contains("input_schema");
      if (schema_value && !schema_value->is_object() && !schema_value->is_null())
        throw InvalidRequest(where + ".input_schema: must be an object");
      const json::object* schema =
          schema_value && schema_value->is_object() ? &schema_value->get_object() : nullptr;
      if (is_deferred_placeholder(name)) {
        drop("tools." + std::string(name));
        continue;
      }
      if (filtered(name)) {
        // Not in the catalog: a call in the history maps back through add_name.
        filtered_tokens_ += o200k_tokens(json::serialize(
            function_tool(tool, upstream_tool_name(name), schema, json::storage_ptr())));
        drop("tools." + std::string(name));
        continue;
      }
      std::string upstream = out_.tools.add(name, schema ? *schema : json::object());
      tools.emplace_back(function_tool(tool, std::move(upstream), schema, sp_));
    }
    return tools;
  }

  static json::object function_tool(const json::object& tool, std::string upstream_name,
                                     const json::object* schema, const json::storage_ptr& sp) {
    json::object function(sp);
    function.reserve(5);
    function.emplace("type", "function");
    function.emplace("name", std::move(upstream_name));
    if (const json::value* description = tool.if_contains("description");
        description && description->is_string())
      function.emplace("description", description->get_string());
    function.emplace("parameters", parameters_of(schema, sp));
    function.emplace("strict", false);
    return function;
  }

  // Anthropic's web search server tool → the backend's hosted web_search, at the same place
  // among the tools. Without one the model must know it cannot search (see run()).
  void translate_web_search_tool(const json::object& tool, std::string_view type,
                                 json::array& tools) {
    if (!options_.web_search || hosted_web_search_) {
      web_search_unavailable_ = !options_.web_search;
      drop("tools." + std::string(type));
      return;
    }
    json::object hosted(sp_);
    hosted.reserve(3);
    hosted.emplace("type", "web_search");
    json::object filters(sp_);
    for (std::string_view key : {"allowed_domains", "blocked_domains"})
      if (const json::value* domains = tool.if_contains(key); domains && domains->is_array())
        filters.emplace(key, json::value(*domains, sp_));
    if (!filters.empty()) hosted.emplace("filters", std::move(filters));
    if (const json::object* location = object_field(tool, "user_location")) {
      json::object approximate(sp_);
      approximate.reserve(5);
      approximate.emplace("type", "approximate");
      for (std::string_view key : {"city", "region", "country", "timezone"})
        if (const json::value* value = location->if_contains(key); value && value->is_string())
          approximate.emplace(key, value->get_string());
      hosted.emplace("user_location", std::move(approximate));
    }
    if (std::optional<double> uses = number_of(tool.if_contains("max_uses")); uses && *uses >= 1)
      max_tool_calls_ = *uses >= 1e15 ? std::int64_t(1e15) : static_cast<std::int64_t>(*uses);
    hosted_web_search_ = true;
    tools.emplace_back(std::move(hosted));
  }

  // The upstream wants an object schema; Claude Code's always is one, others may omit `type`.
  static json::value parameters_of(const json::object* schema, const json::storage_ptr& sp) {
    if (schema && schema->contains("type")) return json::value(*schema, sp);
    json::object parameters(sp);
    parameters.reserve(schema ? schema->size() + 2 : 2);
    parameters.emplace("type", "object");
    if (schema)
      for (const auto& entry : *schema) parameters.emplace(entry.key(), entry.value());
    if (!parameters.contains("properties")) parameters.emplace("properties", json::object());
    return parameters;
  }

  // ---- tool_choice

  void translate_tool_choice(bool has_tools) {
    const json::value* choice_value = request_.if_contains("tool_choice");
    if (!choice_value || choice_value->is_null()) return;
    if (!choice_value->is_object()) {
      drop("tool_choice");
      return;
    }
    const json::object& choice = choice_value->get_object();
    std::string_view type = string_field(choice, "type");
    json::value mapped(sp_);
    if (type == "auto") {
      mapped = "auto";
    } else if (type == "any") {
      mapped = "required";
    } else if (type == "none") {
      mapped = "none";
    } else if (type == "tool") {
      std::string_view name = string_field(choice, "name");
      std::string upstream = upstream_tool_name(name);
      if (name == "web_search" && hosted_web_search_ && !offers_function(upstream)) {
        // Hosted tools are not all accepted by name in tool_choice; "required" forces a tool
        // call, and that tool is the search whenever it is the only one (Claude Code's case).
        mapped = "required";
      } else if (!name.empty() && offers_function(upstream)) {
        json::object function(sp_);
        function.emplace("type", "function");
        function.emplace("name", std::move(upstream));
        mapped = std::move(function);
      }
    }
    // Without functions a tool_choice is meaningless upstream (and an error for "required").
    if (mapped.is_null() || !has_tools) {
      drop("tool_choice");
      return;
    }
    out_.body.emplace("tool_choice", std::move(mapped));
    if (const json::value* serial = choice.if_contains("disable_parallel_tool_use");
        serial && serial->is_bool() && serial->get_bool())
      out_.body.emplace("parallel_tool_calls", false);
  }

  bool offers_function(std::string_view upstream_name) const {
    const json::value* tools = out_.body.if_contains("tools");
    if (!tools) return false;
    for (const json::value& tool : tools->get_array())
      if (string_field(tool.get_object(), "type") == "function" &&
          string_field(tool.get_object(), "name") == upstream_name)
        return true;
    return false;
  }

  // ---- reasoning, output format, token limit

  // The session a request belongs to: Claude Code's session id (header, passed in), else
  // the session_id inside metadata.user_id, a JSON-encoded string.
  void translate_prompt_cache_key() {
    std::string key = options_.prompt_cache_key;
    if (key.empty()) {
      const json::object* metadata = object_field(request_, "metadata");
      std::string_view user_id = metadata ? string_field(*metadata, "user_id") : std::string_view();
      boost::system::error_code ec;
      json::value parsed = user_id.starts_with("{") ? json::parse(user_id, ec) : json::value();
      if (!ec && parsed.is_object()) key = string_field(parsed.get_object(), "session_id");
    }
    if (!key.empty()) out_.body.emplace("prompt_cache_key", key);
  }

  // The turn answers tool calls: the last client turn holds tool results (Claude Code often
  // puts text after them in the same message, e.g. reminders, which become messages here).
  bool continues_tool_loop() const {
    const json::array& input = out_.body.at("input").get_array();
    for (auto item = input.rbegin(); item != input.rend(); ++item) {
      const json::object& object = item->get_object();
      std::string_view type = string_field(object, "type");
      if (type == "function_call_output") return true;
      std::string_view role = string_field(object, "role");
      if (type != "message" || (role != "user" && role != "developer")) return false;
    }
    return false;
  }

  void translate_reasoning() {
    std::optional<std::string_view> effort;
    const json::object* config = object_field(request_, "output_config");
    if (config) {
      if (const json::value* value = config->if_contains("effort"); value) {
        std::string_view requested =
            value->is_string() ? std::string_view(value->get_string()) : std::string_view();
        if (requested == "low" || requested == "medium" || requested == "high" ||
            requested == "xhigh")
          effort = requested;
        else if (requested == "max")
          effort = "xhigh";
        else
          drop("output_config.effort");
      }
    }
    bool thinking_disabled = false;
    std::string lowest;  // outlives `effort`, which may view it
    if (const json::object* thinking = object_field(request_, "thinking")) {
      thinking_disabled = string_field(*thinking, "type") == "disabled";
      std::optional<double> budget = number_of(thinking->if_contains("budget_tokens"));
      if (budget && string_field(*thinking, "type") == "enabled" && !effort) {
        effort = *budget <= 4096 ? "low" : *budget <= 12288 ? "medium" : "high";
      } else if (thinking->contains("budget_tokens")) {
        drop("thinking.budget_tokens");
      }
      // display (summarized, omitted, 2.1.332's "updates") has no upstream meaning: the
      // summary is always asked for and shown as it streams.
      for (const auto& entry : *thinking)
        if (entry.key() != "type" && entry.key() != "budget_tokens")
          drop("thinking." + std::string(entry.key()));
    }
    if (effort) out_.effort_reason = "asked for by the client";
    if (!options_.forced_effort.empty()) {
      // The user's one effort for every request wins, side requests included: a user who
      // forces `high` wants it for Claude Code's safety classifier too, and the reasoning
      // headroom in max_output_tokens keeps its short answers whole.
      effort = options_.forced_effort;
      out_.effort_reason = thinking_disabled ? "CLAUDEGPT_EFFORT (over the client's disabled thinking)"
                                             : "CLAUDEGPT_EFFORT";
    } else if (thinking_disabled) {
      // No thinking wanted (Claude Code's classifier, max_tokens 64): on GPT-5.x reasoning
      // would spend the answer's budget, so as little as the model allows.
      lowest = lowest_effort(upstream_model());
      effort = lowest;
      out_.effort_reason = "the client disabled thinking: the lowest effort of " +
                           std::string(upstream_model());
    } else if (!options_.tools_turn_effort.empty() && continues_tool_loop()) {
      effort = options_.tools_turn_effort;
      out_.effort_reason = "the turn continues a tool loop";
    } else if (!effort && !options_.default_effort.empty()) {
      effort = options_.default_effort;
      out_.effort_reason = "the tier's default";
    }

    json::object reasoning(sp_);
    if (effort) reasoning.emplace("effort", *effort);
    reasoning.emplace("summary", "auto");
    out_.body.emplace("reasoning", std::move(reasoning));
  }

  void translate_output_format() {
    const json::object* config = object_field(request_, "output_config");
    if (!config) {
      if (request_.contains("output_config") && !request_.at("output_config").is_null())
        drop("output_config");
      return;
    }
    for (const auto& entry : *config) {
      if (entry.key() == "effort") continue;
      if (entry.key() != "format") {
        drop("output_config." + std::string(entry.key()));
        continue;
      }
      const json::object* format =
          entry.value().is_object() ? &entry.value().get_object() : nullptr;
      const json::object* schema = format ? object_field(*format, "schema") : nullptr;
      if (!schema || string_field(*format, "type") != "json_schema") {
        drop("output_config.format");
        continue;
      }
      json::object text_format(sp_);
      text_format.reserve(4);
      text_format.emplace("type", "json_schema");
      text_format.emplace("name", "output");
      text_format.emplace("schema", *schema);
      text_format.emplace("strict", false);
      json::object text(sp_);
      text.emplace("format", std::move(text_format));
      out_.body.emplace("text", std::move(text));
    }
  }

  std::string_view upstream_model() const {
    return options_.upstream_model.empty() ? string_field(request_, "model")
                                           : std::string_view(options_.upstream_model);
  }

  void translate_max_tokens() {
    const json::value* value = request_.if_contains("max_tokens");
    if (!value || value->is_null()) return;  // count_tokens bodies have none
    std::optional<double> max_tokens = number_of(value);
    if (!max_tokens) throw InvalidRequest("max_tokens: must be a number");
    if (*max_tokens == 0) throw InvalidRequest(std::string(kNoGenerationRefusal));
    // Bounded as a double first: casting one outside int64 range (-1e300) is undefined.
    std::int64_t limit = *max_tokens >= 1e15 ? std::int64_t(1e15)
                         : *max_tokens < 1   ? kMinOutputTokens
                                             : static_cast<std::int64_t>(*max_tokens);
    const std::int64_t upstream_limit = with_reasoning_headroom(std::max(limit, kMinOutputTokens));
    out_.body.emplace("max_output_tokens", upstream_limit);
    if (upstream_limit > limit) out_.visible_max_tokens = limit;
  }

  // GPT-5.x counts reasoning tokens against max_output_tokens (OpenAI's reasoning guide,
  // platform.openai.com/docs/guides/reasoning, "Allocating space for reasoning": a response
  // that spends it on reasoning ends incomplete, possibly with no visible text), where
  // Claude's max_tokens is what the client wants to read. So the upstream gets room to reason
  // above it, by effort; the stream translator still cuts the visible output at max_tokens.
  // The guide suggests reserving 25,000 tokens when starting out: medium's floor. The sum stays
  // within the model's output limit (a larger one is a 400), or 32,768 for a model not
  // known (the smallest limit of OpenAI's reasoning models, o1-preview's), and never below
  // the client's own figure.
  std::int64_t with_reasoning_headroom(std::int64_t max_tokens) const {
    if (known_not_to_reason(upstream_model())) return max_tokens;
    const json::object* reasoning = object_field(out_.body, "reasoning");
    const std::string_view effort = reasoning ? string_field(*reasoning, "effort") : "";
    const std::int64_t headroom = reasoning_headroom(effort, max_tokens);
    std::int64_t ceiling = output_token_limit(upstream_model());
    if (ceiling == 0) ceiling = kUnknownModelOutputLimit;
    return std::max(max_tokens, std::min(max_tokens + headroom, ceiling));
  }

  // ---- messages → input

  static const json::object& block_object(const json::value& value, const Where& where) {
    if (!value.is_object()) throw InvalidRequest(where + ": content blocks must be objects");
    return value.get_object();
  }

  static std::string_view block_type(const json::object& block, const Where& where) {
    const json::value* type = block.if_contains("type");
    if (!type || !type->is_string())
      throw InvalidRequest(where + ": content block without a string `type`");
    return type->get_string();
  }

  static std::string_view block_text(const json::object& block, const Where& where) {
    const json::value* text = block.if_contains("text");
    if (!text || !text->is_string())
      throw InvalidRequest(where + ": text block without a string `text`");
    return text->get_string();
  }

  // Where each tool_result stands (the last message that answers each call id), so a call
  // knows whether an answer follows it. Views into the request: no copies.
  void index_tool_results(const json::array& messages) {
    last_result_message_.reserve(messages.size());
    called_.reserve(messages.size());
    answered_.reserve(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const json::value& message = messages[i];
      if (!message.is_object()) continue;  // reported by the main pass
      const json::value* content = message.get_object().if_contains("content");
      if (!content || !content->is_array()) continue;
      for (const json::value& block : content->get_array()) {
        if (!block.is_object()) continue;
        const json::object& object = block.get_object();
        if (string_field(object, "type") != "tool_result") continue;
        std::string_view id = string_field(object, "tool_use_id");
        if (!id.empty()) last_result_message_[id] = i;
      }
    }
  }

  json::array translate_messages(const json::array& messages) {
    index_tool_results(messages);
    input_.reserve(messages.size() * 2);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      Where where{"messages", i};
      if (!messages[i].is_object()) throw InvalidRequest(where + ": must be an object");
      const json::object& message = messages[i].get_object();
      const json::value* role_value = message.if_contains("role");
      if (!role_value || !role_value->is_string())
        throw InvalidRequest(where + ".role: must be a string");
      std::string_view role = role_value->get_string();
      const json::value* content = message.if_contains("content");
      if (!content || !(content->is_string() || content->is_array()))
        throw InvalidRequest(where + ".content: must be a string or an array of blocks");

      if (role == "system") {
        translate_system_message(*content, where);
      } else if (role == "user" || role == "assistant") {
        role_ = role == "user" ? Role::user : Role::assistant;
        message_index_ = i;
        if (content->is_string()) {
          add_text(content->get_string());
        } else {
          content_ = &content->get_array();
          std::size_t b = 0;
          for (const json::value& block : content->get_array())
            translate_block(block_object(block, where), where.with_block(b++));
          content_ = nullptr;
        }
        flush_message();
      } else {
        throw InvalidRequest(where + ".role: must be user, assistant or system");
      }
    }
    return std::move(input_);
  }

  // A system message between turns (environment, deferred tool list) stays where it is, as
  // a developer message.
  void translate_system_message(const json::value& content, const Where& where) {
    json::array parts(sp_);
    std::string buffer;
    auto add = [&](std::string_view text) {
      text = without_filtered_tool_lines(text, buffer);
      if (!text.empty()) parts.emplace_back(text_part(sp_, "input_text", rewritten(text)));
    };
    if (content.is_string()) {
      add(content.get_string());
    } else {
      for (const json::value& block_value : content.get_array()) {
        const json::object& block = block_object(block_value, where);
        std::string_view type = block_type(block, where);
        if (type == "text")
          add(block_text(block, where));
        else
          drop("content." + std::string(type));
      }
    }
    if (parts.empty()) return;  // e.g. {"role":"system","content":[]} after /compact
    json::object item(sp_);
    item.reserve(3);
    item.emplace("type", "message");
    item.emplace("role", "developer");
    item.emplace("content", std::move(parts));
    input_.emplace_back(std::move(item));
  }

  void translate_block(const json::object& block, const Where& where) {
    std::string_view type = block_type(block, where);
    if (type == "text") {
      translate_text(block, where);
    } else if (type == "tool_use") {
      translate_tool_use(block, where);
    } else if (type == "tool_result") {
      translate_tool_result(block, where);
    } else if (type == "thinking") {
      translate_thinking(type, string_field(block, "signature"),
                         string_field(block, "thinking"));
    } else if (type == "redacted_thinking") {
      translate_thinking(type, string_field(block, "data"), {});
    } else if (type == "image" || type == "document" || type == "search_result") {
      if (role_ == Role::assistant) {
        drop("content." + std::string(type));
        return;
      }
      json::array parts(sp_);
      if (!media_parts(block, type, where, parts)) return;
      for (json::value& part : parts) parts_.emplace_back(std::move(part));
    } else if (type == "server_tool_use" && role_ == Role::assistant &&
               is_proxy_server_tool(string_field(block, "name")) &&
               !string_field(block, "id").empty()) {
      translate_server_tool_use(block, where);
    } else if ((type == "web_fetch_tool_result" || type == "web_search_tool_result") &&
               translate_server_tool_result(block, type, where)) {
      // paired with its call
    } else if (type == "server_tool_use" || type == "mcp_tool_use") {
      // History from a session that began on Claude: the upstream cannot replay Anthropic's
      // server tools, but the model should still know what happened.
      std::string text = "[Used the tool " + std::string(string_field(block, "name"));
      if (const json::value* input = block.if_contains("input"))
        text.append(" with ").append(json::serialize(*input));
      text.push_back(']');
      add_text(text);
    } else if (type.ends_with("_tool_result")) {
      add_text(server_tool_result_text(block, type));
    } else {
      drop("content." + std::string(type));
    }
  }

  // claudegpt moves the inline links of a searched answer ("([title](url))") out of the text
  // into its citations' encrypted_index, so Claude Code shows them as citations; here they go
  // back, so the model sees the text it wrote. Anthropic's own encrypted_index is base64 and
  // never starts with '('.
  void translate_text(const json::object& block, const Where& where) {
    std::string_view text = block_text(block, where);
    const json::value* citations = block.if_contains("citations");
    if (role_ != Role::assistant || !citations || !citations->is_array() ||
        citations->get_array().empty()) {
      add_text(text);
      return;
    }
    std::string restored(text);
    for (const json::value& citation : citations->get_array()) {
      if (!citation.is_object()) continue;
      const json::object& object = citation.get_object();
      std::string_view index = string_field(object, "encrypted_index");
      if (string_field(object, "type") == "web_search_result_location" && index.starts_with("("))
        restored.append(index);
    }
    add_text(restored);
  }

  void add_text(std::string_view text) {
    if (text.empty()) return;
    parts_.emplace_back(text_part(sp_, role_ == Role::user ? "input_text" : "output_text", text));
  }

  void flush_message() {
    if (parts_.empty()) return;
    json::object item(sp_);
    item.reserve(3);
    item.emplace("type", "message");
    item.emplace("role", role_ == Role::user ? "user" : "assistant");
    item.emplace("content", std::move(parts_));
    input_.emplace_back(std::move(item));
    parts_.clear();  // moved from; keeps its storage
  }

  // Function calls and outputs must pair up, or the upstream rejects the request:
  // - a call with no result after it (an interrupted turn) gets a synthetic error output;
  // - a result with no call before it, or a second result for one call, becomes user text.
  void translate_tool_use(const json::object& block, const Where& where) {
    const json::value* id = block.if_contains("id");
    const json::value* name = block.if_contains("name");
    if (!id || !id->is_string() || id->get_string().empty())
      throw InvalidRequest(where + ": tool_use without an id");
    if (!name || !name->is_string() || name->get_string().empty())
      throw InvalidRequest(where + ": tool_use without a name");
    std::string_view call_id = id->get_string();
    std::string arguments = arguments_of(block, where);

    if (!called_.insert(call_id).second) {  // the same id twice: keep the second as text
      add_text("[Called the tool " + std::string(name->get_string()) + " with " + arguments + "]");
      return;
    }
    add_function_call(call_id, out_.tools.add_name(name->get_string()), std::move(arguments));

    auto answer = last_result_message_.find(call_id);
    if (answer == last_result_message_.end() || answer->second <= message_index_)
      add_interrupted_output(call_id);
  }

  // A tool_use block's input as function_call arguments: a JSON object's text, "{}" when it
  // has none. Anything else is refused, as Anthropic's API refuses it: the upstream would
  // read a call whose arguments are not an object.
  static std::string arguments_of(const json::object& block, const Where& where) {
    const json::value* input = block.if_contains("input");
    if (!input || input->is_null()) return "{}";
    if (!input->is_object()) throw InvalidRequest(where + ".input: must be an object");
    std::string arguments;  // (a file's whole text, for a Write: json_text is the fast writer)
    append_json_text(*input, arguments);
    return arguments;
  }

  // A function_call item, after the message parts before it.
  void add_function_call(std::string_view call_id, std::string name, std::string arguments) {
    flush_message();
    json::object call(sp_);
    call.reserve(4);
    call.emplace("type", "function_call");
    call.emplace("call_id", call_id);
    call.emplace("name", std::move(name));
    call.emplace("arguments", std::move(arguments));
    input_.emplace_back(std::move(call));
  }

  void add_interrupted_output(std::string_view call_id) {
    answered_.insert(call_id);
    json::object output(sp_);
    output.reserve(3);
    output.emplace("type", "function_call_output");
    output.emplace("call_id", call_id);
    output.emplace("output", kInterrupted);
    input_.emplace_back(std::move(output));
  }

  // The server tools claudegpt itself runs (the stream translator turns the model's WebFetch
  // calls and the backend's searches into these blocks). Others came from Anthropic.
  static bool is_proxy_server_tool(std::string_view name) {
    return name == "web_fetch" || name == "web_search";
  }

  // A server tool's call and result sit in the same assistant message, the result right
  // after the call (a client tool's result comes in the next user message). Back upstream
  // they are the items they stand for: web_fetch is the client's WebFetch function, web_search
  // the backend's search.
  void translate_server_tool_use(const json::object& block, const Where& where) {
    std::string_view call_id = string_field(block, "id");
    std::string_view name = string_field(block, "name");
    std::string arguments = arguments_of(block, where);
    if (!called_.insert(call_id).second) {  // the same id twice: keep the second as text
      add_text("[Used the tool " + std::string(name) + " with " + arguments + "]");
      return;
    }
    std::string upstream_name =
        name == "web_fetch" ? out_.tools.add_name("WebFetch") : std::string(name);
    add_function_call(call_id, std::move(upstream_name), std::move(arguments));
    server_called_.insert(call_id);
    if (!server_result_follows(call_id, where.block)) add_interrupted_output(call_id);
  }

  bool server_result_follows(std::string_view call_id, std::size_t block) const {
    if (!content_) return false;
    for (std::size_t b = block + 1; b < content_->size(); ++b) {
      const json::value& value = (*content_)[b];
      if (!value.is_object()) continue;
      std::string_view type = string_field(value.get_object(), "type");
      if ((type == "web_fetch_tool_result" || type == "web_search_tool_result") &&
          string_field(value.get_object(), "tool_use_id") == call_id)
        return true;
    }
    return false;
  }

  // False when the result answers no server call translated above: then it stays text.
  bool translate_server_tool_result(const json::object& block, std::string_view type,
                                    const Where& where) {
    std::string_view call_id = string_field(block, "tool_use_id");
    if (call_id.empty() || !server_called_.contains(call_id) || !answered_.insert(call_id).second)
      return false;
    flush_message();
    json::object output(sp_);
    output.reserve(3);
    output.emplace("type", "function_call_output");
    output.emplace("call_id", call_id);
    output.emplace("output", server_tool_output(block, type, where));
    input_.emplace_back(std::move(output));
    return true;
  }

  // What the model reads as the tool's answer: the fetched page's text; the search results,
  // one "title — url" line each; or the error.
  json::value server_tool_output(const json::object& block, std::string_view type,
                                 const Where& where) {
    const json::value* content = block.if_contains("content");
    const json::object* result = content && content->is_object() ? &content->get_object() : nullptr;
    std::string_view result_type = result ? string_field(*result, "type") : std::string_view();
    if (result_type.ends_with("_tool_result_error")) {
      std::string text = type == "web_fetch_tool_result" ? "Error: the fetch failed ("
                                                          : "Error: the search failed (";
      return json::value(text.append(string_field(*result, "error_code")).append(")"), sp_);
    }
    if (result_type == "web_fetch_result") {
      if (const json::object* document = object_field(*result, "content")) {
        const json::object* source = object_field(*document, "source");
        std::string_view source_type = source ? string_field(*source, "type") : "";
        if (source_type == "text") return json::value(string_field(*source, "data"), sp_);
        json::array parts(sp_);  // a PDF and the like: as the user's documents are sent
        document_parts(*document, where, parts);
        if (!parts.empty()) return output_of(std::move(parts), sp_);
      }
    }
    if (type == "web_search_tool_result" && content && content->is_array()) {
      std::string text;
      for (const json::value& item : content->get_array()) {
        if (!item.is_object()) continue;
        if (!text.empty()) text.push_back('\n');
        text.append(string_field(item.get_object(), "title"))
            .append(" — ")
            .append(string_field(item.get_object(), "url"));
      }
      return json::value(text.empty() ? "No results." : std::string_view(text), sp_);
    }
    return json::value(server_tool_result_text(block, type), sp_);  // a shape not ours
  }

  void translate_tool_result(const json::object& block, const Where& where) {
    const json::value* id = block.if_contains("tool_use_id");
    if (!id || !id->is_string() || id->get_string().empty())
      throw InvalidRequest(where + ": tool_result without a tool_use_id");
    std::string_view call_id = id->get_string();
    bool is_error = false;
    if (const json::value* error = block.if_contains("is_error"); error && error->is_bool())
      is_error = error->get_bool();

    json::array parts(sp_);
    const json::value* content = block.if_contains("content");
    if (content && content->is_string()) {
      if (!content->get_string().empty())
        parts.emplace_back(text_part(sp_, "input_text", content->get_string()));
    } else if (content && content->is_array()) {
      std::size_t b = 0;
      for (const json::value& item : content->get_array()) {
        Where item_where = where.with_item(b++);
        const json::object& part = block_object(item, item_where);
        std::string_view type = block_type(part, item_where);
        if (type == "text") {
          std::string_view text = block_text(part, item_where);
          if (!text.empty()) parts.emplace_back(text_part(sp_, "input_text", text));
        } else if (type == "tool_reference") {
          // ToolSearch's answer: the tools now loaded (their definitions are in `tools`).
          std::string text = "Tool loaded: " + std::string(string_field(part, "tool_name"));
          parts.emplace_back(text_part(sp_, "input_text", text));
        } else if (!media_parts(part, type, item_where, parts)) {
          drop("content." + std::string(type));
        }
      }
    } else if (content && !content->is_null()) {
      throw InvalidRequest(where + ".content: must be a string or an array of blocks");
    }
    if (is_error) mark_error(parts);

    bool pairs = called_.contains(call_id) && answered_.insert(call_id).second;
    if (!pairs) {
      // Kept as what the user side said, so nothing is lost and nothing dangles.
      parts.insert(parts.begin(), text_part(sp_, "input_text",
                                            "Tool result for call " + std::string(call_id) + ":"));
      if (role_ == Role::assistant) flush_message();
      Role role = role_;
      role_ = Role::user;
      for (json::value& part : parts) parts_.emplace_back(std::move(part));
      if (role == Role::assistant) flush_message();
      role_ = role;
      return;
    }
    flush_message();
    json::object output(sp_);
    output.reserve(3);
    output.emplace("type", "function_call_output");
    output.emplace("call_id", call_id);
    output.emplace("output", output_of(std::move(parts), sp_));
    input_.emplace_back(std::move(output));
  }

  // The model must see that the tool failed (a denied permission, a bad argument).
  void mark_error(json::array& parts) const {
    if (!parts.empty() && parts.front().get_object().at("type").get_string() == "input_text") {
      json::string& text = parts.front().get_object().at("text").get_string();
      text.insert(0, "Error: ");
    } else {
      parts.insert(parts.begin(), text_part(sp_, "input_text", "Error: the tool failed."));
    }
  }

  // A plain string when the result is all text (the common case), else the parts.
  static json::value output_of(json::array parts, const json::storage_ptr& sp) {
    bool all_text = std::all_of(parts.begin(), parts.end(), [](const json::value& part) {
      return part.get_object().at("type").get_string() == "input_text";
    });
    if (!all_text) return parts;
    if (parts.size() == 1) return std::move(parts.front().get_object().at("text"));
    json::string text(sp);
    for (const json::value& part : parts) {
      if (!text.empty()) text.push_back('\n');
      text.append(part.get_object().at("text").get_string());
    }
    return text;
  }

  void translate_thinking(std::string_view type, std::string_view signature,
                          std::string_view thinking) {
    // Only our own envelope carries content the upstream can use; a real Anthropic
    // signature (a session that began on Claude) means nothing to it.
    std::optional<ReasoningSignature> reasoning = unwrap_reasoning_signature(signature);
    if (!reasoning) {
      drop("content." + std::string(type) + " (not a claudegpt signature)");
      return;
    }
    if (reasoning->model != options_.upstream_model) {
      drop("content." + std::string(type) + " (reasoning of another model)");
      return;
    }
    flush_message();
    json::array summary(sp_);
    if (!thinking.empty()) summary.emplace_back(text_part(sp_, "summary_text", thinking));
    json::object item(sp_);
    item.reserve(3);
    item.emplace("type", "reasoning");
    item.emplace("summary", std::move(summary));
    item.emplace("encrypted_content", reasoning->encrypted_content);
    input_.emplace_back(std::move(item));
  }

  // image / document / search_result → input parts. False for other block types.
  bool media_parts(const json::object& block, std::string_view type, const Where& where,
                   json::array& parts) {
    if (type == "image") {
      const json::object* source = object_field(block, "source");
      std::string_view source_type = source ? string_field(*source, "type") : "";
      json::string url(sp_);
      if (source_type == "base64") {
        std::string_view media_type = string_field(*source, "media_type");
        url = data_url(sp_, media_type.empty() ? "image/png" : media_type,
                       string_field(*source, "data"));
      } else if (source_type == "url") {
        url = string_field(*source, "url");
      }
      if (url.empty()) {
        drop("content.image." + std::string(source_type.empty() ? "source" : source_type));
        return true;
      }
      json::object image(sp_);
      image.reserve(3);
      image.emplace("type", "input_image");
      image.emplace("image_url", std::move(url));
      image.emplace("detail", "auto");
      parts.emplace_back(std::move(image));
      return true;
    }
    if (type == "document") {
      document_parts(block, where, parts);
      return true;
    }
    if (type == "search_result") {
      std::string text;
      text.append(string_field(block, "title"))
          .append("\n")
          .append(string_field(block, "source"));
      if (const json::value* content = block.if_contains("content"); content && content->is_array())
        for (const json::value& item : content->get_array())
          if (item.is_object())
            text.append("\n").append(string_field(item.get_object(), "text"));
      parts.emplace_back(text_part(sp_, "input_text", text));
      return true;
    }
    return false;
  }

  void document_parts(const json::object& block, const Where& where, json::array& parts) {
    const json::object* source = object_field(block, "source");
    std::string_view source_type = source ? string_field(*source, "type") : "";
    std::string_view title = string_field(block, "title");
    if (source_type == "base64" || source_type == "url") {
      json::object file(sp_);
      file.reserve(3);
      file.emplace("type", "input_file");
      if (source_type == "base64") {
        std::string_view media_type = string_field(*source, "media_type");
        if (media_type.empty()) media_type = "application/pdf";
        std::string filename = title.empty() ? "document" : std::string(title);
        if (media_type == "application/pdf" && !filename.ends_with(".pdf")) filename += ".pdf";
        file.emplace("filename", std::move(filename));
        file.emplace("file_data", data_url(sp_, media_type, string_field(*source, "data")));
      } else {
        file.emplace("file_url", string_field(*source, "url"));
      }
      parts.emplace_back(std::move(file));
    } else if (source_type == "text") {
      std::string text;
      if (!title.empty()) text.append(title).append("\n\n");
      text.append(string_field(*source, "data"));
      parts.emplace_back(text_part(sp_, "input_text", text));
    } else if (source_type == "content") {
      const json::value* content = source->if_contains("content");
      if (content && content->is_string()) {
        parts.emplace_back(text_part(sp_, "input_text", content->get_string()));
      } else if (content && content->is_array()) {
        for (const json::value& item : content->get_array()) {
          const json::object& part = block_object(item, where);
          std::string_view type = block_type(part, where);
          if (type == "text")
            parts.emplace_back(text_part(sp_, "input_text", block_text(part, where)));
          else if (type == "image")
            media_parts(part, type, where, parts);
        }
      }
    } else {
      drop("content.document." + std::string(source_type.empty() ? "source" : source_type));
    }
  }

  // What an Anthropic server tool returned, as text ("web_search_tool_result" and kin).
  static std::string server_tool_result_text(const json::object& block, std::string_view type) {
    std::string text = "[Result of ";
    text.append(type.substr(0, type.size() - std::string_view("_tool_result").size()));
    text.append("]");
    const json::value* content = block.if_contains("content");
    if (!content) return text;
    auto describe = [&text](const json::object& item) {
      std::string_view title = string_field(item, "title");
      std::string_view url = string_field(item, "url");
      std::string_view error = string_field(item, "error_code");
      std::string_view item_text = string_field(item, "text");
      if (!error.empty()) text.append("\nError: ").append(error);
      if (!title.empty() || !url.empty()) text.append("\n- ").append(title).append(" ").append(url);
      if (!item_text.empty()) text.append("\n").append(item_text);
      // web_fetch_result: the page is a document with a text source.
      if (const json::object* document = object_field(item, "content"))
        if (const json::object* source = object_field(*document, "source"))
          if (std::string_view data = string_field(*source, "data"); !data.empty())
            text.append("\n").append(data);
    };
    if (content->is_array()) {
      for (const json::value& item : content->get_array())
        if (item.is_object()) describe(item.get_object());
    } else if (content->is_object()) {
      describe(content->get_object());
    } else if (content->is_string()) {
      text.append("\n").append(content->get_string());
    }
    return text;
  }

  const json::object& request_;
  const RequestOptions& options_;
  TranslatedRequest& out_;
  std::string statement_;
  json::storage_ptr sp_;  // the body's: one arena for the whole translation

  json::array input_;
  json::array parts_;  // of the message being built
  Role role_ = Role::user;
  std::size_t message_index_ = 0;
  std::unordered_map<std::string_view, std::size_t> last_result_message_;
  std::unordered_set<std::string_view> called_;
  std::unordered_set<std::string_view> answered_;
  std::unordered_set<std::string_view> server_called_;  // server tool calls sent as functions
  const json::array* content_ = nullptr;  // the blocks of the message being translated

  bool hosted_web_search_ = false;
  bool web_search_unavailable_ = false;
  std::optional<std::int64_t> max_tool_calls_;
  std::int64_t filtered_tokens_ = 0;
};

}  // namespace

TranslatedRequest& TranslatedRequest::operator=(TranslatedRequest&& other) noexcept {
  if (this == &other) return *this;
  // json::object's own move assignment keeps the target's storage and copies; its move
  // constructor adopts the source's storage, so the body is rebuilt in place from it.
  std::destroy_at(&body);
  std::construct_at(&body, std::move(other.body));
  tools = std::move(other.tools);
  client_wants_stream = other.client_wants_stream;
  dropped = std::move(other.dropped);
  effort_reason = std::move(other.effort_reason);
  filtered_tool_tokens = other.filtered_tool_tokens;
  visible_max_tokens = other.visible_max_tokens;
  return *this;
}

TranslatedRequest translate_request(const json::object& anthropic_request,
                                    const RequestOptions& options) {
  // The body is built in one monotonic arena: thousands of small nodes, freed all at once.
  json::storage_ptr arena = json::make_shared_resource<json::monotonic_resource>();
  TranslatedRequest translated(json::object(std::move(arena)));
  Translator(anthropic_request, options, translated).run();
  return translated;
}

TranslatedRequest translate_request(const json::value& anthropic_request,
                                    const RequestOptions& options) {
  if (!anthropic_request.is_object())
    throw InvalidRequest("the request body must be a JSON object");
  return translate_request(anthropic_request.get_object(), options);
}

}  // namespace claudegpt
