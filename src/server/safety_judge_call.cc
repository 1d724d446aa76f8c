#include "server/safety_judge_call.h"

#include <chrono>

#include <boost/json/serialize.hpp>

#include "core/responses_answer.h"
#include "upstream/collected_transfer.h"

namespace claudegpt {

namespace {
// A verdict's stream is a few KB.
constexpr std::size_t kMaxJudgeStream = 1024 * 1024;
}  // namespace

net::awaitable<JudgeOutcome> judge_call(ServerContext& context, std::shared_ptr<const JudgeBrief> brief,
                                        JudgedCall call, std::vector<JudgedCall> before, HttpHeaders credentials,
                                        std::string session_id) {
  const Settings& settings = context.settings;
  const auto started = std::chrono::steady_clock::now();
  JudgeOutcome outcome;
  outcome.model = settings.judge_model();
  boost::json::object body = judge_request(*brief, call, before, outcome.model, settings.judge_effort);
  context.provider.adapt_body(body);
  const auto request = std::make_shared<const std::string>(boost::json::serialize(body));
  const auto deadline = started + settings.judge_timeout;
  CollectedTransfer answer;
  // A passing failure (5xx, an overload, a dropped connection) gets one more try within the
  // judge's time: a call left without a verdict does not run at all.
  for (int attempt = 1;; ++attempt) {
    UpstreamCall upstream = context.provider.make_call(request, credentials, session_id);
    upstream.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    upstream.max_body_bytes = kMaxJudgeStream;
    answer = co_await collect_transfer(std::move(upstream));
    const bool passing = !answer.timed_out && (answer.status == 0 || answer.status == 429 || answer.status >= 500);
    if (attempt == 2 || !passing || deadline - std::chrono::steady_clock::now() < std::chrono::seconds(1)) break;
  }
  outcome.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (answer.timed_out) {
    outcome.verdict = SafetyVerdict::unavailable("timeout");
    outcome.failure = "timed out after " + std::to_string(settings.judge_timeout.count()) + " ms";
    co_return outcome;
  }
  if (!answer.error.empty() || answer.status != 200) {
    outcome.verdict = SafetyVerdict::unavailable("error");
    outcome.failure = !answer.error.empty() ? answer.error : "HTTP " + std::to_string(answer.status);
    co_return outcome;
  }
  ResponsesAnswer read = read_responses_answer(answer.body);
  outcome.input_tokens = read.input_tokens;
  outcome.cached_tokens = read.cached_tokens;
  outcome.output_tokens = read.output_tokens;
  outcome.reasoning_tokens = read.reasoning_tokens;
  if (!read.error.empty()) {
    outcome.verdict = SafetyVerdict::unavailable("error");
    outcome.failure = read.error.substr(0, 300);
    co_return outcome;
  }
  outcome.verdict = read_judge_answer(read.text, *brief);
  if (outcome.verdict.kind == SafetyVerdict::Kind::unavailable) outcome.failure = "the answer held no decision";
  co_return outcome;
}

}  // namespace claudegpt
