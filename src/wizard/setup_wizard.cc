#include "wizard/setup_wizard.h"

#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include "config/codex_auth_path.h"
#include "config/config_sources.h"
#include "config/dotenv.h"
#include "config/settings.h"
#include "upstream/provider.h"
#include "upstream/upstream_client.h"

extern char** environ;

namespace claudegpt {
namespace {

namespace fs = std::filesystem;

// Why an answer is refused; empty when it is accepted.
using Check = std::function<std::string(const std::string&)>;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool has_space(std::string_view s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c))) return true;
  return false;
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

// Where a key may be sent: https://, or http:// to this machine only (a local gateway, a test
// server), so that a key never crosses a network unencrypted. `example` is the form expected.
std::string check_endpoint(const std::string& url, std::string_view example) {
  const std::string expected = "not a URL: expected " + std::string(example);
  if (has_space(url)) return expected;
  std::string_view rest = url;
  const bool https = rest.starts_with("https://");
  if (https) rest.remove_prefix(8);
  else if (rest.starts_with("http://")) rest.remove_prefix(7);
  else return expected;
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return expected;
    host = authority.substr(0, close + 1);
    port = authority.substr(close + 1);
  } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon);
  }
  if (host.empty() || host == "[]") return expected;
  if (!port.empty() && (port.front() != ':' || port.size() > 6 || !all_digits(port.substr(1))))
    return expected;
  if (!https && !is_loopback_host(host))
    return "http:// would send the key unencrypted: use https://, or http:// only to this "
           "machine (localhost, 127.0.0.1, [::1])";
  return "";
}

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string check_name(const std::string& name) {
  if (name.empty()) return "a name is needed";
  if (has_space(name)) return "a name has no spaces";
  return "";
}

std::string check_key(const std::string& key) {
  if (key.empty()) return "the key is empty";
  if (has_space(key)) return "a key has no spaces";
  return "";
}

// The terminal state to put back if the user interrupts while echo is off.
termios g_saved_termios;
volatile std::sig_atomic_t g_echo_off = 0;

extern "C" void restore_echo_and_die(int signal) {
  if (g_echo_off) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

// Turns the terminal's echo off for as long as it lives (when stdin is a terminal). Any
// signal that ends the process puts the terminal back first; suspending (Ctrl-Z) is held off
// meanwhile, since a stopped process could not.
class EchoOff {
 public:
  explicit EchoOff(bool interactive) {
    if (!interactive || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &g_saved_termios) != 0)
      return;
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    for (std::size_t i = 0; i < kSignals.size(); ++i)
      old_[i] = std::signal(kSignals[i], kSignals[i] == SIGTSTP ? SIG_IGN : restore_echo_and_die);
    g_echo_off = 1;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
  }
  ~EchoOff() {
    if (g_echo_off) {
      tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
      g_echo_off = 0;
      for (std::size_t i = 0; i < kSignals.size(); ++i) std::signal(kSignals[i], old_[i]);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  static constexpr std::array<int, 5> kSignals{SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP};
  bool active_ = false;
  std::array<void (*)(int), 5> old_{};
};

// End of input: the user (or the pipe) has nothing more to say.
struct Cancelled {};

class Prompter {
 public:
  Prompter(std::istream& in, std::ostream& out, bool interactive)
      : in_(in), out_(out), interactive_(interactive) {}

  // Asks until `check` accepts; Enter takes `fallback` when there is one.
  std::string ask(const std::string& question, const std::string& fallback, const Check& check) {
    for (;;) {
      out_ << question;
      if (!fallback.empty()) out_ << " [" << fallback << "]";
      out_ << ": " << std::flush;
      std::string answer = trim(read_line());
      if (answer.empty()) answer = fallback;
      std::string problem = check(answer);
      if (problem.empty()) return answer;
      out_ << "  " << problem << "\n";
    }
  }

  // A secret: echo off, never printed back. Enter keeps `current` when there is one, named
  // by its tail as `claudegpt config` shows it, so the user can tell which key that is.
  std::string ask_secret(const std::string& question, const std::string& current) {
    std::string hint = " (typing is hidden)";
    if (!current.empty()) {
      std::string masked = mask_secret(current);  // "(set)" when too short to show a tail
      hint = " (typing is hidden; Enter keeps the current key" +
             (masked.starts_with("(") ? std::string() : " " + masked) + ")";
    }
    for (;;) {
      std::string answer;
      {
        // Echo goes off before the prompt shows, so nothing typed after it can be echoed.
        EchoOff quiet(interactive_);
        out_ << question << hint << ": " << std::flush;
        answer = trim(read_line());
        if (quiet.active()) out_ << "\n";  // the Enter the terminal did not echo
      }
      if (answer.empty() && !current.empty()) return current;
      std::string problem = check_key(answer);
      if (problem.empty()) return answer;
      out_ << "  " << problem << "\n";
    }
  }

  bool ask_yes_no(const std::string& question, bool fallback) {
    std::string answer = ask(question + (fallback ? " [Y/n]" : " [y/N]"), "",
                             [](const std::string& a) -> std::string {
      static const std::set<std::string> valid{"", "y", "yes", "n", "no", "Y", "N", "Yes", "No"};
      return valid.count(a) ? "" : "answer y or n";
    });
    if (answer.empty()) return fallback;
    return answer[0] == 'y' || answer[0] == 'Y';
  }

 private:
  std::string read_line() {
    std::string line;
    if (!std::getline(in_, line)) throw Cancelled{};
    return line;
  }

  std::istream& in_;
  std::ostream& out_;
  bool interactive_;
};

// `name` as an executable on $PATH, or empty.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? "" : dirs.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
  }
  return "";
}

