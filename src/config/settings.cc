#include "config/settings.h"

#include <cctype>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <optional>
#include <stdexcept>

#include "config/codex_auth_path.h"
#include "support/state_dir.h"

namespace claudegpt {
namespace {

// The values a number may take: min..max, both included, and 0 too where `zero_too` (0 then
// means something of its own: "auto", "off"). `unit` names what the number counts, for the
// message.
struct Range {
  std::int64_t min, max;
  std::string_view unit = "";
  bool zero_too = false;
};

class EnvReader {
 public:
  EnvReader(const std::function<const char*(const char*)>& getenv, const Settings::SourceOf& source_of)
      : getenv_(getenv), source_of_(source_of) {}

  bool has(const char* name) const { return getenv_(name) != nullptr; }

  // Empty values count as unset, except where `keep_empty` (an explicit "" means "none").
  void text(const char* name, std::string& into, bool keep_empty = false) const {
    const char* value = getenv_(name);
    if (value && (*value || keep_empty)) into = value;
  }

  // Reads a whole number within `range` into `into`; false when the variable is unset or
  // empty. Parsed as 64 bits and checked before it is narrowed or multiplied, so no value
  // wraps around (9223372036854775807 seconds had become -1 s).
  template <typename Int>
  bool integer(const char* name, Int& into, Range range) const {
    static_assert(std::numeric_limits<Int>::digits >= 31, "every range below fits in an int");
    const char* value = getenv_(name);
    if (!value || !*value) return false;
    std::string_view s(value);
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
    // Too many digits for 64 bits is still a number: out of range, not malformed.
    if (end != s.data() + s.size() || (ec != std::errc{} && ec != std::errc::result_out_of_range))
      throw std::invalid_argument(named(name, s) + ": not a whole number");
    bool in_range = ec == std::errc{} && ((parsed >= range.min && parsed <= range.max) ||
                                          (range.zero_too && parsed == 0));
    if (!in_range)
      throw std::invalid_argument(named(name, s) + ": must be " + (range.zero_too ? "0 or " : "") +
                                  "between " + std::to_string(range.min) + " and " +
                                  std::to_string(range.max) +
                                  (range.unit.empty() ? "" : " " + std::string(range.unit)));
    into = static_cast<Int>(parsed);
    return true;
  }

  // A duration given as a count of `unit`s (seconds, or milliseconds), within `range`.
  void duration(const char* name, std::chrono::milliseconds& into, Range range,
                std::chrono::milliseconds unit) const {
    std::int64_t count = 0;
    if (integer(name, count, range)) into = count * unit;
  }

  void flag(const char* name, bool& into) const {
    const char* value = getenv_(name);
    if (!value || !*value) return;
    std::string_view s(value);
    if (s == "1" || s == "true" || s == "yes" || s == "on") into = true;
    else if (s == "0" || s == "false" || s == "no" || s == "off") into = false;
    else throw std::invalid_argument(named(name, s) + ": expected 1 or 0");
  }

  // The fable tier takes the opus tier's value unless its own variable is set.
  void tiers(const char* opus, const char* sonnet, const char* haiku, const char* fable,
             PerTier<std::string>& into) const {
    text(opus, into.opus);
    text(sonnet, into.sonnet);
    text(haiku, into.haiku);
    into.fable = into.opus;
    text(fable, into.fable);
  }
  void tiers(const char* opus, const char* sonnet, const char* haiku, const char* fable,
             PerTier<std::int64_t>& into, Range range) const {
    integer(opus, into.opus, range);
    integer(sonnet, into.sonnet, range);
    integer(haiku, into.haiku, range);
    if (!integer(fable, into.fable, range)) into.fable = into.opus;
  }

  // A tier named by its word (opus, sonnet, haiku, fable; any case).
  void tier(const char* name, ModelTier& into) const {
    const char* value = getenv_(name);
    if (!value || !*value) return;
    std::string word(value);
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (ModelTier known : {ModelTier::opus, ModelTier::sonnet, ModelTier::haiku, ModelTier::fable})
      if (word == to_string(known)) {
        into = known;
        return;
      }
    throw std::invalid_argument(named(name, value) + ": expected opus, sonnet, haiku or fable");
  }

