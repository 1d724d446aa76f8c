// The relay is one linear coroutine: read what the upstream delivered through the pure
// translator, send what the client should see, wait for more (or for a ping or a deadline).
// Each job has its own file: the upstream side and its retries (upstream_turn), what the
// client is sent (client_sink), the proxy's web fetches (fetch_continuation), auto mode's
// judges (call_judges), the trace (trace_tap) and the ledger rows (turn_rows). A second
// coroutine watches the client socket; if the client leaves, the relay is cancelled, and
// with it everything the turn had under way.
#include "server/relay.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include "core/stream_translator.h"
#include "server/call_judges.h"
#include "server/client_sink.h"
#include "server/fetch_continuation.h"
#include "server/trace_tap.h"
#include "server/turn_rows.h"
#include "server/upstream_turn.h"
#include "support/log.h"
#include "support/random_id.h"

namespace claudegpt {
namespace {

using Clock = std::chrono::steady_clock;
using namespace boost::asio::experimental::awaitable_operators;

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

// One exchange, from its first upstream attempt to its last. It keeps its waker known to its
// thread while it runs (so a shutdown can end it); when it ends for any reason (done, client
// gone, exception) its parts abort what they have under way.
class Relay {
 public:
  Relay(Connection& c, const Exchange& exchange, std::shared_ptr<const std::string> body,
        std::shared_ptr<const std::string> client_body, std::shared_ptr<Waker> waker)
      : c_(c),
        exchange_(exchange),
        settings_(c.context.settings),
        waker_(std::move(waker)),
        trace_(c.context.recorder->tracing(), std::move(client_body),
               [this](std::string key, const std::shared_ptr<const std::string>& body) {
                 return c_.context.recorder->spool(exchange_.request_id, std::move(key), body, secrets());
               }),
        upstream_(c, exchange, *waker_, trace_),
        translator_(setup()),
        sink_(c, exchange.request_id, exchange.client_wants_stream, /*whole_message=*/exchange.web_fetches > 0,
              trace_.on(), exchange.received),
        fetches_(c, exchange, exchange.web_fetches > 0 ? body : nullptr, waker_),
        body_(std::move(body)) {
    c_.thread.streams.insert(waker_.get());
    ++c_.context.streams;
  }

  ~Relay() {
    c_.thread.streams.erase(waker_.get());
    --c_.context.streams;
  }

  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  const std::optional<ApiError>& error() const { return translator_.error(); }
  int attempts() const { return upstream_.attempts() - fetches_.continuations(); }  // per upstream response
  const std::string& rate_limits() const { return upstream_.rate_limits_text(); }

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
      upstream_.abort();
      translator_.fail(ApiError::with_status(500, "claudegpt internal error"), events_);
      co_await deliver();
    }
    co_await sink_.finish(translator_.error());
  }

  // Hands the turn to the recorder: its ledger row, one per paid side call, and its trace.
  void record(bool client_left) {
    TurnOutcome outcome;
    outcome.usage = translator_.usage();
    outcome.rate_limits = upstream_.rate_limits();
    outcome.upstream_first_byte_ms = upstream_first_byte_ms_;
    outcome.client_first_byte_ms = sink_.first_byte_ms();
    outcome.done_ms = since_received();
    outcome.chain_rounds = fetches_.continuations();
    outcome.client_left = client_left;
    outcome.failure = translator_.error() ? translator_.error() : sink_.collected_error();
    TurnRecord row = turn_row(exchange_, settings_, outcome);
    TurnTrace trace;
    if (!client_left && outcome.failure) trace.error_message = outcome.failure->message;
    if (trace_.on() || !row.first_prompt.empty()) trace.secrets = secrets();  // masked there, and in that prompt
    if (trace_.on()) {
      trace.spool_id = exchange_.request_id;
      trace_.into(trace);
      trace.response_anthropic = sink_.delivered().message();
      trace.response_deltas_left_out = sink_.deltas_left_out();
      if (settings_.provider == ProviderKind::azure) trace.deployment = exchange_.upstream_model;
      trace.not_forwarded = exchange_.not_forwarded;
      trace.degradations = upstream_.degradations();
      trace.filtered_tool_tokens = exchange_.filtered_tool_tokens;
    }
    for (TurnRecord& side : side_call_rows(row, fetches_.extractions(),
                                           judges_ ? judges_->outcomes() : std::vector<const JudgeOutcome*>(),
                                           settings_.judge_effort))
      c_.context.recorder->record(std::move(side), {});
    c_.context.recorder->record(std::move(row), std::move(trace));
  }

