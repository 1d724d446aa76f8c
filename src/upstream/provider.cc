#include "upstream/provider.h"

#include <algorithm>

#include <boost/json.hpp>

#include "core/json_depth.h"
#include "core/json_text.h"
#include "core/known_models.h"
#include "core/unverifiable_reasoning.h"
#include "support/log.h"
#include "upstream/codex_auth.h"
#include "upstream/user_agent.h"

namespace claudegpt {
namespace {

std::string azure_url(const Settings& s) {
  if (!s.azure_api_version.empty())
    return s.azure_endpoint + "/openai/responses?api-version=" + s.azure_api_version;
  std::string url = s.azure_endpoint + "/openai/v1/responses";
  if (!s.azure_responses_api_version.empty()) url += "?api-version=" + s.azure_responses_api_version;
  return url;
}

// The Codex backend wants instructions first-class and non-empty; requests without a system
// prompt (rare side requests) get a neutral one, placed where instructions always stand.
void ensure_instructions(boost::json::object& body) {
  if (const auto* instructions = body.if_contains("instructions");
      instructions && instructions->is_string() && !instructions->get_string().empty())
    return;
  boost::json::object reordered(body.storage());
  reordered.reserve(body.size() + 1);
  for (auto& entry : body) {
    if (entry.key() == "instructions") continue;
    reordered.emplace(entry.key(), std::move(entry.value()));
    if (entry.key() == "model") reordered.emplace("instructions", "You are a helpful assistant.");
  }
  body = std::move(reordered);
}

}  // namespace

Provider::Provider(const Settings& s)
    : kind_(s.provider),
      name_(to_string(s.provider)),
      codex_originator_(s.codex_originator),
      ca_bundle_(s.ca_bundle),
      connect_timeout_(s.connect_timeout) {
  if (s.provider == ProviderKind::azure) {
    url_ = azure_url(s);
    if (!s.azure_api_key.empty()) static_credentials_.emplace_back("api-key", s.azure_api_key);
    else if (!s.azure_ad_token.empty())
      static_credentials_.emplace_back("Authorization", "Bearer " + s.azure_ad_token);
  } else if (s.provider == ProviderKind::codex) {
    url_ = s.codex_endpoint;
    CodexAuthOptions options;
    options.auth_file = s.codex_auth_file;
    options.token_url = s.codex_token_url;
    options.ca_bundle = s.ca_bundle;
    codex_ = std::make_unique<CodexAuth>(std::move(options));
  } else {
    url_ = s.openai_base_url + "/responses";
    if (!s.openai_api_key.empty())
      static_credentials_.emplace_back("Authorization", "Bearer " + s.openai_api_key);
  }
}

Provider::~Provider() = default;

void Provider::adapt_body(boost::json::object& body) const {
  if (kind_ == ProviderKind::azure) {
    body["prompt_cache_retention"] = "24h";
  } else if (kind_ == ProviderKind::codex) {
    for (std::string_view rejected : {"max_output_tokens", "temperature", "prompt_cache_retention"})
      body.erase(rejected);
    body["store"] = false;
    body["stream"] = true;
    ensure_instructions(body);
  }
  const boost::json::value* model = body.if_contains("model");
  if (!model || !model->is_string()) return;
  apply_refusals(known_refusals(model->get_string()), body);
  std::lock_guard lock(refusals_mutex_);
  if (auto known = refused_.find(std::string_view(model->get_string())); known != refused_.end())
    apply_refusals(known->second, body);
  if (dead_reasoning_.size() > 0)
    drop_reasoning_items(body, [this](std::string_view content) { return dead_reasoning_.contains(content); });
}

std::optional<std::string> Provider::without_reasoning(const std::string& sent) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(sent, ec, {}, deep_json());
  if (ec || !parsed.is_object()) return std::nullopt;
  const std::vector<std::string> dropped = drop_reasoning_items(parsed.get_object());
  if (dropped.empty()) return std::nullopt;
  bool first_time;
  {
    std::lock_guard lock(refusals_mutex_);
    first_time = dead_reasoning_.size() == 0;
    for (const std::string& content : dropped) dead_reasoning_.add(content);
  }
  if (first_time)
    log_warn("the upstream could not verify the reasoning sent back (invalid_encrypted_content): "
             "retried without ", dropped.size(), " reasoning item", dropped.size() == 1 ? "" : "s",
             "; thinking from before is left out from now on");
  return json_text(parsed.get_object(), sent.size());
}

