// `claudegpt [claude args…]`: Claude Code on a private proxy inside this process.
//
// The proxy listens on an ephemeral loopback port and requires a random per-run token, so
// two sessions with different settings run side by side and other local users cannot spend
// the quota. `claude` runs as a child on the same terminal; its exit code is ours.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/settings.h"

namespace claudegpt {

struct LaunchOptions {
  Settings settings;                     // the proxy's; host, port and token are the run's own
  std::string claude_binary;             // from find_claude_binary()
  std::vector<std::string> claude_args;  // passed to claude untouched
  std::string effort;                    // "" → the settings' efforts; else forced on every tier
  // More variables for Claude Code (tests, future settings); they beat the current
  // environment and session_environment() but not the proxy address and token.
  std::vector<std::pair<std::string, std::string>> extra_env;
  std::string log_file;                  // the proxy's log, appended; "" → the state dir's
                                         // rotating claudegpt.log (launcher_log.h)
};

// MAX_THINKING_TOKENS=0 changes nothing 2.1.330 sends (measured: thinking stays adaptive), so
// it is not set. Claude Code 2.1.330 reads these names (found in its binary): MAX_THINKING_TOKENS,
// CLAUDE_CODE_AUTO_COMPACT_WINDOW, CLAUDE_AUTOCOMPACT_PCT_OVERRIDE,
// CLAUDE_CODE_MAX_CONTEXT_TOKENS, ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU,FABLE}_MODEL (+ _NAME,
// _DESCRIPTION), ANTHROPIC_DEFAULT_MODEL, ANTHROPIC_MODEL, CLAUDE_CONFIG_DIR,
// CLAUDE_CODE_RESUME_HINT_COMMAND, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC.
// DISABLE_NON_ESSENTIAL_MODEL_CALLS no longer appears in it (set anyway, for older versions).
// The variables for Claude Code besides `extra_env`, for `base_url` and `token`.
std::vector<std::pair<std::string, std::string>> claude_environment(const std::string& base_url,
                                                                     const std::string& token);

// What the launcher decides for Claude Code beyond the proxy address: the context window
// (the backend's), an isolated CLAUDE_CONFIG_DIR (CLAUDEGPT_GLOBAL_ISOLATE) unless the user
// set one, and with it the model pins (model_pins.h: the upstream model's name per tier, and
// the default tier, CLAUDEGPT_DEFAULT_MODEL) except those the user set. In a config dir of the
// user's, only the default tier is set (ANTHROPIC_DEFAULT_MODEL, as a Claude id).
std::vector<std::pair<std::string, std::string>> session_environment(
    const Settings& settings, const std::function<const char*(const char*)>& getenv);

// Starts the proxy, runs `claude` with the terminal inherited, and returns its exit code
// (128 + signal when a signal ended it; 127 when it could not be started). While claude
// runs, SIGTERM and SIGHUP are forwarded to it, and SIGINT/SIGQUIT are left to it alone
// (the terminal sends them to the whole foreground process group). Throws when the proxy
// cannot start.
int run_claude(const LaunchOptions& options);

}  // namespace claudegpt