 private:
  StreamSetup setup() const {
    StreamSetup s;
    s.message_id = random_id("msg_");
    s.client_model = exchange_.client_model;
    s.upstream_model = exchange_.upstream_model;
    s.tools = &exchange_.tools;
    s.error_context = upstream_.error_context();
    s.max_web_searches = exchange_.max_web_searches;
    s.max_tokens = exchange_.max_tokens;
    s.fetches_left = exchange_.web_fetches;
    return s;
  }

  // The secret values a trace or a ledger row must not show.
  std::vector<std::string> secrets() const {
    std::vector<std::string> secrets = {settings_.access_token, settings_.openai_api_key, settings_.azure_api_key,
                                        settings_.azure_ad_token};
    for (const auto& [name, value] : upstream_.credentials())  // the Codex token as it is now
      secrets.push_back(value.starts_with("Bearer ") ? value.substr(7) : value);
    return secrets;
  }

  // Replaces a failure the client has not seen yet with `error`.
  void fail_before_output(ApiError error) {
    translator_ = StreamTranslator(setup());
    translator_.fail(std::move(error), events_);
  }

  // Another attempt, when the failure allows one and the client has seen nothing yet.
  net::awaitable<bool> try_again() {
    if (translator_.started() || !translator_.error()) co_return false;
    std::optional<ApiError> instead;
    if (co_await upstream_.retry(*translator_.error(), instead)) {
      translator_ = StreamTranslator(setup());
      co_return true;
    }
    if (instead) fail_before_output(std::move(*instead));
    co_return false;
  }

