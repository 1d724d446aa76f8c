// The relay is one linear coroutine: take what the upstream transfer delivered, run it through
// the pure translator, write what the client should see, wait for more (or for a ping or a
// timeout). A second coroutine watches the client socket; if the client leaves, the relay
// is cancelled and the upstream transfer aborted at once.
#include "server/relay.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <sstream>
#include <variant>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include "core/anthropic_sse_writer.h"
#include "core/json_depth.h"
#include "core/json_text.h"
#include "core/message_accumulator.h"
#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "core/token_counter.h"
#include "core/unverifiable_reasoning.h"
#include "core/upstream_error.h"
#include "core/model_tier.h"
#include "core/web_fetch_requests.h"
#include "server/call_judges.h"
#include "server/web_fetch_tool.h"
#include "support/local_time.h"
#include "support/log.h"
#include "upstream/codex_auth.h"
#include "support/random_id.h"
#include "upstream/upstream_client.h"

namespace claudegpt {
namespace {

using Clock = std::chrono::steady_clock;
namespace beast = boost::beast;
using namespace boost::asio::experimental::awaitable_operators;

// An upstream error body is small; anything beyond this is not worth keeping.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

// A client that takes longer than this to accept one write (it stopped reading without
// closing, e.g. a suspended process) is dropped, so the upstream is not held open for it.
constexpr auto kClientWriteTimeout = std::chrono::seconds(60);
// A trace keeps the upstream's events up to this much of the stream (as read), and the message
// sent to a streaming client up to this much of its events (as written); the rest is only
// counted: a turn's trace is for reading, and memory per stream must stay bounded.
constexpr std::size_t kTracedEventBytes = 8u << 20;

std::string_view host_of(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  return url.substr(0, url.find_first_of("/?#"));
}

std::string_view header_value(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

// Returns when the client closes its side of the connection (or it breaks), with the read's
// error: operation_aborted when it was our side that closed it (a write to a client that
// stopped reading timed out). Bytes the client sends meanwhile (a pipelined request) are kept
// for the next read. A half-close counts as leaving: clients that half-close and still read
// are rare, while a client that really left must stop the upstream within milliseconds, not
// at the next write.
net::awaitable<boost::system::error_code> watch_for_close(Connection& c) {
  auto& socket = c.stream.socket();
  for (;;) {
    boost::system::error_code ec;
    if (c.buffer.size() > 64 * 1024) {  // enough buffered: stop reading, keep waiting
      net::steady_timer forever(socket.get_executor(), Clock::time_point::max());
      co_await forever.async_wait(net::redirect_error(net::use_awaitable, ec));
      co_return ec;
    }
    // A small read: a thousand open streams would hold 4 KB each for a close that reads nothing.
    std::size_t n = co_await socket.async_read_some(c.buffer.prepare(256),
                                                    net::redirect_error(net::use_awaitable, ec));
    c.buffer.commit(n);
    if (ec) co_return ec;
  }
}

// Upstream HTTP statuses worth another try (before the client has seen anything).
bool retryable_status(int status) { return status == 500 || status == 502 || status == 503 || status == 504; }

// One exchange, from its first upstream attempt to its last. It keeps its waker known to the
// server while it runs (so a shutdown can end it), and when it ends for any reason (done,
// client gone, exception) it aborts its upstream transfer: nobody pays for tokens no one reads.
class Relay {
 public:
  Relay(Connection& c, const Exchange& exchange, std::shared_ptr<Waker> waker)
      : c_(c),
        exchange_(exchange),
        settings_(c.context.settings),
        waker_(std::move(waker)),
        translator_(setup()),
        body_(exchange.upstream_body) {
    c_.thread.streams.insert(waker_.get());
    ++c_.context.streams;
  }

  ~Relay() {
    c_.thread.streams.erase(waker_.get());
    --c_.context.streams;
    abort_transfer();
    fetch_cancel_->emit(net::cancellation_type::terminal);  // a web fetch still running
  }

  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  const std::optional<ApiError>& error() const { return translator_.error(); }

  // Hands the turn to the recorder (ledger row, trace): what it used, cost, timing, outcome.
  void record(bool client_left) {
    TurnRecord r;
    r.id = exchange_.request_id;
    r.time_ms = exchange_.received_ms;
    r.session_id = exchange_.session_id;
    r.cwd_tag = exchange_.cwd_tag;
    r.cwd = exchange_.cwd;
    r.first_prompt = exchange_.first_prompt;
    r.provider = settings_.provider;
    r.tier = std::string(to_string(settings_.tier_for(exchange_.client_model)));
    r.client_model = exchange_.client_model;
    r.upstream_model = exchange_.upstream_model;
    r.effort = exchange_.effort;
    r.effort_reason = exchange_.effort_reason;
    const TurnUsage usage = translator_.usage();
    r.input_tokens = usage.input_tokens;
    r.cached_tokens = usage.cached_tokens;
    r.cache_write_tokens = usage.cache_write_tokens;
    r.rate_limits = codex_limits_;
    r.output_tokens = usage.output_tokens;
    r.reasoning_tokens = usage.reasoning_tokens;
    r.web_searches = usage.web_searches;
    r.web_fetches = usage.web_fetches;
    r.upstream_first_byte_ms = upstream_first_byte_ms_;
    r.client_first_byte_ms = client_first_byte_ms_;
    r.done_ms = since_received();
    r.stop_reason = usage.stop_reason;
    r.chain_rounds = continuations_;
    TurnTrace trace;
    if (client_left) {
      r.error_type = "client_disconnected";
    } else if (const auto& failure = translator_.error() ? translator_.error() : accumulator_.error()) {
      r.error_type = failure->type;
      trace.error_message = failure->message;
    }
    if (tracing_ || !r.first_prompt.empty()) {  // masked in the trace and in that prompt
      trace.secrets = {settings_.access_token, settings_.openai_api_key, settings_.azure_api_key,
                       settings_.azure_ad_token};
      for (const auto& [name, value] : credentials_)  // the Codex token as it is now
        trace.secrets.push_back(value.starts_with("Bearer ") ? value.substr(7) : value);
    }
    if (tracing_) {
      trace.request_anthropic = exchange_.client_body;
      trace.request_openai = std::move(trace_.request_openai);
      trace.events_openai = std::move(trace_.events_openai);
      trace.events_left_out = trace_.events_left_out;
      trace.response_anthropic = delivered().message();
      trace.response_deltas_left_out = sent_deltas_left_out_;
      if (settings_.provider == "azure") trace.deployment = exchange_.upstream_model;
      trace.not_forwarded = exchange_.not_forwarded;
      trace.degradations = degradations_seen_;
      trace.filtered_tool_tokens = exchange_.filtered_tool_tokens;
    }
    // Each page extraction and each judgement is a paid upstream call of its own: a row of its own.
    auto side_call = [&r](std::string id, std::string model, std::string effort, const char* what, bool answered) {
      TurnRecord row;
      row.id = std::move(id);
      row.time_ms = r.time_ms;
      row.session_id = r.session_id;
      row.cwd_tag = r.cwd_tag;
      row.provider = r.provider;
      row.tier = std::string(to_string(tier_of(model)));
      row.client_model = std::string("(") + what + ")";
      row.upstream_model = std::move(model);
      row.effort = std::move(effort);
      row.effort_reason = what;
      row.stop_reason = answered ? "end_turn" : "";
      row.error_type = answered ? "" : "api_error";
      return row;
    };
    int n = 0;
    for (const WebFetchResult& extraction : extractions_) {
      TurnRecord row = side_call(r.id + "-extract-" + std::to_string(++n), extraction.extraction_model, "low",
                                 "web fetch extraction", extraction.extracted);
      row.input_tokens = extraction.extraction_input_tokens;
      row.cached_tokens = extraction.extraction_cached_tokens;
      row.output_tokens = extraction.extraction_output_tokens;
      row.reasoning_tokens = extraction.extraction_reasoning_tokens;
      c_.context.recorder->record(std::move(row), {});
    }
    n = 0;
    for (const JudgeOutcome* judged : judges_ ? judges_->outcomes() : std::vector<const JudgeOutcome*>()) {
      TurnRecord row = side_call(r.id + "-judge-" + std::to_string(++n), judged->model, settings_.judge_effort,
                                 "auto-mode judge", judged->verdict.kind != SafetyVerdict::Kind::unavailable);
      row.input_tokens = judged->input_tokens;
      row.cached_tokens = judged->cached_tokens;
      row.output_tokens = judged->output_tokens;
      row.reasoning_tokens = judged->reasoning_tokens;
      row.done_ms = judged->ms;
      c_.context.recorder->record(std::move(row), {});
    }
    c_.context.recorder->record(std::move(r), std::move(trace));
  }
  int attempts() const { return attempts_ - continuations_; }  // per upstream response
  // The subscription's usage as the Codex backend reports it (x-codex-* headers), for the log.
  const std::string& rate_limits() const { return rate_limits_; }

  net::awaitable<void> run() {
    bool internal_error = false;
    try {
      co_await pump();
    } catch (const boost::system::system_error&) {
      throw;  // the client connection failed: nothing more can be said to it
    } catch (const std::exception& error) {
      log_warn("request ", exchange_.request_id, ": internal error: ", error.what());
      internal_error = true;
    }
    if (internal_error) {  // (no co_await inside a handler)
      abort_transfer();
      translator_.fail(ApiError::with_status(500, "claudegpt internal error"), events_);
      co_await deliver();
    }
    co_await finish_response();
  }

 private:
  StreamSetup setup() const {
    StreamSetup s;
    s.message_id = random_id("msg_");
    s.client_model = exchange_.client_model;
    s.upstream_model = exchange_.upstream_model;
    s.tools = &exchange_.tools;
    s.error_context = error_context();
    s.max_web_searches = exchange_.max_web_searches;
    s.max_tokens = exchange_.max_tokens;
    s.fetches_left = exchange_.web_fetches;
    return s;
  }

  // OpenAI's context-overflow error names no token counts, and Claude Code compacts on
  // "prompt is too long: N tokens > M maximum": count the request then, only then.
  ErrorContext error_context() const {
    ErrorContext context;
    context.context_window = settings_.context_window_for(exchange_.client_model);
    context.input_token_scale = settings_.token_scale_for(exchange_.client_model);
    context.credentials_fix = c_.context.provider.credentials_fix();
    context.upstream_host = std::string(host_of(c_.context.provider.endpoint()));
    context.now_unix_seconds = std::time(nullptr);  // a usage limit's reset, told as a wait
    context.local_time = [now = context.now_unix_seconds](std::int64_t at) { return local_clock_time(at, now); };
    context.count_input_tokens = [body = exchange_.upstream_body] {
      boost::system::error_code ec;
      boost::json::value parsed = boost::json::parse(*body, ec, {}, deep_json());
      if (ec || !parsed.is_object()) return std::int64_t{0};
      return static_cast<std::int64_t>(count_request_tokens(parsed.get_object()));
    };
    return context;
  }

  // Credentials may mean reading auth.json or refreshing a token over HTTPS: never on the
  // I/O thread. Returns the client's error when there are none to be had.
  template <typename Get>
  net::awaitable<std::optional<ApiError>> fetch_credentials(Get get) {
    Provider& provider = c_.context.provider;
    auto attempt = [&]() -> std::optional<ApiError> {
      try {
        get(provider);
        return std::nullopt;
      } catch (const CodexAuthError& error) {  // a 401 only when logging in again would help
        ApiError failure = ApiError::with_status(error.login_needed ? 401 : 503, error.what());
        failure.no_retry = error.login_needed;  // no retry brings a login back
        return failure;
      } catch (const std::exception& error) {
        return ApiError::with_status(500, error.what());
      }
    };
    if (!provider.credentials_may_block()) co_return attempt();
    co_return co_await net::co_spawn(
        c_.context.blocking, [&]() -> net::awaitable<std::optional<ApiError>> { co_return attempt(); },
        net::use_awaitable);
  }

  // The client left while we waited on the pool thread (its cancellation cannot reach there):
  // post nothing upstream for it.
  net::awaitable<bool> client_left() {
    auto state = co_await net::this_coro::cancellation_state;
    co_return state.cancelled() != net::cancellation_type::none;
  }

  // Replaces a failure the client has not seen yet with `error`.
  void fail_before_output(ApiError error) {
    translator_ = StreamTranslator(setup());
    translator_.fail(std::move(error), events_);
  }

  // Starts (again) sending the request upstream, with fresh per-attempt state.
  void start_transfer() {
    ++attempts_;
    status_ = 0;
    retryable_ = false;
    error_headers_ = {};
    error_body_.clear();
    unverifiable_reasoning_ = false;
    reader_ = ResponsesStreamReader();
    if (tracing_ && (trace_.request_openai.empty() || trace_.request_openai.back() != body_))
      trace_.request_openai.push_back(body_);
    transfer_ = UpstreamClient::of(waker_->timer.get_executor())
                    .start(c_.context.provider.make_call(body_, credentials_, exchange_.session_id));
    transfer_->on_progress([waker = waker_.get()] { waker->wake(); });  // the transfer dies first
  }

  void abort_transfer() {
    if (!transfer_) return;
    transfer_->cancel();
    transfer_.reset();
  }

  // Another attempt, when the failure allows one and the client has seen nothing yet: once
  // with renewed credentials after a 401, and up to upstream_retries times after a passing
  // failure, with jittered exponential backoff (250 ms, 500 ms, … ±50%).
  net::awaitable<bool> try_again() {
    if (translator_.started() || !translator_.error()) co_return false;
    const ApiError failure = *translator_.error();
    // Reasoning the upstream can no longer verify (its key changed): once, without it.
    if (!retried_without_reasoning_ &&
        (unverifiable_reasoning_ || (status_ == 400 && is_unverifiable_reasoning_error(error_body_)))) {
      retried_without_reasoning_ = true;
      if (auto lighter = c_.context.provider.without_reasoning(*body_)) {
        degradations_seen_.push_back("retried without the reasoning sent back: the upstream could not verify it");
        abort_transfer();
        body_ = std::make_shared<const std::string>(std::move(*lighter));
        translator_ = StreamTranslator(setup());
        start_transfer();
        co_return true;
      }
    }
    // An optional field the upstream refuses (an unverified organisation's reasoning summary,
    // an effort the model lacks): without it, at once, a few times at most per exchange.
    if (status_ == 400 && degradations_seen_.size() < kMaxDegradations) {
      if (auto lighter = c_.context.provider.without_refused_option(*body_, error_body_)) {
        degradations_seen_.push_back("retried without " + lighter->refusal.describe() + ": the upstream refused it");
        if (lighter->first_time)  // kept for later runs, off the I/O thread
          net::post(c_.context.blocking, [&store = c_.context.refusals, provider = &c_.context.provider,
                                          model = lighter->model, refusal = lighter->refusal] {
            store.add({provider->name(), provider->endpoint(), model, refusal, ""});
          });
        abort_transfer();
        body_ = std::make_shared<const std::string>(std::move(lighter->body));
        translator_ = StreamTranslator(setup());
        start_transfer();
        co_return true;
      }
    }
    if (failure.status == 401) {
      if (!co_await renew_credentials()) co_return false;
    } else {
      if (!retryable_ || retries_ >= settings_.upstream_retries) co_return false;
      ++retries_;
      auto base = std::chrono::milliseconds(250) * (1 << std::min(retries_ - 1, 5));
      auto delay = base / 2 + std::chrono::milliseconds(random_below(base.count()));
      log_info("request ", exchange_.request_id, ": upstream ", failure.status, " ", failure.type,
               ", retrying in ", delay.count(), "ms");
      abort_transfer();
      net::steady_timer backoff(waker_->timer.get_executor(), delay);  // not the waker: no stray wake-ups
      boost::system::error_code ec;
      co_await backoff.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (c_.context.stopping) co_return false;
    }
    abort_transfer();
    translator_ = StreamTranslator(setup());
    start_transfer();
    co_return true;
  }

  // Once per exchange: a fresher Codex token (re-read, else refreshed). A static key that
  // was refused stays refused.
  net::awaitable<bool> renew_credentials() {
    if (renewed_credentials_) co_return false;
    renewed_credentials_ = true;
    std::optional<HttpHeaders> fresher;
    HttpHeaders used = credentials_;
    if (auto error = co_await fetch_credentials(
            [&](Provider& p) { fresher = p.credentials_after_unauthorized(used); })) {
      fail_before_output(std::move(*error));
      co_return false;
    }
    if (!fresher || co_await client_left()) co_return false;
    credentials_ = std::move(*fresher);
    co_return true;
  }

  // Moves upstream events to the client until the translator is finished.
  net::awaitable<void> pump() {
    if (auto error = co_await fetch_credentials([&](Provider& p) { credentials_ = p.credentials(); })) {
      fail_before_output(std::move(*error));
      co_return;
    }
    if (co_await client_left()) co_return;
    start_transfer();
    auto started = Clock::now();
    bool heard_from_upstream = false;
    auto deadline = started + settings_.first_event_timeout;
    auto next_ping = started + settings_.ping_interval;
    for (;;) {
      waker_->pending = false;
      UpstreamProgress delivery;  // nothing, once the transfer was aborted (timeout)
      if (transfer_) delivery = transfer_->take();
      if (delivery.has_response && !status_) {
        status_ = delivery.status;
        error_headers_ = {std::string(header_value(delivery.headers, "retry-after")),
                          std::string(header_value(delivery.headers, "cf-mitigated")),
                          std::string(header_value(delivery.headers, "content-type"))};
        note_rate_limits(delivery.headers);
      }
      if (!delivery.data.empty()) {
        heard_from_upstream = true;
        if (upstream_first_byte_ms_ < 0) upstream_first_byte_ms_ = since_received();
        deadline = Clock::now() + settings_.idle_timeout;
        take_data(delivery.data);
      }
      if (translator_.awaiting_fetches()) {
        abort_transfer();  // its response is complete; the turn goes on with the fetches
        if (!co_await perform_fetches()) co_return;
        continue_turn();
        started = Clock::now();
        heard_from_upstream = false;
        deadline = started + settings_.first_event_timeout;
        continue;
      }
      if (delivery.finished && !translator_.finished()) finish_upstream(delivery);
      if (c_.context.stopping && !translator_.finished()) {
        abort_transfer();
        translator_.fail(ApiError::with_status(529, "claudegpt is shutting down"), events_);
      } else if (translator_.finished() && co_await try_again()) {
        started = Clock::now();
        heard_from_upstream = false;
        deadline = started + settings_.first_event_timeout;
        continue;
      }

      if (!events_.empty()) {
        co_await deliver();
        next_ping = Clock::now() + settings_.ping_interval;
      }
      if (translator_.finished()) co_return;

      auto wake_at = exchange_.client_wants_stream ? std::min(deadline, next_ping) : deadline;
      if (!co_await wait_until(wake_at)) continue;  // woken: the upstream delivered, or shutdown
      auto now = Clock::now();
      if (now >= deadline) {
        abort_transfer();
        auto limit = std::chrono::duration_cast<std::chrono::seconds>(
            heard_from_upstream ? settings_.idle_timeout : settings_.first_event_timeout);
        translator_.fail(ApiError::with_status(
                             504, "The upstream (" + exchange_.upstream_model + ") was silent for " +
                                      std::to_string(limit.count()) + "s " +
                                      (heard_from_upstream ? "mid-stream" : "before answering")),
                         events_);
      } else if (exchange_.client_wants_stream && now >= next_ping) {
        translator_.start(events_);  // a ping needs the message to have started
        events_.push_back({"ping", {{"type", "ping"}}});
      }
    }
  }

  // Performs the WebFetch calls the response ended with, one after the other, keeping the
  // client's stream alive with pings meanwhile. Returns whether the turn goes on upstream.
  net::awaitable<bool> perform_fetches() {
    const std::vector<PendingFetch> fetches = translator_.pending_fetches();
    for (const PendingFetch& fetch : fetches) {
      translator_.fetch_started(fetch, events_);
      co_await deliver();
      if (co_await fetch_refused_by_judge(fetch)) continue;
      auto result = std::make_shared<std::optional<WebFetchResult>>();
      net::co_spawn(
          waker_->timer.get_executor(),
          run_web_fetch(c_.context, fetch, credentials_, exchange_.session_id),
          net::bind_cancellation_slot(
              fetch_cancel_->slot(),
              // The handler keeps the signal alive: the fetch may still be unwinding from its
              // cancellation when the relay is gone.
              [result, fetch, signal = fetch_cancel_, weak = std::weak_ptr<Waker>(waker_)](
                  std::exception_ptr failure, WebFetchResult done) {
                if (failure) {  // cancelled (the client left) or an internal error
                  done = WebFetchResult{};
                  done.outcome = {fetch.tool_use_id, fetch.url, "", "", "", "unavailable"};
                  done.failure = "Fetching " + fetch.url + " failed: claudegpt could not complete it";
                }
                *result = std::move(done);
                if (auto waker = weak.lock()) waker->wake();
              }));
      auto next_ping = Clock::now() + settings_.ping_interval;
      while (!*result) {
        waker_->pending = false;
        if (*result) break;
        if (c_.context.stopping) {
          fetch_cancel_->emit(net::cancellation_type::terminal);
          translator_.fail(ApiError::with_status(529, "claudegpt is shutting down"), events_);
          co_await deliver();
          co_return false;
        }
        if (!co_await wait_until(next_ping)) continue;  // woken: the fetch is done
        next_ping = Clock::now() + settings_.ping_interval;
        if (exchange_.client_wants_stream) {
          events_.push_back({"ping", {{"type", "ping"}}});
          co_await deliver();
        }
      }
      const WebFetchResult& done = **result;
      if (!done.failure.empty()) fetch_failures_[fetch.tool_use_id] = done.failure;
      if (!done.extraction_model.empty()) extractions_.push_back(done);
      // The host only: the log never carries what the conversation holds (paths, queries).
      log_info("request ", exchange_.request_id, ": web fetch from ", host_of(done.outcome.url), ": ",
               done.failure.empty() ? "ok, " + std::to_string(done.page_chars) + " chars"
                                    : "failed, " + done.outcome.error_code,
               done.extracted ? " -> " + std::to_string(done.outcome.text.size()) + " bytes extracted" : "");
      translator_.fetch_result(done.outcome, events_);
      co_await deliver();
    }
    const bool goes_on = translator_.resume_after_fetches(events_);
    co_await deliver();
    co_return goes_on;
  }

  // In auto mode the proxy's own fetches pass the judge too, as Claude Code's WebFetch would
  // (a URL can carry data out). A flagged fetch is not made: its result is the refusal.
  net::awaitable<bool> fetch_refused_by_judge(const PendingFetch& fetch) {
    if (!judges_) co_return false;
    JudgedCall call{fetch.tool_use_id, "WebFetch", {}};
    boost::system::error_code ec;
    boost::json::value input = boost::json::parse(fetch.input, ec, {}, deep_json());
    if (!ec && input.is_object()) call.input = std::move(input.get_object());
    const JudgeOutcome judged = co_await judges_->judge_now(std::move(call), credentials_);
    if (judged.verdict.kind != SafetyVerdict::Kind::flagged) co_return false;
    fetch_failures_[fetch.tool_use_id] = "Auto mode's safety check refused this fetch: " + judged.verdict.explanation;
    translator_.fetch_result({fetch.tool_use_id, fetch.url, "", "", "", "url_not_allowed"}, events_);
    co_await deliver();
    co_return true;
  }

  // The next upstream request of a continued turn: the turn's request with everything the
  // client was sent so far appended (web_fetch_requests.h).
  void continue_turn() {
    boost::json::value original = boost::json::parse(*exchange_.upstream_body, {}, deep_json());
    boost::json::object message = delivered().message();
    boost::json::object continued = continued_request(original.as_object(), message["content"].as_array(),
                                                      exchange_.options, fetch_failures_);
    c_.context.provider.adapt_body(continued);  // without what the upstream refused since
    body_ = std::make_shared<const std::string>(json_text(continued, body_->size()));
    ++continuations_;
    start_transfer();
  }

  // The log shows the x-codex-* headers as they came; the ledger row keeps the usage windows
  // they report (the newest response's that has them), for the status line.
  void note_rate_limits(const HttpHeaders& headers) {
    rate_limits_.clear();
    for (const auto& [name, value] : headers)
      if (name.starts_with("x-codex-"))
        rate_limits_.append(rate_limits_.empty() ? "" : " ").append(name.substr(8)).append("=").append(value);
    if (rate_limits_.empty()) return;
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    if (CodexRateLimits limits = parse_codex_rate_limits(headers, now_s); !limits.empty())
      codex_limits_ = limits;
  }

  void take_data(const std::string& data) {
    if (status_ != 200) {  // an error body: keep it for the error message
      std::size_t room = kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size());
      error_body_.append(data, 0, std::min(data.size(), room));
      return;
    }
    // The events read before a malformed one are the upstream's output too: they go first.
    const bool readable = reader_.feed(data, upstream_events_);
    if (tracing_) traced_bytes_ += data.size();
    for (auto& event : upstream_events_) {
      if ((event.type == "response.failed" || event.type == "error") && !translator_.started())
        unverifiable_reasoning_ = unverifiable_reasoning_ || is_unverifiable_reasoning_error(event.data);
      translator_.on_event(event, events_);
      // Moved, not copied: the trace costs the hot path no copy of the stream. Past the
      // budget they are only counted, so that a huge answer cannot hold its size again.
      if (tracing_ && traced_bytes_ <= kTracedEventBytes)
        trace_.events_openai.push_back(event.data.empty() ? boost::json::object{{"type", event.type}}
                                                          : std::move(event.data));
      else if (tracing_)
        ++trace_.events_left_out;
      if (translator_.finished()) break;
    }
    upstream_events_.clear();
    if (!readable && !translator_.finished()) {
      abort_transfer();
      translator_.fail(
          ApiError::with_status(502, "The upstream sent a malformed event stream: " + reader_.error()),
          events_);
    }
    // A server_error or overload reported in the stream, before any output: worth a retry.
    if (const auto& error = translator_.error(); error && !translator_.started())
      retryable_ = error->status == 500 || error->status == 529;
  }

  void finish_upstream(const UpstreamProgress& delivery) {
    // The connection failed or broke before any output, or the upstream said it failed: worth
    // a retry. Not 4xx (the answer would be the same), not a certificate the upstream will
    // present again, and not our own stall timeouts (that would double the wait).
    retryable_ = retryable_status(status_) || ((status_ == 0 || status_ == 200) && !delivery.permanent);
    if (status_ && status_ != 200) {
      translator_.fail(map_upstream_http_error(status_, error_body_, error_headers_, error_context()), events_);
    } else if (delivery.timed_out) {
      translator_.fail(ApiError::with_status(504, "Connecting to the upstream timed out: " + delivery.error),
                       events_);
    } else if (!delivery.error.empty()) {
      // Refused, unresolvable, a certificate that does not verify: this proxy has retried
      // (upstream_retries); Claude Code retrying for minutes would only hide the reason.
      ApiError failure = ApiError::with_status(502, "Connection to the upstream failed: " + delivery.error +
                                                        " — " + c_.context.provider.connection_fix());
      failure.no_retry = true;
      translator_.fail(std::move(failure), events_);
    } else {
      translator_.on_upstream_end(events_);
    }
  }

  // What the client was sent: a continuation carries it, and the trace.
  const MessageAccumulator& delivered() const { return exchange_.client_wants_stream ? sent_ : accumulator_; }

  // Sends (or, for a non-streaming client, collects) the translated events. When the proxy
  // answers auto mode's check, each tool call goes to the judge as soon as it is complete, and
  // the message's end (message_delta, message_stop) waits for the verdicts it carries.
  net::awaitable<void> deliver() {
    if (judges_) {
      judges_->start_complete_calls(events_, credentials_);
      auto end = std::find_if(events_.begin(), events_.end(),
                              [](const AnthropicEvent& event) { return event.type == "message_delta"; });
      if (end != events_.end()) {
        AnthropicEvents rest(std::make_move_iterator(end), std::make_move_iterator(events_.end()));
        events_.erase(end, events_.end());
        co_await write_events();
        co_await await_verdicts();
        rest.front().data["delta"].as_object()["safeguard_results"] = judges_->results();
        events_ = std::move(rest);
      }
    }
    co_await write_events();
  }

  // Waits until every judged call has its verdict, keeping a streaming client's connection
  // alive with pings meanwhile. Each call is bounded by the judge's timeout; at shutdown the
  // calls still out get the unavailable verdict.
  net::awaitable<void> await_verdicts() {
    auto next_ping = Clock::now() + settings_.ping_interval;
    while (!judges_->all_answered() && !c_.context.stopping) {
      waker_->pending = false;
      if (judges_->all_answered()) break;
      if (!co_await wait_until(next_ping)) continue;  // woken: a verdict came (or the upstream stirred)
      next_ping = Clock::now() + settings_.ping_interval;
      if (exchange_.client_wants_stream) {
        events_.push_back({"ping", {{"type", "ping"}}});
        co_await write_events();
      }
    }
  }

  net::awaitable<void> write_events() {
    if (!exchange_.client_wants_stream) {
      for (const auto& event : events_) accumulator_.add(event);
      events_.clear();
      co_return;
    }
    if (events_.empty()) co_return;
    const bool continues = exchange_.web_fetches > 0;  // the whole message, then
    for (const auto& event : events_) {
      if (continues || (tracing_ && (sent_bytes_ <= kTracedEventBytes || event.type != "content_block_delta")))
        sent_.add(event);
      else if (tracing_)
        ++sent_deltas_left_out_;
    }
    out_.clear();
    for (const auto& event : events_) write_sse(event, out_);
    sent_bytes_ += out_.size();
    events_.clear();
    c_.stream.expires_after(kClientWriteTimeout);
    if (head_written_) {
      co_await net::async_write(c_.stream, http::make_chunk(net::buffer(out_)), net::use_awaitable);
      co_return;
    }
    // The head goes out with the first events: one write, and the client's first byte sooner.
    http::response<http::empty_body> head{http::status::ok, 11};
    head.set(http::field::content_type, "text/event-stream; charset=utf-8");
    head.set(http::field::cache_control, "no-cache");
    head.set("request-id", exchange_.request_id);
    head.keep_alive(c_.keep_alive);
    head.chunked(true);
    std::ostringstream head_text;
    head_text << head.base();
    const std::string head_bytes = std::move(head_text).str();
    head_written_ = true;
    co_await net::async_write(c_.stream, beast::buffers_cat(net::buffer(head_bytes), http::make_chunk(net::buffer(out_))),
                              net::use_awaitable);
    client_first_byte_ms_ = since_received();
  }

  net::awaitable<void> finish_response() {
    if (head_written_) {
      c_.stream.expires_after(kClientWriteTimeout);
      co_await net::async_write(c_.stream, http::make_chunk_last(), net::use_awaitable);
      co_return;
    }
    const auto& error = translator_.error() ? translator_.error() : accumulator_.error();
    client_first_byte_ms_ = since_received();
    if (error) co_return co_await write_error(c_, *error, exchange_.request_id);
    co_await write_json(c_, http::status::ok, accumulator_.message(), exchange_.request_id);
  }

  // Returns true when the deadline passed, false when woken.
  net::awaitable<bool> wait_until(Clock::time_point when) {
    if (waker_->pending) co_return false;
    waker_->timer.expires_at(when);
    boost::system::error_code ec;
    co_await waker_->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    co_return !ec;
  }

  Connection& c_;
  const Exchange& exchange_;
  const Settings& settings_;
  std::shared_ptr<Waker> waker_;  // shared: a judge or fetch may end after the relay
  StreamTranslator translator_;
  HttpHeaders credentials_;
  std::shared_ptr<UpstreamTransfer> transfer_;
  int attempts_ = 0;              // upstream requests made
  int retries_ = 0;               // of which retries after a passing failure
  static constexpr std::size_t kMaxDegradations = 4;  // retries without a refused field
  bool renewed_credentials_ = false;
  bool retried_without_reasoning_ = false;
  bool unverifiable_reasoning_ = false;  // the stream failed on reasoning it could not verify
  std::vector<std::string> degradations_seen_;  // what was left out to get an answer, for the trace
  std::string rate_limits_;
  CodexRateLimits codex_limits_;

  int status_ = 0;
  bool retryable_ = false;  // the last failure may succeed on another attempt
  UpstreamErrorHeaders error_headers_;  // what an error response's mapping reads
  std::string error_body_;
  ResponsesStreamReader reader_;
  std::vector<ResponsesEvent> upstream_events_;
  AnthropicEvents events_;
  MessageAccumulator accumulator_;
  std::shared_ptr<const std::string> body_;  // the upstream request: the turn's, or its continuation
  MessageAccumulator sent_;  // what a streaming client got, when the turn may continue or is traced
  std::map<std::string, std::string> fetch_failures_;  // tool_use_id → status and reason
  std::vector<WebFetchResult> extractions_;           // the summariser calls, for the ledger
  std::shared_ptr<net::cancellation_signal> fetch_cancel_ = std::make_shared<net::cancellation_signal>();
  // Auto mode's check, when the proxy answers it (exchange_.judge).
  std::unique_ptr<CallJudges> judges_ =
      exchange_.judge ? std::make_unique<CallJudges>(c_.context, waker_->timer.get_executor(), exchange_.judge,
                                                     exchange_.request_id, exchange_.session_id,
                                                     [weak = std::weak_ptr<Waker>(waker_)] {
                                                       if (auto waker = weak.lock()) waker->wake();
                                                     })
                      : nullptr;
  int continuations_ = 0;
  // For the recorder.
  bool tracing_ = c_.context.recorder->tracing();
  TurnTrace trace_;
  std::size_t traced_bytes_ = 0;  // of upstream events read while tracing
  std::size_t sent_bytes_ = 0;    // of events written to a streaming client
  std::int64_t sent_deltas_left_out_ = 0;  // deltas past the trace's budget
  std::int64_t upstream_first_byte_ms_ = -1, client_first_byte_ms_ = -1;

  std::int64_t since_received() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - exchange_.received).count();
  }
  std::string out_;
  bool head_written_ = false;
};

}  // namespace