// Runs `program args…` on the inherited terminal; its exit code, or -1 when it did not run.
int run_program(const std::string& program, std::vector<std::string> args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The answers of one pass through the questions, in the order they are saved.
using Answers = std::vector<std::pair<std::string, std::string>>;

// The settings `answers` would give, laid over what the sources already set.
Settings settings_with(const ConfigSources& sources, const Answers& answers) {
  std::map<std::string, std::string> overlay(answers.begin(), answers.end());
  return Settings::from_environment([&](const char* name) -> const char* {
    auto it = overlay.find(name);
    return it != overlay.end() ? it->second.c_str() : sources.get(name);
  });
}

// One small streamed request with the answers given: whether the upstream takes the
// credentials and the model. Empty when it does, else what went wrong (secrets masked).
std::string test_request(const ConfigSources& sources, const Answers& answers) {
  auto hide = [&](std::string text) {
    for (const auto& [name, secret] : answers) {
      if (secret.empty() || !is_secret_setting(name)) continue;
      for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret))
        text.replace(at, secret.size(), "…");
    }
    return text;
  };
  try {
    Settings settings = settings_with(sources, answers);
    Provider provider(settings);
    boost::json::object body{
        {"model", settings.upstream_model("claude-haiku")},
        {"input", boost::json::array{boost::json::object{{"role", "user"},
                                                         {"content", "Reply with OK."}}}},
        {"max_output_tokens", 16},
        {"stream", true},
    };
    provider.adapt_body(body);
    UpstreamCall call = provider.make_call(std::make_shared<const std::string>(boost::json::serialize(body)),
                                           provider.credentials(), "");
    call.total_timeout = std::chrono::seconds(30);
    int status = 0;
    std::string data;
    UpstreamProgress end;
    boost::asio::io_context io;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          auto transfer = UpstreamClient::of(io.get_executor()).start(std::move(call));
          for (;;) {  // until the status says yes (the stream is dropped then) or the end
            UpstreamProgress got = co_await transfer->next();
            if (got.has_response) status = got.status;
            if (status >= 200 && status < 300) co_return;
            data.append(got.data, 0, 64 * 1024 - std::min<std::size_t>(data.size(), 64 * 1024));
            if (got.finished) {
              end = std::move(got);
              co_return;
            }
          }
        },
        boost::asio::detached);
    io.run();
    if (status >= 200 && status < 300) return "";
    if (status == 0)
      return end.timed_out ? "no answer from " + provider.endpoint() + " within 30 s"
                           : hide("no answer from " + provider.endpoint() + ": " + end.error);
    std::string reason = data.substr(0, 300);
    boost::system::error_code ec;
    auto parsed = boost::json::parse(data, ec);
    if (!ec && parsed.is_object())
      if (auto* error = parsed.as_object().if_contains("error"); error && error->is_object())
        if (auto* message = error->as_object().if_contains("message");
            message && message->is_string())
          reason = std::string(message->as_string());
    return hide("HTTP " + std::to_string(status) + " from " + provider.endpoint() + ": " + reason);
  } catch (const std::exception& error) {
    return hide(error.what());
  }
}

