#include "ledger/usage_report.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <stdexcept>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "ledger/conversation_text.h"

namespace claudegpt {

namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::milliseconds;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;

// Display width of UTF-8 text: its code points ("≥" is one column, three bytes).
std::size_t display_width(std::string_view s) {
  std::size_t width = 0;
  for (char c : s) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return width;
}

struct Column {
  std::string header;
  bool right_aligned = false;
};

// Columns two spaces apart, each as wide as its widest cell; no trailing spaces. A rule of
// dashes goes before row `rule_before` when it is set.
std::string render_table(const std::vector<Column>& columns,
                         const std::vector<std::vector<std::string>>& rows,
                         std::optional<std::size_t> rule_before = std::nullopt) {
  std::vector<std::size_t> widths(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    widths[c] = display_width(columns[c].header);
    for (const auto& row : rows) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::size_t total_width = 0;
  for (std::size_t w : widths) total_width += w;
  total_width += 2 * (columns.size() - 1);

  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += "  ";
      std::string pad(widths[c] - display_width(cells[c]), ' ');
      out += columns[c].right_aligned ? pad + cells[c] : cells[c] + pad;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };

  std::vector<std::string> headers;
  for (const Column& column : columns) headers.push_back(column.header);
  std::string out = line(headers);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rule_before && *rule_before == r) out += std::string(total_width, '-') + "\n";
    out += line(rows[r]);
  }
  return out;
}

std::string or_none(const std::string& s) { return s.empty() ? "(none)" : s; }

// What a row cost, when that is known: its stored cost, or nothing at all for a failed
// request that used no tokens (turned away before any work), whether its model has a price
// or not: ten rejected retries on an Azure deployment must not make a total "unknown".
std::optional<double> known_cost(const TurnRecord& t) {
  if (t.cost_usd) return t.cost_usd;
  if (!answered(t) && t.input_tokens == 0 && t.output_tokens == 0 && t.web_searches == 0)
    return 0.0;
  return std::nullopt;
}

// What a group of rows adds up to: the turns (requests the upstream answered) and the
// failed requests apart, every row's tokens and cost together.
struct Sums {
  std::int64_t turns = 0;
  std::int64_t failed = 0;
  std::map<std::string, std::int64_t> failed_by_type;
  std::int64_t input = 0, cached = 0, written = 0, output = 0, reasoning = 0;
  std::int64_t searches = 0, fetches = 0;
  double known_cost = 0;
  std::int64_t priced_rows = 0;
  std::int64_t unknown_cost_turns = 0;

  void add(const TurnRecord& t) {
    if (answered(t)) {
      ++turns;
    } else {
      ++failed;
      ++failed_by_type[or_none(t.error_type)];
    }
    input += t.input_tokens;
    cached += t.cached_tokens;
    written += t.cache_write_tokens;
    output += t.output_tokens;
    reasoning += t.reasoning_tokens;
    searches += t.web_searches;
    fetches += t.web_fetches;
    if (std::optional<double> cost = claudegpt::known_cost(t)) {
      known_cost += *cost;
      ++priced_rows;
    } else {
      ++unknown_cost_turns;
    }
  }
  bool no_known_cost() const { return priced_rows == 0; }
};

// By session: how much of the folder and of the first prompt a row shows.
constexpr std::size_t kFolderWidth = 24;
constexpr std::size_t kPromptWidth = 36;

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The last `n` code points of `s`, after "…" when some are left out.
std::string keep_end(const std::string& s, std::size_t n) {
  if (display_width(s) <= n) return s;
  std::size_t at = s.size(), kept = 0;
  while (at > 0 && kept < n - 1) {
    --at;
    if (!is_continuation_byte(s[at])) ++kept;
  }
  return "…" + s.substr(at);
}

// A session's folder as a row shows it: the directory with "~" for the home directory, or
// the cwd tag when the ledger has no directory for it, its end kept when long.
std::string shown_folder(const SessionOpening& opening, std::string home) {
  if (opening.cwd.empty())
    return opening.cwd_tag.empty() ? "-" : keep_end(opening.cwd_tag, kFolderWidth);
  std::string folder = opening.cwd;
  while (home.size() > 1 && home.back() == '/') home.pop_back();
  if (home.size() > 1 && (folder == home || folder.starts_with(home + "/")))
    folder = "~" + folder.substr(home.size());
  return keep_end(text_opening(folder, folder.size() + 1), kFolderWidth);
}

