#include "config/config_sources.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <set>

#include "config/dotenv.h"
#include "support/home_directory.h"

namespace claudegpt {
namespace {

namespace fs = std::filesystem;

// The prefixes read from ~/.claude/.env; unknown keys with them in a .env get a warning.
constexpr std::string_view kOurPrefixes[] = {"CLAUDEGPT_", "AZURE_OPENAI_", "OPENAI_"};

bool has_our_prefix(std::string_view name) {
  return std::any_of(std::begin(kOurPrefixes), std::end(kOurPrefixes),
                     [&](std::string_view p) { return name.starts_with(p); });
}

std::string expand_tilde(std::string path, const std::string& home) {
  if (!home.empty() && (path == "~" || path.starts_with("~/"))) path = home + path.substr(1);
  return path;
}

}  // namespace

const std::vector<std::string_view>& known_settings() {
  static const std::vector<std::string_view> names = {
      // Settings (src/config/settings.h).
      "CLAUDEGPT_HOST", "CLAUDEGPT_PORT", "CLAUDEGPT_PROVIDER",
      "OPENAI_API_KEY", "OPENAI_BASE_URL",
      "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN",
      "AZURE_OPENAI_RESPONSES_API_VERSION", "AZURE_OPENAI_API_VERSION",
      "AZURE_OPENAI_CHAT_DEPLOYMENT_FULL", "AZURE_OPENAI_CHAT_DEPLOYMENT",
      "AZURE_OPENAI_CHAT_DEPLOYMENT_NANO", "AZURE_OPENAI_CHAT_DEPLOYMENT_FABLE",
      "CLAUDEGPT_TOOLS_DEPLOYMENT",
      "CLAUDEGPT_CODEX_AUTH", "CODEX_HOME", "CLAUDEGPT_CODEX_ENDPOINT", "CLAUDEGPT_CODEX_BASE_URL",
      "CLAUDEGPT_CODEX_TOKEN_URL", "CLAUDEGPT_CODEX_ORIGINATOR",
      "CLAUDEGPT_OPENAI_OPUS", "CLAUDEGPT_OPENAI_SONNET", "CLAUDEGPT_OPENAI_HAIKU",
      "CLAUDEGPT_OPENAI_FABLE",
      "CLAUDEGPT_CODEX_OPUS", "CLAUDEGPT_CODEX_SONNET", "CLAUDEGPT_CODEX_HAIKU", "CLAUDEGPT_CODEX_FABLE",
      "CLAUDEGPT_CUTOFF_OPUS", "CLAUDEGPT_CUTOFF_SONNET", "CLAUDEGPT_CUTOFF_HAIKU", "CLAUDEGPT_CUTOFF_FABLE",
      "CLAUDEGPT_UNKNOWN_CLAUDE_TIER", "CLAUDEGPT_REWRITE_IDENTITY",
      "CLAUDEGPT_REASONING_EFFORT", "CLAUDEGPT_REASONING_OPUS", "CLAUDEGPT_REASONING_SONNET",
      "CLAUDEGPT_REASONING_HAIKU", "CLAUDEGPT_REASONING_FABLE", "CLAUDEGPT_TOOLS_REASONING",
      "CLAUDEGPT_EFFORT",
      "CLAUDEGPT_BACKEND_CONTEXT_OPUS", "CLAUDEGPT_BACKEND_CONTEXT_SONNET",
      "CLAUDEGPT_BACKEND_CONTEXT_HAIKU", "CLAUDEGPT_BACKEND_CONTEXT_FABLE", "CLAUDEGPT_CLIENT_CONTEXT",
      "CLAUDEGPT_MAP_WEB_SEARCH", "CLAUDEGPT_HOSTED_WEB_SEARCH", "CLAUDEGPT_NO_WEB_SEARCH",
      "CLAUDEGPT_MAP_WEB_FETCH", "CLAUDEGPT_WEB_FETCH_TIMEOUT", "CLAUDEGPT_WEB_FETCH_MAX_CHARS",
      "CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE", "CLAUDEGPT_WEB_FETCH_SUMMARIZER",
      "CLAUDEGPT_WEB_FETCH_SUMMARY_MAX_CHARS", "CLAUDEGPT_WEB_FETCH_MAX_CHAIN",
      "CLAUDEGPT_BLOCK_MCP", "CLAUDEGPT_DROP_TOOLS",
      "CLAUDEGPT_AUTO_MODE", "CLAUDEGPT_JUDGE_MODEL", "CLAUDEGPT_JUDGE_EFFORT", "CLAUDEGPT_JUDGE_TIMEOUT",
      "CLAUDEGPT_TRACE", "CLAUDEGPT_TRACE_DIR", "CLAUDEGPT_TRACE_MAX_MB", "CLAUDEGPT_LEDGER",
      "CLAUDEGPT_LEDGER_PATH", "CLAUDEGPT_PRICES_FILE", "XDG_STATE_HOME", "CLAUDEGPT_STATUSLINE",
      "CLAUDEGPT_CA_BUNDLE", "SSL_CERT_FILE", "CLAUDEGPT_UPSTREAM_RETRIES",
      "CLAUDEGPT_MAX_BODY_BYTES", "CLAUDEGPT_MAX_CONNECTIONS", "CLAUDEGPT_REQUEST_MEMORY_MB",
      "CLAUDEGPT_HEADER_TIMEOUT", "CLAUDEGPT_CONNECT_TIMEOUT",
      "CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT", "CLAUDEGPT_STREAM_IDLE_TIMEOUT",
      "CLAUDEGPT_PING_INTERVAL_MS", "CLAUDEGPT_PROXY_KEY",
      // The team gateway.
      "CLAUDEGPT_DATABASE_URL",
      // The command and its launcher.
      "CLAUDEGPT_CONFIG_DIR", "CLAUDEGPT_DEFAULT_MODEL", "CLAUDEGPT_GLOBAL_ISOLATE",
      "CLAUDEGPT_CLEAN_CONFIG_DIR", "CLAUDEGPT_CLAUDE_BIN", "CLAUDEGPT_LOG_FILE",
  };
  return names;
}

bool is_secret_setting(std::string_view name) {
  for (std::string_view suffix : {"_KEY", "_TOKEN", "_SECRET", "_PASSWORD"})
    if (name.ends_with(suffix)) return true;
  return name.find("API_KEY") != std::string_view::npos;
}

// Not in the list though they decide where a key goes: OPENAI_BASE_URL and
// AZURE_OPENAI_ENDPOINT. The Python original's users keep them in ~/.claude/.env next to the
// key they receive, so whoever can write that file can read that key there anyway: refusing
// them would break those setups and keep no secret. One that receives a key from another
// source is named at start-up instead (widened_access_warnings). The Codex endpoints are in
// the list: what they receive, the Codex login's tokens (a long-lived refresh token among
// them), never lives in that file. Paths claudegpt writes (traces, ledger, log,
// CLAUDEGPT_CLEAN_CONFIG_DIR) are not: whoever can write ~/.claude/.env can write those
// files directly. Nor is CLAUDEGPT_PORT: CLAUDEGPT_HOST decides who can reach it.
bool widens_access(std::string_view name) {
  static constexpr std::string_view kWidening[] = {
      "CLAUDEGPT_HOST",           "CLAUDEGPT_PROXY_KEY",      "CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE",
      "CLAUDEGPT_CA_BUNDLE",      "SSL_CERT_FILE",            "CLAUDEGPT_CLAUDE_BIN",
      "CLAUDEGPT_CODEX_ENDPOINT", "CLAUDEGPT_CODEX_BASE_URL", "CLAUDEGPT_CODEX_TOKEN_URL",
  };
  return std::find(std::begin(kWidening), std::end(kWidening), name) != std::end(kWidening);
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  // An address, not a name that merely starts like one ("127.example.com").
  std::string text(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  return false;
}

std::string mask_secret(std::string_view value) {
  if (value.empty()) return "(not set)";
  // Only long values show a tail: for a short one, 4 characters would be much of it.
  if (value.size() < 16) return "(set)";
  return "\u2026" + std::string(value.substr(value.size() - 4));
}

namespace {

// Each line of a .env on its own: the ones that parse, warnings for the others; a malformed
// line with one of our prefixes is still an error (the user meant it for us). The file is read
// whole and capped as read_dotenv_file reads it (and fails as it does), then split.
std::vector<DotenvEntry> lenient_entries(const fs::path& path, const std::string& shown,
                                         std::vector<std::string>& warnings) {
  std::vector<DotenvEntry> entries;
  std::optional<std::string> text = read_dotenv_text(path, shown);
  if (!text) return entries;
  std::string_view rest = *text;
  int number = 0;
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string line(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    ++number;
    try {
      for (DotenvEntry& e : parse_dotenv(line, shown)) {
        e.line = number;
        entries.push_back(std::move(e));
      }
    } catch (const DotenvError& error) {
      std::string_view text(line);
      while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
      if (text.starts_with("export ")) text.remove_prefix(7);
      if (has_our_prefix(text)) throw DotenvError(shown, number, error.problem());
      warnings.push_back("skipped unreadable line " + shown + ":" + std::to_string(number));
    }
  }
  return entries;
}

}  // namespace

ConfigSources ConfigSources::load(const std::map<std::string, std::string>& overrides,
                                  const Getenv& getenv,
                                  const std::map<std::string, std::string>& flag_names) {
  ConfigSources s;
  s.overrides_.insert(overrides.begin(), overrides.end());
  s.flag_names_.insert(flag_names.begin(), flag_names.end());
  s.getenv_ = getenv;
  s.home_ = home_directory(getenv);

  // The config dir can come from a flag or the environment, not from a file in it.
  std::string dir;
  if (auto it = s.overrides_.find("CLAUDEGPT_CONFIG_DIR"); it != s.overrides_.end())
    dir = it->second;
  else if (const char* env = getenv("CLAUDEGPT_CONFIG_DIR"); env && *env)
    dir = env;
  if (!dir.empty()) {
    s.config_dir_ = expand_tilde(dir, s.home_);
  } else if (const char* xdg = getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/') {
    s.config_dir_ = fs::path(xdg) / "claudegpt";  // the XDG spec ignores relative values
  } else {
    s.config_dir_ = fs::path(s.home_) / ".config" / "claudegpt";
  }

  auto read_into = [&s](const fs::path& path, bool only_ours,
                        std::map<std::string, FileValue, std::less<>>& into) {
    std::string shown = s.display_path(path);
    std::optional<std::vector<DotenvEntry>> entries;
    try {
      entries = read_dotenv_file(path, shown);
    } catch (const DotenvError& error) {
      // ~/.claude/.env is Claude Code's file, not ours: a line we cannot read there must not
      // stop claudegpt, unless it is one of ours. Read it line by line, skipping the rest.
      if (!only_ours) throw;
      entries = lenient_entries(path, shown, s.warnings_);
    }
    if (!entries) return false;
    for (DotenvEntry& e : *entries) {
      if (only_ours && !has_our_prefix(e.key)) continue;
      std::string source = shown + ":" + std::to_string(e.line);
      if (only_ours && widens_access(e.key)) {
        std::string ignored = e.key + " in " + source +
                              " is ignored: settings that widen access are read only from flags, "
                              "the environment and " + s.display_path(s.dotenv_path());
        s.warnings_.push_back(ignored);
        s.ignored_widening_.push_back(std::move(ignored));
        continue;
      }
      bool known = std::find(known_settings().begin(), known_settings().end(), e.key) !=
                   known_settings().end();
      if (!known && has_our_prefix(e.key))
        s.warnings_.push_back("unknown setting " + e.key + " in " + source);
      into[e.key] = FileValue{std::move(e.value), std::move(source)};  // a later line wins
    }
    return true;
  };
  s.config_file_found_ = read_into(s.dotenv_path(), false, s.config_file_);
  if (!s.home_.empty())
    s.claude_file_found_ = read_into(s.claude_dotenv_path(), true, s.claude_file_);
  return s;
}

fs::path ConfigSources::claude_dotenv_path() const {
  return home_.empty() ? fs::path() : fs::path(home_) / ".claude" / ".env";
}

std::string ConfigSources::display_path(const fs::path& path) const {
  std::string p = path.string();
  if (!home_.empty() && home_ != "/" && p.starts_with(home_ + "/"))
    return "~" + p.substr(home_.size());
  return p;
}

const ConfigSources::FileValue* ConfigSources::from_files(std::string_view name) const {
  if (auto it = config_file_.find(name); it != config_file_.end()) return &it->second;
  if (auto it = claude_file_.find(name); it != claude_file_.end()) return &it->second;
  return nullptr;
}

const char* ConfigSources::get(const char* name) const {
  if (auto it = overrides_.find(std::string_view(name)); it != overrides_.end())
    return it->second.c_str();
  if (getenv_)
    if (const char* env = getenv_(name)) return env;
  if (const FileValue* file = from_files(name)) return file->value.c_str();
  return nullptr;
}

std::string ConfigSources::source_of(std::string_view name) const {
  if (overrides_.find(name) != overrides_.end()) {
    auto flag = flag_names_.find(name);
    return flag != flag_names_.end() ? flag->second : "command line";
  }
  if (getenv_ && getenv_(std::string(name).c_str())) return "environment";
  if (const FileValue* file = from_files(name)) return file->source;
  return "default";
}

std::vector<ConfigEntry> ConfigSources::entries() const {
  std::set<std::string, std::less<>> names(known_settings().begin(), known_settings().end());
  for (const auto& [name, value] : overrides_) names.insert(name);
  for (const auto& [name, value] : config_file_) names.insert(name);
  for (const auto& [name, value] : claude_file_) names.insert(name);
  std::vector<ConfigEntry> out;
  for (const std::string& name : names)
    if (const char* value = get(name.c_str())) out.push_back({name, value, source_of(name)});
  return out;
}

std::vector<std::string> ConfigSources::warnings() const { return warnings_; }

Settings ConfigSources::settings() const {
  return Settings::from_environment(getenv(), [this](std::string_view name) { return source_of(name); });
}

namespace {

// Whether a source is "<file>:<line>" rather than a flag, "environment" or "command line".
bool is_file_source(std::string_view source) {
  std::size_t colon = source.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == source.size()) return false;
  return std::all_of(source.begin() + colon + 1, source.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> widenings_in_effect(const ConfigSources& sources, const Settings& settings,
                                             ProxyFor proxy_for) {
  std::vector<std::string> out;
  auto named = [&](std::string_view name, std::string_view value) {
    return std::string(name) + "=" + std::string(value) + " (" + sources.source_of(name) + ")";
  };
  if (proxy_for == ProxyFor::serve) {
    if (!is_loopback_host(settings.host))
      out.push_back(named("CLAUDEGPT_HOST", settings.host) +
                    ": the proxy can be reached from other machines");
    if (std::string from = sources.source_of("CLAUDEGPT_PROXY_KEY");
        !settings.access_token.empty() && is_file_source(from))
      out.push_back("CLAUDEGPT_PROXY_KEY (" + from +
                    "): a key kept in a file; whoever can read that file can use the proxy");
  }
  if (settings.map_web_fetch && settings.web_fetch_allow_private) {
    const char* value = sources.get("CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE");
    out.push_back(named("CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE", value ? value : "1") +
                  ": WebFetch may reach this machine and private networks");
  }
  if (!settings.ca_bundle.empty()) {
    const char* own = sources.get("CLAUDEGPT_CA_BUNDLE");
    out.push_back(named(own && *own ? "CLAUDEGPT_CA_BUNDLE" : "SSL_CERT_FILE", settings.ca_bundle) +
                  ": the upstream's certificate is checked against this file, not the system's CAs");
  }

  // An endpoint from ~/.claude/.env (allowed there: see widens_access) that receives a key the
  // file does not hold: whoever writes that file would decide where a key goes that they
  // cannot read.
  if (sources.claude_dotenv_path().empty()) return out;
  const std::string claude_file = sources.display_path(sources.claude_dotenv_path()) + ":";
  auto endpoint = [&](const char* name, const std::string& url,
                      std::initializer_list<std::pair<const char*, const std::string*>> keys) {
    if (!sources.source_of(name).starts_with(claude_file)) return;
    for (const auto& [key, value] : keys) {
      std::string from = sources.source_of(key);
      if (value->empty() || from.starts_with(claude_file)) continue;
      out.push_back(named(name, url) + " receives " + key + " (" + from +
                    "): a file Claude Code's tools can write decides where the key goes; set " +
                    name + " in " + sources.display_path(sources.dotenv_path()) + " instead");
      return;
    }
  };
  if (settings.provider == ProviderKind::openai)
    endpoint("OPENAI_BASE_URL", settings.openai_base_url, {{"OPENAI_API_KEY", &settings.openai_api_key}});
  if (settings.provider == ProviderKind::azure)
    endpoint("AZURE_OPENAI_ENDPOINT", settings.azure_endpoint,
             {{"AZURE_OPENAI_API_KEY", &settings.azure_api_key},
              {"AZURE_OPENAI_AD_TOKEN", &settings.azure_ad_token}});
  return out;
}

}  // namespace

std::vector<std::string> widened_access_warnings(const ConfigSources& sources,
                                                 const Settings& settings, ProxyFor proxy_for) {
  std::vector<std::string> out = widenings_in_effect(sources, settings, proxy_for);
  out.insert(out.end(), sources.ignored_widening().begin(), sources.ignored_widening().end());
  return out;
}

namespace {

// One line of `claudegpt config`: a variable, its effective value, where that came from.
class Description {
 public:
  explicit Description(const ConfigSources& sources) : sources_(sources) {}

  // `via` are variables that also feed this value, weaker than `name` (e.g. SSL_CERT_FILE
  // under CLAUDEGPT_CA_BUNDLE).
  void row(std::string_view name, std::string value,
           std::initializer_list<std::string_view> via = {}) {
    std::string source = sources_.source_of(name);
    if (source == "default")
      for (std::string_view other : via)
        if (std::string s = sources_.source_of(other); s != "default") {
          source = s + " via " + std::string(other);
          break;
        }
    if (is_secret_setting(name)) value = mask_secret(value);
    else if (value.empty()) value = "(none)";
    std::string line = "  " + std::string(name);
    pad(line, 40, 1);
    line += value;
    pad(line, 80, 2);
    text_ += line + "[" + source + "]\n";
  }

  // A setting only the launcher reads: shown as set, else its documented default.
  void raw(std::string_view name, std::string_view fallback) {
    const char* value = sources_.get(std::string(name).c_str());
    row(name, value ? std::string(value) : std::string(fallback));
  }

  // Pads `line` with spaces to `column` on screen, at least `min_gap` of them.
  static void pad(std::string& line, std::size_t column, std::size_t min_gap) {
    std::size_t width = 0;
    for (unsigned char c : line)
      if ((c & 0xC0) != 0x80) ++width;  // count UTF-8 characters, not bytes (the "…")
    line.append(std::max(min_gap, column > width ? column - width : 0), ' ');
  }

  void heading(std::string_view title) { text_ += "\n" + std::string(title) + "\n"; }
  void line(std::string_view text) { text_ += std::string(text) + "\n"; }
  std::string text() const { return text_; }

 private:
  const ConfigSources& sources_;
  std::string text_;
};

std::string seconds(std::chrono::milliseconds ms) { return std::to_string(ms.count() / 1000) + "s"; }

template <typename T>
std::string str(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) return value;
  else return std::to_string(value);
}

}  // namespace

std::string describe(const ConfigSources& sources, const Settings& settings) {
  Description d(sources);
  d.line("claudegpt configuration (highest first: flags, environment, config file, ~/.claude/.env, defaults)");
  d.line("  config file      " + sources.display_path(sources.dotenv_path()) +
         (sources.config_file_found() ? "" : " (not found)"));
  if (!sources.claude_dotenv_path().empty())
    d.line("  also read        " + sources.display_path(sources.claude_dotenv_path()) +
           (sources.claude_file_found()
                ? " (CLAUDEGPT_*, AZURE_OPENAI_*, OPENAI_* keys, none that widens access)"
                : " (not found)"));

  d.heading("Backend");
  d.row("CLAUDEGPT_PROVIDER", std::string(to_string(settings.provider)));
  auto tiers = [&](const char* opus, const char* sonnet, const char* haiku, const char* fable) {
    d.row(opus, settings.models.opus);
    d.row(sonnet, settings.models.sonnet);
    d.row(haiku, settings.models.haiku);
    d.row(fable, settings.models.fable, {opus});  // unset: opus's
  };
  if (settings.provider == ProviderKind::azure) {
    d.row("AZURE_OPENAI_ENDPOINT", settings.azure_endpoint);
    d.row("AZURE_OPENAI_API_KEY", settings.azure_api_key);
    d.row("AZURE_OPENAI_AD_TOKEN", settings.azure_ad_token);
    d.row("AZURE_OPENAI_RESPONSES_API_VERSION", settings.azure_responses_api_version);
    d.row("AZURE_OPENAI_API_VERSION", settings.azure_api_version);
    tiers("AZURE_OPENAI_CHAT_DEPLOYMENT_FULL", "AZURE_OPENAI_CHAT_DEPLOYMENT",
          "AZURE_OPENAI_CHAT_DEPLOYMENT_NANO", "AZURE_OPENAI_CHAT_DEPLOYMENT_FABLE");
    d.row("CLAUDEGPT_TOOLS_DEPLOYMENT", settings.tools_deployment);
  } else if (settings.provider == ProviderKind::codex) {
    d.row("CLAUDEGPT_CODEX_AUTH", settings.codex_auth_file, {"CODEX_HOME"});
    d.row("CLAUDEGPT_CODEX_ENDPOINT", settings.codex_endpoint, {"CLAUDEGPT_CODEX_BASE_URL"});
    d.row("CLAUDEGPT_CODEX_TOKEN_URL", settings.codex_token_url);
    d.row("CLAUDEGPT_CODEX_ORIGINATOR", settings.codex_originator);
    tiers("CLAUDEGPT_CODEX_OPUS", "CLAUDEGPT_CODEX_SONNET", "CLAUDEGPT_CODEX_HAIKU", "CLAUDEGPT_CODEX_FABLE");
  } else {
    d.row("OPENAI_API_KEY", settings.openai_api_key);
    d.row("OPENAI_BASE_URL", settings.openai_base_url);
    tiers("CLAUDEGPT_OPENAI_OPUS", "CLAUDEGPT_OPENAI_SONNET", "CLAUDEGPT_OPENAI_HAIKU", "CLAUDEGPT_OPENAI_FABLE");
  }
  d.row("CLAUDEGPT_UNKNOWN_CLAUDE_TIER", std::string(to_string(settings.unknown_claude_tier)));

  d.heading("Reasoning and context");
  d.row("CLAUDEGPT_REASONING_OPUS", settings.efforts.opus, {"CLAUDEGPT_REASONING_EFFORT"});
  d.row("CLAUDEGPT_REASONING_SONNET", settings.efforts.sonnet, {"CLAUDEGPT_REASONING_EFFORT"});
  d.row("CLAUDEGPT_REASONING_HAIKU", settings.efforts.haiku, {"CLAUDEGPT_REASONING_EFFORT"});
  d.row("CLAUDEGPT_REASONING_FABLE", settings.efforts.fable,
        {"CLAUDEGPT_REASONING_OPUS", "CLAUDEGPT_REASONING_EFFORT"});
  d.row("CLAUDEGPT_TOOLS_REASONING", settings.tools_effort);
  d.row("CLAUDEGPT_EFFORT", settings.forced_effort);
  d.row("CLAUDEGPT_BACKEND_CONTEXT_OPUS", str(settings.backend_context.opus));
  d.row("CLAUDEGPT_BACKEND_CONTEXT_SONNET", str(settings.backend_context.sonnet));
  d.row("CLAUDEGPT_BACKEND_CONTEXT_HAIKU", str(settings.backend_context.haiku));
  d.row("CLAUDEGPT_BACKEND_CONTEXT_FABLE", str(settings.backend_context.fable), {"CLAUDEGPT_BACKEND_CONTEXT_OPUS"});
  d.row("CLAUDEGPT_CLIENT_CONTEXT", str(settings.client_context));
  d.row("CLAUDEGPT_CUTOFF_OPUS", settings.cutoffs.opus);
  d.row("CLAUDEGPT_CUTOFF_SONNET", settings.cutoffs.sonnet);
  d.row("CLAUDEGPT_CUTOFF_HAIKU", settings.cutoffs.haiku);
  d.row("CLAUDEGPT_CUTOFF_FABLE", settings.cutoffs.fable, {"CLAUDEGPT_CUTOFF_OPUS"});
  d.row("CLAUDEGPT_REWRITE_IDENTITY", settings.rewrite_identity ? "1" : "0");

  auto joined = [](const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
  };
  auto flag = [](bool on) { return on ? "1" : "0"; };
  d.heading("Web search, web fetch and tool filters");
  d.row("CLAUDEGPT_MAP_WEB_SEARCH", flag(settings.map_web_search));
  d.row("CLAUDEGPT_HOSTED_WEB_SEARCH", flag(settings.hosted_web_search));
  d.row("CLAUDEGPT_NO_WEB_SEARCH", joined(settings.no_web_search));
  d.row("CLAUDEGPT_MAP_WEB_FETCH", flag(settings.map_web_fetch));
  d.row("CLAUDEGPT_WEB_FETCH_TIMEOUT", seconds(settings.web_fetch_timeout));
  d.row("CLAUDEGPT_WEB_FETCH_MAX_CHARS", str(settings.web_fetch_max_chars));
  d.row("CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE", flag(settings.web_fetch_allow_private));
  d.row("CLAUDEGPT_WEB_FETCH_SUMMARIZER", settings.web_fetch_summarizer_set
                                              ? settings.web_fetch_summarizer
                                              : settings.models.haiku + " (the haiku tier)");
  d.row("CLAUDEGPT_WEB_FETCH_SUMMARY_MAX_CHARS", str(settings.web_fetch_summary_max_chars));
  d.row("CLAUDEGPT_WEB_FETCH_MAX_CHAIN", str(settings.web_fetch_max_chain));
  d.row("CLAUDEGPT_BLOCK_MCP", flag(settings.block_mcp));
  d.row("CLAUDEGPT_DROP_TOOLS", joined(settings.drop_tools));

  d.heading("Auto mode's safety check");
  d.row("CLAUDEGPT_AUTO_MODE", settings.auto_mode == Settings::AutoMode::proxy    ? "proxy"
                               : settings.auto_mode == Settings::AutoMode::client ? "client"
                                                                                  : "off");
  d.row("CLAUDEGPT_JUDGE_MODEL", settings.judge_model_name.empty() ? settings.models.haiku + " (the haiku tier)"
                                                                   : settings.judge_model_name);
  d.row("CLAUDEGPT_JUDGE_EFFORT", settings.judge_effort);
  d.row("CLAUDEGPT_JUDGE_TIMEOUT", seconds(settings.judge_timeout));

  d.heading("Traces and the usage ledger");
  d.row("CLAUDEGPT_TRACE", flag(settings.trace));
  d.row("CLAUDEGPT_TRACE_DIR", settings.trace_dir, {"XDG_STATE_HOME"});
  d.row("CLAUDEGPT_TRACE_MAX_MB", str(settings.trace_max_mb));
  d.row("CLAUDEGPT_LEDGER", flag(settings.ledger));
  d.row("CLAUDEGPT_LEDGER_PATH", settings.ledger_path, {"XDG_STATE_HOME"});
  d.row("CLAUDEGPT_PRICES_FILE", settings.prices_file, {"CLAUDEGPT_CONFIG_DIR"});

  d.heading("Network");
  d.row("CLAUDEGPT_CA_BUNDLE", settings.ca_bundle.empty() ? "(system default)" : settings.ca_bundle,
        {"SSL_CERT_FILE"});
  d.row("CLAUDEGPT_CONNECT_TIMEOUT", seconds(settings.connect_timeout));
  d.row("CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT", seconds(settings.first_event_timeout));
  d.row("CLAUDEGPT_STREAM_IDLE_TIMEOUT", seconds(settings.idle_timeout));
  d.row("CLAUDEGPT_PING_INTERVAL_MS", std::to_string(settings.ping_interval.count()) + "ms");
  d.row("CLAUDEGPT_UPSTREAM_RETRIES", str(settings.upstream_retries));
  d.row("CLAUDEGPT_MAX_BODY_BYTES", str(settings.max_body_bytes));
  d.row("CLAUDEGPT_MAX_CONNECTIONS", settings.max_connections ? str(settings.max_connections) : "(from the open-file limit)");
  d.row("CLAUDEGPT_REQUEST_MEMORY_MB", str(settings.request_memory_bytes / (1024 * 1024)));
  d.row("CLAUDEGPT_HEADER_TIMEOUT", seconds(settings.header_timeout));

  d.heading("Launcher and `claudegpt serve`");
  d.raw("CLAUDEGPT_DEFAULT_MODEL", "(Claude Code's own: opus)");
  d.raw("CLAUDEGPT_GLOBAL_ISOLATE", "1");
  d.raw("CLAUDEGPT_STATUSLINE", "1");
  d.raw("CLAUDEGPT_CLEAN_CONFIG_DIR", "(default)");
  d.raw("CLAUDEGPT_CLAUDE_BIN", "(claude on PATH)");
  d.row("CLAUDEGPT_HOST", settings.host);
  d.row("CLAUDEGPT_PORT", str(settings.port));
  d.row("CLAUDEGPT_PROXY_KEY", settings.access_token);

  std::vector<std::string> warnings = sources.warnings();
  for (std::string& w : widenings_in_effect(sources, settings, ProxyFor::serve))
    warnings.push_back(std::move(w));
  if (!warnings.empty()) {
    d.heading("Warnings");
    for (const std::string& w : warnings) d.line("  warning: " + w);
  }
  return d.text();
}

}  // namespace claudegpt
