#include "core/codex_rate_limits.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace claudegpt {

namespace {

// Times and lengths beyond this (about year 5138, or 190,000 years of minutes) are not real.
constexpr double kLargestValue = 1e11;

bool same_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

std::optional<std::string_view> header(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (same_name(key, name)) return std::string_view(value);
  return std::nullopt;
}

// A finite number in [0, kLargestValue], surrounding blanks allowed; nullopt otherwise.
std::optional<double> number(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  std::string_view s = *text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty() || !(s.front() == '-' || (s.front() >= '0' && s.front() <= '9'))) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  if (value < 0 || value > kLargestValue) return std::nullopt;
  return value;
}

std::optional<UsageWindow> window(const std::vector<std::pair<std::string, std::string>>& headers,
                                  std::string_view slot, std::int64_t now_s) {
  const std::string prefix = "x-codex-" + std::string(slot) + "-";
  auto named = [&](std::string_view suffix) { return header(headers, prefix + std::string(suffix)); };
  std::optional<double> used = number(named("used-percent"));
  if (!used) return std::nullopt;
  UsageWindow w;
  w.used_percent = std::min(*used, 100.0);
  if (std::optional<double> minutes = number(named("window-minutes")); minutes && *minutes >= 1)
    w.window_minutes = static_cast<std::int64_t>(*minutes);
  if (std::optional<double> at = number(named("reset-at")); at && *at > 0)
    w.resets_at = static_cast<std::int64_t>(*at);
  else if (std::optional<double> after = number(named("reset-after-seconds")))
    w.resets_at = now_s + static_cast<std::int64_t>(*after);
  if (w.used_percent == 0 && !w.window_minutes && !w.resets_at) return std::nullopt;
  return w;
}

std::string percent(double used) {
  // 99.6% is not 100%: "100%" is kept for a window that is really spent.
  long rounded = std::lround(used);
  if (used < 100 && rounded >= 100) rounded = 99;
  return std::to_string(rounded) + "%";
}

}  // namespace

CodexRateLimits parse_codex_rate_limits(
    const std::vector<std::pair<std::string, std::string>>& headers, std::int64_t now_s) {
  return {window(headers, "primary", now_s), window(headers, "secondary", now_s)};
}

std::string window_name(std::int64_t minutes) {
  if (minutes == 10080) return "week";
  if (minutes == 1440) return "day";
  if (minutes > 0 && minutes % 10080 == 0) return std::to_string(minutes / 10080) + "w";
  if (minutes > 0 && minutes % 1440 == 0) return std::to_string(minutes / 1440) + "d";
  if (minutes > 0 && minutes % 60 == 0) return std::to_string(minutes / 60) + "h";
  return std::to_string(minutes) + "m";
}

std::string describe_usage_windows(const CodexRateLimits& limits, std::int64_t read_s,
                                   std::int64_t now_s) {
  struct Shown {
    std::int64_t order;
    std::string text;
  };
  std::vector<Shown> shown;
  auto add = [&](const std::optional<UsageWindow>& w, const char* slot) {
    if (!w) return;
    std::int64_t until = w->resets_at          ? *w->resets_at
                         : w->window_minutes   ? read_s + *w->window_minutes * 60
                                               : read_s + 3600;
    if (now_s >= until) return;
    std::string name = w->window_minutes ? window_name(*w->window_minutes) : slot;
    shown.push_back({w->window_minutes.value_or(INT64_MAX), name + " " + percent(w->used_percent)});
  };
  add(limits.primary, "primary");
  add(limits.secondary, "secondary");
  std::stable_sort(shown.begin(), shown.end(),
                   [](const Shown& a, const Shown& b) { return a.order < b.order; });
  std::string out;
  for (const Shown& s : shown) out += (out.empty() ? "" : " \u00b7 ") + s.text;
  return out;
}

}  // namespace claudegpt
