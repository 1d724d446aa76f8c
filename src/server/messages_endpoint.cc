// POST /v1/messages and /v1/messages/count_tokens: parse, translate, relay.
//
// The relay is one linear coroutine: take what the upstream thread delivered, run it
// through the pure translator, write what the client should see, wait for more (or for a
// ping or a timeout). A second coroutine watches the client socket; if the client leaves,
// the relay is cancelled and the upstream transfer aborted at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/anthropic_sse_writer.h"
#include "core/message_accumulator.h"
#include "core/request_translator.h"
#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "core/token_counter.h"
#include "core/upstream_error.h"
#include "server/connection.h"
#include "support/log.h"
#include "support/random_id.h"

namespace claudegpt {
namespace {

using Clock = std::chrono::steady_clock;
using namespace boost::asio::experimental::awaitable_operators;

// An upstream error body is small; anything beyond this is not worth keeping.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

// Wakes the relay when the upstream thread has delivered something. Notifications are
// coalesced: at most one wake-up is in flight.
struct Waker {
  net::steady_timer timer;
  std::atomic<bool> pending{false};
  explicit Waker(net::any_io_executor executor) : timer(std::move(executor)) {}
};

// Aborts the upstream transfer when the request ends for any reason (done, client gone,
// exception), so nobody pays for tokens that no one reads.
struct TransferGuard {
  UpstreamClient& client;
  std::shared_ptr<UpstreamClient::Transfer> transfer;
  ~TransferGuard() {
    transfer->inbox().set_notify(nullptr);
    client.cancel(transfer);
  }
};

std::string requested_model(const boost::json::object& body) {
  const auto* model = body.if_contains("model");
  return model && model->is_string() ? std::string(model->get_string()) : std::string();
}

RequestOptions options_for(const Settings& settings, const std::string& model) {
  RequestOptions options;
  options.upstream_model = settings.upstream_model(model);
  options.rewrite_identity = settings.rewrite_identity;
  options.cutoff = settings.cutoff_for(model);
  options.default_effort = settings.default_effort;
  return options;
}

// A client request, parsed and translated; or why it cannot be.
struct PreparedRequest {
  std::optional<ApiError> error;
  std::string model;  // as the client asked for it
  TranslatedRequest translated;
};

// The parsed body lives in an arena local to this call, so that only the (smaller)
// translation stays in memory while the answer streams, which can take minutes.
PreparedRequest prepare(std::string_view text, const Settings& settings) {
  PreparedRequest prepared;
  boost::json::monotonic_resource arena;
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(text, ec, &arena);
  if (ec) {
    prepared.error = ApiError::with_status(400, "Malformed JSON in request body: " + ec.message());
    return prepared;
  }
  if (!body.is_object()) {
    prepared.error = ApiError::with_status(400, "The request body must be a JSON object");
    return prepared;
  }
  prepared.model = requested_model(body.get_object());
  try {
    prepared.translated = translate_request(body.get_object(), options_for(settings, prepared.model));
  } catch (const InvalidRequest& invalid) {
    prepared.error = ApiError::with_status(400, invalid.what());
  }
  return prepared;
}

std::string_view header_value(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

// Returns when the client closes its side of the connection (or it breaks). Bytes the
// client sends meanwhile (a pipelined request) are kept for the next read.
net::awaitable<void> watch_for_close(Connection& c) {
  auto& socket = c.stream.socket();
  for (;;) {
    boost::system::error_code ec;
    if (c.buffer.size() > 64 * 1024) {  // enough buffered: stop reading, keep waiting
      net::steady_timer forever(socket.get_executor(), Clock::time_point::max());
      co_await forever.async_wait(net::redirect_error(net::use_awaitable, ec));
      co_return;
    }
    std::size_t n = co_await socket.async_read_some(c.buffer.prepare(4096),
                                                    net::redirect_error(net::use_awaitable, ec));
    c.buffer.commit(n);
    if (ec) co_return;
  }
}

class Relay {
 public:
  Relay(Connection& c, const TranslatedRequest& request, std::shared_ptr<UpstreamClient::Transfer> transfer,
        Waker& waker, StreamTranslator& translator, std::string request_id, std::string model)
      : c_(c),
        request_(request),
        settings_(c.context.settings),
        transfer_(std::move(transfer)),
        waker_(waker),
        translator_(translator),
        streaming_(request.client_wants_stream),
        request_id_(std::move(request_id)),
        upstream_model_(std::move(model)) {}

  net::awaitable<void> run() {
    const auto started = Clock::now();
    auto deadline = started + settings_.first_event_timeout;
    auto next_ping = started + settings_.ping_interval;
    for (;;) {
      waker_.pending.store(false);
      UpstreamInbox::Snapshot delivery = transfer_->inbox().take();
      if (transfer_->inbox().wants_resume()) c_.context.upstream.resume(transfer_);
      if (delivery.has_response && !status_) {
        status_ = delivery.status;
        retry_after_ = std::string(header_value(delivery.headers, "retry-after"));
      }
      if (!delivery.data.empty()) {
        deadline = Clock::now() + settings_.idle_timeout;
        take_data(delivery.data);
      }
      if (delivery.finished && !translator_.finished()) finish_upstream(delivery.error);

      if (!events_.empty()) {
        co_await deliver();
        next_ping = Clock::now() + settings_.ping_interval;
      }
      if (translator_.finished()) break;

      auto wake_at = streaming_ ? std::min(deadline, next_ping) : deadline;
      if (!co_await wait_until(wake_at)) continue;  // woken by the upstream
      auto now = Clock::now();
      if (now >= deadline) {
        c_.context.upstream.cancel(transfer_);
        auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - started).count();
        translator_.fail(ApiError::with_status(504, "The upstream (" + upstream_model_ +
                                                        ") sent nothing in time; waited " +
                                                        std::to_string(waited) + "s"),
                         events_);
      } else if (streaming_ && now >= next_ping) {
        translator_.start(events_);  // a ping needs the message to have started
        events_.push_back({"ping", {{"type", "ping"}}});
      }
    }
    co_await finish_response();
  }

 private:
  void take_data(const std::string& data) {
    if (status_ != 200) {  // an error body: keep it for the error message
      error_body_.append(data, 0, std::min(data.size(), kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size())));
      return;
    }
    if (!reader_.feed(data, upstream_events_)) {
      c_.context.upstream.cancel(transfer_);
      translator_.fail(ApiError::with_status(502, "The upstream sent a malformed event stream: " + reader_.error()),
                       events_);
    }
    for (const auto& event : upstream_events_) {
      translator_.on_event(event, events_);
      if (translator_.finished()) break;
    }
    upstream_events_.clear();
  }

