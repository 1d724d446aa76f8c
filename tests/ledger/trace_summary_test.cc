#include "ledger/trace_summary.h"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

// A trace as turn_recorder.cc writes it, with a small conversation.
boost::json::object sample_trace() {
  return boost::json::parse(R"({
    "id": "req_8c1f", "time": "2026-11-24T10:54:00.123Z", "session_id": "5b0c2d7e-aaaa",
    "cwd_tag": "alice-src-claudegpt-1b9e4c02", "provider": "openai",
    "client_model": "claude-opus-5-5", "model": "gpt-5.5", "deployment": null, "tier": "opus",
    "effort": {"value": "high", "reason": "opus tier default"},
    "timing": {"received": 0, "upstream_first_byte": 850, "first_client_byte": 870,
               "done": 14250},
    "usage": {"input_tokens": 123456, "cached_tokens": 120000, "output_tokens": 4321,
              "reasoning_tokens": 1234, "web_search_requests": 0, "web_fetch_requests": 0},
    "cost_usd": 0.12345, "chain_rounds": 0, "not_forwarded": ["metadata", "temperature"],
    "tool_filter_saved_tokens": 0, "stop_reason": "tool_use", "error": null,
    "events_openai": [],
    "response_anthropic": {"id": "msg_1", "content": [
      {"type": "thinking", "thinking": "", "signature": "x"},
      {"type": "text", "text": "I'll write the file,\nthen show it."},
      {"type": "tool_use", "id": "t1", "name": "Write", "input": {}},
      {"type": "tool_use", "id": "t2", "name": "Bash", "input": {}},
      {"type": "tool_use", "id": "t3", "name": "Bash", "input": {}}]},
    "request_anthropic": {"model": "claude-opus-5-5",
      "messages": [
        {"role": "user", "content": [{"type": "text", "text": "<system-reminder>x</system-reminder>"},
                                     {"type": "text", "text": "create hello.txt"}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "now show it"}],
      "tools": [{"name": "Write"}, {"name": "Bash"}, {"name": "Read"}]},
    "request_openai": {}
  })").as_object();
}

TEST(TraceSummary, SaysWhatTheTurnWasOneFactALine) {
  EXPECT_EQ(render_trace_summary(sample_trace(), "/home/alice/src/claudegpt",
                                 "/state/traces/alice/20261124T105400.123Z-req_8c1f.json",
                                 194'321),
            "turn         req_8c1f  2026-11-24 10:54:00 UTC\n"
            "session      5b0c2d7e-aaaa\n"
            "folder       /home/alice/src/claudegpt\n"
            "model        claude-opus-5-5 → gpt-5.5 (openai, opus tier)\n"
            "effort       high (opus tier default)\n"
            "tokens       in 123,456 (cached 120,000, 97.2%) · out 4,321 (reasoning 1,234)\n"
            "cost         $0.1235\n"
            "latency      upstream's first byte 0.85 s · client's first byte 0.87 s · done 14.25 s\n"
            "outcome      tool_use\n"
            "request      3 messages · 3 tools · not forwarded: metadata, temperature\n"
            "last prompt  \"now show it\"\n"
            "answer       \"I'll write the file, then show it.\"\n"
            "tool calls   Write, Bash ×2\n"
            "\n"
            "The whole trace (194 KB): claudegpt traces show req_8c1f --json\n"
            "File: /state/traces/alice/20261124T105400.123Z-req_8c1f.json\n");
}

TEST(TraceSummary, WhatWasLeftOutOnARetryIsSaid) {
  boost::json::object trace = sample_trace();
  trace["degradations"] = boost::json::array{"retried without reasoning.summary: the upstream refused it"};
  const std::string summary = render_trace_summary(trace, "", "/t.json", 900);
  EXPECT_NE(summary.find("outcome      tool_use\n"
                         "degraded     retried without reasoning.summary: the upstream refused it\n"),
            std::string::npos) << summary;
}

// GPT-5.6 and later: the trace's usage has cache_write_tokens when the turn wrote some.
TEST(TraceSummary, CacheWritesAreToldBesideTheCachedTokens) {
  boost::json::object trace = sample_trace();
  trace["usage"].as_object()["cached_tokens"] = 100000;
  trace["usage"].as_object()["cache_write_tokens"] = 20000;
  const std::string summary = render_trace_summary(trace, "", "/t.json", 900);
  EXPECT_NE(summary.find("tokens       in 123,456 (cached 100,000, 81.0%; written to the cache "
                         "20,000) · out 4,321"),
            std::string::npos) << summary;
}

TEST(TraceSummary, AFailedTurnShowsItsErrorAndWhatItLacksIsLeftOut) {
  boost::json::object trace = sample_trace();
  trace["stop_reason"] = nullptr;
  trace["error"] = {{"type", "rate_limit_error"},
                    {"message", "Rate limit reached for gpt-5.5.\nPlease try again in 20s."}};
  trace["response_anthropic"] = boost::json::object{};
  trace["cost_usd"] = nullptr;
  trace["timing"] = {{"received", 0}, {"upstream_first_byte", 90}, {"first_client_byte", nullptr},
                     {"done", 95}};
  trace["usage"] = {{"input_tokens", 0}, {"cached_tokens", 0}, {"output_tokens", 0},
                    {"reasoning_tokens", 0}, {"web_search_requests", 2},
                    {"web_fetch_requests", 1}};
  trace["provider"] = "azure";
  trace["deployment"] = "gpt-5.5";
  std::string summary = render_trace_summary(trace, "", "/t.json", 900);
  EXPECT_NE(summary.find("\nfolder       alice-src-claudegpt-1b9e4c02 (its cwd tag)\n"),
            std::string::npos) << summary;
  EXPECT_NE(summary.find("\nmodel        claude-opus-5-5 → gpt-5.5 (azure deployment, opus tier)\n"),
            std::string::npos) << summary;
  EXPECT_NE(summary.find("\ntokens       in 0 · out 0\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\nweb tools    2 web searches · 1 web fetch\n"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("\ncost         unknown (no price for gpt-5.5)\n"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("\nlatency      upstream's first byte 0.09 s · client's first byte - · "
                         "done 0.10 s\n"),
            std::string::npos) << summary;
  EXPECT_NE(summary.find("\noutcome      error: rate_limit_error: Rate limit reached for gpt-5.5. "
                         "Please try again in 20s.\n"),
            std::string::npos) << summary;
  EXPECT_EQ(summary.find("answer"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("tool calls"), std::string::npos) << summary;
  EXPECT_NE(summary.find("The whole trace (900 bytes)"), std::string::npos) << summary;
}

TEST(TraceSummary, TheConversationsTextCannotDriveTheTerminalOrFloodIt) {
  boost::json::object trace = sample_trace();
  trace["request_anthropic"].as_object()["messages"] = boost::json::parse(
      R"([{"role":"user","content":"\u001b[2J\u001b]0;pwned\u0007clear the screen"}])");
  std::string long_answer(100'000, 'x');
  trace["response_anthropic"] = {
      {"content", boost::json::array{{{"type", "text"}, {"text", long_answer}}}}};
  std::string summary = render_trace_summary(trace, "", "/t.json", 1);
  EXPECT_EQ(summary.find('\x1b'), std::string::npos);
  EXPECT_EQ(summary.find('\x07'), std::string::npos);
  EXPECT_NE(summary.find("last prompt  \"[2J ]0;pwned clear the screen\"\n"), std::string::npos)
      << summary;
  EXPECT_LT(summary.size(), 2'000u);
}

}  // namespace
}  // namespace claudegpt
