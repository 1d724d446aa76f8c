#include "doctor/doctor.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <curl/curl.h>

#include "config/config_sources.h"
#include "config/settings.h"
#include "launcher/claude_binary.h"
#include "support/bounded_file.h"
#include "upstream/codex_auth.h"
#include "upstream/provider.h"
#include "upstream/refusal_store.h"

extern char** environ;

namespace claudegpt {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr long kRequestTimeoutSeconds = 20;
constexpr std::chrono::seconds kVersionTimeout{10};
constexpr const char* kInstallClaude = "npm install -g @anthropic-ai/claude-code";
constexpr const char* kCodexLogin = "run `codex login` (sign in with ChatGPT)";

// Prints the check lines, with every known secret cut out of them: upstream error messages
// and library errors are shown as they come, and some echo what they were sent.
class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}

  void add_secret(std::string secret) {
    if (secret.size() >= 4) secrets_.push_back(std::move(secret));
  }

  void ok(const std::string& what) { emit("ok   " + what); }
  void warn(const std::string& what, const std::string& problem, const std::string& fix) {
    emit("warn " + what + ": " + problem + " \u2014 fix: " + fix);
  }
  void fail(const std::string& what, const std::string& problem, const std::string& fix) {
    failed_ = true;
    emit("FAIL " + what + ": " + problem + " \u2014 fix: " + fix);
  }

  bool failed() const { return failed_; }

 private:
  void emit(std::string line) {
    for (const std::string& secret : secrets_)
      for (auto at = line.find(secret); at != std::string::npos; at = line.find(secret, at))
        line.replace(at, secret.size(), "\u2026");
    out_ << line << '\n';
    out_.flush();  // the network checks take a while: show each line as it is known
  }

  std::ostream& out_;
  std::vector<std::string> secrets_;
  bool failed_ = false;
};

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// A file holding credentials must be the user's alone. A missing file is not this check's
// business (the configuration check says what is missing).
void check_private(Report& report, const std::string& what, const fs::path& path,
                   const std::string& shown) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT)
      report.fail(what, "cannot stat " + shown + " (" + std::strerror(errno) + ")",
                  "check the file and its directory");
    return;
  }
  // A device or a FIFO is no credentials file (the configuration check has said why); telling
  // the user to chmod /dev/zero would not help.
  if (!S_ISREG(info.st_mode)) return;
  if ((info.st_mode & 077) == 0) {
    report.ok(what + " is private (" + octal_mode(info.st_mode) + ")");
    return;
  }
  std::string problem = "mode " + octal_mode(info.st_mode) + ": ";
  problem += (info.st_mode & 044) ? "readable by other users" : "writable by other users";
  report.fail(what, problem, "chmod 600 " + path.string());
}

// ---- configuration ------------------------------------------------------------------------

struct CodexLogin {
  std::string access_token, refresh_token, id_token;
};

// auth.json as the Codex CLI writes it; the problem when it cannot be used.
std::optional<CodexLogin> read_codex_login(const std::string& path, std::string& problem) {
  // Bounded, as CodexAuth reads it: CLAUDEGPT_CODEX_AUTH=/dev/zero must not run the doctor out
  // of memory.
  BoundedFile file = read_bounded_file(path);
  switch (file.status) {
    case BoundedFile::Status::read:
      break;
    case BoundedFile::Status::missing:
      problem = "no Codex login at " + path;
      return std::nullopt;
    case BoundedFile::Status::unreadable:
      problem = "cannot read " + path + " (" + std::strerror(file.error) + ")";
      return std::nullopt;
    case BoundedFile::Status::too_large:
      problem = path + " is larger than " + std::string(kBoundedFileLimitText) +
                ": not a Codex login file";
      return std::nullopt;
  }
  json::error_code ec;
  json::value parsed = json::parse(file.text, ec);
  if (ec || !parsed.is_object()) {
    problem = path + " is not a JSON object";
    return std::nullopt;
  }
  const json::value* tokens = parsed.as_object().if_contains("tokens");
  if (!tokens || !tokens->is_object()) {
    problem = path + " holds no ChatGPT tokens (an API-key login?)";
    return std::nullopt;
  }
  auto string_at = [&](std::string_view key) {
    const json::value* value = tokens->as_object().if_contains(key);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  };
  CodexLogin login{string_at("access_token"), string_at("refresh_token"), string_at("id_token")};
  if (login.access_token.empty() && login.refresh_token.empty()) {
    problem = path + " holds no ChatGPT tokens";
    return std::nullopt;
  }
  return login;
}

