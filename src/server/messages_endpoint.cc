// POST /v1/messages and /v1/messages/count_tokens: parse, translate, then relay or count.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <set>
#include <variant>

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/error.hpp>

#include "core/claude_code_context.h"
#include "core/finite_numbers.h"
#include "core/json_depth.h"
#include "core/json_parse.h"
#include "core/json_text.h"
#include "core/request_translator.h"
#include "core/safeguards.h"
#include "core/safety_judge.h"
#include "ledger/conversation_text.h"
#include "core/token_counter.h"
#include "server/connection.h"
#include "server/relay.h"
#include "support/log.h"
#include "support/random_id.h"

namespace claudegpt {
namespace {

std::string requested_model(const boost::json::object& body) {
  const auto* model = body.if_contains("model");
  return model && model->is_string() ? std::string(model->get_string()) : std::string();
}

// Whether the translated request offers the model a function of this name.
bool offers_function(const boost::json::object& body, std::string_view name) {
  const auto* tools = body.if_contains("tools");
  if (!tools || !tools->is_array()) return false;
  for (const auto& tool : tools->get_array())
    if (const auto* object = tool.if_object())
      if (const auto* tool_name = object->if_contains("name"); tool_name && tool_name->is_string() &&
                                                                tool_name->get_string() == name)
        return true;
  return false;
}

bool carries_tools(const boost::json::object& body) {
  const auto* tools = body.if_contains("tools");
  return tools && tools->is_array() && !tools->get_array().empty();
}

// A Claude name without a tier word goes to CLAUDEGPT_UNKNOWN_CLAUDE_TIER: said once per name
// (turns and counts run on several threads), for the first 100 names, shown printable only.
void note_unknown_claude_model(const Settings& settings, const std::string& model) {
  if (tier_of(model) != ModelTier::other || !is_claude_model(model)) return;
  static std::mutex mutex;
  static std::set<std::string, std::less<>> said;
  std::string shown = model.substr(0, 100);
  for (char& ch : shown)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  {
    std::lock_guard lock(mutex);
    if (said.size() >= 100 || !said.insert(shown).second) return;
  }
  const ModelTier tier = settings.tier_for(model);
  log_info("model ", shown, " is a Claude model claudegpt has no tier for: the ", to_string(tier),
           " tier answers it (", settings.upstream_model(model), "); CLAUDEGPT_UNKNOWN_CLAUDE_TIER chooses another");
}

RequestOptions options_for(const Settings& settings, const boost::json::object& body,
                           const std::string& model, std::string session_id) {
  note_unknown_claude_model(settings, model);
  RequestOptions options;
  options.upstream_model = settings.upstream_model(model, carries_tools(body));
  options.rewrite_identity = settings.rewrite_identity;
  options.cutoff = settings.cutoff_for(model);
  options.forced_effort = settings.forced_effort;
  options.tools_turn_effort = settings.tools_effort;
  options.default_effort = settings.effort_for(model);
  options.prompt_cache_key = std::move(session_id);
  options.web_search = settings.web_search_allowed(options.upstream_model);
  options.block_mcp = settings.block_mcp;
  options.drop_tools = settings.drop_tools;
  return options;
}

// A client request, parsed and translated; or why it cannot be.
struct PreparedRequest {
  std::optional<ApiError> error;
  std::string model;  // as the client asked for it
  std::string working_directory;  // Claude Code's, when the request names it
  std::string first_prompt;  // when this request tells the ledger what its session is about
  RequestOptions options;
  TranslatedRequest translated;
  // Auto mode's check, when the proxy judges this turn's tool calls (Settings::auto_mode).
  std::shared_ptr<const JudgeBrief> judge;
  bool safeguards_dropped = false;  // the request carried the check, and it is not answered
};

// What a request's body is prepared for.
enum class Purpose { turn, count };

// How much of the first prompt goes to the recorder, which masks secrets in it and keeps its
// opening (turn_recorder.h): enough for any key to be found whole, not a pasted log.
constexpr std::size_t kFirstPromptBytes = 64 * 1024;

// The user's first prompt, while the ledger waits to be told what this request's session is
// about (TurnRecorder::session_opening_wanted): read from the body already parsed, once per
// session; "" otherwise. The session is the one serve_messages records: the header's, else
// the one in metadata.user_id, as the translation's prompt_cache_key has it.
std::string first_prompt_for_ledger(const boost::json::object& body,
                                    const boost::json::object& translated, TurnRecorder& recorder) {
  const auto* key = translated.if_contains("prompt_cache_key");
  const std::string_view session =
      key && key->is_string() ? std::string_view(key->get_string()) : std::string_view();
  if (!recorder.session_opening_wanted(session)) return {};
  std::string prompt = first_user_prompt(body);
  if (text_opening(prompt, 1).empty()) return {};  // nothing of the user's yet: a later request
  prompt.resize(std::min(prompt.size(), kFirstPromptBytes));
  recorder.session_opening_found(session);
  return prompt;
}

// The parsed body lives in an arena local to this call: only the translation outlives it.
// `spent`, when given, holds `text` and is let go once parsed, so that a body near the size
// limit is held twice at most after that (parsed, and translated). `recorder`, when given, may
// want the session's first prompt (first_prompt_for_ledger).
PreparedRequest prepare(std::string_view text, const Settings& settings, Purpose purpose, std::string session_id,
                        TurnRecorder* recorder, std::string* spent = nullptr) {
  PreparedRequest prepared;
  boost::json::monotonic_resource arena;
  boost::system::error_code ec;
  boost::json::value body = parse_json(text, ec, &arena);
  if (spent) std::string().swap(*spent);
  if (ec) {
    prepared.error = ApiError::with_status(
        400, ec == boost::json::error::too_deep
                 ? "The request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels"
                 : "Malformed JSON in request body: " + ec.message());
    return prepared;
  }
  if (!body.is_object()) {
    prepared.error = ApiError::with_status(400, "The request body must be a JSON object");
    return prepared;
  }
  clamp_infinite_numbers(body);
  if (std::optional<SafeguardRequest> safeguards = take_safeguards(body.get_object());
      safeguards && purpose == Purpose::turn) {
    if (settings.auto_mode == Settings::AutoMode::client) {
      prepared.error = ApiError::with_status(400, kSafeguardsDeclined);
      return prepared;
    }
    if (settings.auto_mode == Settings::AutoMode::proxy)
      prepared.judge = std::make_shared<const JudgeBrief>(judge_brief(body.get_object(), *safeguards));
    else
      prepared.safeguards_dropped = true;
  }
  prepared.model = requested_model(body.get_object());
  prepared.working_directory = working_directory(body.get_object());
  try {
    prepared.options = options_for(settings, body.get_object(), prepared.model, std::move(session_id));
    prepared.translated = translate_request(body.get_object(), prepared.options);
    if (recorder && !prepared.working_directory.empty())  // Claude Code's main loop or a sub-agent
      prepared.first_prompt = first_prompt_for_ledger(body.get_object(), prepared.translated.body, *recorder);
  } catch (const InvalidRequest& invalid) {
    prepared.error = ApiError::with_status(400, invalid.what());
  }
  return prepared;
}

// Counting gives way to the I/O thread: on a machine with few cores the two share one, and
// every client would otherwise wait on a count's time slices (Linux's nice is per thread).
void give_way_to_io_thread() { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10); }

}  // namespace