// The .env at `path` with `answers` set: entries for other keys stay as they are, in order.
void save(const ConfigSources& sources, const Answers& answers) {
  fs::path path = sources.dotenv_path();
  auto existing = read_dotenv_file(path, sources.display_path(path))
                      .value_or(std::vector<DotenvEntry>{});
  std::map<std::string, std::string> updates(answers.begin(), answers.end());
  std::set<std::string> written;
  std::vector<DotenvEntry> entries;
  for (auto& entry : existing) {
    auto it = updates.find(entry.key);
    if (it == updates.end()) entries.push_back(std::move(entry));
    else if (written.insert(entry.key).second) entries.push_back({entry.key, it->second});
  }
  for (const auto& [key, value] : answers)
    if (written.insert(key).second) entries.push_back({key, value});
  write_dotenv_file(path, entries);
}

// The questions, one pass at a time. Every question offers the previous answer on Enter: the
// one given earlier in this run (after a failed test request), else the configured value, so
// a rerun, or a second pass to fix one answer, is Enter for everything else.
class Questions {
 public:
  Questions(Prompter& ask, std::ostream& out, const ConfigSources& sources)
      : ask_(ask), out_(out), sources_(sources) {}

  // One pass; nullopt when the chosen backend cannot be used (no Codex login, said why).
  std::optional<Answers> ask_all() {
    Answers answers;
    ProviderKind backend = ask_backend();
    answers.emplace_back("CLAUDEGPT_PROVIDER", std::string(to_string(backend)));
    if (backend == ProviderKind::azure) ask_azure(answers);
    else if (backend == ProviderKind::openai) ask_openai(answers);
    else if (!codex_login_found()) return std::nullopt;
    ask_default_tier(answers);
    for (const auto& [name, value] : answers) given_[name] = value;
    return answers;
  }

 private:
  // The default for `name`: this run's earlier answer, else its configured value, else
  // `fallback`.
  std::string previous(const std::string& name, const std::string& fallback = "") const {
    if (auto it = given_.find(name); it != given_.end()) return it->second;
    const char* value = sources_.get(name.c_str());
    return value && *value ? std::string(value) : fallback;
  }

  ProviderKind ask_backend() {
    static const std::vector<std::pair<std::string, ProviderKind>> kBackends{
        {"1", ProviderKind::azure}, {"2", ProviderKind::openai}, {"3", ProviderKind::codex}};
    out_ << "  1) Azure OpenAI\n"
         << "  2) OpenAI\n"
         << "  3) Codex (your ChatGPT subscription, through the Codex CLI's login)\n";
    // An OPENAI_API_KEY alone runs on openai (provider_configured), so that is the current one.
    std::string configured = previous("CLAUDEGPT_PROVIDER", previous("OPENAI_API_KEY").empty()
                                                                ? "" : "openai");
    std::string fallback;
    for (const auto& [number, backend] : kBackends)
      if (to_string(backend) == configured) fallback = number;
    std::string choice = ask_.ask("Backend (1, 2 or 3)", fallback, [](const std::string& a) {
      for (const auto& [number, backend] : kBackends)
        if (a == number || a == to_string(backend)) return std::string();
      return std::string("answer 1, 2 or 3");
    });
    for (const auto& [number, backend] : kBackends)
      if (choice == number) return backend;
    return *parse_provider_kind(choice);  // the check let only a number or a name through
  }

