// The launcher's own arguments among Claude Code's: `claudegpt [claude args…]` passes
// everything to `claude` except `--effort LEVEL` / `--effort=LEVEL`, which the launcher
// applies to every tier for this run (Claude Code's own --effort would only reach its
// default model).
#pragma once

#include <string>
#include <vector>

namespace claudegpt {

struct LauncherArgs {
  std::string effort;                     // "" when not given; else a Responses API level
  std::vector<std::string> claude_args;   // the rest, in order, untouched
};

// Splits `args` (argv without the program name). Scanning stops at `--`: it and what follows
// are Claude Code's, which takes them as operands (`claudegpt -- usgae`: the prompt "usgae",
// past the typo guard of command_guess.h; a word naming one of Claude Code's own subcommands
// still runs it, except in print mode). The last --effort wins; "max" means "xhigh". Throws
// std::invalid_argument for --effort without a value or with an unknown level.
LauncherArgs split_launcher_args(const std::vector<std::string>& args);

}  // namespace claudegpt