net::awaitable<void> serve_messages(Connection& c, HttpRequest& request) {
  const Settings& settings = c.context.settings;
  Exchange exchange;
  exchange.received = std::chrono::steady_clock::now();
  exchange.received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  exchange.request_id = random_id("req_");
  exchange.session_id = std::string(request["X-Claude-Code-Session-Id"]);
  PreparedRequest prepared =
      prepare(request.body(), settings, Purpose::turn, exchange.session_id, c.context.recorder.get());
  const std::size_t request_size = request.body().size();
  // Streams can last minutes: keep only what the relay needs (the body itself for the trace).
  std::shared_ptr<const std::string> client_body;
  if (c.context.recorder->tracing() && !prepared.error)
    client_body = std::make_shared<const std::string>(std::move(request.body()));
  std::string().swap(request.body());  // its capacity too: a late-session body is megabytes
  c.request_lease.release();  // the body is translated: it no longer counts as being read
  if (prepared.error) co_return co_await write_error(c, *prepared.error, exchange.request_id);

  TranslatedRequest& translated = prepared.translated;
  c.context.provider.adapt_body(translated.body);
  exchange.client_model = prepared.model;
  exchange.upstream_model = std::string(translated.body.at("model").as_string());
  exchange.client_wants_stream = translated.client_wants_stream;
  exchange.max_tokens = translated.visible_max_tokens;
  auto upstream_body = std::make_shared<const std::string>(json_text(translated.body, request_size));
  exchange.tools = std::move(translated.tools);
  exchange.options = std::move(prepared.options);
  if (const auto* limit = translated.body.if_contains("max_tool_calls"); limit && limit->is_int64())
    exchange.max_web_searches = static_cast<int>(limit->get_int64());
  if (settings.map_web_fetch && offers_function(translated.body, "WebFetch"))
    exchange.web_fetches = settings.web_fetch_max_chain;
  if (exchange.session_id.empty())  // the session_id inside metadata.user_id, if any
    if (const auto* key = translated.body.if_contains("prompt_cache_key"))
      exchange.session_id = std::string(key->as_string());
  if (prepared.safeguards_dropped) translated.dropped.push_back("safeguards");
  exchange.not_forwarded = translated.dropped;
  exchange.judge = std::move(prepared.judge);
  exchange.filtered_tool_tokens = translated.filtered_tool_tokens;
  std::vector<std::string> dropped = std::move(translated.dropped);
  const auto* reasoning = translated.body.if_contains("reasoning");
  const auto* effort_value = reasoning ? reasoning->as_object().if_contains("effort") : nullptr;
  std::string effort = effort_value && effort_value->is_string() ? std::string(effort_value->get_string()) : "-";
  std::string effort_reason = std::move(translated.effort_reason);
  const std::int64_t filtered_tokens = translated.filtered_tool_tokens;
  exchange.effort = effort;
  exchange.effort_reason = effort_reason;
  // A request without tools names no working directory: it goes to its session's folder.
  exchange.cwd_tag = c.context.recorder->session_folder(
      exchange.session_id, prepared.working_directory.empty() ? "" : cwd_tag(prepared.working_directory));
  if (!prepared.first_prompt.empty()) {
    exchange.cwd = std::move(prepared.working_directory);
    exchange.first_prompt = std::move(prepared.first_prompt);
  }
  translated = TranslatedRequest();  // frees the translated body's arena

  std::string result = co_await relay(c, exchange, std::move(upstream_body), std::move(client_body));
  // Field names only (never values): what the upstream did not get, e.g. temperature.
  std::string not_forwarded;
  for (const auto& field : dropped) not_forwarded.append(not_forwarded.empty() ? "" : ",").append(field);
  log_info(exchange.request_id, " ", exchange.client_model, " -> ", exchange.upstream_model,
           exchange.client_wants_stream ? " stream" : "", " effort ", effort, " (", effort_reason, "): ", result,
           not_forwarded.empty() ? "" : "; not forwarded: ", not_forwarded,
           filtered_tokens ? "; tool filters saved " + std::to_string(filtered_tokens) + " tokens" : "");
}