std::string duration_text(std::int64_t seconds) {
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 3600) return std::to_string(seconds / 3600) + " h " +
                              std::to_string(seconds % 3600 / 60) + " min";
  return std::to_string(seconds / 60) + " min";
}

void check_codex_token(Report& report, const CodexLogin& login) {
  std::int64_t expiry = jwt_expiry(login.access_token);
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  if (expiry <= 0) {
    // Not a JWT with `exp`: only the upstream can tell, and the request check asks it.
    report.ok("Codex token (expiry not readable; the request check tests it)");
  } else if (expiry > now) {
    report.ok("Codex token valid for " + duration_text(expiry - now));
  } else if (!login.refresh_token.empty()) {
    report.warn("Codex token", "expired " + duration_text(now - expiry) + " ago",
                "none needed: it will be refreshed on first use");
  } else {
    report.fail("Codex token", "expired " + duration_text(now - expiry) +
                                   " ago and there is no refresh token",
                kCodexLogin);
  }
}

// Whether the provider has what it needs; prints the configuration line(s).
bool check_configuration(Report& report, const ConfigSources& sources, const Settings& s) {
  std::string file = sources.display_path(sources.dotenv_path());
  std::string setup = "add it to " + file + " or run `claudegpt setup`";
  std::string what = "configuration (" + std::string(to_string(s.provider)) + ")";
  if (s.provider == ProviderKind::openai) {
    if (s.openai_api_key.empty()) {
      report.fail(what, "OPENAI_API_KEY is not set", setup);
      return false;
    }
    report.ok(what + ": OPENAI_API_KEY from " + sources.source_of("OPENAI_API_KEY"));
    return true;
  }
  if (s.provider == ProviderKind::azure) {
    if (s.azure_api_key.empty() && s.azure_ad_token.empty()) {
      report.fail(what, "neither AZURE_OPENAI_API_KEY nor AZURE_OPENAI_AD_TOKEN is set",
                  "add AZURE_OPENAI_API_KEY to " + file + " or run `claudegpt setup`");
      return false;
    }
    std::string key = s.azure_api_key.empty() ? "AZURE_OPENAI_AD_TOKEN" : "AZURE_OPENAI_API_KEY";
    report.ok(what + ": AZURE_OPENAI_ENDPOINT " + s.azure_endpoint + ", " + key + " from " +
              sources.source_of(key));
    return true;
  }
  // codex
  std::string shown = sources.display_path(s.codex_auth_file);
  std::string problem;
  std::optional<CodexLogin> login = read_codex_login(s.codex_auth_file, problem);
  if (!login) {
    report.fail(what, problem, kCodexLogin);
    check_private(report, "Codex login " + shown, s.codex_auth_file, shown);
    return false;
  }
  report.add_secret(login->access_token);
  report.add_secret(login->refresh_token);
  report.add_secret(login->id_token);
  report.ok(what + ": Codex login " + shown);
  check_private(report, "Codex login " + shown, s.codex_auth_file, shown);
  check_codex_token(report, *login);
  return true;
}

// ---- the claude binary ----------------------------------------------------------------------

struct ProgramOutput {
  bool ran = false;
  bool timed_out = false;
  int exit_code = -1;
  std::string out;
};