  // One of `words`; false when unset.
  bool word(const char* name, std::string& into, std::initializer_list<std::string_view> words) const {
    const char* value = getenv_(name);
    if (!value || !*value) return false;
    std::string expected;
    for (std::string_view known : words) {
      if (known == value) {
        into = value;
        return true;
      }
      expected.append(expected.empty() ? "" : ", ").append(known);
    }
    throw std::invalid_argument(named(name, value) + ": expected " + expected);
  }

  void effort(const char* name, std::string& into) const {
    std::string value = into;
    text(name, value);
    if (value == "max") value = "xhigh";
    for (std::string_view known : {"none", "minimal", "low", "medium", "high", "xhigh"})
      if (value == known) {
        into = value;
        return;
      }
    throw std::invalid_argument(named(name, value) + ": expected none|minimal|low|medium|high|xhigh");
  }

  void list(const char* name, std::vector<std::string>& into) const {
    const char* value = getenv_(name);
    if (!value) return;
    into.clear();
    std::string_view rest(value);
    while (!rest.empty()) {
      std::string_view item = rest.substr(0, rest.find(','));
      rest.remove_prefix(std::min(rest.size(), item.size() + 1));
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) into.emplace_back(item);
    }
  }

 private:
  // "NAME=value", and " (where it came from)" when the caller knows.
  std::string named(const char* name, std::string_view value) const {
    std::string out = std::string(name) + "=" + std::string(value);
    if (source_of_) out += " (" + source_of_(name) + ")";
    return out;
  }