  void ask_azure(Answers& answers) {
    answers.emplace_back(
        "AZURE_OPENAI_ENDPOINT",
        ask_.ask("Azure endpoint (https://RESOURCE.openai.azure.com)",
                 previous("AZURE_OPENAI_ENDPOINT"), [](const std::string& url) {
                   return check_endpoint(url, "https://RESOURCE.openai.azure.com");
                 }));
    answers.emplace_back("AZURE_OPENAI_API_KEY",
                         ask_.ask_secret("Azure API key", previous("AZURE_OPENAI_API_KEY")));
    out_ << "The deployment each Claude tier uses (Enter takes the one in brackets):\n";
    for (auto [tier, name, fallback] :
         {std::tuple{"opus", "AZURE_OPENAI_CHAT_DEPLOYMENT_FULL", "gpt-5-5"},
          std::tuple{"sonnet", "AZURE_OPENAI_CHAT_DEPLOYMENT", "gpt-54-mini"},
          std::tuple{"haiku", "AZURE_OPENAI_CHAT_DEPLOYMENT_NANO", "gpt-54-nano"}})
      answers.emplace_back(name, ask_.ask(std::string("  Deployment for ") + tier,
                                          previous(name, fallback), check_name));
  }

  void ask_openai(Answers& answers) {
    const Settings defaults;
    std::string url = without_trailing_slashes(
        ask_.ask("OpenAI API base URL", previous("OPENAI_BASE_URL", defaults.openai_base_url),
                 [](const std::string& url) {
                   return check_endpoint(url, "https://HOST/v1, e.g. https://api.openai.com/v1");
                 }));
    // The default goes unwritten unless some source sets the variable: one from the
    // environment must be kept when the environment is gone, one in a file overwritten.
    if (url != defaults.openai_base_url || sources_.get("OPENAI_BASE_URL"))
      answers.emplace_back("OPENAI_BASE_URL", url);
    answers.emplace_back("OPENAI_API_KEY",
                         ask_.ask_secret("OpenAI API key", previous("OPENAI_API_KEY")));
    out_ << "The model each Claude tier uses (Enter takes the one in brackets):\n";
    for (auto [tier, name, fallback] :
         {std::tuple{"opus", "CLAUDEGPT_OPENAI_OPUS", defaults.models.opus},
          std::tuple{"sonnet", "CLAUDEGPT_OPENAI_SONNET", defaults.models.sonnet},
          std::tuple{"haiku", "CLAUDEGPT_OPENAI_HAIKU", defaults.models.haiku}})
      answers.emplace_back(name, ask_.ask(std::string("  Model for ") + tier,
                                          previous(name, fallback), check_name));
  }

  // Whether there is a Codex login, after running `codex login` when there is none.
  bool codex_login_found() {
    std::string auth = default_codex_auth_file(sources_.getenv());
    if (!fs::exists(auth)) {
      std::string codex = find_on_path("codex");
      if (codex.empty()) {
        out_ << "There is no Codex login at " << sources_.display_path(auth)
             << " and the Codex CLI is not installed. Install it and log in:\n"
             << "  npm install -g @openai/codex\n  codex login\n"
             << "then run `claudegpt setup` again.\n";
        return false;
      }
      out_ << "There is no Codex login at " << sources_.display_path(auth)
           << ": running `codex login`.\n" << std::flush;
      run_program(codex, {"login"});
      if (!fs::exists(auth)) {
        out_ << "Still no Codex login at " << sources_.display_path(auth)
             << ". Run `codex login`, then `claudegpt setup` again.\n";
        return false;
      }
    }
    out_ << "Codex login found at " << sources_.display_path(auth) << ".\n";
    return true;
  }

  // The tier Claude Code starts new sessions on. None (the launcher then leaves ANTHROPIC_MODEL
  // unset) lets Claude Code choose and keeps what the user picks with /model, as on
  // Anthropic's API; a tier pins every new session to it.
  void ask_default_tier(Answers& answers) {
    const std::string name = "CLAUDEGPT_DEFAULT_MODEL";
    std::optional<Settings> settings;
    try {
      settings = settings_with(sources_, answers);
    } catch (const std::exception&) {  // another setting is wrong: the test request says which
    }
    if (settings) {
      out_ << "Each Claude tier runs on:\n";
      for (std::string tier : {"opus", "sonnet", "haiku", "fable"})
        out_ << "  " << tier << std::string(8 - tier.size(), ' ')
             << settings->upstream_model(tier) << "\n";
    }
    const std::string now = previous(name);
    std::string tier = ask_.ask(
        "Default model tier for new sessions: opus, sonnet, haiku, or " +
            std::string(now.empty() ? "Enter" : "none") +
            " to keep Claude Code's own choice (your /model choice is remembered)",
        now, [&](const std::string& a) {
          static const std::set<std::string> valid{"", "none", "opus", "sonnet", "haiku", "fable"};
          if (valid.count(lowercase(a)) || a == now) return std::string();
          return std::string("answer opus, sonnet, haiku or none");
        });
    if (tier != now) tier = lowercase(tier);
    if (tier == "none") tier.clear();
    // "None" is written, as an empty value, only over a tier some source sets: the file's own
    // must be overwritten, and an empty one there hides one in ~/.claude/.env.
    const char* configured = sources_.get(name.c_str());
    if (!tier.empty() || (configured && *configured)) answers.emplace_back(name, tier);
    else given_[name] = "";
  }

