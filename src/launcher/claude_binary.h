// Finding the Claude Code CLI the launcher starts.
#pragma once

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

namespace claudegpt {

// What to tell a user who has no `claude`.
inline constexpr const char* kClaudeMissingMessage =
    "Claude Code is not installed: npm install -g @anthropic-ai/claude-code";

// $CLAUDEGPT_CLAUDE_BIN when set (taken as given: the user named it), else the first
// executable `claude` on $PATH; nullopt when there is none. `getenv` is injectable for tests.
std::optional<std::string> find_claude_binary(
    const std::function<const char*(const char*)>& getenv = [](const char* k) {
      return std::getenv(k);
    });

}  // namespace claudegpt
