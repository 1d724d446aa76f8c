#include "launcher/command_guess.h"

#include <algorithm>
#include <array>

namespace claudegpt {
namespace {

// In the order a tie is resolved in.
constexpr std::array<std::string_view, 9> kCommands = {"usage", "config", "setup",      "doctor", "serve",
                                                       "traces", "keys",  "statusline", "judge"};

// Claude Code's subcommands (`claude --help`, 2.1.330) other than the ones claudegpt has
// (doctor) and those it guards (install, update, upgrade): `claudegpt mcp` is Claude Code's.
constexpr std::array<std::string_view, 17> kClaudeSubcommands = {
    "agents", "attach", "auth",    "auto-mode", "gateway",     "import", "logs",
    "mcp",    "plugin", "plugins", "purge",     "respawn",     "rm",     "setup-token",
    "stop",   "kill",   "ultrareview"};

struct Missing {
  std::string_view word;
  std::string_view meant;   // `claudegpt <meant>` is what to run instead, or "" and:
  std::string_view advice;  // a line saying what to do instead
  bool claude_subcommand = false;  // Claude Code's: `claude -- WORD` would run it
};

constexpr std::array<Missing, 11> kMissing = {{
    {"install", "",
     "To install claudegpt: scripts/install in its checkout (Claude Code: `claude install`).",
     true},
    {"uninstall", "", "To remove claudegpt: scripts/install --uninstall in its checkout."},
    {"update", "",
     "To update claudegpt: git pull and scripts/install in its checkout (Claude Code: `claude update`).",
     true},
    {"upgrade", "",
     "To update claudegpt: git pull and scripts/install in its checkout (Claude Code: `claude update`).",
     true},
    {"completion", "", "claudegpt has no shell completion; `claudegpt --help` lists its commands."},
    {"login", "", "claudegpt keeps no login: for a ChatGPT plan, run `codex login`, then `claudegpt setup`."},
    {"logout", "",
     "claudegpt keeps no login: `codex logout` ends a Codex one; `claudegpt setup` changes the backend."},
    {"version", "--version", ""},
    {"help", "--help", ""},
    {"status", "",
     "See `claudegpt doctor` (checks), `claudegpt config` (settings) or `claudegpt usage` (cost)."},
    {"configure", "config", ""},
}};

bool is_bare_word(std::string_view word) {
  if (word.empty() || word.front() == '-') return false;
  return std::all_of(word.begin(), word.end(), [](char c) {  // ASCII, whatever the locale
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string lowered(std::string_view word) {
  std::string out(word);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// How many edits still count as a typo of `command`.
std::size_t allowed_edits(std::string_view word, std::string_view command) {
  return command.size() >= 8 && word.size() >= 6 ? 2 : 1;
}

CommandGuess refusal(std::string_view word, std::string_view meant, std::string_view advice,
                     bool claude_subcommand) {
  CommandGuess guess;
  guess.meant = meant;
  guess.message = "claudegpt: `" + std::string(word) + "` is not a command";
  if (!meant.empty())
    guess.message += "; did you mean `claudegpt " + std::string(meant) + "`?\n";
  else
    guess.message += ".\n" + std::string(advice) + "\n";
  // After `--` Claude Code still runs its own subcommand; in print mode the word is a prompt.
  guess.message += std::string("To send it to the model as a prompt: claudegpt ") +
                   (claude_subcommand ? "-p " : "-- ") + std::string(word) + "\n";
  return guess;
}

}  // namespace

bool is_claudegpt_command(std::string_view word) {
  return std::find(kCommands.begin(), kCommands.end(), word) != kCommands.end();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: the distance between a's first i bytes and b's first j, three rows at a time.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<CommandGuess> guess_command(const std::vector<std::string>& claude_args) {
  if (claude_args.size() != 1) return std::nullopt;
  std::string_view word = claude_args.front();
  if (!is_bare_word(word)) return std::nullopt;
  if (std::find(kClaudeSubcommands.begin(), kClaudeSubcommands.end(), word) != kClaudeSubcommands.end())
    return std::nullopt;
  std::string folded = lowered(word);
  for (const Missing& missing : kMissing)
    if (folded == missing.word) return refusal(word, missing.meant, missing.advice, missing.claude_subcommand);
  // The nearest command within its allowance; the first in kCommands on a tie. `help`
  // counts: `claudegpt help` is the help.
  std::string_view best;
  std::size_t best_distance = 0;
  auto consider = [&](std::string_view command) {
    std::size_t distance = edit_distance(folded, command);
    if (distance <= allowed_edits(folded, command) && (best.empty() || distance < best_distance)) {
      best = command;
      best_distance = distance;
    }
  };
  for (std::string_view command : kCommands) consider(command);
  consider("help");
  if (best.empty()) return std::nullopt;
  return refusal(word, best, "", false);
}

}  // namespace claudegpt