// "rate_limit_error ×8, overloaded_error": the most frequent first.
std::string failure_types(const Sums& sums) {
  std::vector<std::pair<std::string, std::int64_t>> types(sums.failed_by_type.begin(),
                                                          sums.failed_by_type.end());
  std::stable_sort(types.begin(), types.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [type, n] : types)
    out += (out.empty() ? "" : ", ") + type + (n > 1 ? " ×" + format_count(n) : "");
  return out;
}

std::string group_key(const TurnRecord& turn, UsageGrouping grouping) {
  switch (grouping) {
    case UsageGrouping::day: return format_utc_day(turn.time_ms);
    case UsageGrouping::model: return or_none(turn.upstream_model);
    case UsageGrouping::session: return or_none(turn.session_id);
    case UsageGrouping::cwd: return or_none(turn.cwd_tag);
  }
  return {};
}

std::string cached_share(const Sums& sums) {
  if (sums.input <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%",
                100.0 * static_cast<double>(sums.cached) / static_cast<double>(sums.input));
  return buf;
}

std::string cost_cell(const Sums& sums) {
  if (sums.no_known_cost()) return "unknown";
  if (sums.unknown_cost_turns > 0) return "≥ " + format_usd(sums.known_cost);
  return format_usd(sums.known_cost);
}

// "2026-11-17 08:30" (UTC).
std::string format_utc_minute(std::int64_t time_ms) {
  return format_utc_time(time_ms).substr(0, 16);
}

std::string iso_utc(std::int64_t time_ms) {
  std::string t = format_utc_time(time_ms);
  t[10] = 'T';
  return t + "Z";
}

// JSON numbers for costs: fixed-point, at most 6 decimals, no exponent (Boost.JSON would write
// 0.065 as 6.5E-2, valid but unkind to people reading it).
std::string json_usd(double usd) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", usd);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

// `extra`: members that go after the key (a session's opening). `written`: whether the report
// has cache writes, then given as cache_write_tokens.
std::string json_sums(const Sums& sums, const std::string* key, bool written,
                      const std::string& extra = {}) {
  std::string out = "{";
  if (key) out += "\"key\":" + json_string(*key) + ",";
  out += extra;
  out += "\"turns\":" + std::to_string(sums.turns);
  out += ",\"failed_requests\":" + std::to_string(sums.failed);
  out += ",\"failed_by_type\":{";
  bool first = true;
  for (const auto& [type, n] : sums.failed_by_type) {
    out += (first ? "" : ",") + json_string(type) + ":" + std::to_string(n);
    first = false;
  }
  out += "}";
  out += ",\"input_tokens\":" + std::to_string(sums.input);
  out += ",\"cached_tokens\":" + std::to_string(sums.cached);
  if (written) out += ",\"cache_write_tokens\":" + std::to_string(sums.written);
  out += ",\"output_tokens\":" + std::to_string(sums.output);
  out += ",\"reasoning_tokens\":" + std::to_string(sums.reasoning);
  out += ",\"web_searches\":" + std::to_string(sums.searches);
  out += ",\"web_fetches\":" + std::to_string(sums.fetches);
  out += ",\"cost_usd\":";
  out += sums.no_known_cost() ? std::string("null") : json_usd(sums.known_cost);
  out += ",\"unknown_cost_turns\":" + std::to_string(sums.unknown_cost_turns);
  return out + "}";
}

}  // namespace

std::optional<UsageGrouping> parse_usage_grouping(std::string_view text) {
  if (text == "day") return UsageGrouping::day;
  if (text == "model") return UsageGrouping::model;
  if (text == "session") return UsageGrouping::session;
  if (text == "cwd") return UsageGrouping::cwd;
  return std::nullopt;
}

std::string_view to_string(UsageGrouping grouping) {
  switch (grouping) {
    case UsageGrouping::day: return "day";
    case UsageGrouping::model: return "model";
    case UsageGrouping::session: return "session";
    case UsageGrouping::cwd: return "cwd";
  }
  return "day";
}