// `program arg` with stdout captured, stdin and stderr on /dev/null, killed at `timeout`.
ProgramOutput run_captured(const std::string& program, const char* arg,
                           std::chrono::milliseconds timeout) {
  ProgramOutput result;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv{const_cast<char*>(program.c_str()), const_cast<char*>(arg), nullptr};
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return result;
  }
  result.ran = true;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[1024];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd ready{pipe_fds[0], POLLIN, 0};
    int n = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;  // the deadline check above ends it
    ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (result.out.size() < 4096) result.out.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  if (result.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::string first_line(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return std::string(text.substr(0, 200));
}

void check_claude(Report& report, const ConfigSources& sources) {
  std::optional<std::string> binary = find_claude_binary(sources.getenv());
  if (!binary) {
    report.fail("claude", "Claude Code is not installed (no `claude` on PATH)", kInstallClaude);
    return;
  }
  bool named = sources.get("CLAUDEGPT_CLAUDE_BIN") && *sources.get("CLAUDEGPT_CLAUDE_BIN");
  std::string fix = named ? std::string(kInstallClaude) + ", or correct CLAUDEGPT_CLAUDE_BIN (" +
                                sources.source_of("CLAUDEGPT_CLAUDE_BIN") + ")"
                          : std::string(kInstallClaude);
  struct stat info {};
  if (::stat(binary->c_str(), &info) != 0 || !S_ISREG(info.st_mode) ||
      ::access(binary->c_str(), X_OK) != 0) {
    report.fail("claude", *binary + " is not an executable file", fix);
    return;
  }
  ProgramOutput version = run_captured(*binary, "--version", kVersionTimeout);
  if (!version.ran) {
    report.fail("claude", "cannot run " + *binary, fix);
  } else if (version.timed_out) {
    report.fail("claude", "`" + *binary + " --version` gave no answer within " +
                              std::to_string(kVersionTimeout.count()) + " s",
                "reinstall Claude Code: " + std::string(kInstallClaude));
  } else if (version.exit_code != 0) {
    report.fail("claude", "`" + *binary + " --version` exited with status " +
                              std::to_string(version.exit_code),
                "reinstall Claude Code: " + std::string(kInstallClaude));
  } else {
    std::string line = first_line(version.out);
    report.ok("claude " + (line.empty() ? std::string("(no version printed)") : line) + " at " +
              *binary);
  }
}

// ---- the upstream ---------------------------------------------------------------------------

// The variables a fix names, per provider.
struct ProviderVariables {
  const char* url;
  const char* model;
  std::string key_fix;
};

ProviderVariables variables_of(const Settings& s) {
  if (s.provider == ProviderKind::azure)
    return {"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_CHAT_DEPLOYMENT",
            "check AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN) against the resource's Keys "
            "page in the Azure portal"};
  if (s.provider == ProviderKind::codex)
    return {"CLAUDEGPT_CODEX_ENDPOINT", "CLAUDEGPT_CODEX_SONNET", kCodexLogin};
  return {"OPENAI_BASE_URL", "CLAUDEGPT_OPENAI_SONNET",
          "check OPENAI_API_KEY; create a key at https://platform.openai.com/api-keys"};
}

struct UrlParts {
  std::string scheme, host, port;
};

std::optional<UrlParts> split_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), &curl_url_cleanup);
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return std::nullopt;
  UrlParts parts;
  auto take = [&](CURLUPart part, std::string& into, unsigned flags) {
    char* value = nullptr;
    if (curl_url_get(handle.get(), part, &value, flags) != CURLUE_OK) return false;
    into = value;
    curl_free(value);
    return true;
  };
  if (!take(CURLUPART_SCHEME, parts.scheme, 0) || !take(CURLUPART_HOST, parts.host, 0) ||
      !take(CURLUPART_PORT, parts.port, CURLU_DEFAULT_PORT))
    return std::nullopt;
  if (parts.host.size() > 2 && parts.host.front() == '[')  // an IPv6 literal
    parts.host = parts.host.substr(1, parts.host.size() - 2);
  return parts;
}

bool proxy_configured(const std::string& scheme) {
  std::string lower = scheme + "_proxy";
  std::string upper = lower;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& name : {lower, upper, std::string("all_proxy"), std::string("ALL_PROXY")})
    if (const char* value = std::getenv(name.c_str()); value && *value) return true;
  return false;
}

// Whether the host resolves. With a proxy in between, the proxy resolves it: only a warning.
bool check_dns(Report& report, const UrlParts& url, const ProviderVariables& vars) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int error = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found);
  if (error == 0) {
    char address[NI_MAXHOST] = {};
    ::getnameinfo(found->ai_addr, found->ai_addrlen, address, sizeof address, nullptr, 0,
                  NI_NUMERICHOST);
    ::freeaddrinfo(found);
    report.ok("DNS: " + url.host + " resolves (" + address + ")");
    return true;
  }
  std::string problem = "cannot resolve " + url.host + " (" + ::gai_strerror(error) + ")";
  if (proxy_configured(url.scheme)) {
    report.warn("DNS", problem + "; a proxy is set, which may resolve it",
                "none if the checks below pass");
    return true;
  }
  report.fail("DNS", problem,
              "check the host in " + std::string(vars.url) + " and the network's DNS");
  return false;
}

