#include "upstream/codex_auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

#include <boost/json.hpp>
#include <curl/curl.h>

#include "support/bounded_file.h"
#include "support/log.h"
#include "upstream/user_agent.h"

namespace claudegpt {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr long kConnectTimeoutSeconds = 15;
constexpr long kTotalTimeoutSeconds = 30;
constexpr std::size_t kMaxResponseBytes = 1 << 20;  // a token response is a few KiB
// A real auth.json is a few KiB; a path pointed at /dev/zero fails at once.
constexpr std::size_t kMaxAuthFileBytes = kBoundedFileMaxBytes;
constexpr const char* kLoginHint = "run `codex login` (sign in with ChatGPT)";

// ---- JWT -------------------------------------------------------------------------------

std::optional<std::string> base64url_decode(std::string_view in) {
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    int value = sextet(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

// The payload of header.payload.signature, unverified: we only read what the issuer told us
// about our own token, and the server checks the signature anyway.
std::optional<json::object> jwt_claims(std::string_view jwt) {
  auto first = jwt.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = jwt.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(jwt.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  json::error_code ec;
  json::value claims = json::parse(*payload, ec);
  if (ec || !claims.is_object()) return std::nullopt;
  return std::move(claims.as_object());
}

std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::int64_t seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Good for at least `margin` more. A token whose expiry cannot be read is taken as good:
// only the upstream's 401 can tell.
bool fresh_enough(const std::string& access_token, std::chrono::seconds margin) {
  if (access_token.empty()) return false;
  std::int64_t expiry = jwt_expiry(access_token);
  return expiry <= 0 || expiry - seconds_now() > margin.count();
}

bool not_yet_expired(const std::string& access_token) {
  return fresh_enough(access_token, std::chrono::seconds(0));
}

// RFC 3339 UTC with microseconds, as the Codex CLI writes it.
std::string rfc3339_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1'000'000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(stamp) + "." + std::to_string(1'000'000 + micros).substr(1) + "Z";
}

// ---- auth.json -------------------------------------------------------------------------

struct AuthFile {
  json::object document;  // all of it, so a write-back keeps every field we do not know
  std::string id_token, access_token, refresh_token, account_id;
};

std::string account_id_of(const AuthFile& file, const json::object& tokens) {
  if (std::string id = string_at(tokens, "account_id"); !id.empty()) return id;
  if (std::string id = jwt_account_id(file.access_token); !id.empty()) return id;
  return jwt_account_id(file.id_token);
}

void take_tokens(AuthFile& file) {
  const json::object& tokens = file.document.at("tokens").as_object();
  file.id_token = string_at(tokens, "id_token");
  file.access_token = string_at(tokens, "access_token");
  file.refresh_token = string_at(tokens, "refresh_token");
  file.account_id = account_id_of(file, tokens);
}

// auth.json's text, read as support/bounded_file.h does (at most 1 MiB).
std::string read_whole_file(const std::string& path) {
  BoundedFile file = read_bounded_file(path, kMaxAuthFileBytes);
  switch (file.status) {
    case BoundedFile::Status::read:
      return std::move(file.text);
    case BoundedFile::Status::missing:
      throw CodexAuthError("No Codex login found at " + path + ": " + kLoginHint + " first");
    case BoundedFile::Status::too_large:
      throw CodexAuthError("The Codex login " + path + " is larger than " +
                           std::string(kBoundedFileLimitText) + ": not a Codex login file; " +
                           kLoginHint);
    case BoundedFile::Status::unreadable:
      break;
  }
  throw CodexAuthError("Cannot read the Codex login " + path + " (" + std::strerror(file.error) +
                       "): " + kLoginHint);
}

AuthFile read_auth_file(const std::string& path) {
  if (path.empty())
    throw CodexAuthError(std::string("No Codex login file configured (set CLAUDEGPT_CODEX_AUTH or "
                                     "CODEX_HOME): ") + kLoginHint);
  std::string text = read_whole_file(path);
  json::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object())
    throw CodexAuthError("The Codex login " + path + " is not a JSON object: " + kLoginHint +
                         " to write it again");
  AuthFile file;
  file.document = std::move(parsed.as_object());
  const json::value* tokens = file.document.if_contains("tokens");
  if (!tokens || !tokens->is_object())
    throw CodexAuthError("The Codex login " + path +
                         " holds no ChatGPT tokens (an API-key login?): " + kLoginHint);
  take_tokens(file);
  if (file.access_token.empty() && file.refresh_token.empty())
    throw CodexAuthError("The Codex login " + path + " holds no ChatGPT tokens: " + kLoginHint);
  return file;
}

// Temp file beside the target, fsync, rename: a reader (the Codex CLI, another claudegpt)
// sees the old file or the new one, never half of one. A symlinked auth.json stays a symlink.
void write_atomically(const std::string& path, const std::string& text) {
  fs::path target = path;
  std::error_code ec;
  if (fs::is_symlink(target, ec)) {
    fs::path resolved = fs::canonical(target, ec);
    if (!ec) target = resolved;
  }
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string temp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(temp.data());  // created 0600, O_EXCL
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "create " + temp);
  auto fail = [&](const char* what) {
    int error = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw std::system_error(error, std::generic_category(), std::string(what) + " " + temp);
  };
  if (::fchmod(fd, 0600) != 0) fail("chmod");
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  int closing = fd;
  fd = -1;
  if (::close(closing) != 0) fail("close");
  if (::rename(temp.c_str(), target.c_str()) != 0) fail("rename to");
  // The rename itself survives a crash only once the directory is synced; best effort.
  if (int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

// ---- the token endpoint ----------------------------------------------------------------

struct TokenResponse {
  std::string id_token, access_token, refresh_token;
};

struct RefreshOutcome {
  bool ok = false;
  bool dead = false;     // the endpoint refused the refresh token: only a new login helps
  std::string message;   // for the user; never a token
  TokenResponse tokens;
};

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * count > kMaxResponseBytes) return 0;  // aborts the transfer
  body->append(data, size * count);
  return size * count;
}

// The machine-readable reason in an OAuth error body ("invalid_grant",
// {"error":{"code":"refresh_token_expired"}}), reduced to safe characters; "" if none.
std::string oauth_error_code(const std::string& body) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return "";
  const json::object& object = parsed.as_object();
  std::string code;
  if (const json::value* error = object.if_contains("error")) {
    if (error->is_string()) code = error->get_string();
    else if (error->is_object()) {
      code = string_at(error->get_object(), "code");
      if (code.empty()) code = string_at(error->get_object(), "type");
    }
  }
  if (code.empty()) code = string_at(object, "code");
  std::string safe;
  for (char c : code.substr(0, 64))
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')
      safe.push_back(c);
  return safe;
}