std::string format_count(std::int64_t n) {
  if (n < 0) return "-" + format_count(-n);
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_usd(double usd) {
  if (usd < 0) return "-" + format_usd(-usd);
  char buf[64];
  // Decided on the value as it would print: 0.99996 reads "$1.00", not "$1.0000".
  if (usd < 0.99995) {
    std::snprintf(buf, sizeof buf, "$%.4f", usd);
    return buf;
  }
  auto cents = static_cast<std::int64_t>(std::llround(usd * 100));
  std::snprintf(buf, sizeof buf, ".%02lld", static_cast<long long>(cents % 100));
  return "$" + format_count(cents / 100) + buf;
}

std::string format_utc_day(std::int64_t time_ms) {
  return format_utc_time(time_ms).substr(0, 10);
}

std::string format_utc_time(std::int64_t time_ms) {
  std::chrono::sys_time<milliseconds> t{milliseconds(time_ms)};
  sys_days day = floor<days>(t);
  year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{floor<std::chrono::seconds>(t - day)};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02lld:%02lld:%02lld",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

std::string render_usage_report(const std::vector<TurnRecord>& turns,
                                const UsageReportOptions& options) {
  // Oldest first, so that a session's first turn is met first.
  std::vector<const TurnRecord*> in_time;
  for (const TurnRecord& turn : turns)
    if (!options.since_ms || turn.time_ms >= *options.since_ms) in_time.push_back(&turn);
  std::stable_sort(in_time.begin(), in_time.end(), [](const TurnRecord* a, const TurnRecord* b) {
    return a->time_ms < b->time_ms;
  });

  const bool by_session = options.group_by == UsageGrouping::session;
  std::map<std::string, Sums> groups;  // ordered by key: days come out oldest first
  std::map<std::string, SessionOpening> openings;  // by session: what the turns show
  Sums total;
  std::set<std::string> unpriced_models;
  bool any_codex = false;
  for (const TurnRecord* turn : in_time) {
    const std::string key = group_key(*turn, options.group_by);
    groups[key].add(*turn);
    total.add(*turn);
    if (!known_cost(*turn)) unpriced_models.insert(or_none(turn->upstream_model));
    if (turn->provider == "codex") any_codex = true;
    if (by_session) {
      auto [opening, first] = openings.try_emplace(key);
      if (first) {
        opening->second.started_ms = turn->time_ms;
        opening->second.cwd_tag = turn->cwd_tag;
      }
      if (opening->second.first_prompt.empty() && !turn->first_prompt.empty()) {
        opening->second.cwd = turn->cwd;
        opening->second.first_prompt = turn->first_prompt;
      }
    }
  }
  // The ledger's view of a session covers its turns before the window too.
  if (by_session)
    for (auto& [key, opening] : openings)
      if (auto known = options.sessions.find(key); known != options.sessions.end())
        opening = known->second;

  // The order of the rows: by key, or sessions by when they started.
  std::vector<std::string> keys;
  for (const auto& entry : groups) keys.push_back(entry.first);
  if (by_session)
    std::stable_sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
      return openings.at(a).started_ms < openings.at(b).started_ms;
    });

  if (options.json) {
    std::string out = "{\"since\":";
    out += options.since_ms ? json_string(iso_utc(*options.since_ms)) : "null";
    out += ",\"group_by\":" + json_string(to_string(options.group_by));
    out += ",\"groups\":[";
    bool first = true;
    for (const std::string& key : keys) {
      if (!first) out += ",";
      first = false;
      std::string extra;
      if (by_session) {
        const SessionOpening& opening = openings.at(key);
        extra = "\"started\":" + json_string(iso_utc(opening.started_ms)) +
                ",\"cwd\":" + json_string(opening.cwd) +
                ",\"cwd_tag\":" + json_string(opening.cwd_tag) +
                ",\"first_prompt\":" + json_string(opening.first_prompt) + ",";
      }
      out += json_sums(groups.at(key), &key, total.written > 0, extra);
    }
    out += "],\"totals\":" + json_sums(total, nullptr, total.written > 0) + "}\n";
    return out;
  }

  std::string out = options.since_ms
                        ? "Usage since " + format_utc_minute(*options.since_ms) + " UTC"
                        : std::string("Usage, all time");
  out += ", by " + std::string(to_string(options.group_by)) + "\n\n";
  if (groups.empty()) return out + "No turns.\n";

  const bool show_failed = total.failed > 0;
  const bool show_searches = total.searches > 0;
  const bool show_fetches = total.fetches > 0;
  std::vector<Column> columns;
  if (by_session)
    columns = {{"started (local)", false}, {"folder", false}, {"first prompt", false}};
  else
    columns = {{std::string(to_string(options.group_by)), false}};
  columns.push_back({"turns", true});
  if (show_failed) columns.push_back({"failed", true});
  columns.insert(columns.end(),
                 {{"input tokens", true}, {"cached", true}, {"output tokens", true}});
  if (show_searches) columns.push_back({"searches", true});
  if (show_fetches) columns.push_back({"fetches", true});
  columns.push_back({"cost (USD)", true});
  if (by_session) columns.push_back({"session", false});

  auto row = [&](std::vector<std::string> cells, const Sums& sums) {
    cells.push_back(format_count(sums.turns));
    if (show_failed) cells.push_back(format_count(sums.failed));
    cells.insert(cells.end(),
                 {format_count(sums.input), cached_share(sums), format_count(sums.output)});
    if (show_searches) cells.push_back(format_count(sums.searches));
    if (show_fetches) cells.push_back(format_count(sums.fetches));
    cells.push_back(cost_cell(sums));
    return cells;
  };
  std::vector<std::vector<std::string>> rows;
  for (const std::string& key : keys) {
    if (!by_session) {
      rows.push_back(row({key}, groups.at(key)));
      continue;
    }
    const SessionOpening& opening = openings.at(key);
    std::string prompt = text_opening(opening.first_prompt, kPromptWidth);
    std::vector<std::string> cells = row({format_local_minute(opening.started_ms),
                                          shown_folder(opening, options.home),
                                          prompt.empty() ? "-" : prompt},
                                         groups.at(key));
    cells.push_back(key);
    rows.push_back(std::move(cells));
  }
  if (by_session) {
    std::vector<std::string> cells = row({"total", "", ""}, total);
    cells.push_back("");
    rows.push_back(std::move(cells));
  } else {
    rows.push_back(row({"total"}, total));
  }
  out += render_table(columns, rows, rows.size() - 1);

  if (show_failed) {
    const bool one = total.failed == 1;
    out += "\n" + format_count(total.failed) +
           (one ? " failed request is not counted as a turn ("
                : " failed requests are not counted as turns (") +
           failure_types(total) + ").\n" + "The upstream did not answer " + (one ? "it" : "them") +
           "; Claude Code retries a failed request up to 10 times.\n";
  }
  if (total.unknown_cost_turns > 0) {
    std::string models;
    for (const std::string& model : unpriced_models) {
      models += (models.empty() ? "" : ", ") + model;
    }
    const bool one = total.unknown_cost_turns == 1;
    out += "\n" + format_count(total.unknown_cost_turns) +
           (one ? " turn has no price for its model (" : " turns have no price for their model (") +
           models + "); \"unknown\" and \"≥\" costs leave " + (one ? "it" : "them") + " out.\n" +
           "Set prices in prices.toml or as CLAUDEGPT_PRICE_<MODEL>=input,cached_input,output.\n";
  }
  if (any_codex) {
    out += "\nCodex turns are priced at API rates: what they would have cost on the API, "
           "not a bill\n(a ChatGPT subscription is not charged per token).\n";
  }
  return out;
}

