#include "launcher/launch.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>
#include <thread>

#include <openssl/rand.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/claude_config_dir.h"
#include "launcher/launcher_log.h"
#include "launcher/model_pins.h"
#include "server/http_server.h"
#include "support/log.h"

extern char** environ;

namespace claudegpt {
namespace {

// 32 random bytes, hex.
std::string random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for the proxy token");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

// The signals the launcher takes over while claude runs. They stay blocked in every thread
// (the proxy's threads are started after blocking them, and inherit that) and are taken
// with sigwaitinfo on this thread, so no handler runs anywhere.
sigset_t launcher_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGCHLD}) sigaddset(&set, signal);
  return set;
}

// Blocks the launcher's signals for its lifetime; on the way out, drops those that came in
// meanwhile (a Ctrl-C meant for claude must not end the launcher after the fact) and
// restores the mask and SIGCHLD's disposition.
class SignalScope {
 public:
  SignalScope() : set_(launcher_signals()) {
    pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
    // An ignored SIGCHLD would reap claude for us and hide its exit status.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, &old_chld_);
  }
  ~SignalScope() {
    timespec now{};
    while (sigtimedwait(&set_, nullptr, &now) > 0) {
    }
    sigaction(SIGCHLD, &old_chld_, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  const sigset_t& set() const { return set_; }
  const sigset_t& old_mask() const { return old_mask_; }

 private:
  sigset_t set_;
  sigset_t old_mask_{};
  struct sigaction old_chld_ {};
};

// The current environment with `overrides` replacing (or adding) variables, and `removed`
// gone.
std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& overrides,
                                           const std::set<std::string, std::less<>>& removed) {
  std::set<std::string, std::less<>> replaced(removed);
  for (const auto& [name, value] : overrides) replaced.insert(name);
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view variable = *entry;
    if (!replaced.contains(variable.substr(0, variable.find('=')))) env.emplace_back(variable);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Spawns claude with the original signal mask and no descriptor but 0, 1 and 2; -1 on error.
pid_t spawn_claude(const LaunchOptions& options, std::vector<std::string> env, const sigset_t& mask) {
  std::vector<std::string> argv{options.claude_binary};
  argv.insert(argv.end(), options.claude_args.begin(), options.claude_args.end());
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addclosefrom_np(&files, 3);  // the proxy's sockets are not claude's
  pid_t pid = -1;
  int error = posix_spawnp(&pid, options.claude_binary.c_str(), &files, &attr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (error != 0) {
    std::fprintf(stderr, "claudegpt: cannot start %s: %s\n", options.claude_binary.c_str(), std::strerror(error));
    return -error;
  }
  return pid;
}

// Waits for claude to end, forwarding SIGTERM and SIGHUP; returns its wait status.
int wait_for(pid_t pid, const sigset_t& signals) {
  for (;;) {
    siginfo_t info{};
    int signal = sigwaitinfo(&signals, &info);
    if (signal < 0) continue;  // EINTR
    if (signal == SIGTERM || signal == SIGHUP) {
      ::kill(pid, signal);
    } else if (signal == SIGCHLD) {
      int status = 0;
      pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done == pid) return status;
      if (done < 0 && errno == ECHILD) return 1 << 8;  // reaped elsewhere: "exited 1", not success
    } else if (info.si_code == SI_USER || info.si_code == SI_QUEUE) {
      ::kill(pid, signal);  // SIGINT/SIGQUIT sent by a process (an IDE's stop button): pass it on
    }
    // SIGINT, SIGQUIT from the terminal went to claude too (the whole foreground group): it decides.
  }
}

// Claude Code's exit hint says `claude --resume <id>`, which looks in ~/.claude and cannot find
// a session kept in the isolated config dir. CLAUDE_CODE_RESUME_HINT_COMMAND makes it name
// another command, but only a bare name (2.1.330 checks /^\w[\w-]*$/; a path is ignored): so
// "claudegpt" when that finds this binary on PATH, else nothing, and the launcher says the path
// itself after Claude Code exits (print_resume_hint).
bool on_path_as_claudegpt(const std::function<const char*(const char*)>& getenv) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return false;
  std::string_view path = getenv("PATH") ? getenv("PATH") : "";
  while (!path.empty()) {
    std::string_view dir = path.substr(0, path.find(':'));
    path.remove_prefix(std::min(path.size(), dir.size() + 1));
    if (!dir.empty() && fs::equivalent(fs::path(dir) / "claudegpt", self, ec)) return true;
  }
  return false;
}

// After an interactive session on a terminal (print mode's output may be a script's).
void print_resume_hint(const LaunchOptions& options, const std::string& config_dir, std::time_t started) {
  for (const std::string& arg : options.claude_args)
    if (arg == "-p" || arg == "--print") return;
  if (!::isatty(STDERR_FILENO)) return;
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (auto session = last_session_since(config_dir, started); session && !ec)
    std::fprintf(stderr, "claudegpt: that session is kept in claudegpt's own config; resume it with:\n  %s --resume %s\n",
                 self.c_str(), session->c_str());
}

}  // namespace

