// The Codex backend's usage windows, from both generations of its headers, and how the status
// line tells them.
#include "core/codex_rate_limits.h"

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::int64_t kNow = 1'765'000'000;  // 2025-12-06T05:46:40Z

// The 2026 Codex CLI's names: reset times are epoch seconds (codex-rs/codex-api/src/
// rate_limits.rs @5d24c10b).
TEST(CodexRateLimits, The2026HeadersGiveBothWindowsWithTheirResetTimes) {
  const CodexRateLimits limits = parse_codex_rate_limits(
      {{"x-codex-primary-used-percent", "42.5"},
       {"x-codex-primary-window-minutes", "300"},
       {"x-codex-primary-reset-at", "1765003600"},
       {"x-codex-secondary-used-percent", "13"},
       {"x-codex-secondary-window-minutes", "10080"},
       {"x-codex-secondary-reset-at", "1765400000"},
       {"x-request-id", "req_1"}},
      kNow);
  ASSERT_TRUE(limits.primary);
  EXPECT_DOUBLE_EQ(limits.primary->used_percent, 42.5);
  EXPECT_EQ(limits.primary->window_minutes, 300);
  EXPECT_EQ(limits.primary->resets_at, 1'765'003'600);
  ASSERT_TRUE(limits.secondary);
  EXPECT_DOUBLE_EQ(limits.secondary->used_percent, 13);
  EXPECT_EQ(limits.secondary->window_minutes, 10080);
  EXPECT_EQ(limits.secondary->resets_at, 1'765'400'000);
}

// The 2025 names (codex-rs/core/src/client.rs @edd459a9): the reset comes relative to now.
TEST(CodexRateLimits, The2025HeadersGiveResetTimesCountedFromNow) {
  const CodexRateLimits limits = parse_codex_rate_limits(
      {{"X-Codex-Primary-Used-Percent", "3"},
       {"x-codex-primary-window-minutes", "300"},
       {"x-codex-primary-reset-after-seconds", "3600"},
       {"x-codex-secondary-used-percent", "1"},
       {"x-codex-secondary-window-minutes", "10080"}},
      kNow);
  ASSERT_TRUE(limits.primary);
  EXPECT_DOUBLE_EQ(limits.primary->used_percent, 3);
  EXPECT_EQ(limits.primary->resets_at, kNow + 3600);
  ASSERT_TRUE(limits.secondary);
  EXPECT_EQ(limits.secondary->window_minutes, 10080);
  EXPECT_FALSE(limits.secondary->resets_at);
}

TEST(CodexRateLimits, ResetAtWinsOverResetAfterSeconds) {
  const CodexRateLimits limits = parse_codex_rate_limits(
      {{"x-codex-primary-used-percent", "50"},
       {"x-codex-primary-reset-after-seconds", "60"},
       {"x-codex-primary-reset-at", "1765009999"}},
      kNow);
  ASSERT_TRUE(limits.primary);
  EXPECT_EQ(limits.primary->resets_at, 1'765'009'999);
}

TEST(CodexRateLimits, NoHeadersOrNothingToSayGiveNoWindows) {
  EXPECT_TRUE(parse_codex_rate_limits({}, kNow).empty());
  EXPECT_TRUE(parse_codex_rate_limits({{"openai-version", "2020-10-01"}}, kNow).empty());
  // 0% with neither a length nor a reset time says nothing (as in the Codex CLI's parser).
  EXPECT_TRUE(parse_codex_rate_limits({{"x-codex-primary-used-percent", "0"}}, kNow).empty());
  // A length or a reset time without a used percent is no window either.
  EXPECT_TRUE(parse_codex_rate_limits({{"x-codex-primary-window-minutes", "300"}}, kNow).empty());
}

// Malformed values are ignored, never an error: fewer windows, or a window with less in it.
TEST(CodexRateLimits, MalformedValuesAreIgnored) {
  for (const char* bad : {"", "abc", "nan", "inf", "-5", "1e400", "12%", "0x10", " "}) {
    EXPECT_TRUE(parse_codex_rate_limits({{"x-codex-primary-used-percent", bad}}, kNow).empty())
        << bad;
  }
  const CodexRateLimits limits = parse_codex_rate_limits(
      {{"x-codex-primary-used-percent", " 250 "},
       {"x-codex-primary-window-minutes", "-300"},
       {"x-codex-primary-reset-at", "soon"},
       {"x-codex-primary-reset-after-seconds", "99999999999999999999"}},
      kNow);
  ASSERT_TRUE(limits.primary);
  EXPECT_DOUBLE_EQ(limits.primary->used_percent, 100);  // a share is at most all of it
  EXPECT_FALSE(limits.primary->window_minutes);
  EXPECT_FALSE(limits.primary->resets_at);
}

TEST(CodexRateLimits, WindowsAreNamedByTheirLength) {
  EXPECT_EQ(window_name(300), "5h");
  EXPECT_EQ(window_name(10080), "week");
  EXPECT_EQ(window_name(1440), "day");
  EXPECT_EQ(window_name(60), "1h");
  EXPECT_EQ(window_name(4320), "3d");
  EXPECT_EQ(window_name(20160), "2w");
  EXPECT_EQ(window_name(90), "90m");
}

CodexRateLimits plan(double five_hours, double week) {
  return {UsageWindow{five_hours, 300, kNow + 3600}, UsageWindow{week, 10080, kNow + 86400}};
}

TEST(CodexRateLimits, TheStatusLineShowsTheShortWindowFirst) {
  EXPECT_EQ(describe_usage_windows(plan(42, 13), kNow, kNow), "5h 42% \u00b7 week 13%");
  // Whichever slot holds which (some accounts send the week as primary).
  CodexRateLimits swapped{UsageWindow{13, 10080, kNow + 86400}, UsageWindow{42, 300, kNow + 60}};
  EXPECT_EQ(describe_usage_windows(swapped, kNow, kNow), "5h 42% \u00b7 week 13%");
  EXPECT_EQ(describe_usage_windows(plan(42.4, 0.4), kNow, kNow), "5h 42% \u00b7 week 0%");
  EXPECT_EQ(describe_usage_windows(plan(99.7, 100), kNow, kNow), "5h 99% \u00b7 week 100%");
}

// A window that reset since its figure was read no longer holds it.
TEST(CodexRateLimits, AWindowThatHasResetIsLeftOut) {
  EXPECT_EQ(describe_usage_windows(plan(42, 13), kNow, kNow + 3600), "week 13%");
  EXPECT_EQ(describe_usage_windows(plan(42, 13), kNow, kNow + 86400), "");
  // Without a reset time: for the window's length after the reading; without that, an hour.
  CodexRateLimits no_reset{UsageWindow{42, 300, std::nullopt}, UsageWindow{13, std::nullopt, std::nullopt}};
  EXPECT_EQ(describe_usage_windows(no_reset, kNow, kNow + 60), "5h 42% \u00b7 secondary 13%");
  EXPECT_EQ(describe_usage_windows(no_reset, kNow, kNow + 3600), "5h 42%");
  EXPECT_EQ(describe_usage_windows(no_reset, kNow, kNow + 5 * 3600), "");
  EXPECT_EQ(describe_usage_windows({}, kNow, kNow), "");
}

}  // namespace
}  // namespace claudegpt
