#include "ledger/trace_summary.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "core/json_fields.h"
#include "ledger/conversation_text.h"
#include "ledger/usage_report.h"  // format_count, format_usd

namespace claudegpt {

namespace {

namespace json = boost::json;

// A number member as an integer; nullopt when missing or null.
std::optional<std::int64_t> int_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (!value) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<std::int64_t>(value->get_double());
  return std::nullopt;
}

std::string seconds_text(std::optional<std::int64_t> ms) {
  if (!ms || *ms < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(*ms) / 1000.0);
  return buf;
}

std::string size_text(std::uint64_t bytes) {
  char buf[32];
  if (bytes < 1000) return std::to_string(bytes) + " bytes";
  if (bytes < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.0f KB", static_cast<double>(bytes) / 1000.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  }
  return buf;
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return format_count(n) + " " + std::string(n == 1 ? one : many);
}

// "Write, Bash ×2": the tools an answer called, in the order first called.
std::string tool_calls(const json::array& content) {
  std::vector<std::pair<std::string, std::int64_t>> calls;
  for (const json::value& block : content) {
    if (!block.is_object()) continue;
    std::string_view type = string_field(block.get_object(), "type");
    if (type != "tool_use" && type != "server_tool_use") continue;
    std::string name = text_opening(string_field(block.get_object(), "name"), 60);
    if (name.empty()) name = "(unnamed)";
    auto same = [&](const auto& call) { return call.first == name; };
    if (auto found = std::find_if(calls.begin(), calls.end(), same); found != calls.end())
      ++found->second;
    else
      calls.emplace_back(name, 1);
  }
  std::string out;
  for (const auto& [name, n] : calls)
    out += (out.empty() ? "" : ", ") + name + (n > 1 ? " ×" + format_count(n) : "");
  return out;
}

// The answer's text blocks, as one.
std::string answer_text(const json::array& content) {
  std::string answer;
  for (const json::value& block : content)
    if (block.is_object() && string_field(block.get_object(), "type") == "text")
      answer.append(answer.empty() ? "" : " ").append(string_field(block.get_object(), "text"));
  return answer;
}

std::int64_t count_of(const json::array* array) {
  return array ? static_cast<std::int64_t>(array->size()) : 0;
}

constexpr std::size_t kQuoteWidth = 80;

std::string quoted(std::string_view text) {
  return "\"" + text_opening(text, kQuoteWidth) + "\"";
}

}  // namespace

std::string render_trace_summary(const boost::json::object& trace,
                                 std::string_view working_directory, std::string_view file,
                                 std::uint64_t file_bytes) {
  std::vector<std::pair<std::string, std::string>> lines;
  auto line = [&](std::string label, std::string text) {
    lines.emplace_back(std::move(label), std::move(text));
  };
  // Every value from the file is shown as an opening: a trace is data, not terminal output.
  auto text = [&](std::string_view key) { return text_opening(string_field(trace, key), 200); };

  const std::string id = text("id");
  std::string time = text("time");  // "2026-11-24T10:54:00.123Z"
  if (time.size() >= 19 && time[10] == 'T')
    time = time.substr(0, 10) + " " + time.substr(11, 8) + " UTC";
  line("turn", id + "  " + time);
  line("session", text("session_id").empty() ? "(none)" : text("session_id"));
  if (!working_directory.empty())
    line("folder", text_opening(working_directory, 300));
  else
    line("folder", text("cwd_tag").empty() ? "-" : text("cwd_tag") + " (its cwd tag)");

  std::string provider = text("provider");
  if (!string_field(trace, "deployment").empty()) provider += " deployment";
  std::string model = text("client_model") + " → " + text("model") + " (" + provider;
  if (!text("tier").empty()) model += ", " + text("tier") + " tier";
  line("model", model + ")");
  if (const json::object* effort = object_field(trace, "effort")) {
    std::string value = text_opening(string_field(*effort, "value"), 40);
    std::string reason = text_opening(string_field(*effort, "reason"), 120);
    line("effort", (value.empty() ? "-" : value) + (reason.empty() ? "" : " (" + reason + ")"));
  }

  if (const json::object* usage = object_field(trace, "usage")) {
    auto figure = [&](std::string_view key) { return int_member(*usage, key).value_or(0); };
    const std::int64_t input = figure("input_tokens"), cached = figure("cached_tokens");
    std::string tokens = "in " + format_count(input);
    if (input > 0) {
      char share[32];
      std::snprintf(share, sizeof share, "%.1f%%",
                    100.0 * static_cast<double>(cached) / static_cast<double>(input));
      tokens += " (cached " + format_count(cached) + ", " + share;
      if (figure("cache_write_tokens") > 0)  // GPT-5.6 and later
        tokens += "; written to the cache " + format_count(figure("cache_write_tokens"));
      tokens += ")";
    }
    tokens += " · out " + format_count(figure("output_tokens"));
    if (figure("reasoning_tokens") > 0)
      tokens += " (reasoning " + format_count(figure("reasoning_tokens")) + ")";
    line("tokens", tokens);
    const std::int64_t searches = figure("web_search_requests");
    const std::int64_t fetches = figure("web_fetch_requests");
    std::string web;
    if (searches > 0) web = plural(searches, "web search", "web searches");
    if (fetches > 0)
      web += (web.empty() ? "" : " · ") + plural(fetches, "web fetch", "web fetches");
    if (!web.empty()) line("web tools", web);
  }
  const json::value* cost = trace.if_contains("cost_usd");
  line("cost", cost && cost->is_number() ? format_usd(cost->to_number<double>())
                                         : "unknown (no price for " + text("model") + ")");
  if (const json::object* timing = object_field(trace, "timing")) {
    auto at = [&](std::string_view key) { return seconds_text(int_member(*timing, key)); };
    line("latency", "upstream's first byte " + at("upstream_first_byte") +
                        " · client's first byte " + at("first_client_byte") + " · done " +
                        at("done"));
  }
  if (const std::int64_t rounds = int_member(trace, "chain_rounds").value_or(0); rounds > 0)
    line("rounds", plural(rounds, "server-side tool round", "server-side tool rounds") +
                       " after the first answer");
  if (const json::object* error = object_field(trace, "error")) {
    std::string message = text_opening(string_field(*error, "message"), 200);
    line("outcome", "error: " + text_opening(string_field(*error, "type"), 60) +
                        (message.empty() ? "" : ": " + message));
  } else {
    line("outcome", text("stop_reason").empty() ? "-" : text("stop_reason"));
  }
  if (const json::array* degradations = array_field(trace, "degradations"))
    for (const json::value& what : *degradations)
      if (what.is_string()) line("degraded", text_opening(what.get_string(), 200));

  if (const json::object* request = object_field(trace, "request_anthropic")) {
    const std::int64_t messages = count_of(array_field(*request, "messages"));
    const std::int64_t tools = count_of(array_field(*request, "tools"));
    std::string shape =
        plural(messages, "message", "messages") + " · " + plural(tools, "tool", "tools");
    std::string dropped;
    if (const json::array* fields = array_field(trace, "not_forwarded"))
      for (const json::value& field : *fields)
        if (field.is_string())
          dropped += (dropped.empty() ? "" : ", ") + text_opening(field.get_string(), 60);
    if (!dropped.empty()) shape += " · not forwarded: " + dropped;
    line("request", shape);
    if (std::string prompt = last_user_prompt(*request); !prompt.empty())
      line("last prompt", quoted(prompt));
  }
  if (const json::object* response = object_field(trace, "response_anthropic")) {
    if (const json::array* content = array_field(*response, "content")) {
      if (std::string answer = answer_text(*content); !text_opening(answer, 1).empty())
        line("answer", quoted(answer));
      if (std::string calls = tool_calls(*content); !calls.empty()) line("tool calls", calls);
    }
  }

  std::size_t width = 0;
  for (const auto& [label, value] : lines) width = std::max(width, label.size());
  std::string out;
  for (const auto& [label, value] : lines)
    out += label + std::string(width + 2 - label.size(), ' ') + value + "\n";
  out += "\nThe whole trace (" + size_text(file_bytes) + "): claudegpt traces show " + id +
         " --json\n";
  out += "File: " + std::string(file) + "\n";
  return out;
}

}  // namespace claudegpt
