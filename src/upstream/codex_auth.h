// The ChatGPT-subscription credentials the Codex CLI keeps in auth.json, kept fresh.
//
// auth.json: {"OPENAI_API_KEY": …, "tokens": {"id_token", "access_token", "refresh_token",
// "account_id"}, "last_refresh": …}. The access token is a JWT whose `exp` says when it
// expires; the account id is also its claim "https://api.openai.com/auth".chatgpt_account_id.
//
// Refresh tokens rotate: a used one is dead. So refreshing is single-flight across all
// requests, the file is re-read first (the Codex CLI may have refreshed it already), and the
// new tokens are written back atomically (temp file + rename, mode 0600, other fields kept).
// Blocking (file I/O, one HTTPS POST): call it off the I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace claudegpt {

struct CodexCredentials {
  std::string access_token;   // secret: never logged
  std::string account_id;
};

struct CodexAuthOptions {
  std::string auth_file;      // CLAUDEGPT_CODEX_AUTH, else $CODEX_HOME/auth.json, else ~/.codex/auth.json
  std::string token_url = "https://auth.openai.com/oauth/token";  // CLAUDEGPT_CODEX_TOKEN_URL
  std::string client_id = "app_EMoamEEZ73f0CkXaXp7hrann";
  std::chrono::seconds refresh_margin{300};  // refresh when the token expires within this
  // After a refresh failed for a passing reason (network, 5xx), callers share that failure for
  // this long instead of each waiting on the token endpoint again.
  std::chrono::seconds retry_cooldown{60};
  std::string ca_bundle;      // for the token endpoint, as for the upstream (empty: system store)
};

// Credentials cannot be had: no file, unreadable, the refresh token is dead, or the token
// endpoint cannot be reached or failed. The message never holds a token. When only a new
// login helps it says "run `codex login`" and names the file (a 401 for the client);
// otherwise it gives the token endpoint's status and words, and no such advice (a 503).
struct CodexAuthError : std::runtime_error {
  explicit CodexAuthError(const std::string& message, bool login_needed = true)
      : std::runtime_error(message), login_needed(login_needed) {}
  // True: only `codex login` helps (no file, a refresh token the endpoint calls expired,
  // reused or invalidated). False: anything else the token endpoint did (unreachable, 5xx,
  // 400, another 401, a malformed answer); a later request tries again.
  bool login_needed;
};

class CodexAuth {
 public:
  explicit CodexAuth(CodexAuthOptions options);
  ~CodexAuth();

  // Valid credentials: from memory, else from the file, refreshing once if the access token
  // expires within the margin. Thread-safe; concurrent callers share one refresh.
  CodexCredentials current();

  // The upstream answered 401 to `rejected_access_token`: re-read the file (a newer token
  // there is used as is), else refresh once. Thread-safe, single flight.
  CodexCredentials after_unauthorized(const std::string& rejected_access_token);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The `exp` claim of a JWT (seconds since the epoch), or 0 when it has none or is not a JWT.
std::int64_t jwt_expiry(std::string_view jwt);
// The chatgpt_account_id claim of an access token, or "".
std::string jwt_account_id(std::string_view jwt);

}  // namespace claudegpt