net::awaitable<void> serve_count_tokens(Connection& c, HttpRequest& request) {
  const std::string request_id = random_id("req_");
  ServerContext& context = c.context;
  // Counting a body near the size limit takes a second or more: it runs on the counting
  // pool, and a few at most wait for it (each holds its body, drawn from the request budget).
  const std::size_t max_jobs = 4 * context.counting_threads;
  if (context.counting_jobs.fetch_add(1) >= max_jobs) {  // (I/O threads count at once)
    --context.counting_jobs;
    co_return co_await write_error(c, ApiError::overloaded("Too many token counts at once; try again shortly", 1),
                                   request_id);
  }
  struct Done {
    std::atomic<std::size_t>& jobs;
    ~Done() { --jobs; }
  } done{context.counting_jobs};
  auto body = std::make_shared<std::string>(std::move(request.body()));
  auto count = [body, &settings = context.settings]() -> net::awaitable<std::variant<ApiError, std::int64_t>> {
    give_way_to_io_thread();
    PreparedRequest prepared = prepare(*body, settings, Purpose::count, {}, nullptr, body.get());
    if (prepared.error) co_return *prepared.error;
    // Scaled like every input figure Claude Code sees (see Settings::client_context).
    double tokens = static_cast<double>(count_request_tokens(prepared.translated.body));
    co_return static_cast<std::int64_t>(std::llround(tokens * settings.token_scale_for(prepared.model)));
  };
  std::variant<ApiError, std::int64_t> counted =
      co_await net::co_spawn(context.counting, std::move(count), net::use_awaitable);
  c.request_lease.release();
  if (const ApiError* error = std::get_if<ApiError>(&counted)) co_return co_await write_error(c, *error, request_id);
  boost::json::object answer;
  answer["input_tokens"] = std::get<std::int64_t>(counted);
  co_await write_json(c, http::status::ok, answer);
}

}  // namespace claudegpt
