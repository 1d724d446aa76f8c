// The Anthropic request translator on any JSON a client can send. It must never crash and never
// throw anything but InvalidRequest (which becomes a 400); what it produces must be a request
// the upstream accepts as far as we can tell locally: function names within OpenAI's pattern,
// and the same body every time for the same request (the upstream prompt cache keys on it).
//
// Auto mode's `safeguards`, when present, are taken out and summarised for the judge: that
// summary stays bounded.
//
// Input: a request body. Bytes that are not JSON are rejected (not kept in the corpus). The
// RequestOptions are chosen from the input's hash, so every option is exercised over a run.
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/finite_numbers.h"
#include "core/request_translator.h"
#include "core/safety_judge.h"
#include "fuzz_support.h"
#include "sse_round_trip.h"  // close_enough

namespace claudegpt {
namespace {

namespace json = boost::json;

RequestOptions options_from(fuzz::Choices& choices) {
  static const char* const kModels[] = {"gpt-5.5", "gpt-5.1-codex-max", "gpt-5-mini", ""};
  static const char* const kEfforts[] = {"", "", "minimal", "low", "medium", "high", "xhigh"};
  RequestOptions options;
  options.upstream_model = choices.pick(kModels);
  options.rewrite_identity = choices.flip();
  options.cutoff = choices.flip() ? "2024-09-30" : "";
  options.forced_effort = choices.below(4) == 0 ? choices.pick(kEfforts) : "";
  options.tools_turn_effort = choices.pick(kEfforts);
  options.default_effort = choices.pick(kEfforts);
  options.prompt_cache_key = choices.flip() ? "session-fuzz" : "";
  options.web_search = choices.flip();
  options.block_mcp = choices.flip();
  if (choices.flip()) options.drop_tools = {"WebFetch", "NotebookEdit"};
  return options;
}

// ^[a-zA-Z0-9_-]{1,64}$, the Responses API's rule for function names.
bool valid_function_name(const json::value* name) {
  if (!name || !name->is_string()) return false;
  const json::string& s = name->get_string();
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-'))
      return false;
  return true;
}

void check_function_names(const json::object& body) {
  if (const json::value* tools = body.if_contains("tools"); tools && tools->is_array())
    for (const json::value& tool : tools->get_array())
      if (tool.is_object() && tool.get_object().if_contains("type") &&
          tool.get_object().at("type") == "function")
        FUZZ_CHECK(valid_function_name(tool.get_object().if_contains("name")),
                   "a function tool's upstream name breaks ^[a-zA-Z0-9_-]{1,64}$");
  if (const json::value* input = body.if_contains("input"); input && input->is_array())
    for (const json::value& item : input->get_array())
      if (item.is_object() && item.get_object().if_contains("type") &&
          item.get_object().at("type") == "function_call")
        FUZZ_CHECK(valid_function_name(item.get_object().if_contains("name")),
                   "a function_call's upstream name breaks ^[a-zA-Z0-9_-]{1,64}$");
}

// A function_call's arguments are a JSON-encoded object, as the model itself writes them.
void check_arguments(const json::object& body) {
  const json::value* input = body.if_contains("input");
  if (!input || !input->is_array()) return;
  for (const json::value& item : input->get_array()) {
    if (!item.is_object() || !item.get_object().if_contains("type") ||
        item.get_object().at("type") != "function_call")
      continue;
    const json::value* arguments = item.get_object().if_contains("arguments");
    FUZZ_CHECK(arguments && arguments->is_string(), "a function_call without arguments");
    boost::system::error_code ec;
    const json::value parsed = json::parse(arguments->get_string(), ec);
    FUZZ_CHECK(!ec, "function_call arguments that are not JSON");
    FUZZ_CHECK(parsed.is_object(), "function_call arguments that are not an object");
  }
}

}  // namespace
}  // namespace claudegpt

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  const std::string_view text = fuzz::as_text(data, size);
  boost::system::error_code ec;
  json::value request = json::parse(text, ec);
  if (ec) return -1;
  clamp_infinite_numbers(request);  // as the endpoint does with every client body
  // Auto mode's check is taken out first, and what the judge is told of the request is
  // bounded whatever the request holds.
  if (request.is_object())
    if (std::optional<SafeguardRequest> check = take_safeguards(request.get_object())) {
      const JudgeBrief brief = judge_brief(request.get_object(), *check);
      FUZZ_CHECK(brief.transcript.size() < 40'000 && brief.setting.size() < 13'000, "an unbounded judge brief");
      FUZZ_CHECK(!request.get_object().contains("safeguards"), "safeguards left in the request");
    }

  fuzz::Choices choices(fuzz::input_hash(text));
  const RequestOptions options = options_from(choices);
  const bool twice = choices.below(4) == 0;
  try {
    const TranslatedRequest translated = translate_request(request, options);
    check_function_names(translated.body);
    check_arguments(translated.body);
    // What goes on the wire: serialises, and parses back to the same body.
    const std::string wire = json::serialize(translated.body);
    const json::value back = json::parse(wire);
    if (!back.is_object() || back.get_object() != translated.body)  // (doubles: see close_enough)
      FUZZ_CHECK(fuzz::close_enough(back, json::value(translated.body)),
                 "the body does not survive serialisation");
    if (twice) {
      const TranslatedRequest again = translate_request(request, options);
      FUZZ_CHECK(json::serialize(again.body) == wire, "the same request translated differently");
    }
  } catch (const InvalidRequest&) {
    // A 400 for the client: fine.
  }
  return 0;
}