std::vector<std::pair<std::string, std::string>> claude_environment(const std::string& base_url,
                                                                     const std::string& token) {
  return {
      {"ANTHROPIC_BASE_URL", base_url},
      {"ANTHROPIC_AUTH_TOKEN", token},  // sent as Bearer; ANTHROPIC_API_KEY is removed
      {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"},
      {"DISABLE_NON_ESSENTIAL_MODEL_CALLS", "1"},
  };
}

std::vector<std::pair<std::string, std::string>> session_environment(
    const Settings& settings, const std::function<const char*(const char*)>& getenv) {
  std::vector<std::pair<std::string, std::string>> env;
  // Claude Code compacts at this window (clamped to its model's): the backend's real one,
  // so the proxy reports true token figures instead of scaling them (see Settings). For the
  // ids it does not know it takes CLAUDE_CODE_MAX_CONTEXT_TOKENS as the window. One value for
  // all tiers: the smallest.
  std::int64_t window = 0;
  for (const char* tier : {"opus", "sonnet", "haiku", "fable"})
    if (std::int64_t w = settings.context_window_for(tier); w > 0 && (window == 0 || w < window)) window = w;
  if (window > 0) {
    env.emplace_back("CLAUDE_CODE_AUTO_COMPACT_WINDOW", std::to_string(window));
    env.emplace_back("CLAUDE_CODE_MAX_CONTEXT_TOKENS", std::to_string(window));
  }
  // A config dir of its own, so the global ~/.claude (MCP servers, skills, agents) does not
  // bloat every request; an explicit CLAUDE_CONFIG_DIR is the user's choice and stays.
  const bool isolated =
      settings.isolate_claude_config && !getenv("CLAUDE_CONFIG_DIR") && !settings.claude_config_dir.empty();
  // A pin or an ANTHROPIC_MODEL the user set stays theirs; ANTHROPIC_MODEL is never set here
  // (it would override /model choices). The pins need the picker the launcher writes in its
  // own config dir (their behavesAs); in the user's, only the default tier is set.
  std::vector<std::pair<std::string, std::string>> models;
  if (isolated) models = model_pin_environment(settings);
  else if (!settings.default_model.empty())
    models.emplace_back("ANTHROPIC_DEFAULT_MODEL", claude_model_id(settings.default_model));
  for (auto& [name, value] : models)
    if (!getenv(name.c_str())) env.emplace_back(name, std::move(value));
  if (isolated) env.emplace_back("CLAUDE_CONFIG_DIR", settings.claude_config_dir);
  return env;
}

// The in-process proxy's thread. However run_claude ends, the proxy stops and the thread is
// joined (destroying a joinable thread would terminate the process).
class ProxyThread {
 public:
  explicit ProxyThread(HttpServer& server) : server_(server), thread_([&server] { server.run_until_stopped(); }) {}
  ~ProxyThread() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

 private:
  HttpServer& server_;
  std::thread thread_;
};

int run_claude(const LaunchOptions& options) {
  Settings settings = options.settings;
  auto getenv = [](const char* name) -> const char* { return std::getenv(name); };
  if (!options.effort.empty()) settings.forced_effort = options.effort;
  auto session = session_environment(settings, getenv);
  std::string isolated_config_dir;
  for (const auto& [name, value] : session) {
    if (name == "CLAUDE_CODE_AUTO_COMPACT_WINDOW") settings.client_context = 0;  // Claude Code knows
    if (name == "CLAUDE_CONFIG_DIR") isolated_config_dir = value;
  }
  bool hint_names_us = false;
  if (!isolated_config_dir.empty()) {
    prepare_config_dir(isolated_config_dir, getenv, settings.status_line, tier_models(settings));
    hint_names_us = on_path_as_claudegpt(getenv);
    if (hint_names_us) session.emplace_back("CLAUDE_CODE_RESUME_HINT_COMMAND", "claudegpt");
  }
  const std::time_t started = std::time(nullptr);
  settings.host = "127.0.0.1";
  settings.port = 0;
  settings.access_token = random_token();

  SignalScope signals;  // before the proxy's threads exist, so they inherit the blocked set
  LauncherLog log(options.log_file, getenv);
  HttpServer server(settings);
  unsigned short port = server.listen(settings.host, 0);
  ProxyThread proxy(server);
  log_info("claudegpt ", CLAUDEGPT_VERSION, " serving ", to_string(settings.provider), " on 127.0.0.1:", port,
           " for claude");

  auto overrides = session;
  overrides.insert(overrides.end(), options.extra_env.begin(), options.extra_env.end());
  for (auto& variable : claude_environment("http://127.0.0.1:" + std::to_string(port), settings.access_token))
    overrides.push_back(std::move(variable));
  // Later entries win: drop earlier duplicates so the proxy address and token always hold.
  std::vector<std::pair<std::string, std::string>> unique;
  for (auto it = overrides.rbegin(); it != overrides.rend(); ++it) {
    bool seen = false;
    for (const auto& kept : unique) seen = seen || kept.first == it->first;
    if (!seen) unique.push_back(*it);
  }
  // Claude Code needs none of the upstream's credentials (and every tool command it runs would
  // see them), and a CLAUDE_CODE_USE_* left set would route it around the proxy.
  std::vector<std::string> env = child_environment(
      unique, {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN",
               "CLAUDEGPT_PROXY_KEY", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX",
               "CLAUDE_CODE_USE_FOUNDRY"});

  int status = -1;
  pid_t pid = spawn_claude(options, std::move(env), signals.old_mask());
  if (pid > 0) status = wait_for(pid, signals.set());

  proxy.stop();
  if (pid > 0 && !isolated_config_dir.empty() && !hint_names_us)
    print_resume_hint(options, isolated_config_dir, started);
  if (pid <= 0) return -pid == ENOENT ? 127 : 126;  // as a shell would say it
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace claudegpt
