#include "reports/usage_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <boost/json.hpp>

#include "core/claude_code_context.h"
#include "core/codex_rate_limits.h"
#include "core/model_tier.h"
#include "ledger/session_model.h"
#include "ledger/trace_store.h"
#include "ledger/trace_summary.h"
#include "ledger/usage_ledger.h"
#include "ledger/usage_report.h"
#include "support/bounded_file.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The ledger when there is one; nullopt (and nothing created) when no turn was recorded yet.
std::unique_ptr<UsageLedger> existing_ledger(const Settings& settings) {
  if (settings.ledger_path.empty() || !std::filesystem::exists(settings.ledger_path)) return nullptr;
  return std::make_unique<UsageLedger>(settings.ledger_path);
}

void pretty(const json::value& value, std::ostream& out, int indent) {
  auto newline = [&](int depth) { out << '\n' << std::string(static_cast<std::size_t>(depth) * 2, ' '); };
  if (value.is_object()) {
    const json::object& object = value.get_object();
    if (object.empty()) {
      out << "{}";
      return;
    }
    out << '{';
    bool first = true;
    for (const auto& entry : object) {
      if (!first) out << ',';
      first = false;
      newline(indent + 1);
      out << json::serialize(json::string(entry.key())) << ": ";
      pretty(entry.value(), out, indent + 1);
    }
    newline(indent);
    out << '}';
  } else if (value.is_array()) {
    const json::array& array = value.get_array();
    if (array.empty()) {
      out << "[]";
      return;
    }
    out << '[';
    bool first = true;
    for (const json::value& item : array) {
      if (!first) out << ',';
      first = false;
      newline(indent + 1);
      pretty(item, out, indent + 1);
    }
    newline(indent);
    out << ']';
  } else {
    out << json::serialize(value);
  }
}

}  // namespace

int print_usage(const Settings& settings, const UsageCommand& command, std::ostream& out, std::ostream& err) {
  UsageReportOptions options;
  options.json = command.json;
  auto grouping = parse_usage_grouping(command.by);
  if (!grouping) {
    err << "claudegpt usage: --by takes day, model, session or cwd, not '" << command.by << "'\n";
    return 2;
  }
  options.group_by = *grouping;
  try {
    if (command.since) options.since_ms = parse_since(*command.since, now_ms());
  } catch (const std::invalid_argument& error) {
    err << "claudegpt usage: --since: " << error.what() << "\n";
    return 2;
  }
  std::vector<TurnRecord> turns;
  if (auto ledger = existing_ledger(settings)) {
    turns = ledger->turns_since(options.since_ms.value_or(0));
    if (options.group_by == UsageGrouping::session) {
      std::vector<std::string> sessions;
      for (const TurnRecord& turn : turns)
        if (!turn.session_id.empty()) sessions.push_back(turn.session_id);
      std::sort(sessions.begin(), sessions.end());
      sessions.erase(std::unique(sessions.begin(), sessions.end()), sessions.end());
      options.sessions = ledger->session_openings(sessions);
    }
  }
  if (const char* home = std::getenv("HOME")) options.home = home;
  out << render_usage_report(turns, options);
  return 0;
}

int print_traces(const Settings& settings, std::size_t last, std::ostream& out, std::ostream&) {
  std::vector<TurnRecord> turns;
  if (auto ledger = existing_ledger(settings)) turns = ledger->last_turns(last);
  out << render_trace_list(turns, last);
  return 0;
}

int print_trace(const Settings& settings, const std::string& id, bool whole, std::ostream& out,
                std::ostream& err) {
  std::optional<TraceFileInfo> file = find_trace(settings.trace_dir, id);
  if (!file) {
    err << "claudegpt traces show: no trace " << id << " in " << settings.trace_dir << "\n";
    return 1;
  }
  json::object trace = read_trace_file(*file);
  if (whole) {
    pretty(trace, out, 0);
    out << '\n';
    return 0;
  }
  std::string directory;
  if (const auto* request = trace.if_contains("request_anthropic"); request && request->is_object())
    directory = working_directory(request->get_object());
  out << render_trace_summary(trace, directory, file->path.string(), file->bytes);
  return 0;
}

int print_status_line(const Settings& settings, std::istream& in, std::ostream& out) {
  // Claude Code sends a few KiB; whatever else stdin is (/dev/zero) is not read past the cap.
  BoundedFile input_text = read_bounded_stream(in);
  if (input_text.status == BoundedFile::Status::too_large) {
    out << "claudegpt statusline: the input is larger than " << kBoundedFileLimitText
        << ": not Claude Code's status line JSON\n";
    return 1;
  }
  boost::system::error_code ec;
  json::value input = json::parse(input_text.text, ec);
  std::string session, model;
  if (!ec && input.is_object()) {
    const json::object& object = input.get_object();
    if (const auto* id = object.if_contains("session_id"); id && id->is_string()) session = id->get_string();
    if (const auto* m = object.if_contains("model"); m && m->is_object())
      if (const auto* id = m->get_object().if_contains("id"); id && id->is_string()) model = id->get_string();
  }
  // Without model.id: the tier new sessions start on (Claude Code's own default is opus).
  const std::string client_model =
      !model.empty() ? model : !settings.default_model.empty() ? settings.default_model : "opus";
  std::optional<std::string> answering;
  SessionCost cost;
  std::string windows;  // the Codex plan's usage windows: "5h 42% · week 13%"
  try {
    if (auto ledger = existing_ledger(settings)) {
      std::optional<ProviderKind> provider = settings.provider;
      if (!session.empty()) {
        cost = ledger->session_cost(session);
        std::vector<TurnRecord> latest = ledger->latest_turn_per_model(session);
        answering = session_model(latest, client_model, to_string(settings.tier_for(client_model)),
                                  to_string(settings.provider));
        // (newest first; the ledger keeps the provider's text)
        if (!latest.empty()) provider = parse_provider_kind(latest.front().provider);
      }
      // The windows are the account's, so the newest reading of any session (or process)
      // holds; only while it still does (describe_usage_windows), and only on Codex.
      if (provider == ProviderKind::codex)
        if (std::optional<TurnRecord> read = ledger->latest_rate_limits())
          windows = describe_usage_windows(read->rate_limits, read->time_ms / 1000, now_ms() / 1000);
    }
  } catch (const std::exception&) {  // a status line never fails: show what is known
  }
  std::string upstream = answering ? *answering : settings.upstream_model(client_model);
  out << upstream << " \u00b7 " << (windows.empty() ? "" : windows + " \u00b7 ")
      << (cost.any_unknown ? "\u2265 " : "") << format_usd(cost.known_usd) << " this session\n";
  return 0;
}

}  // namespace claudegpt