// The token endpoint's own words ("Invalid refresh token."): error_description, or a nested
// error's message; printable ASCII, at most 200 characters, "" when there are none.
std::string oauth_error_description(const std::string& body) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return "";
  const json::object& object = parsed.as_object();
  std::string text = string_at(object, "error_description");
  if (const json::value* error = object.if_contains("error"); text.empty() && error && error->is_object())
    text = string_at(error->get_object(), "message");
  std::string safe;
  for (char c : text.substr(0, 200))
    if (c >= ' ' && c <= '~') safe.push_back(c);
  return safe;
}

// What a body without OAuth fields says (a proxy's or a gateway's text), printable ASCII, at
// most 200 characters; "" for an HTML page, whose markup says nothing readable.
std::string plain_excerpt(const std::string& body) {
  std::string_view text(body);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  if (text.starts_with("<")) return "";
  std::string safe;
  for (char c : text.substr(0, 200)) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c >= ' ' && c <= '~') safe.push_back(c);
  }
  while (!safe.empty() && safe.back() == ' ') safe.pop_back();
  return safe;
}

bool dead_refresh_code(std::string_view code) {
  std::string lower;
  for (char c : code) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower == "refresh_token_expired" || lower == "refresh_token_reused" ||
         lower == "refresh_token_invalidated";
}