  const std::function<const char*(const char*)>& getenv_;
  const Settings::SourceOf& source_of_;
};

// The ranges (settings.h lists them next to each field, README in its settings reference).
constexpr Range kPort{0, 65535};
constexpr Range kContextWindow{1'000, 100'000'000, "tokens"};
constexpr Range kClientContext{1'000, 100'000'000, "tokens", /*zero_too=*/true};
constexpr Range kWebFetchTimeout{1, 600, "seconds"};
constexpr Range kJudgeTimeout{1, 600, "seconds"};
constexpr Range kWebFetchMaxChars{100, 1'000'000, "characters"};
constexpr Range kWebFetchSummaryMaxChars{100, 100'000, "characters"};
constexpr Range kWebFetchMaxChain{0, 32};
constexpr Range kTraceMaxMb{1, 1'000'000, "MB"};
constexpr Range kUpstreamRetries{0, 10};
constexpr Range kMaxBodyBytes{1'024, 1'073'741'824, "bytes"};  // 1 KiB .. 1 GiB
constexpr Range kMaxConnections{16, 1'000'000, "", /*zero_too=*/true};
constexpr Range kThreads{1, 256, "", /*zero_too=*/true};
constexpr Range kRequestMemoryMb{16, 65'536, "MiB"};
constexpr Range kHeaderTimeout{1, 3'600, "seconds"};
constexpr Range kConnectTimeout{1, 300, "seconds"};
constexpr Range kStreamTimeout{1, 3'600, "seconds"};  // the first event's, and the idle one
constexpr Range kPingInterval{100, 600'000, "ms"};
constexpr std::chrono::milliseconds kSecond{1'000}, kMillisecond{1};

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

Settings Settings::from_environment(const std::function<const char*(const char*)>& getenv,
                                    const SourceOf& source_of) {
  Settings s;
  EnvReader env(getenv, source_of);
  env.text("CLAUDEGPT_HOST", s.host);
  env.integer("CLAUDEGPT_PORT", s.port, kPort);
  env.text("CLAUDEGPT_PROXY_KEY", s.access_token);
  std::string provider(to_string(s.provider));  // checked below, so errors keep their order
  env.text("CLAUDEGPT_PROVIDER", provider);

  env.text("OPENAI_API_KEY", s.openai_api_key);
  env.text("OPENAI_BASE_URL", s.openai_base_url);
  s.openai_base_url = without_trailing_slashes(s.openai_base_url);

  env.text("AZURE_OPENAI_ENDPOINT", s.azure_endpoint);
  s.azure_endpoint = without_trailing_slashes(s.azure_endpoint);
  // Accept the SDKs' base URL form too (https://RES.openai.azure.com/openai/v1/).
  for (std::string_view suffix : {"/openai/v1", "/openai"})
    if (s.azure_endpoint.ends_with(suffix)) {
      s.azure_endpoint.resize(s.azure_endpoint.size() - suffix.size());
      break;
    }
  env.text("AZURE_OPENAI_API_KEY", s.azure_api_key);
  env.text("AZURE_OPENAI_AD_TOKEN", s.azure_ad_token);
  env.text("AZURE_OPENAI_RESPONSES_API_VERSION", s.azure_responses_api_version, /*keep_empty=*/true);
  env.text("AZURE_OPENAI_API_VERSION", s.azure_api_version);
  env.text("CLAUDEGPT_TOOLS_DEPLOYMENT", s.tools_deployment);

  s.codex_auth_file = default_codex_auth_file(getenv);
  if (const char* base = getenv("CLAUDEGPT_CODEX_BASE_URL"); base && *base)
    s.codex_endpoint = without_trailing_slashes(base) + "/responses";
  env.text("CLAUDEGPT_CODEX_ENDPOINT", s.codex_endpoint);
  env.text("CLAUDEGPT_CODEX_TOKEN_URL", s.codex_token_url);
  env.text("CLAUDEGPT_CODEX_ORIGINATOR", s.codex_originator);

  std::optional<ProviderKind> kind = parse_provider_kind(provider);
  if (!kind)
    throw std::invalid_argument("CLAUDEGPT_PROVIDER: expected openai, azure or codex, got '" +
                                provider + "'");
  s.provider = *kind;
  switch (s.provider) {
    case ProviderKind::openai:
      env.tiers("CLAUDEGPT_OPENAI_OPUS", "CLAUDEGPT_OPENAI_SONNET", "CLAUDEGPT_OPENAI_HAIKU",
                "CLAUDEGPT_OPENAI_FABLE", s.models);
      break;
    case ProviderKind::codex:
      env.tiers("CLAUDEGPT_CODEX_OPUS", "CLAUDEGPT_CODEX_SONNET", "CLAUDEGPT_CODEX_HAIKU",
                "CLAUDEGPT_CODEX_FABLE", s.models);
      break;
    case ProviderKind::azure:
      s.models = {"gpt-5-5", "gpt-54-mini", "gpt-54-nano"};
      env.tiers("AZURE_OPENAI_CHAT_DEPLOYMENT_FULL", "AZURE_OPENAI_CHAT_DEPLOYMENT",
                "AZURE_OPENAI_CHAT_DEPLOYMENT_NANO", "AZURE_OPENAI_CHAT_DEPLOYMENT_FABLE", s.models);
      if (s.azure_endpoint.empty())
        throw std::invalid_argument("AZURE_OPENAI_ENDPOINT: required with CLAUDEGPT_PROVIDER=azure");
      break;
  }
  env.tiers("CLAUDEGPT_CUTOFF_OPUS", "CLAUDEGPT_CUTOFF_SONNET", "CLAUDEGPT_CUTOFF_HAIKU",
            "CLAUDEGPT_CUTOFF_FABLE", s.cutoffs);
  env.tier("CLAUDEGPT_UNKNOWN_CLAUDE_TIER", s.unknown_claude_tier);
  env.flag("CLAUDEGPT_REWRITE_IDENTITY", s.rewrite_identity);

  if (env.has("CLAUDEGPT_REASONING_EFFORT")) {  // one default for every tier
    env.effort("CLAUDEGPT_REASONING_EFFORT", s.efforts.opus);
    s.efforts.sonnet = s.efforts.haiku = s.efforts.opus;
  }
  env.effort("CLAUDEGPT_REASONING_OPUS", s.efforts.opus);
  env.effort("CLAUDEGPT_REASONING_SONNET", s.efforts.sonnet);
  env.effort("CLAUDEGPT_REASONING_HAIKU", s.efforts.haiku);
  s.efforts.fable = s.efforts.opus;
  env.effort("CLAUDEGPT_REASONING_FABLE", s.efforts.fable);
  if (env.has("CLAUDEGPT_TOOLS_REASONING")) {
    env.text("CLAUDEGPT_TOOLS_REASONING", s.tools_effort, /*keep_empty=*/true);
    if (!s.tools_effort.empty()) env.effort("CLAUDEGPT_TOOLS_REASONING", s.tools_effort);
  }
  if (env.has("CLAUDEGPT_EFFORT") && *getenv("CLAUDEGPT_EFFORT")) env.effort("CLAUDEGPT_EFFORT", s.forced_effort);

  env.tiers("CLAUDEGPT_BACKEND_CONTEXT_OPUS", "CLAUDEGPT_BACKEND_CONTEXT_SONNET",
            "CLAUDEGPT_BACKEND_CONTEXT_HAIKU", "CLAUDEGPT_BACKEND_CONTEXT_FABLE", s.backend_context,
            kContextWindow);
  env.integer("CLAUDEGPT_CLIENT_CONTEXT", s.client_context, kClientContext);
  env.flag("CLAUDEGPT_MAP_WEB_SEARCH", s.map_web_search);
  env.flag("CLAUDEGPT_HOSTED_WEB_SEARCH", s.hosted_web_search);
  env.list("CLAUDEGPT_NO_WEB_SEARCH", s.no_web_search);
  env.flag("CLAUDEGPT_MAP_WEB_FETCH", s.map_web_fetch);
  env.duration("CLAUDEGPT_WEB_FETCH_TIMEOUT", s.web_fetch_timeout, kWebFetchTimeout, kSecond);
  env.integer("CLAUDEGPT_WEB_FETCH_MAX_CHARS", s.web_fetch_max_chars, kWebFetchMaxChars);
  env.flag("CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE", s.web_fetch_allow_private);
  s.web_fetch_summarizer_set = env.has("CLAUDEGPT_WEB_FETCH_SUMMARIZER");
  env.text("CLAUDEGPT_WEB_FETCH_SUMMARIZER", s.web_fetch_summarizer, /*keep_empty=*/true);
  env.integer("CLAUDEGPT_WEB_FETCH_SUMMARY_MAX_CHARS", s.web_fetch_summary_max_chars,
              kWebFetchSummaryMaxChars);
  env.integer("CLAUDEGPT_WEB_FETCH_MAX_CHAIN", s.web_fetch_max_chain, kWebFetchMaxChain);
  if (std::string mode; env.word("CLAUDEGPT_AUTO_MODE", mode, {"proxy", "client", "off"}))
    s.auto_mode = mode == "proxy" ? Settings::AutoMode::proxy
                  : mode == "client" ? Settings::AutoMode::client : Settings::AutoMode::off;
  env.text("CLAUDEGPT_JUDGE_MODEL", s.judge_model_name);
  env.effort("CLAUDEGPT_JUDGE_EFFORT", s.judge_effort);
  env.duration("CLAUDEGPT_JUDGE_TIMEOUT", s.judge_timeout, kJudgeTimeout, kSecond);
  env.flag("CLAUDEGPT_BLOCK_MCP", s.block_mcp);
  env.list("CLAUDEGPT_DROP_TOOLS", s.drop_tools);

  env.text("CLAUDEGPT_DEFAULT_MODEL", s.default_model);
  for (char& c : s.default_model) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!s.default_model.empty() && tier_of(s.default_model) == ModelTier::other)
    throw std::invalid_argument("CLAUDEGPT_DEFAULT_MODEL=" + s.default_model +
                                ": expected opus, sonnet, haiku or fable (or empty: Claude Code's own default)");
  // The tier's word ("mythos" is fable): the launcher builds Claude's ids from it.
  if (!s.default_model.empty()) s.default_model = std::string(to_string(tier_of(s.default_model)));
  env.flag("CLAUDEGPT_GLOBAL_ISOLATE", s.isolate_claude_config);
  env.flag("CLAUDEGPT_STATUSLINE", s.status_line);
  // The XDG spec ignores relative values.
  const char* home = getenv("HOME");
  const std::string home_dir = home && *home ? home : "";
  auto xdg_dir = [&](const char* variable, const char* fallback) {
    const char* xdg = getenv(variable);
    if (xdg && *xdg == '/') return std::string(xdg) + "/claudegpt";
    return home_dir.empty() ? std::string() : home_dir + fallback + "/claudegpt";
  };
  std::string config_dir = xdg_dir("XDG_CONFIG_HOME", "/.config");
  if (!config_dir.empty()) s.claude_config_dir = config_dir + "/claude";
  env.text("CLAUDEGPT_CLEAN_CONFIG_DIR", s.claude_config_dir);
  env.text("CLAUDEGPT_CONFIG_DIR", config_dir);

  std::string state_dir;
  try {
    state_dir = default_state_dir(getenv).string();
  } catch (const std::exception&) {  // no home: traces and ledger only where set explicitly
  }
  env.flag("CLAUDEGPT_TRACE", s.trace);
  if (!state_dir.empty()) {
    s.trace_dir = state_dir + "/traces";
    s.ledger_path = state_dir + "/usage.sqlite3";
    s.refusals_file = state_dir + "/refusals.json";
  }
  env.text("CLAUDEGPT_TRACE_DIR", s.trace_dir);
  env.integer("CLAUDEGPT_TRACE_MAX_MB", s.trace_max_mb, kTraceMaxMb);
  env.flag("CLAUDEGPT_LEDGER", s.ledger);
  env.text("CLAUDEGPT_LEDGER_PATH", s.ledger_path);
  if (!config_dir.empty()) s.prices_file = config_dir + "/prices.toml";
  env.text("CLAUDEGPT_PRICES_FILE", s.prices_file);

  env.text("SSL_CERT_FILE", s.ca_bundle);
  env.text("CLAUDEGPT_CA_BUNDLE", s.ca_bundle);
  env.integer("CLAUDEGPT_UPSTREAM_RETRIES", s.upstream_retries, kUpstreamRetries);
  env.integer("CLAUDEGPT_MAX_BODY_BYTES", s.max_body_bytes, kMaxBodyBytes);
  env.integer("CLAUDEGPT_THREADS", s.threads, kThreads);
  env.integer("CLAUDEGPT_MAX_CONNECTIONS", s.max_connections, kMaxConnections);
  if (std::size_t mib = 0; env.integer("CLAUDEGPT_REQUEST_MEMORY_MB", mib, kRequestMemoryMb))
    s.request_memory_bytes = mib * 1024 * 1024;
  env.duration("CLAUDEGPT_HEADER_TIMEOUT", s.header_timeout, kHeaderTimeout, kSecond);
  env.duration("CLAUDEGPT_CONNECT_TIMEOUT", s.connect_timeout, kConnectTimeout, kSecond);
  env.duration("CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT", s.first_event_timeout, kStreamTimeout, kSecond);
  env.duration("CLAUDEGPT_STREAM_IDLE_TIMEOUT", s.idle_timeout, kStreamTimeout, kSecond);
  env.duration("CLAUDEGPT_PING_INTERVAL_MS", s.ping_interval, kPingInterval, kMillisecond);
  return s;
}

ModelTier Settings::tier_for(std::string_view requested_model) const {
  return routing_tier(requested_model, unknown_claude_tier);
}

std::string Settings::upstream_model(std::string_view requested_model, bool carries_tools) const {
  if (carries_tools && provider == ProviderKind::azure && !tools_deployment.empty()) return tools_deployment;
  const std::string* model = models.find(tier_for(requested_model));
  return model ? *model : std::string(requested_model);
}

std::string Settings::cutoff_for(std::string_view requested_model) const {
  const std::string* cutoff = cutoffs.find(tier_for(requested_model));
  return cutoff ? *cutoff : std::string();
}

std::string Settings::effort_for(std::string_view requested_model) const {
  const std::string* effort = efforts.find(tier_for(requested_model));
  return effort ? *effort : efforts.sonnet;
}

std::int64_t Settings::context_window_for(std::string_view requested_model) const {
  const std::int64_t* window = backend_context.find(tier_for(requested_model));
  return window ? *window : 0;
}

double Settings::token_scale_for(std::string_view requested_model) const {
  std::int64_t backend = context_window_for(requested_model);
  if (backend <= 0 || client_context <= 0) return 1.0;
  return static_cast<double>(client_context) / static_cast<double>(backend);
}

std::string Settings::web_fetch_summarizer_model() const {
  return web_fetch_summarizer_set ? web_fetch_summarizer : models.haiku;
}

std::string Settings::judge_model() const { return judge_model_name.empty() ? models.haiku : judge_model_name; }

bool Settings::web_search_allowed(std::string_view upstream_model) const {
  if (!map_web_search || !hosted_web_search) return false;
  for (const std::string& marker : no_web_search)
    if (upstream_model.find(marker) != std::string_view::npos) return false;
  return true;
}

}  // namespace claudegpt