  // Moves upstream events to the client until the translator is finished.
  net::awaitable<void> pump() {
    if (auto error = co_await upstream_.get_credentials()) {
      fail_before_output(std::move(*error));
      co_return;
    }
    // The client left while we waited on the pool thread (its cancellation cannot reach
    // there): post nothing upstream for it.
    if ((co_await net::this_coro::cancellation_state).cancelled() != net::cancellation_type::none) co_return;
    upstream_.send(std::move(body_));
    auto started = Clock::now();
    bool heard_from_upstream = false;
    auto deadline = started + settings_.first_event_timeout;
    auto next_ping = started + settings_.ping_interval;
    for (;;) {
      waker_->pending = false;
      if (upstream_.read(translator_, events_)) {
        heard_from_upstream = true;
        if (upstream_first_byte_ms_ < 0) upstream_first_byte_ms_ = since_received();
        deadline = Clock::now() + settings_.idle_timeout;
      }
      if (translator_.awaiting_fetches()) {
        upstream_.abort();  // its response is complete; the turn goes on with the fetches
        if (!co_await fetches_.perform(translator_, events_, [this] { return deliver(); }, judges_.get(),
                                       upstream_.credentials()))
          co_return;
        upstream_.send(fetches_.next_request(sink_.delivered(), upstream_.sent_bytes()));
        started = Clock::now();
        heard_from_upstream = false;
        deadline = started + settings_.first_event_timeout;
        continue;
      }
      if (c_.context.stopping && !translator_.finished()) {
        upstream_.abort();
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
      if (!co_await waker_->wait_until(wake_at)) continue;  // woken: the upstream delivered, or shutdown
      auto now = Clock::now();
      if (now >= deadline) {
        upstream_.abort();
        auto limit = std::chrono::duration_cast<std::chrono::seconds>(
            heard_from_upstream ? settings_.idle_timeout : settings_.first_event_timeout);
        translator_.fail(ApiError::with_status(504, "The upstream (" + exchange_.upstream_model + ") was silent for " +
                                                        std::to_string(limit.count()) + "s " +
                                                        (heard_from_upstream ? "mid-stream" : "before answering")),
                         events_);
      } else if (exchange_.client_wants_stream && now >= next_ping) {
        translator_.start(events_);  // a ping needs the message to have started
        events_.push_back({"ping", {{"type", "ping"}}});
      }
    }
  }

  // Sends (or, for a non-streaming client, collects) the translated events. When the proxy
  // answers auto mode's check, each tool call goes to the judge as soon as it is complete, and
  // the message's end (message_delta, message_stop) waits for the verdicts it carries.
  net::awaitable<void> deliver() {
    if (judges_) {
      judges_->start_complete_calls(events_, upstream_.credentials());
      auto end = std::find_if(events_.begin(), events_.end(),
                              [](const AnthropicEvent& event) { return event.type == "message_delta"; });
      if (end != events_.end()) {
        AnthropicEvents rest(std::make_move_iterator(end), std::make_move_iterator(events_.end()));
        events_.erase(end, events_.end());
        co_await sink_.write(events_);
        co_await await_verdicts();
        rest.front().data["delta"].as_object()["safeguard_results"] = judges_->results();
        events_ = std::move(rest);
      }
    }
    co_await sink_.write(events_);
  }

  // Waits until every judged call has its verdict, keeping a streaming client's connection
  // alive with pings meanwhile. Each call is bounded by the judge's timeout; at shutdown the
  // calls still out get the unavailable verdict.
  net::awaitable<void> await_verdicts() {
    auto next_ping = Clock::now() + settings_.ping_interval;
    while (!judges_->all_answered() && !c_.context.stopping) {
      waker_->pending = false;
      if (judges_->all_answered()) break;
      if (!co_await waker_->wait_until(next_ping)) continue;  // woken: a verdict came (or the upstream stirred)
      next_ping = Clock::now() + settings_.ping_interval;
      if (exchange_.client_wants_stream) {
        events_.push_back({"ping", {{"type", "ping"}}});
        co_await sink_.write(events_);
      }
    }
  }

  std::int64_t since_received() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - exchange_.received).count();
  }

  Connection& c_;
  const Exchange& exchange_;
  const Settings& settings_;
  std::shared_ptr<Waker> waker_;  // shared: a judge or fetch may end after the relay
  TraceTap trace_;
  UpstreamTurn upstream_;         // after the waker and the tap it uses; aborts first
  StreamTranslator translator_;
  AnthropicEvents events_;        // translated, not yet delivered
  ClientSink sink_;
  FetchContinuation fetches_;
  // Auto mode's check, when the proxy answers it (exchange_.judge).
  std::unique_ptr<CallJudges> judges_ =
      exchange_.judge ? std::make_unique<CallJudges>(c_.context, waker_->timer.get_executor(), exchange_.judge,
                                                     exchange_.request_id, exchange_.session_id,
                                                     [weak = std::weak_ptr<Waker>(waker_)] {
                                                       if (auto waker = weak.lock()) waker->wake();
                                                     })
                      : nullptr;
  std::shared_ptr<const std::string> body_;  // the turn's request, until it is sent
  std::int64_t upstream_first_byte_ms_ = -1;
};

}  // namespace

net::awaitable<std::string> relay(Connection& c, const Exchange& exchange,
                                  std::shared_ptr<const std::string> upstream_body,
                                  std::shared_ptr<const std::string> client_body) {
  Relay relay(c, exchange, std::move(upstream_body), std::move(client_body),
              std::make_shared<Waker>(co_await net::this_coro::executor));
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
