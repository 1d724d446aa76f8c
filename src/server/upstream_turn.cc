#include "server/upstream_turn.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include "core/json_depth.h"
#include "core/token_counter.h"
#include "core/unverifiable_reasoning.h"
#include "support/local_time.h"
#include "support/log.h"
#include "support/random_id.h"
#include "upstream/codex_auth.h"
#include "upstream/upstream_client.h"

namespace claudegpt {
namespace {

// An upstream error body is small; anything beyond this is not worth keeping.
constexpr std::size_t kMaxErrorBody = 64 * 1024;
// Retries without an optional field the upstream refused, per exchange.
constexpr std::size_t kMaxDegradations = 4;

// Upstream HTTP statuses worth another try (before the client has seen anything).
bool retryable_status(int status) { return status == 500 || status == 502 || status == 503 || status == 504; }

// "host:port" of a URL, as the client's error names the upstream.
std::string_view host_of(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  return url.substr(0, url.find_first_of("/?#"));
}

}  // namespace

UpstreamTurn::UpstreamTurn(Connection& c, const Exchange& exchange, Waker& waker, TraceTap& trace)
    : c_(c), exchange_(exchange), settings_(c.context.settings), waker_(waker), trace_(trace) {}

UpstreamTurn::~UpstreamTurn() { abort(); }

// Credentials may mean reading auth.json or refreshing a token over HTTPS: never on the I/O
// thread. Returns the client's error when there are none to be had.
template <typename Get>
net::awaitable<std::optional<ApiError>> UpstreamTurn::fetch_credentials(Get get) {
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

net::awaitable<std::optional<ApiError>> UpstreamTurn::get_credentials() {
  co_return co_await fetch_credentials([&](Provider& p) { credentials_ = p.credentials(); });
}

// Once per exchange: a fresher Codex token (re-read, else refreshed). A static key that was
// refused stays refused.
net::awaitable<bool> UpstreamTurn::renew_credentials(std::optional<ApiError>& instead) {
  if (renewed_credentials_) co_return false;
  renewed_credentials_ = true;
  std::optional<HttpHeaders> fresher;
  HttpHeaders used = credentials_;
  if ((instead = co_await fetch_credentials([&](Provider& p) { fresher = p.credentials_after_unauthorized(used); })))
    co_return false;
  // The client left while we waited on the pool thread (its cancellation cannot reach there):
  // post nothing upstream for it.
  auto state = co_await net::this_coro::cancellation_state;
  if (!fresher || state.cancelled() != net::cancellation_type::none) co_return false;
  credentials_ = std::move(*fresher);
  co_return true;
}

void UpstreamTurn::send(std::shared_ptr<const std::string> body) {
  abort();
  body_ = std::move(body);
  sent_bytes_ = body_->size();
  ++attempts_;
  status_ = 0;
  retryable_ = false;
  error_headers_ = {};
  error_body_.clear();
  unverifiable_reasoning_ = false;
  reader_ = ResponsesStreamReader();
  trace_.request(body_);
  transfer_ = UpstreamClient::of(waker_.timer.get_executor())
                  .start(c_.context.provider.make_call(body_, credentials_, exchange_.session_id));
  transfer_->on_progress([waker = &waker_] { waker->wake(); });  // the transfer goes first
}

void UpstreamTurn::abort() {
  if (!transfer_) return;
  transfer_->cancel();
  transfer_.reset();
}

bool UpstreamTurn::read(StreamTranslator& translator, AnthropicEvents& events) {
  if (!transfer_) return false;  // aborted (a stall): nothing more comes
  UpstreamProgress got = transfer_->take();
  if (got.has_response && !status_) {
    status_ = got.status;
    error_headers_ = {std::string(header_value(got.headers, "retry-after")),
                      std::string(header_value(got.headers, "cf-mitigated")),
                      std::string(header_value(got.headers, "content-type"))};
    note_rate_limits(got.headers);
  }
  const bool bytes = !got.data.empty();
  if (bytes) take_data(got.data, translator, events);
  if (translator.started()) body_.reset();  // nothing is retried now: a turn streams for minutes
  if (got.finished && !translator.finished() && !translator.awaiting_fetches()) finish(got, translator, events);
  return bytes;
}

void UpstreamTurn::take_data(const std::string& data, StreamTranslator& translator, AnthropicEvents& events) {
  if (status_ != 200) {  // an error body: keep it for the error message
    std::size_t room = kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size());
    error_body_.append(data, 0, std::min(data.size(), room));
    return;
  }
  // The events read before a malformed one are the upstream's output too: they go first.
  const bool readable = reader_.feed(data, upstream_events_);
  trace_.read(data.size());
  for (auto& event : upstream_events_) {
    if ((event.type == "response.failed" || event.type == "error") && !translator.started())
      unverifiable_reasoning_ = unverifiable_reasoning_ || is_unverifiable_reasoning_error(event.data);
    translator.on_event(event, events);
    trace_.event(event);  // moved, not copied: the trace costs the hot path no copy of the stream
    if (translator.finished()) break;
  }
  upstream_events_.clear();
  if (!readable && !translator.finished()) {
    abort();
    translator.fail(ApiError::with_status(502, "The upstream sent a malformed event stream: " + reader_.error()),
                    events);
  }
  // A server_error or overload reported in the stream, before any output: worth a retry.
  if (const auto& error = translator.error(); error && !translator.started())
    retryable_ = error->status == 500 || error->status == 529;
}

void UpstreamTurn::finish(const UpstreamProgress& end, StreamTranslator& translator, AnthropicEvents& events) {
  // The connection failed or broke before any output, or the upstream said it failed: worth
  // a retry. Not 4xx (the answer would be the same), not a certificate the upstream will
  // present again, and not our own stall timeouts (that would double the wait).
  retryable_ = retryable_status(status_) || ((status_ == 0 || status_ == 200) && !end.permanent);
  if (status_ && status_ != 200) {
    translator.fail(map_upstream_http_error(status_, error_body_, error_headers_, error_context()), events);
  } else if (end.timed_out) {
    translator.fail(ApiError::with_status(504, "Connecting to the upstream timed out: " + end.error), events);
  } else if (!end.error.empty()) {
    // Refused, unresolvable, a certificate that does not verify: this proxy has retried
    // (upstream_retries); Claude Code retrying for minutes would only hide the reason.
    ApiError failure = ApiError::with_status(
        502, "Connection to the upstream failed: " + end.error + " — " + c_.context.provider.connection_fix());
    failure.no_retry = true;
    translator.fail(std::move(failure), events);
  } else {
    translator.on_upstream_end(events);
  }
}

net::awaitable<bool> UpstreamTurn::retry(const ApiError& failure, std::optional<ApiError>& instead) {
  Provider& provider = c_.context.provider;
  // Reasoning the upstream can no longer verify (its key changed): once, without it.
  if (!retried_without_reasoning_ &&
      (unverifiable_reasoning_ || (status_ == 400 && is_unverifiable_reasoning_error(error_body_)))) {
    retried_without_reasoning_ = true;
    if (auto lighter = provider.without_reasoning(*body_)) {
      degradations_.push_back("retried without the reasoning sent back: the upstream could not verify it");
      send(std::make_shared<const std::string>(std::move(*lighter)));
      co_return true;
    }
  }
  // An optional field the upstream refuses (an unverified organisation's reasoning summary,
  // an effort the model lacks): without it, at once, a few times at most per exchange.
  if (status_ == 400 && degradations_.size() < kMaxDegradations) {
    if (auto lighter = provider.without_refused_option(*body_, error_body_)) {
      degradations_.push_back("retried without " + lighter->refusal.describe() + ": the upstream refused it");
      if (lighter->first_time)  // kept for later runs, off the I/O thread
        net::post(c_.context.blocking, [&store = c_.context.refusals, provider = &provider, model = lighter->model,
                                        refusal = lighter->refusal] {
          store.add({provider->name(), provider->endpoint(), model, refusal, ""});
        });
      send(std::make_shared<const std::string>(std::move(lighter->body)));
      co_return true;
    }
  }
  if (failure.status == 401) {
    if (!co_await renew_credentials(instead)) co_return false;
  } else {
    if (!retryable_ || retries_ >= settings_.upstream_retries) co_return false;
    ++retries_;
    auto base = std::chrono::milliseconds(250) * (1 << std::min(retries_ - 1, 5));
    auto delay = base / 2 + std::chrono::milliseconds(random_below(base.count()));
    log_info("request ", exchange_.request_id, ": upstream ", failure.status, " ", failure.type, ", retrying in ",
             delay.count(), "ms");
    abort();
    net::steady_timer backoff(waker_.timer.get_executor(), delay);  // not the waker: no stray wake-ups
    boost::system::error_code ec;
    co_await backoff.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (c_.context.stopping) co_return false;
  }
  send(body_);
  co_return true;
}

// OpenAI's context-overflow error names no token counts, and Claude Code compacts on
// "prompt is too long: N tokens > M maximum": count the request then, only then.
ErrorContext UpstreamTurn::error_context() const {
  ErrorContext context;
  context.context_window = settings_.context_window_for(exchange_.client_model);
  context.input_token_scale = settings_.token_scale_for(exchange_.client_model);
  context.credentials_fix = c_.context.provider.credentials_fix();
  context.upstream_host = std::string(host_of(c_.context.provider.endpoint()));
  context.now_unix_seconds = std::time(nullptr);  // a usage limit's reset, told as a wait
  context.local_time = [now = context.now_unix_seconds](std::int64_t at) { return local_clock_time(at, now); };
  context.count_input_tokens = [this] {  // (the translator asks before any output, body_ still here)
    if (!body_) return std::int64_t{0};
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(*body_, ec, {}, deep_json());
    if (ec || !parsed.is_object()) return std::int64_t{0};
    return static_cast<std::int64_t>(count_request_tokens(parsed.get_object()));
  };
  return context;
}

// The log shows the x-codex-* headers as they came; the ledger row keeps the usage windows
// they report (the newest response's that has them), for the status line.
void UpstreamTurn::note_rate_limits(const HttpHeaders& headers) {
  rate_limits_text_.clear();
  for (const auto& [name, value] : headers)
    if (name.starts_with("x-codex-"))
      rate_limits_text_.append(rate_limits_text_.empty() ? "" : " ")
          .append(name.substr(8))
          .append("=")
          .append(value);
  if (rate_limits_text_.empty()) return;
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (CodexRateLimits limits = parse_codex_rate_limits(headers, now_s); !limits.empty()) rate_limits_ = limits;
}

}  // namespace claudegpt
