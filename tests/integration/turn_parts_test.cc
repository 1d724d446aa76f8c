// The relay's parts that need no connection: the ledger rows a turn makes (server/turn_rows.h)
// and what its trace keeps while it streams (server/trace_tap.h).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/safety_judge_call.h"
#include "server/trace_tap.h"
#include "server/turn_rows.h"
#include "server/web_fetch_tool.h"

namespace claudegpt {
namespace {

Exchange sonnet_turn() {
  Exchange exchange;
  exchange.request_id = "req_1";
  exchange.received_ms = 1'700'000'000'000;
  exchange.client_model = "claude-sonnet-4-5";
  exchange.upstream_model = "gpt-5.4-mini";
  exchange.session_id = "session-1";
  exchange.cwd_tag = "project-abc123";
  exchange.effort = "medium";
  exchange.effort_reason = "the tier's default";
  return exchange;
}

Settings openai() {
  Settings settings;
  settings.provider = ProviderKind::openai;
  return settings;
}

TEST(TurnRows, TheTurnsRowSaysWhatWasAskedHowLongItTookAndWhatItUsed) {
  TurnOutcome outcome;
  outcome.usage.input_tokens = 1200;
  outcome.usage.cached_tokens = 1000;
  outcome.usage.output_tokens = 80;
  outcome.usage.reasoning_tokens = 30;
  outcome.usage.stop_reason = "tool_use";
  outcome.upstream_first_byte_ms = 350;
  outcome.client_first_byte_ms = 352;
  outcome.done_ms = 900;
  outcome.chain_rounds = 1;
  TurnRecord row = turn_row(sonnet_turn(), openai(), outcome);
  EXPECT_EQ(row.id, "req_1");
  EXPECT_EQ(row.time_ms, 1'700'000'000'000);
  EXPECT_EQ(row.session_id, "session-1");
  EXPECT_EQ(row.provider, "openai");
  EXPECT_EQ(row.tier, "sonnet");
  EXPECT_EQ(row.client_model, "claude-sonnet-4-5");
  EXPECT_EQ(row.upstream_model, "gpt-5.4-mini");
  EXPECT_EQ(row.effort, "medium");
  EXPECT_EQ(row.input_tokens, 1200);
  EXPECT_EQ(row.cached_tokens, 1000);
  EXPECT_EQ(row.output_tokens, 80);
  EXPECT_EQ(row.reasoning_tokens, 30);
  EXPECT_EQ(row.stop_reason, "tool_use");
  EXPECT_EQ(row.upstream_first_byte_ms, 350);
  EXPECT_EQ(row.client_first_byte_ms, 352);
  EXPECT_EQ(row.done_ms, 900);
  EXPECT_EQ(row.chain_rounds, 1);
  EXPECT_EQ(row.error_type, "");
}

TEST(TurnRows, AFailureIsItsErrorTypeAndAClientThatLeftSaysSoWhateverFailed) {
  TurnOutcome outcome;
  outcome.failure = ApiError::with_status(529, "claudegpt is shutting down");
  EXPECT_EQ(turn_row(sonnet_turn(), openai(), outcome).error_type, "overloaded_error");
  outcome.client_left = true;
  EXPECT_EQ(turn_row(sonnet_turn(), openai(), outcome).error_type, "client_disconnected");
}

TEST(TurnRows, EachExtractionAndJudgementIsARowOfItsOwnUnderTheTurnsId) {
  TurnRecord turn = turn_row(sonnet_turn(), openai(), {});
  WebFetchResult extraction;
  extraction.extraction_model = "gpt-5.4-nano";
  extraction.extracted = true;
  extraction.extraction_input_tokens = 5000;
  extraction.extraction_output_tokens = 200;
  WebFetchResult failed_extraction = extraction;
  failed_extraction.extracted = false;
  JudgeOutcome judged;
  judged.model = "gpt-5.4-nano";
  judged.verdict = SafetyVerdict::allowed();
  judged.input_tokens = 3000;
  judged.ms = 410;
  const std::vector<TurnRecord> rows =
      side_call_rows(turn, {extraction, failed_extraction}, {&judged}, /*judge_effort=*/"low");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, "req_1-extract-1");
  EXPECT_EQ(rows[0].client_model, "(web fetch extraction)");
  EXPECT_EQ(rows[0].upstream_model, "gpt-5.4-nano");
  EXPECT_EQ(rows[0].input_tokens, 5000);
  EXPECT_EQ(rows[0].stop_reason, "end_turn");
  EXPECT_EQ(rows[0].session_id, "session-1");
  EXPECT_EQ(rows[0].time_ms, turn.time_ms);
  EXPECT_EQ(rows[1].id, "req_1-extract-2");
  EXPECT_EQ(rows[1].error_type, "api_error");  // paid for all the same
  EXPECT_EQ(rows[2].id, "req_1-judge-1");
  EXPECT_EQ(rows[2].client_model, "(auto-mode judge)");
  EXPECT_EQ(rows[2].effort, "low");
  EXPECT_EQ(rows[2].input_tokens, 3000);
  EXPECT_EQ(rows[2].done_ms, 410);
}

ResponsesEvent delta(std::string text) {
  return {"response.output_text.delta",
          {{"type", "response.output_text.delta"}, {"delta", std::move(text)}}};
}

TEST(TraceTap, KeepsEachRequestOnceAndTheEventsUpToItsBudgetThenOnlyCounts) {
  TraceTap tap(true);
  auto body = std::make_shared<const std::string>("{\"model\":\"gpt-5.5\"}");
  tap.request(body);
  tap.request(body);  // a retry of the same body
  tap.request(std::make_shared<const std::string>("{\"continued\":true}"));
  tap.read(100);
  ResponsesEvent first = delta("hello");
  tap.event(first);
  EXPECT_TRUE(first.data.empty()) << "moved into the trace, not copied";
  ResponsesEvent created{"response.created", {}};
  tap.event(created);
  tap.read(9u << 20);  // past the 8 MB budget
  ResponsesEvent late = delta("late");
  tap.event(late);
  TurnTrace trace;
  tap.into(trace);
  EXPECT_EQ(trace.request_openai.size(), 2u);
  ASSERT_EQ(trace.events_openai.size(), 2u);
  EXPECT_EQ(trace.events_openai[0].as_object().at("delta"), "hello");
  EXPECT_EQ(trace.events_openai[1].as_object().at("type"), "response.created");  // its type, at least
  EXPECT_EQ(trace.events_left_out, 1);
}

TEST(TraceTap, SpoolsBothBodiesWithTheFirstRequestAndKeepsTheRest) {
  std::vector<std::pair<std::string, std::string>> spooled;
  auto client = std::make_shared<const std::string>("{\"messages\":[]}");
  TraceTap tap(true, client, [&](std::string key, const std::shared_ptr<const std::string>& body) {
    spooled.emplace_back(std::move(key), *body);
    return true;
  });
  auto first = std::make_shared<const std::string>("{\"model\":\"gpt-5.5\"}");
  tap.request(first);
  tap.request(first);  // a retry of the same body
  tap.request(std::make_shared<const std::string>("{\"continued\":true}"));
  EXPECT_EQ(spooled, (std::vector<std::pair<std::string, std::string>>{{"request_anthropic", *client},
                                                                      {"request_openai", *first}}));
  EXPECT_EQ(client.use_count(), 1) << "the tap let go of the client's body";
  EXPECT_EQ(first.use_count(), 1) << "and of the first request";
  TurnTrace trace;
  tap.into(trace);
  EXPECT_EQ(trace.request_anthropic, nullptr);
  EXPECT_TRUE(trace.request_openai_spooled);
  ASSERT_EQ(trace.request_openai.size(), 1u);
  EXPECT_EQ(*trace.request_openai[0], "{\"continued\":true}");
}

TEST(TraceTap, KeepsWhatTheSpoolHasNoRoomFor) {
  auto client = std::make_shared<const std::string>("{}");
  TraceTap tap(true, client, [](std::string, const std::shared_ptr<const std::string>&) { return false; });
  auto first = std::make_shared<const std::string>("{\"model\":\"gpt-5.5\"}");
  tap.request(first);
  TurnTrace trace;
  tap.into(trace);
  EXPECT_EQ(trace.request_anthropic, client);
  EXPECT_FALSE(trace.request_openai_spooled);
  ASSERT_EQ(trace.request_openai.size(), 1u);
  EXPECT_EQ(trace.request_openai[0], first);
}

TEST(TraceTap, OffKeepsNothing) {
  TraceTap tap(false, std::make_shared<const std::string>("{}"));
  tap.request(std::make_shared<const std::string>("{}"));
  ResponsesEvent event = delta("x");
  tap.event(event);
  TurnTrace trace;
  tap.into(trace);
  EXPECT_EQ(trace.request_anthropic, nullptr);
  EXPECT_TRUE(trace.request_openai.empty());
  EXPECT_TRUE(trace.events_openai.empty());
  EXPECT_EQ(trace.events_left_out, 0);
}

}  // namespace
}  // namespace claudegpt
