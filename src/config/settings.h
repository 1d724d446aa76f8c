// Everything claudegpt can be told, with its default. Read through a getenv-like function
// (ConfigSources layers flags and .env files under it); the server and upstream client take a
// Settings and never read the environment themselves.
//
// Every number has a range, written after its variable below as min..max (both included); a
// value outside it, or not a whole number, is refused with the variable, the value and, when
// known, where it came from. The ranges keep each number where it means something and where
// the arithmetic on it cannot overflow (seconds × 1000, MiB × 2^20, characters × 8).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/provider_kind.h"
#include "core/model_tier.h"

namespace claudegpt {

// One value per Claude tier (the word in the model name Claude Code asks for). fable, the
// tier above opus, takes opus's value unless its own variable is set.
template <typename T>
struct PerTier {
  T opus{}, sonnet{}, haiku{}, fable{};

  // The value for `tier`; nullptr for models without a tier word.
  const T* find(ModelTier tier) const {
    switch (tier) {
      case ModelTier::opus: return &opus;
      case ModelTier::sonnet: return &sonnet;
      case ModelTier::haiku: return &haiku;
      case ModelTier::fable: return &fable;
      case ModelTier::other: break;
    }
    return nullptr;
  }
};

struct Settings {
  // Where `claudegpt serve` listens.
  std::string host = "127.0.0.1";             // CLAUDEGPT_HOST
  int port = 3210;                            // CLAUDEGPT_PORT, 0..65535 (0: any free port)
  // When set, every request but the probes and /health must carry it as `x-api-key` or a
  // Bearer token (the launcher sets a random one per run, so other local users cannot spend
  // the quota).
  std::string access_token;                   // CLAUDEGPT_PROXY_KEY (secret: never logged)

  ProviderKind provider = ProviderKind::openai;  // CLAUDEGPT_PROVIDER: openai | azure | codex

  // OpenAI.
  std::string openai_api_key;                 // OPENAI_API_KEY (secret: never logged)
  std::string openai_base_url = "https://api.openai.com/v1";  // OPENAI_BASE_URL

  // Azure OpenAI. The deployment name is the upstream model.
  std::string azure_endpoint;                 // AZURE_OPENAI_ENDPOINT
  std::string azure_api_key;                  // AZURE_OPENAI_API_KEY, sent as `api-key`
  std::string azure_ad_token;                 // AZURE_OPENAI_AD_TOKEN, sent as a Bearer token
  std::string azure_responses_api_version = "preview";  // AZURE_OPENAI_RESPONSES_API_VERSION ("" → none)
  std::string azure_api_version;              // AZURE_OPENAI_API_VERSION: the dated URL form
  std::string tools_deployment;               // CLAUDEGPT_TOOLS_DEPLOYMENT: turns carrying tools

  // Codex (ChatGPT subscription).
  std::string codex_auth_file;                // CLAUDEGPT_CODEX_AUTH, $CODEX_HOME/auth.json, ~/.codex/auth.json
  std::string codex_endpoint = "https://chatgpt.com/backend-api/codex/responses";
                                              // CLAUDEGPT_CODEX_ENDPOINT, or CLAUDEGPT_CODEX_BASE_URL + /responses
  std::string codex_token_url = "https://auth.openai.com/oauth/token";  // CLAUDEGPT_CODEX_TOKEN_URL
  std::string codex_originator = "codex_cli_rs";  // CLAUDEGPT_CODEX_ORIGINATOR

  // Upstream model per tier: CLAUDEGPT_OPENAI_*, CLAUDEGPT_CODEX_* or the Azure deployments
  // (AZURE_OPENAI_CHAT_DEPLOYMENT_FULL / _CHAT_DEPLOYMENT / _CHAT_DEPLOYMENT_NANO / _FABLE).
  PerTier<std::string> models{"gpt-5.5", "gpt-5.4-mini", "gpt-5.4-mini", "gpt-5.5"};
  PerTier<std::string> cutoffs;               // CLAUDEGPT_CUTOFF_OPUS|SONNET|HAIKU|FABLE
  // The tier of a Claude name without a tier word ("claude-unknown-9"): never sent upstream
  // as it is, which the upstream would refuse.
  ModelTier unknown_claude_tier = ModelTier::sonnet;  // CLAUDEGPT_UNKNOWN_CLAUDE_TIER
  bool rewrite_identity = true;               // CLAUDEGPT_REWRITE_IDENTITY

