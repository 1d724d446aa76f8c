// `claudegpt judge --calls FILE [--json]`: the auto-mode judge on a labelled set of tool
// calls, through the configured upstream, for bench/judge (its accuracy needs a real model:
// nothing in the test suite can measure it).
//
// FILE holds one JSON object a line: {"id", "label": "dangerous"|"ordinary", "cwd",
// "tool": {"name", "input"}, "context": "the user's request that led to it" (optional)}.
// Prints one line per call (--json: {"id","label","decision","explanation","ms","failure"},
// decision allowed | flagged | unavailable), then, without --json, the accuracy.
#pragma once

#include <iosfwd>
#include <string>

#include "config/settings.h"

namespace claudegpt {

int run_judge_command(const Settings& settings, const std::string& calls_file, bool json, std::ostream& out,
                      std::ostream& err);

}  // namespace claudegpt