net::awaitable<std::string> relay(Connection& c, const Exchange& exchange) {
  Relay relay(c, exchange, std::make_shared<Waker>(co_await net::this_coro::executor));
  std::variant<std::monostate, boost::system::error_code> outcome;
  try {
    outcome = co_await (relay.run() || watch_for_close(c));
  } catch (const boost::system::system_error& error) {
    outcome = error.code();  // writing to the client failed: it is gone, or stopped reading
  }
  std::string notes = relay.attempts() > 1 ? " after " + std::to_string(relay.attempts()) + " attempts" : "";
  if (!relay.rate_limits().empty()) notes += "; codex " + relay.rate_limits();
  relay.record(outcome.index() == 1);  // (a turn the client left still cost)
  if (outcome.index() == 1) {
    c.keep_alive = false;
    // The write's own timeout, or the watcher seeing the socket that timeout closed: whichever
    // of the two ends first, the reason is the same.
    const boost::system::error_code& ended = std::get<1>(outcome);
    if (ended == boost::beast::error::timeout || ended == net::error::operation_aborted)
      co_return "client not reading: a write timed out after " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kClientWriteTimeout).count()) +
                " s; dropped, upstream aborted";
    co_return "client disconnected, upstream aborted";
  }
  if (const auto& error = relay.error())
    co_return std::to_string(error->status) + " " + error->type + notes;
  co_return "ok" + notes;
}

}  // namespace claudegpt