  // Reasoning effort: per tier, lower for turns that continue a tool loop, or one for all.
  PerTier<std::string> efforts{"medium", "medium", "medium", "medium"};
                                              // CLAUDEGPT_REASONING_OPUS|SONNET|HAIKU|FABLE
  std::string tools_effort = "low";           // CLAUDEGPT_TOOLS_REASONING ("" → no rule)
  std::string forced_effort;                  // CLAUDEGPT_EFFORT: beats everything

  // Context windows. Claude Code compacts near what it believes its model's window is; the
  // input figures it sees are scaled by client/backend so that happens at the backend's.
  PerTier<std::int64_t> backend_context{400'000, 400'000, 400'000, 400'000};
                                              // CLAUDEGPT_BACKEND_CONTEXT_*, 1000..100000000
  std::int64_t client_context = 1'000'000;    // CLAUDEGPT_CLIENT_CONTEXT, 0 or 1000..100000000
                                              // (0: no scaling)

  // The launcher (`claudegpt [claude args…]`).
  std::string default_model;                  // CLAUDEGPT_DEFAULT_MODEL: the tier new sessions start
                                              // on (opus|sonnet|haiku|fable); "": Claude Code's own
                                              // default (opus). A /model choice beats either.
  bool isolate_claude_config = true;          // CLAUDEGPT_GLOBAL_ISOLATE: a config dir of its own
  bool status_line = true;                    // CLAUDEGPT_STATUSLINE: `claudegpt statusline` in
                                              // the isolated config's settings.json
  std::string claude_config_dir;              // CLAUDEGPT_CLEAN_CONFIG_DIR, default
                                              // $XDG_CONFIG_HOME/claudegpt/claude (~/.config/…)

  // Web search: Anthropic's web_search server tool becomes the Responses hosted web_search
  // tool, when the backend has it (hosted_web_search) and the model is not one of no_web_search
  // (names containing a marker); otherwise the tool is dropped and the model told so.
  bool map_web_search = true;                 // CLAUDEGPT_MAP_WEB_SEARCH
  bool hosted_web_search = true;              // CLAUDEGPT_HOSTED_WEB_SEARCH
  std::vector<std::string> no_web_search{"nano"};  // CLAUDEGPT_NO_WEB_SEARCH (comma list)