  static std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  Prompter& ask_;
  std::ostream& out_;
  const ConfigSources& sources_;
  std::map<std::string, std::string> given_;  // the answers of earlier passes
};

// After a failed test request: 't' (try again), 'c' (change the answers), 's' (save anyway) or
// 'q' (quit).
char ask_after_failure(Prompter& ask) {
  std::string answer =
      ask.ask("Try again (t), change the answers (c), save anyway (s) or quit (q)?", "c",
              [](const std::string& a) {
                static const std::set<std::string> valid{"t",   "c",      "s",    "q",
                                                         "try", "change", "save", "quit"};
                return valid.count(a) ? std::string() : std::string("answer t, c, s or q");
              });
  return answer[0];
}

}  // namespace

bool provider_configured(const ConfigSources& sources) {
  for (const char* name : {"CLAUDEGPT_PROVIDER", "OPENAI_API_KEY"})
    if (const char* value = sources.get(name); value && *value) return true;
  return false;
}

std::string missing_settings_message(const ConfigSources& sources) {
  return "No backend is configured: CLAUDEGPT_PROVIDER is not set (nor OPENAI_API_KEY).\n"
         "Run `claudegpt setup` in a terminal, or set in the environment or in " +
         sources.display_path(sources.dotenv_path()) + ":\n"
         "  CLAUDEGPT_PROVIDER=azure   with AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY\n"
         "  CLAUDEGPT_PROVIDER=openai  with OPENAI_API_KEY\n"
         "  CLAUDEGPT_PROVIDER=codex   with a Codex CLI login (`codex login`) at " +
         sources.display_path(default_codex_auth_file(sources.getenv())) + "\n";
}

int run_setup_wizard(std::istream& in, std::ostream& out, const ConfigSources& sources,
                     bool interactive) {
  Prompter ask(in, out, interactive);
  Questions questions(ask, out, sources);
  Answers answers;
  try {
    out << "claudegpt setup: which backend should Claude Code run on? The answers are saved in "
        << sources.display_path(sources.dotenv_path()) << ".\n";
    for (bool settled = false; !settled;) {
      std::optional<Answers> pass = questions.ask_all();
      if (!pass) return 1;
      answers = std::move(*pass);
      settled = true;
      if (!ask.ask_yes_no("Send a test request now?", true)) break;
      for (;;) {
        out << "Testing…\n" << std::flush;
        std::string problem = test_request(sources, answers);
        if (problem.empty()) {
          out << "The test request went through.\n";
          break;
        }
        out << "The test request failed: " << problem << "\n";
        char next = ask_after_failure(ask);
        if (next == 't') continue;
        if (next == 'q') {
          out << "Nothing saved.\n";
          return 1;
        }
        if (next == 'c') {
          out << "Your answers are now the defaults: Enter keeps each one.\n"
              << "Which backend should Claude Code run on?\n";
          settled = false;
        }
        break;
      }
    }
  } catch (const Cancelled&) {
    out << "\nSetup cancelled: nothing saved.\n";
    return 1;
  }

  save(sources, answers);
  out << "Saved to " << sources.display_path(sources.dotenv_path()) << " (mode 0600).\n";
  for (const auto& [key, value] : answers)
    if (const char* env = sources.get(key.c_str());
        env && value != env && sources.source_of(key) == "environment")
      out << "Note: " << key << " is also set in the environment, which takes precedence over "
          << "the file.\n";
  out << "Backend: " << answers.front().second
      << ". Run `claudegpt` to start Claude Code on it.\n";
  return 0;
}

}  // namespace claudegpt