// What a failed curl transfer means for the user, and what to do about it.
void report_curl_error(Report& report, const std::string& what, CURLcode code,
                       const char* detail, const Settings& s, const ProviderVariables& vars) {
  std::string text = detail && *detail ? detail : curl_easy_strerror(code);
  std::string url_fix = "check " + std::string(vars.url) + ", the network and any proxy " +
                        "(HTTPS_PROXY/NO_PROXY)";
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      report.fail(what, "cannot resolve the host (" + text + ")", url_fix);
      break;
    case CURLE_COULDNT_RESOLVE_PROXY:
      report.fail(what, "cannot resolve the proxy (" + text + ")", "check HTTPS_PROXY/ALL_PROXY");
      break;
    case CURLE_COULDNT_CONNECT:
      report.fail(what, "cannot connect (" + text + ")", url_fix);
      break;
    case CURLE_OPERATION_TIMEDOUT:
      report.fail(what, "timed out (" + text + ")",
                  url_fix + "; a firewall may be dropping the connection");
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      report.fail(what, "the server's TLS certificate is not trusted (" + text + ")",
                  "behind a TLS-inspecting proxy, set CLAUDEGPT_CA_BUNDLE to its CA file" +
                      (s.ca_bundle.empty() ? std::string()
                                           : " (now " + s.ca_bundle + ")"));
      break;
    case CURLE_SSL_CACERT_BADFILE:
      report.fail(what, "the CA bundle cannot be read (" + text + ")",
                  "check CLAUDEGPT_CA_BUNDLE / SSL_CERT_FILE (now " + s.ca_bundle + ")");
      break;
    case CURLE_SSL_CONNECT_ERROR:
      report.fail(what, "the TLS handshake failed (" + text + ")",
                  url_fix + "; an https URL must point at a TLS server");
      break;
    default:
      report.fail(what, text, url_fix);
      break;
  }
}

using EasyHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

EasyHandle new_easy(const Settings& s, const std::string& url, char* error_buffer) {
  EasyHandle easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) return easy;
  CURL* e = easy.get();
  long connect_seconds = static_cast<long>(
      std::chrono::duration_cast<std::chrono::seconds>(s.connect_timeout).count());
  if (connect_seconds <= 0 || connect_seconds > kRequestTimeoutSeconds)
    connect_seconds = kRequestTimeoutSeconds;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect_seconds);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, kRequestTimeoutSeconds);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "claudegpt/" CLAUDEGPT_VERSION " doctor");
  if (!s.ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, s.ca_bundle.c_str());
  return easy;
}

// TCP, plus the TLS handshake for https: connect only, send nothing.
bool check_connection(Report& report, const Settings& s, const std::string& endpoint,
                      const UrlParts& url, const ProviderVariables& vars) {
  bool tls = url.scheme == "https";
  std::string what = (tls ? "TLS handshake with " : "connection to ") + url.host + ":" + url.port;
  char error_buffer[CURL_ERROR_SIZE] = {};
  EasyHandle easy = new_easy(s, endpoint, error_buffer);
  if (!easy) {
    report.fail(what, "curl_easy_init failed", "reinstall libcurl");
    return false;
  }
  curl_easy_setopt(easy.get(), CURLOPT_CONNECT_ONLY, 1L);
  CURLcode code = curl_easy_perform(easy.get());
  if (code != CURLE_OK) {
    report_curl_error(report, what, code, error_buffer, s, vars);
    return false;
  }
  report.ok(what);
  return true;
}

struct Collected {
  std::string body;
  CURL* easy = nullptr;
};

// Keeps the start of the body (an error message fits); a 2xx stream is cut short once it has
// started, since its status is all the check needs.
std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* collected = static_cast<Collected*>(user);
  long status = 0;
  curl_easy_getinfo(collected->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return 0;  // aborts: CURLE_WRITE_ERROR with a 2xx
  if (collected->body.size() < 16 * 1024) collected->body.append(data, size * count);
  return size * count;
}

// The upstream's own words for an error body, when it has them.
std::string error_message(const std::string& body) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const json::object& object = parsed.as_object();
    if (const json::value* error = object.if_contains("error")) {
      if (error->is_string()) return std::string(error->get_string());
      if (error->is_object())
        if (const json::value* message = error->as_object().if_contains("message");
            message && message->is_string())
          return std::string(message->get_string());
    }
    if (const json::value* detail = object.if_contains("detail"); detail && detail->is_string())
      return std::string(detail->get_string());
  }
  return first_line(body);
}