RefreshOutcome refresh_over_http(const CodexAuthOptions& options,
                                 const std::string& refresh_token) {
  RefreshOutcome outcome;
  // `scope` as the Codex CLI sent it (RefreshRequest, codex-rs/core/src/auth.rs @f793618e;
  // the later codex-rs/login/src/auth/manager.rs @0126a9dd leaves it out) and CLIProxyAPI
  // does (openai_auth.go @a7e3596b, 2026-08-22): real-services-2026.md §2 reports a 401
  // without it (earendil-works/pi #7001, 2026-07-23). An extra OAuth field costs nothing.
  std::string request = json::serialize(json::object{{"client_id", options.client_id},
                                                     {"grant_type", "refresh_token"},
                                                     {"refresh_token", refresh_token},
                                                     {"scope", "openid profile email"}});
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) {
    outcome.message = "The Codex token endpoint could not be asked: curl_easy_init failed";
    return outcome;
  }
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = curl_slist_append(list, "Accept: application/json");
  list = curl_slist_append(list, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);
  std::string body;
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, options.token_url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, kTotalTimeoutSeconds);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_USERAGENT, claudegpt_user_agent().c_str());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &collect_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  if (!options.ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_bundle.c_str());

  CURLcode code = curl_easy_perform(e);
  if (code != CURLE_OK) {
    outcome.message = "The Codex token endpoint " + options.token_url + " could not be reached: " +
                      (error_buffer[0] ? error_buffer : curl_easy_strerror(code));
    return outcome;
  }
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    std::string reason = oauth_error_code(body);
    std::string words = oauth_error_description(body);
    if (words.empty() && reason.empty()) words = plain_excerpt(body);
    std::string detail = "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason) +
                         (words.empty() ? "" : ": " + words);
    // Only the three codes the Codex CLI names for a dead refresh token say so
    // (classify_refresh_token_failure, codex-rs/login/src/auth/manager.rs; §12). That CLI also
    // gives up on any other 401; claudegpt does not, since a 401 also comes from a refresh the
    // endpoint could not validate (§2): any other failure (400 invalid_grant, such a 401,
    // 5xx) is tried again on a later request.
    outcome.dead = (status == 400 || status == 401) && dead_refresh_code(reason);
    outcome.message = outcome.dead
        ? "The Codex login can no longer be refreshed (" + detail + ")"
        : "The Codex token endpoint " + options.token_url + " did not refresh the access token (" +
              detail + ")";
    return outcome;
  }
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object() || string_at(parsed.as_object(), "access_token").empty()) {
    outcome.message = "The Codex token endpoint " + options.token_url +
                      " answered HTTP 200 without an access token";
    return outcome;
  }
  const json::object& answer = parsed.as_object();
  outcome.ok = true;
  outcome.tokens.id_token = string_at(answer, "id_token");
  outcome.tokens.access_token = string_at(answer, "access_token");
  outcome.tokens.refresh_token = string_at(answer, "refresh_token");
  return outcome;
}

// New tokens into the file's document; a token the endpoint left out keeps its old value.
void apply_refresh(AuthFile& file, const TokenResponse& fresh) {
  json::object& tokens = file.document["tokens"].as_object();
  auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) tokens[key] = value;
  };
  set("id_token", fresh.id_token);
  set("access_token", fresh.access_token);
  set("refresh_token", fresh.refresh_token);
  file.document["last_refresh"] = rfc3339_now();
  take_tokens(file);
}

}  // namespace

// ---- CodexAuth -------------------------------------------------------------------------

struct CodexAuth::Impl {
  struct Failure {
    std::uint64_t flight;        // which refresh attempt failed
    std::string refresh_token;   // with which refresh token
    std::string message;
    bool dead;
    std::int64_t at;             // seconds_now() when it failed
  };

  CodexAuthOptions options;
  // Held across the file read, the POST and the write-back: that is the single flight.
  // Callers queued behind a refresh find its result in `latest` (or its failure).
  std::mutex mutex;
  std::optional<AuthFile> latest;
  // The refresh token our last refresh rotated away. Should the write-back have failed, the
  // file still holds it; it must never be sent again.
  std::string consumed_refresh_token;
  std::atomic<std::uint64_t> flights_done{0};
  std::optional<Failure> last_failure;

  explicit Impl(CodexAuthOptions o) : options(std::move(o)) {}

  static CodexCredentials credentials_of(const AuthFile& file) {
    return {file.access_token, file.account_id};
  }