namespace {

// parse_since (direction -1) and parse_until (+1); `option` names the flag in errors.
std::int64_t parse_time(std::string_view text, std::int64_t now_ms, int direction, std::string_view option) {
  auto fail = [&]() {
    throw std::invalid_argument(
        std::string(option) + ": expected a duration (7d, 24h, 30m, 2w) or a UTC date (2026-11-01, "
        "2026-11-01T08:30Z), got \"" + std::string(text) + "\"");
  };
  auto number = [&](std::string_view digits) -> std::int64_t {
    std::int64_t n = 0;
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(),
                                       [](char c) { return c >= '0' && c <= '9'; })) {
      fail();
    }
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) fail();
    return n;
  };

  if (text.size() >= 2) {
    std::int64_t unit_ms = 0;
    switch (text.back()) {
      case 'm': unit_ms = kMinuteMs; break;
      case 'h': unit_ms = kHourMs; break;
      case 'd': unit_ms = kDayMs; break;
      case 'w': unit_ms = 7 * kDayMs; break;
      default: break;
    }
    if (unit_ms > 0) {
      std::int64_t n = number(text.substr(0, text.size() - 1));
      // A hundred years back is as far as anyone means; it also keeps the product in range.
      if (n <= 0 || n > 36'525 * kDayMs / unit_ms) fail();
      return now_ms + direction * n * unit_ms;
    }
  }

  // YYYY-MM-DD, then optionally T (or a space) HH:MM, :SS, Z.
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') fail();
  year_month_day date{std::chrono::year(static_cast<int>(number(text.substr(0, 4)))),
                      std::chrono::month(static_cast<unsigned>(number(text.substr(5, 2)))),
                      std::chrono::day(static_cast<unsigned>(number(text.substr(8, 2))))};
  if (!date.ok()) fail();
  std::int64_t ms = static_cast<std::int64_t>(sys_days(date).time_since_epoch().count()) * kDayMs;
  std::string_view rest = text.substr(10);
  if (!rest.empty()) {
    if (rest.back() == 'Z' || rest.back() == 'z') rest.remove_suffix(1);
    if (rest.size() != 6 && rest.size() != 9) fail();
    if ((rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') || rest[3] != ':') fail();
    std::int64_t hours = number(rest.substr(1, 2));
    std::int64_t minutes = number(rest.substr(4, 2));
    std::int64_t seconds = 0;
    if (rest.size() == 9) {
      if (rest[6] != ':') fail();
      seconds = number(rest.substr(7, 2));
    }
    if (hours > 23 || minutes > 59 || seconds > 59) fail();
    ms += hours * kHourMs + minutes * kMinuteMs + seconds * 1000;
  }
  return ms;
}

}  // namespace

std::int64_t parse_since(std::string_view text, std::int64_t now_ms) {
  return parse_time(text, now_ms, -1, "--since");
}

std::int64_t parse_until(std::string_view text, std::int64_t now_ms) {
  return parse_time(text, now_ms, +1, "--expires");
}

std::string render_trace_list(const std::vector<TurnRecord>& turns, std::size_t last) {
  std::vector<const TurnRecord*> sorted;
  for (const TurnRecord& turn : turns) sorted.push_back(&turn);
  std::stable_sort(sorted.begin(), sorted.end(), [](const TurnRecord* a, const TurnRecord* b) {
    return a->time_ms < b->time_ms;
  });
  if (last > 0 && sorted.size() > last) sorted.erase(sorted.begin(), sorted.end() - last);
  if (sorted.empty()) return "No turns recorded yet.\n";

  std::vector<Column> columns = {{"time (UTC)", false}, {"model", false}, {"in", true},
                                 {"out", true},         {"cost", true},   {"latency", true},
                                 {"stop", false},       {"id", false}};
  std::vector<std::vector<std::string>> rows;
  for (const TurnRecord* turn : sorted) {
    std::string latency = "-";
    if (turn->done_ms >= 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(turn->done_ms) / 1000.0);
      latency = buf;
    }
    std::string stop = !turn->error_type.empty()   ? "error: " + turn->error_type
                       : !turn->stop_reason.empty() ? turn->stop_reason
                                                    : "-";
    rows.push_back({format_utc_time(turn->time_ms), or_none(turn->upstream_model),
                    format_count(turn->input_tokens), format_count(turn->output_tokens),
                    turn->cost_usd ? format_usd(*turn->cost_usd) : "unknown", latency, stop,
                    turn->id});
  }
  return render_table(columns, rows);
}

std::string format_local_minute(std::int64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(
      floor<std::chrono::seconds>(std::chrono::sys_time<milliseconds>(milliseconds(time_ms)))
          .time_since_epoch()
          .count());
  std::tm local{};
  localtime_r(&seconds, &local);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &local);
  return buf;
}

}  // namespace claudegpt
