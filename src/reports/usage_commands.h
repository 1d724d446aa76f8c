// The commands that read what claudegpt recorded (src/ledger/): `claudegpt usage`,
// `claudegpt traces`, `claudegpt traces show ID` and `claudegpt statusline`. Each returns the
// process's exit code; nothing is created when nothing was recorded yet.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

#include "config/settings.h"

namespace claudegpt {

struct UsageCommand {
  std::optional<std::string> since;  // "7d", "24h", "2026-11-01", …
  std::string by = "day";            // day | model | session | cwd
  bool json = false;
};

int print_usage(const Settings& settings, const UsageCommand& command, std::ostream& out, std::ostream& err);

// The last `last` turns, one line each (newest last).
int print_traces(const Settings& settings, std::size_t last, std::ostream& out, std::ostream& err);

// One trace: a summary for a person (render_trace_summary), or with `json` the whole trace,
// pretty-printed JSON.
int print_trace(const Settings& settings, const std::string& id, bool json, std::ostream& out,
                std::ostream& err);

// Claude Code's status line: reads its JSON on stdin (session_id, model.id), prints the
// upstream model that answers it and what the session has cost so far, e.g.
// "gpt-5.5 · $0.0123 this session". The model is the one that answered the session's latest
// turn, read from the ledger (session_model): the configuration may have changed since the
// session's proxy started (`setup` in another terminal). Only for a session without turns
// (or on a model it has not used yet) is it the model the configuration maps model.id to.
// On Codex (the session's latest turn, or the configuration when it has none) the plan's usage
// windows come before the cost, "gpt-5.5 · 5h 42% · week 13% · $0.4100 this session": from
// the newest ledger row of any session that has them (UsageLedger::latest_rate_limits; they
// are the account's), each only until it resets (describe_usage_windows).
// At most 1 MiB of `in` is read (read_bounded_stream): more prints that it is too large, on
// `out` where Claude Code shows the line, and returns 1.
int print_status_line(const Settings& settings, std::istream& in, std::ostream& out);

}  // namespace claudegpt