  // `rejected`: an access token the upstream refused (after_unauthorized), never handed out
  // again; current() passes nothing.
  CodexCredentials credentials(const std::string* rejected) {
    // Flights that end after this point are ones this caller waited for: it shares their
    // failure rather than spend the same refresh token again.
    std::uint64_t flights_seen = flights_done.load();
    std::lock_guard lock(mutex);
    auto acceptable = [&](const AuthFile& file) {
      return (!rejected || file.access_token != *rejected) &&
             fresh_enough(file.access_token, options.refresh_margin);
    };
    if (latest && acceptable(*latest)) return credentials_of(*latest);

    // The Codex CLI may have refreshed (or the user logged in again) since we last looked.
    AuthFile file = read_auth_file(options.auth_file);
    if (latest && !consumed_refresh_token.empty() && file.refresh_token == consumed_refresh_token)
      file = *latest;  // our write-back failed: what we hold is newer than the file
    latest = file;
    if (acceptable(file)) return credentials_of(file);

    if (file.refresh_token.empty())
      throw CodexAuthError("The Codex login " + options.auth_file +
                           " has no refresh token: " + kLoginHint);
    if (last_failure && last_failure->refresh_token == file.refresh_token &&
        (last_failure->dead || last_failure->flight > flights_seen ||
         seconds_now() - last_failure->at < options.retry_cooldown.count()))
      return after_failure(file, rejected, *last_failure, /*log=*/false);

    RefreshOutcome outcome = refresh_over_http(options, file.refresh_token);
    if (!outcome.ok) {
      // Someone else (the Codex CLI, another claudegpt) may have spent it a moment ago and
      // saved the new tokens (the endpoint then refuses ours, in whichever words): look once
      // more before reporting the failure.
      AuthFile again = read_auth_file(options.auth_file);
      if (again.refresh_token != file.refresh_token) {
        latest = file = again;
        if (acceptable(file)) return credentials_of(file);
        outcome = refresh_over_http(options, file.refresh_token);
      }
    }
    std::uint64_t flight = flights_done.fetch_add(1) + 1;
    if (!outcome.ok) {
      last_failure = Failure{flight, file.refresh_token, outcome.message, outcome.dead, seconds_now()};
      return after_failure(file, rejected, *last_failure, /*log=*/true);
    }
    last_failure.reset();
    std::string used = file.refresh_token;
    apply_refresh(file, outcome.tokens);
    if (file.refresh_token != used) consumed_refresh_token = used;
    latest = file;
    try {
      write_atomically(options.auth_file, json::serialize(file.document) + "\n");
    } catch (const std::exception& e) {
      log_warn("refreshed the Codex login but could not save it to ", options.auth_file, ": ",
               e.what(), " (the Codex CLI will need `codex login`)");
    }
    std::int64_t expiry = jwt_expiry(file.access_token);
    log_info("refreshed the Codex login in ", options.auth_file,
             expiry > 0 ? "; valid for " + std::to_string((expiry - seconds_now()) / 60) + " min"
                        : std::string());
    return credentials_of(file);
  }

  // A refresh failed. The access token in hand still serves until it expires (unless the
  // upstream just refused it); past that, a dead login needs the user, a passing failure
  // fails this request only.
  CodexCredentials after_failure(const AuthFile& file, const std::string* rejected,
                                 const Failure& failure, bool log) {
    std::string advice = failure.dead ? std::string(": ") + kLoginHint + " again"
                                      : std::string(" (tried again on a later request)");
    bool usable = (!rejected || file.access_token != *rejected) &&
                  not_yet_expired(file.access_token);
    if (usable) {
      if (log)
        log_warn(failure.message, "; using the current access token until it expires (",
                 options.auth_file, ")", advice);
      return credentials_of(file);
    }
    if (failure.dead)
      throw CodexAuthError(failure.message + ". The saved login in " + options.auth_file +
                           " is no longer valid: " + kLoginHint + " again");
    // A passing failure: nothing for the user to do, and the next request tries again (after
    // retry_cooldown), so the saved login is left as it is.
    std::string state = not_yet_expired(file.access_token) ? " was refused" : " has expired";
    throw CodexAuthError(failure.message + "; the access token in " + options.auth_file + state +
                             ". claudegpt tries the refresh again on a later request",
                         /*login_needed=*/false);
  }
};

CodexAuth::CodexAuth(CodexAuthOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // reference counted, thread-safe in curl >= 7.84
}

CodexAuth::~CodexAuth() { curl_global_cleanup(); }

CodexCredentials CodexAuth::current() { return impl_->credentials(nullptr); }

CodexCredentials CodexAuth::after_unauthorized(const std::string& rejected_access_token) {
  return impl_->credentials(&rejected_access_token);
}

std::int64_t jwt_expiry(std::string_view jwt) {
  auto claims = jwt_claims(jwt);
  if (!claims) return 0;
  const json::value* exp = claims->if_contains("exp");
  if (!exp) return 0;
  if (exp->is_int64()) return exp->get_int64();
  if (exp->is_uint64())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(exp->get_uint64(), INT64_MAX));
  if (exp->is_double()) {
    double seconds = exp->get_double();
    return seconds > 0 && seconds < 9e18 ? static_cast<std::int64_t>(seconds) : 0;
  }
  return 0;
}

std::string jwt_account_id(std::string_view jwt) {
  auto claims = jwt_claims(jwt);
  if (!claims) return "";
  const json::value* auth = claims->if_contains("https://api.openai.com/auth");
  if (!auth || !auth->is_object()) return "";
  return string_at(auth->get_object(), "chatgpt_account_id");
}

}  // namespace claudegpt
