#include "server/fetch_continuation.h"

#include <optional>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/json/parse.hpp>

#include "core/json_depth.h"
#include "core/json_text.h"
#include "core/web_fetch_requests.h"
#include "server/call_judges.h"
#include "support/log.h"
#include "web/fetch_policy.h"

namespace claudegpt {

FetchContinuation::FetchContinuation(Connection& c, const Exchange& exchange,
                                     std::shared_ptr<const std::string> original, std::shared_ptr<Waker> waker)
    : c_(c), exchange_(exchange), original_(std::move(original)), waker_(std::move(waker)) {}

FetchContinuation::~FetchContinuation() { cancel_->emit(net::cancellation_type::terminal); }

net::awaitable<bool> FetchContinuation::perform(StreamTranslator& translator, AnthropicEvents& events,
                                                const Deliver& deliver, CallJudges* judges,
                                                const HttpHeaders& credentials) {
  const auto ping_interval = c_.context.settings.ping_interval;
  const std::vector<PendingFetch> fetches = translator.pending_fetches();
  for (const PendingFetch& fetch : fetches) {
    translator.fetch_started(fetch, events);
    co_await deliver();
    if (co_await refused_by_judge(fetch, translator, events, deliver, judges, credentials)) continue;
    auto result = std::make_shared<std::optional<WebFetchResult>>();
    net::co_spawn(
        waker_->timer.get_executor(), run_web_fetch(c_.context, fetch, credentials, exchange_.session_id),
        net::bind_cancellation_slot(
            cancel_->slot(),
            // The handler keeps the signal alive: the fetch may still be unwinding from its
            // cancellation when the turn is gone.
            [result, fetch, signal = cancel_, weak = std::weak_ptr<Waker>(waker_)](std::exception_ptr failure,
                                                                                  WebFetchResult done) {
              if (failure) {  // cancelled (the client left) or an internal error
                done = WebFetchResult{};
                done.outcome = {fetch.tool_use_id, fetch.url, "", "", "", "unavailable"};
                done.failure = "Fetching " + fetch.url + " failed: claudegpt could not complete it";
              }
              *result = std::move(done);
              if (auto waker = weak.lock()) waker->wake();
            }));
    auto next_ping = std::chrono::steady_clock::now() + ping_interval;
    while (!*result) {
      waker_->pending = false;
      if (*result) break;
      if (c_.context.stopping) {
        cancel_->emit(net::cancellation_type::terminal);
        translator.fail(ApiError::with_status(529, "claudegpt is shutting down"), events);
        co_await deliver();
        co_return false;
      }
      if (!co_await waker_->wait_until(next_ping)) continue;  // woken: the fetch is done
      next_ping = std::chrono::steady_clock::now() + ping_interval;
      if (exchange_.client_wants_stream) {
        events.push_back({"ping", {{"type", "ping"}}});
        co_await deliver();
      }
    }
    const WebFetchResult& done = **result;
    if (!done.failure.empty()) failures_[fetch.tool_use_id] = done.failure;
    if (!done.extraction_model.empty()) extractions_.push_back(done);
    // The host only: the log never carries what the conversation holds (paths, queries).
    log_info("request ", exchange_.request_id, ": web fetch from ", url_host(done.outcome.url).host, ": ",
             done.failure.empty() ? "ok, " + std::to_string(done.page_chars) + " chars"
                                  : "failed, " + done.outcome.error_code,
             done.extracted ? " -> " + std::to_string(done.outcome.text.size()) + " bytes extracted" : "");
    translator.fetch_result(done.outcome, events);
    co_await deliver();
  }
  const bool goes_on = translator.resume_after_fetches(events);
  co_await deliver();
  co_return goes_on;
}

// A flagged fetch is not made: its result is the refusal, with the judge's reason for the model.
net::awaitable<bool> FetchContinuation::refused_by_judge(const PendingFetch& fetch, StreamTranslator& translator,
                                                         AnthropicEvents& events, const Deliver& deliver,
                                                         CallJudges* judges, const HttpHeaders& credentials) {
  if (!judges) co_return false;
  JudgedCall call{fetch.tool_use_id, "WebFetch", {}};
  boost::system::error_code ec;
  boost::json::value input = boost::json::parse(fetch.input, ec, {}, deep_json());
  if (!ec && input.is_object()) call.input = std::move(input.get_object());
  const JudgeOutcome judged = co_await judges->judge_now(std::move(call), credentials);
  if (judged.verdict.kind != SafetyVerdict::Kind::flagged) co_return false;
  failures_[fetch.tool_use_id] = "Auto mode's safety check refused this fetch: " + judged.verdict.explanation;
  translator.fetch_result({fetch.tool_use_id, fetch.url, "", "", "", "url_not_allowed"}, events);
  co_await deliver();
  co_return true;
}

std::shared_ptr<const std::string> FetchContinuation::next_request(const MessageAccumulator& delivered,
                                                                   std::size_t size_hint) {
  boost::json::value original = boost::json::parse(*original_, {}, deep_json());
  boost::json::object message = delivered.message();
  boost::json::object continued =
      continued_request(original.as_object(), message["content"].as_array(), exchange_.options, failures_);
  c_.context.provider.adapt_body(continued);  // without what the upstream refused since
  ++continuations_;
  return std::make_shared<const std::string>(json_text(continued, size_hint));
}

}  // namespace claudegpt
