// Where and how a Responses request is sent: the few places where backends differ (URL,
// authentication, fields a backend rejects or requires). The translator knows none of this.
//
//   openai  {OPENAI_BASE_URL}/responses, Authorization: Bearer OPENAI_API_KEY
//   azure   {endpoint}/openai/v1/responses?api-version=preview (or the dated form), api-key
//           or an Entra Bearer token; the deployment is the model; prompt_cache_retention 24h
//   codex   chatgpt.com/backend-api/codex/responses with the ChatGPT login of the Codex CLI;
//           no max_output_tokens/temperature/prompt_cache_retention, instructions required
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/refused_option.h"
#include "core/unverifiable_reasoning.h"

#include "config/settings.h"
#include "upstream/upstream_call.h"

namespace claudegpt {

class CodexAuth;

class Provider {
 public:
  explicit Provider(const Settings& settings);
  ~Provider();

  // The provider's to_string: what the refusal store and /health record.
  const std::string& name() const { return name_; }
  const std::string& endpoint() const { return url_; }  // the Responses URL (no secrets)

  // Applies this backend's body rules to a translated request, and leaves out what the
  // upstream refused before: options for its model (without_refused_option), reasoning it
  // could not verify (without_reasoning).
  void adapt_body(boost::json::object& body) const;

  // The upstream answered `error_body` (a 400) to `sent`: when it refused an optional field
  // on refused_option.h's allow-list, `sent` without it (dropped, or the effort stepped
  // down), to retry with; the refusal is remembered for the model, so that later requests
  // leave it out from the start, and logged the first time. nullopt: not such a refusal.
  struct Lighter {
    std::string body;       // the request to retry with
    std::string model;
    RefusedOption refusal;
    bool first_time;        // not known before: worth keeping (RefusalStore)
  };
  std::optional<Lighter> without_refused_option(const std::string& sent, std::string_view error_body);

  // The upstream could not verify the reasoning `sent` replays (unverifiable_reasoning.h):
  // `sent` without its reasoning items, to retry with; their contents are remembered, so that
  // adapt_body leaves them out of later requests. nullopt: `sent` had none.
  std::optional<std::string> without_reasoning(const std::string& sent);

  // Takes a refusal learnt before (RefusalStore) for `model`; whether it was new.
  bool remember(const std::string& model, const RefusedOption& refusal);

  // Whether credentials() may block (reading auth.json, refreshing a token over HTTPS): if so,
  // call it off the I/O thread.
  bool credentials_may_block() const { return codex_ != nullptr; }

  // The headers that authenticate the next call. Throws CodexAuthError when there are none
  // to be had (the client gets a 401 saying what to do).
  HttpHeaders credentials();

  // The upstream answered 401 to a call made with `used`: fresher credentials to retry with,
  // or nullopt when there are none (the 401 stands). May block like credentials().
  std::optional<HttpHeaders> credentials_after_unauthorized(const HttpHeaders& used);

  // What to do when the upstream refuses this backend's credentials (401, 403), named for the
  // setting that holds them. Claude Code's own advice for a 401 ("run /login") does not apply.
  std::string credentials_fix() const;

  // What to check when the upstream cannot be reached (refused, unresolvable, a certificate
  // that does not verify): where it is, and the setting that says so.
  std::string connection_fix() const;

  // A call of `body` with `credentials` and a User-Agent naming claudegpt (user_agent.h).
  // `session_id`: the body's prompt_cache_key, which is the client's session (the relay's
  // session id, from the same header or metadata; may be empty); on Codex it is sent as the
  // cache-affinity headers session_id, session-id, thread-id and x-client-request-id.
  UpstreamCall make_call(std::shared_ptr<const std::string> body, HttpHeaders credentials,
                         std::string_view session_id) const;

 private:
  HttpHeaders codex_headers(const std::string& access_token, const std::string& account_id) const;

  ProviderKind kind_;
  std::string name_;
  std::string url_;
  HttpHeaders static_credentials_;     // openai, azure
  std::unique_ptr<CodexAuth> codex_;   // codex only
  std::string codex_originator_;
  std::string ca_bundle_;
  std::chrono::milliseconds connect_timeout_;
  mutable std::mutex refusals_mutex_;  // requests of every connection adapt and learn
  std::map<std::string, std::vector<RefusedOption>, std::less<>> refused_;  // by model
  DeadReasoning dead_reasoning_;       // for this process: Claude Code replays them each turn
};

}  // namespace claudegpt