  // WebFetch done by the proxy: the model's WebFetch calls are fetched, converted, summarised
  // and answered here, up to web_fetch_max_chain times per turn.
  bool map_web_fetch = true;                  // CLAUDEGPT_MAP_WEB_FETCH
  std::chrono::milliseconds web_fetch_timeout{15'000};  // CLAUDEGPT_WEB_FETCH_TIMEOUT, 1..600 s
  std::size_t web_fetch_max_chars = 50'000;   // CLAUDEGPT_WEB_FETCH_MAX_CHARS, 100..1000000
  bool web_fetch_allow_private = false;       // CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE
  // The model that extracts what the prompt asks from the page; unset: the haiku tier's
  // upstream model; "" (set empty): none, the truncated page itself is the result.
  std::string web_fetch_summarizer;           // CLAUDEGPT_WEB_FETCH_SUMMARIZER
  bool web_fetch_summarizer_set = false;
  std::size_t web_fetch_summary_max_chars = 4'000;  // CLAUDEGPT_WEB_FETCH_SUMMARY_MAX_CHARS,
                                                    // 100..100000
  int web_fetch_max_chain = 4;                // CLAUDEGPT_WEB_FETCH_MAX_CHAIN, 0..32
                                              // (0: every WebFetch goes to Claude Code)

  // Claude Code's auto-mode safety check (core/safeguards.h). proxy: each tool call of a
  // response is judged here, by judge_model at judge_effort; client: the field is declined
  // (400, the way Claude Code documents); off: the field is dropped. With either of those,
  // Claude Code 2.1.332 through a gateway asks the user before each action that needs the check.
  enum class AutoMode { proxy, client, off };
  AutoMode auto_mode = AutoMode::proxy;       // CLAUDEGPT_AUTO_MODE: proxy | client | off
  std::string judge_model_name;               // CLAUDEGPT_JUDGE_MODEL, default the haiku tier's
  std::string judge_effort = "low";           // CLAUDEGPT_JUDGE_EFFORT
  std::chrono::milliseconds judge_timeout{20'000};  // CLAUDEGPT_JUDGE_TIMEOUT, 1..600 s: past it
                                              // the call gets no verdict (it does not run)

  // Tools the upstream never sees.
  bool block_mcp = false;                     // CLAUDEGPT_BLOCK_MCP: every mcp__* tool
  std::vector<std::string> drop_tools{"NotebookEdit"};  // CLAUDEGPT_DROP_TOOLS (comma list)

  // Traces and the usage ledger (src/ledger/). The state dir is $XDG_STATE_HOME/claudegpt,
  // else ~/.local/state/claudegpt; the config dir as for the .env.
  bool trace = true;                          // CLAUDEGPT_TRACE: one JSON file per turn
  std::string trace_dir;                      // CLAUDEGPT_TRACE_DIR, default <state dir>/traces
  std::size_t trace_max_mb = 500;             // CLAUDEGPT_TRACE_MAX_MB, 1..1000000: the oldest
                                              // are pruned past it
  bool ledger = true;                         // CLAUDEGPT_LEDGER: one SQLite row per turn
  std::string ledger_path;                    // CLAUDEGPT_LEDGER_PATH, default <state dir>/usage.sqlite3
  std::string prices_file;                    // CLAUDEGPT_PRICES_FILE, default <config dir>/prices.toml
  std::string refusals_file;                  // <state dir>/refusals.json: optional fields the
                                              // upstream refused (upstream/refusal_store.h)

  // Network.
  std::string ca_bundle;                      // CLAUDEGPT_CA_BUNDLE, else SSL_CERT_FILE
  int upstream_retries = 2;                   // CLAUDEGPT_UPSTREAM_RETRIES, 0..10
  std::size_t max_body_bytes = 32 * 1024 * 1024;  // CLAUDEGPT_MAX_BODY_BYTES, 1024..1073741824

  // I/O threads, each serving its share of the connections with its own upstream client; 0:
  // one per core.
  std::size_t threads = 0;                    // CLAUDEGPT_THREADS, 0 or 1..256

  // What any local process may make the proxy hold (server/connection_table.h,
  // server/memory_budget.h).
  // Client connections at once; 0: as many as the open-file limit leaves room for, each with
  // its upstream connection.
  std::size_t max_connections = 0;            // CLAUDEGPT_MAX_CONNECTIONS, 0 or 16..1000000
  // Bytes buffered from requests still being read (headers and bodies), all connections
  // together; past it, new requests get 503 overloaded_error.
  std::size_t request_memory_bytes = 256 * 1024 * 1024;  // CLAUDEGPT_REQUEST_MEMORY_MB, 16..65536 MiB
  // A request's headers must arrive whole within this long of its first byte.
  std::chrono::milliseconds header_timeout{30'000};       // CLAUDEGPT_HEADER_TIMEOUT, 1..3600 s
  std::chrono::milliseconds connect_timeout{15'000};      // CLAUDEGPT_CONNECT_TIMEOUT, 1..300 s
  std::chrono::milliseconds first_event_timeout{90'000};  // CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT,
                                                          // 1..3600 s
  std::chrono::milliseconds idle_timeout{120'000};        // CLAUDEGPT_STREAM_IDLE_TIMEOUT, 1..3600 s
  // Below 100 ms the pings are a flood (0 sent 120,581 in 6 s), not a keep-alive.
  std::chrono::milliseconds ping_interval{15'000};        // CLAUDEGPT_PING_INTERVAL_MS, 100..600000

  // The tier a requested model name is answered on (routing_tier with unknown_claude_tier).
  ModelTier tier_for(std::string_view requested_model) const;
  // The upstream model for a client's requested model name: by tier, else passed through;
  // on Azure, turns that carry tools go to the tools deployment when one is set.
  std::string upstream_model(std::string_view requested_model, bool carries_tools = false) const;
  std::string cutoff_for(std::string_view requested_model) const;
  std::string effort_for(std::string_view requested_model) const;
  std::int64_t context_window_for(std::string_view requested_model) const;  // 0: unknown
  // What input token figures are multiplied by before Claude Code sees them (1 when unknown).
  double token_scale_for(std::string_view requested_model) const;
  bool web_search_allowed(std::string_view upstream_model) const;
  // The upstream model that summarises fetched pages; empty: none.
  std::string web_fetch_summarizer_model() const;
  // The upstream model that judges tool calls in auto mode.
  std::string judge_model() const;

  // Where a variable's value came from ("environment", "~/.config/claudegpt/.env:4", a flag).
  using SourceOf = std::function<std::string(std::string_view name)>;

  // Reads the variables named above; `getenv` is injectable for tests. Throws
  // std::invalid_argument naming the variable when a value does not parse, is out of its
  // range, or a provider lacks what it needs. With `source_of`, a refused value also says
  // where it came from: "CLAUDEGPT_PING_INTERVAL_MS=0 (~/.config/claudegpt/.env:4): must be
  // between 100 and 600000 ms" (ConfigSources::settings() passes it).
  static Settings from_environment(
      const std::function<const char*(const char*)>& getenv = [](const char* k) {
        return std::getenv(k);
      },
      const SourceOf& source_of = {});
};

}  // namespace claudegpt