  void finish_upstream(const std::string& transport_error) {
    if (status_ && status_ != 200) {
      // Counted only now: OpenAI's context-overflow error names no token counts, and
      // Claude Code needs them ("prompt is too long: N tokens > M maximum").
      ErrorContext context;
      if (status_ == 400)
        context.estimated_input_tokens = static_cast<std::int64_t>(count_request_tokens(request_.body));
      translator_.fail(map_upstream_http_error(status_, error_body_, retry_after_, context), events_);
    } else if (!transport_error.empty()) {
      translator_.fail(ApiError::with_status(502, "Connection to the upstream failed: " + transport_error),
                       events_);
    } else {
      translator_.on_upstream_end(events_);
    }
  }

  // Sends (or, for a non-streaming client, collects) the translated events.
  net::awaitable<void> deliver() {
    if (!streaming_) {
      for (const auto& event : events_) accumulator_.add(event);
      events_.clear();
      co_return;
    }
    if (!head_written_) {
      http::response<http::empty_body> head{http::status::ok, 11};
      head.set(http::field::content_type, "text/event-stream; charset=utf-8");
      head.set(http::field::cache_control, "no-cache");
      head.set("request-id", request_id_);
      head.keep_alive(c_.keep_alive);
      head.chunked(true);
      http::response_serializer<http::empty_body> serializer(head);
      co_await http::async_write_header(c_.stream, serializer, net::use_awaitable);
      head_written_ = true;
    }
    out_.clear();
    for (const auto& event : events_) write_sse(event, out_);
    events_.clear();
    co_await net::async_write(c_.stream, http::make_chunk(net::buffer(out_)), net::use_awaitable);
  }