std::optional<Provider::Lighter> Provider::without_refused_option(const std::string& sent,
                                                                  std::string_view error_body) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(sent, ec, {}, deep_json());
  if (ec || !parsed.is_object()) return std::nullopt;
  boost::json::object& body = parsed.get_object();
  std::optional<RefusedOption> refusal = refused_option(error_body, body);
  if (!refusal || !apply_refusal(*refusal, body)) return std::nullopt;
  const boost::json::value* model = body.if_contains("model");
  Lighter lighter{json_text(body, sent.size()), model && model->is_string() ? std::string(model->get_string()) : "",
                  *refusal, false};
  lighter.first_time = remember(lighter.model, *refusal);
  if (lighter.first_time)
    log_warn("the upstream refuses ", refusal->describe(), " for ",
             lighter.model.empty() ? "(no model)" : lighter.model,
             ": left out from now on (claudegpt doctor lists what was left out)");
  return lighter;
}

bool Provider::remember(const std::string& model, const RefusedOption& refusal) {
  std::lock_guard lock(refusals_mutex_);
  std::vector<RefusedOption>& known = refused_[model];
  if (std::find(known.begin(), known.end(), refusal) != known.end()) return false;
  known.push_back(refusal);
  return true;
}

HttpHeaders Provider::codex_headers(const std::string& access_token, const std::string& account_id) const {
  HttpHeaders headers;
  headers.emplace_back("Authorization", "Bearer " + access_token);
  headers.emplace_back("chatgpt-account-id", account_id);
  return headers;
}

HttpHeaders Provider::credentials() {
  if (!codex_) return static_credentials_;
  CodexCredentials c = codex_->current();
  return codex_headers(c.access_token, c.account_id);
}

std::optional<HttpHeaders> Provider::credentials_after_unauthorized(const HttpHeaders& used) {
  if (!codex_) return std::nullopt;  // a static key does not get better by asking again
  std::string_view bearer = header_value(used, "Authorization");
  std::string rejected(bearer.starts_with("Bearer ") ? bearer.substr(7) : bearer);
  CodexCredentials c = codex_->after_unauthorized(rejected);
  if (c.access_token == rejected) return std::nullopt;
  return codex_headers(c.access_token, c.account_id);
}

UpstreamCall Provider::make_call(std::shared_ptr<const std::string> body, HttpHeaders credentials,
                                 std::string_view session_id) const {
  UpstreamCall call;
  call.url = url_;
  call.headers = std::move(credentials);
  call.headers.emplace_back("Content-Type", "application/json");
  call.headers.emplace_back("Accept", "text/event-stream");
  // Every backend: a request without a User-Agent is what Cloudflare flags (§6 of
  // real-services-2026.md); the one header, so libcurl adds none of its own.
  call.headers.emplace_back("User-Agent", claudegpt_user_agent());
  if (codex_) {
    call.headers.emplace_back("OpenAI-Beta", "responses=experimental");
    call.headers.emplace_back("originator", codex_originator_);
    // Cache affinity: the Codex CLI of 2026 sends session-id and thread-id
    // (build_session_headers, codex-rs/codex-api/src/requests/headers.rs) and
    // x-client-request-id, all its thread id, which is also its prompt_cache_key (client.rs
    // @d6670823, quoted in "Codex OAuth Cache Affinity", 2026-06-19; §5). The 2025 CLI sent
    // session_id, still sent for the backends that read it.
    if (!session_id.empty()) {
      std::string key(session_id);
      call.headers.emplace_back("session_id", key);
      call.headers.emplace_back("session-id", key);
      call.headers.emplace_back("thread-id", key);
      call.headers.emplace_back("x-client-request-id", key);
    }
  }
  call.body = std::move(body);
  call.connect_timeout = connect_timeout_;
  call.ca_bundle = ca_bundle_;
  return call;
}

std::string Provider::credentials_fix() const {
  if (kind_ == ProviderKind::codex)
    return "the Codex login was refused: run `codex login`, then start claudegpt again "
           "(Claude Code's /login does not apply)";
  const char* key = kind_ == ProviderKind::azure ? "AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN)" : "OPENAI_API_KEY";
  return std::string("check ") + key + " with `claudegpt doctor`, set it with `claudegpt setup` " +
         "(Claude Code's /login does not apply)";
}

std::string Provider::connection_fix() const {
  const char* setting = kind_ == ProviderKind::azure   ? "AZURE_OPENAI_ENDPOINT"
                        : kind_ == ProviderKind::codex ? "CLAUDEGPT_CODEX_BASE_URL"
                                                       : "OPENAI_BASE_URL";
  return "the upstream is " + url_ + ": check the network and " + setting +
         " (`claudegpt doctor` tests it)";
}

}  // namespace claudegpt
