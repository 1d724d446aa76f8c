// A typo is a billed prompt: `claudegpt usgae` would start Claude Code with the prompt
// "usgae" and GPT would answer it. Before the launcher starts anything, guess_command()
// looks at what would go to Claude Code, and when that is one bare word that looks like a
// claudegpt command, or names a command people try that claudegpt does not have, says what
// was meant instead (main() prints it and exits 2: no proxy, no Claude Code, no request).
// A prompt is still one argument away: `claudegpt -- usgae`, or any prompt with a space.
//
// What is guarded, exactly (pure: no I/O):
//   - only Claude Code's arguments of exactly one element (after the launcher's --effort is
//     taken out), a word of ASCII letters, digits, '-' and '_' that does not start with '-';
//   - Claude Code's own subcommands (`mcp`, `plugin`, `stop`, `auth`, …: kClaudeSubcommands
//     in the .cc, from `claude --help` of 2.1.330) pass unguarded, exactly as spelled, except
//     `install`, `update` and `upgrade`: through claudegpt they would install or update Claude
//     Code, not claudegpt, which is rarely what was meant (the hint names both);
//   - a typo of a claudegpt command (serve, config, setup, doctor, usage, traces, statusline,
//     help): an optimal-string-alignment distance (Damerau–Levenshtein where an adjacent
//     transposition is one edit, each substring edited once), compared case-insensitively, of
//     at most 1, or at most 2 for `statusline` (a command of 8 letters or more) and a word of
//     6 or more. `usgae`, `dcotor`, `conifg`, `serv`, `trace`, `statsline` are each one edit.
//     Two edits from the 5- and 6-letter commands would take in ordinary words (`traces` alone
//     is two edits from 120 dictionary words: `places`, `trains`, `tries`, …); one edit still
//     takes a few (`server`, `tracks`, `sage`, `held`), none a likely one-word prompt, and
//     a false alarm costs one retyped command, not a billed turn;
//   - exact names (case-insensitive) of commands claudegpt lacks: install, uninstall,
//     update, upgrade, completion, login, logout, version, status, configure, and help (when
//     it reaches the launcher at all: `claudegpt help` alone is the help). No typo matching
//     for these: `login` is one edit from `logic`, `completion` two from `compaction`.
// The message's last line says how to send the word anyway: `claudegpt -- WORD`, or for
// install, update and upgrade `claudegpt -p WORD` (after `--` Claude Code would still run its
// own subcommand; in print mode the word is the prompt).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claudegpt {

// Whether `word` (as spelled) is one of claudegpt's commands: serve, config, setup, doctor,
// usage, traces, statusline. main() runs these itself instead of Claude Code.
bool is_claudegpt_command(std::string_view word);

// The optimal string alignment distance between `a` and `b`, byte by byte: insertions,
// deletions, substitutions and transpositions of two adjacent bytes, one edit each.
std::size_t edit_distance(std::string_view a, std::string_view b);

struct CommandGuess {
  std::string meant;    // `claudegpt <meant>` was meant: "usage", "--version"; "" when
                        // the message says what to do instead (install, login, …)
  std::string message;  // what to print to stderr: lines, each ending in '\n'
};

// `claude_args`: what the launcher would pass to Claude Code. nullopt: pass it on.
std::optional<CommandGuess> guess_command(const std::vector<std::string>& claude_args);

}  // namespace claudegpt