  net::awaitable<void> finish_response() {
    if (head_written_) {
      co_await net::async_write(c_.stream, http::make_chunk_last(), net::use_awaitable);
      co_return;
    }
    const auto& error = translator_.error() ? translator_.error() : accumulator_.error();
    if (error) {
      log_warn("request ", request_id_, " failed: ", error->status, " ", error->type);
      co_return co_await write_error(c_, *error, request_id_);
    }
    co_await write_json(c_, http::status::ok, accumulator_.message());
  }

  // Returns true when the deadline passed, false when woken by the upstream.
  net::awaitable<bool> wait_until(Clock::time_point when) {
    if (waker_.pending.load()) co_return false;
    waker_.timer.expires_at(when);
    boost::system::error_code ec;
    co_await waker_.timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    co_return !ec;
  }

  Connection& c_;
  const TranslatedRequest& request_;
  const Settings& settings_;
  std::shared_ptr<UpstreamClient::Transfer> transfer_;
  Waker& waker_;
  StreamTranslator& translator_;
  const bool streaming_;
  const std::string request_id_;
  const std::string upstream_model_;

  int status_ = 0;
  std::string retry_after_;
  std::string error_body_;
  ResponsesStreamReader reader_;
  std::vector<ResponsesEvent> upstream_events_;
  AnthropicEvents events_;
  MessageAccumulator accumulator_;
  std::string out_;
  bool head_written_ = false;
};

}  // namespace

net::awaitable<void> serve_messages(Connection& c, HttpRequest& request) {
  ServerContext& context = c.context;
  const std::string request_id = random_id("req_");
  PreparedRequest prepared = prepare(request.body(), context.settings);
  request.body() = {};  // the raw body is not needed any more
  if (prepared.error) co_return co_await write_error(c, *prepared.error, request_id);
  const std::string& model = prepared.model;
  TranslatedRequest& translated = prepared.translated;
  context.provider.adapt_body(translated.body);
  const std::string upstream_model = options_for(context.settings, model).upstream_model;
  auto transfer = context.upstream.post(
      context.provider.make_call(boost::json::serialize(translated.body), context.settings));
  TransferGuard guard{context.upstream, transfer};

  auto executor = co_await net::this_coro::executor;
  auto waker = std::make_shared<Waker>(executor);
  transfer->inbox().set_notify([weak = std::weak_ptr<Waker>(waker), executor] {
    auto w = weak.lock();
    if (!w || w->pending.exchange(true)) return;
    net::post(executor, [weak] {
      if (auto w = weak.lock()) w->timer.cancel();
    });
  });

  StreamSetup setup;
  setup.message_id = random_id("msg_");
  setup.client_model = model;
  setup.tools = &translated.tools;
  StreamTranslator translator(std::move(setup));
  Relay relay(c, translated, transfer, *waker, translator, request_id, upstream_model);

  auto outcome = co_await (relay.run() || watch_for_close(c));
  std::string result = outcome.index() == 1 ? "client disconnected, upstream aborted"
                       : translator.error() ? std::to_string(translator.error()->status) + " " + translator.error()->type
                                            : "ok";
  if (outcome.index() == 1) c.keep_alive = false;
  // Field names only (never values): what the upstream did not get, e.g. temperature.
  std::string dropped;
  for (const auto& field : translated.dropped) dropped.append(dropped.empty() ? "" : ",").append(field);
  log_info(request_id, " ", model, " -> ", upstream_model, translated.client_wants_stream ? " stream" : "",
           ": ", result, dropped.empty() ? "" : "; not forwarded: ", dropped);
}

net::awaitable<void> serve_count_tokens(Connection& c, HttpRequest& request) {
  const std::string request_id = random_id("req_");
  PreparedRequest prepared = prepare(request.body(), c.context.settings);
  if (prepared.error) co_return co_await write_error(c, *prepared.error, request_id);
  auto tokens = static_cast<std::int64_t>(count_request_tokens(prepared.translated.body));
  boost::json::object answer;
  answer["input_tokens"] = tokens;
  co_await write_json(c, http::status::ok, answer);
}

}  // namespace claudegpt
