// The Codex backend's usage windows: how much of a ChatGPT plan's Codex allowance is used, as
// its response headers say, and how the status line tells it ("5h 42% · week 13%"). Pure:
// headers and the current time come in.
//
// The headers (lower-case; values are text):
//   x-codex-primary-used-percent       42.5   the share of the window used so far
//   x-codex-primary-window-minutes     300    the window's length (5 hours; a week is 10080)
//   x-codex-primary-reset-at           1765...  when it resets, Unix epoch seconds (2026)
//   x-codex-primary-reset-after-seconds 3600  the same, relative to now (2025)
// and the same for `secondary`. The 2025 names are those of openai/codex
// codex-rs/core/src/client.rs @edd459a9 (autumn 2025); the 2026 Codex CLI reads `-reset-at`
// instead (codex-rs/codex-api/src/rate_limits.rs @5d24c10b, 2026; real-services-2026.md §12
// "Rate-limit headers"). Both are read; `-reset-at` wins when both are there. As in that
// parser, a window needs a finite used percent, and is left out when it says nothing (0% with
// no length and no reset time). Other limit families (x-codex-<id>-primary-…, a model's own
// allowance) are not read: the status line shows the plan's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace claudegpt {

struct UsageWindow {
  double used_percent = 0;                     // 0–100
  std::optional<std::int64_t> window_minutes;  // > 0
  std::optional<std::int64_t> resets_at;       // Unix epoch seconds
};

struct CodexRateLimits {
  std::optional<UsageWindow> primary;    // usually the 5-hour window
  std::optional<UsageWindow> secondary;  // usually the weekly one
  bool empty() const { return !primary && !secondary; }
};

// The windows `headers` report (names compared case-insensitively); `now_s` (Unix epoch
// seconds) turns a 2025 reset-after-seconds into a reset time. Values that are not numbers,
// or out of range, are ignored: malformed headers give fewer windows, never an error.
CodexRateLimits parse_codex_rate_limits(
    const std::vector<std::pair<std::string, std::string>>& headers, std::int64_t now_s);

// A window's length as the status line names it: 300 → "5h", 10080 → "week", 1440 → "day",
// 20160 → "2w", 4320 → "3d", 90 → "90m".
std::string window_name(std::int64_t minutes);

// The status line's part for windows read at `read_s`, at `now_s` (Unix epoch seconds):
// "5h 42% · week 13%", shortest window first (one without a length last, named "primary" or
// "secondary"). A window that has reset since is left out: its figure no longer holds. Without
// a reset time, a window is shown for its length after `read_s`, or for an hour when that is
// unknown too. "" when nothing is left to show.
std::string describe_usage_windows(const CodexRateLimits& limits, std::int64_t read_s,
                                   std::int64_t now_s);

}  // namespace claudegpt