void check_request(Report& report, const Settings& s, Provider& provider,
                   const ProviderVariables& vars) {
  std::string model = s.upstream_model("claude-sonnet");
  std::string what = "request to " + provider.endpoint() + " (model " + model + ")";
  HttpHeaders credentials;
  try {
    credentials = provider.credentials();
  } catch (const CodexAuthError& error) {
    report.fail(what, error.what(),
                error.login_needed ? std::string(kCodexLogin)
                                   : "check the network and try again; if it persists, " +
                                         std::string(kCodexLogin));
    return;
  } catch (const std::exception& error) {
    report.fail(what, error.what(), vars.key_fix);
    return;
  }
  json::object body{
      {"model", model},
      {"input", "ping"},
      {"max_output_tokens", 16},
      {"store", false},
      {"stream", false},
  };
  provider.adapt_body(body);  // codex: streamed, no max_output_tokens, instructions
  auto text = std::make_shared<const std::string>(json::serialize(body));
  UpstreamCall call = provider.make_call(text, std::move(credentials), "");

  char error_buffer[CURL_ERROR_SIZE] = {};
  EasyHandle easy = new_easy(s, call.url, error_buffer);
  if (!easy) {
    report.fail(what, "curl_easy_init failed", "reinstall libcurl");
    return;
  }
  curl_slist* list = curl_slist_append(nullptr, "Expect:");
  for (const auto& [name, value] : call.headers)
    list = curl_slist_append(list, (name + ": " + value).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);
  Collected collected;
  collected.easy = easy.get();
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, call.body->data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body->size()));
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &collected);
  CURLcode code = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && status >= 200 && status < 300)) {
    report_curl_error(report, what, code, error_buffer, s, vars);
    return;
  }
  std::string answer = "HTTP " + std::to_string(status);
  if (status >= 200 && status < 300) {
    report.ok(what + ": credentials and model accepted");
    return;
  }
  std::string message = error_message(collected.body);
  if (!message.empty()) answer += ": " + message;
  if (status == 401 || status == 403) {
    report.fail(what, "the key was refused (" + answer + ")", vars.key_fix);
  } else if (status == 404) {
    report.fail(what, "model/deployment not found (" + answer + ")",
                "check " + std::string(vars.model) + " (now " + model + ") and " + vars.url);
  } else if (status == 429) {
    report.warn(what, "rate limited or out of quota (" + answer + ")",
                "check the account's usage limits and billing");
  } else if (status >= 500) {
    report.warn(what, "the upstream has trouble (" + answer + ")", "try again later");
  } else {
    report.fail(what, "refused (" + answer + ")",
                "check " + std::string(vars.model) + " (now " + model + ") and " + vars.url);
  }
}

void check_upstream(Report& report, const Settings& s, bool credentials_complete) {
  Provider provider(s);
  ProviderVariables vars = variables_of(s);
  std::optional<UrlParts> url = split_url(provider.endpoint());
  if (!url) {
    report.fail("upstream URL", "cannot parse " + provider.endpoint(),
                "set " + std::string(vars.url) + " to an http(s) URL");
    return;
  }
  if (!check_dns(report, *url, vars)) return;
  if (!check_connection(report, s, provider.endpoint(), *url, vars)) return;
  if (!credentials_complete) return;  // the request could only be refused
  check_request(report, s, provider, vars);
}

}  // namespace

// What the upstreams refused and the proxy now leaves out (refusal_store.h): not a failure,
// but worth knowing (a summary less, an effort lower), and undone by --reset-capabilities.
void list_refusals(Report& report, const Settings& settings) {
  for (const StoredRefusal& kept : RefusalStore(settings.refusals_file).load())
    report.warn("left out for " + kept.provider + " " + kept.model,
                "the upstream refused " + kept.refusal.describe() + " (since " + kept.since + ")",
                "none needed; `claudegpt doctor --reset-capabilities` tries it again");
}

int run_doctor(const ConfigSources& sources, std::ostream& out) {
  Report report(out);
  for (const ConfigEntry& entry : sources.entries())
    if (is_secret_setting(entry.name)) report.add_secret(entry.value);

  std::optional<Settings> settings;
  try {
    settings = Settings::from_environment(sources.getenv());
  } catch (const std::exception& error) {
    report.fail("configuration", error.what(),
                "correct it in " + sources.display_path(sources.dotenv_path()) +
                    " or run `claudegpt setup`");
  }
  bool complete = settings && check_configuration(report, sources, *settings);

  check_private(report, "config file " + sources.display_path(sources.dotenv_path()),
                sources.dotenv_path(), sources.display_path(sources.dotenv_path()));
  if (sources.claude_file_found())
    check_private(report, "config file " + sources.display_path(sources.claude_dotenv_path()),
                  sources.claude_dotenv_path(),
                  sources.display_path(sources.claude_dotenv_path()));

  check_claude(report, sources);
  if (settings) check_upstream(report, *settings, complete);
  if (settings) list_refusals(report, *settings);
  return report.failed() ? 1 : 0;
}

}  // namespace claudegpt
