#include "server/client_sink.h"

#include <sstream>

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

#include "core/anthropic_sse_writer.h"

namespace claudegpt {
namespace {

// The message sent to a streaming client is kept for the trace up to this much of its events
// (as written); the rest is only counted: memory per stream must stay bounded.
constexpr std::size_t kTracedMessageBytes = 8u << 20;

}  // namespace

ClientSink::ClientSink(Connection& c, std::string request_id, bool stream, bool whole_message, bool tracing,
                       std::chrono::steady_clock::time_point received)
    : c_(c),
      request_id_(std::move(request_id)),
      stream_(stream),
      whole_message_(whole_message),
      tracing_(tracing),
      received_(received) {}

std::int64_t ClientSink::since_received() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - received_).count();
}

net::awaitable<void> ClientSink::write(AnthropicEvents& events) {
  if (!stream_) {
    for (const auto& event : events) collected_.add(event);
    events.clear();
    co_return;
  }
  if (events.empty()) co_return;
  for (const auto& event : events) {
    if (whole_message_ || (tracing_ && (sent_bytes_ <= kTracedMessageBytes || event.type != "content_block_delta")))
      sent_.add(event);
    else if (tracing_)
      ++deltas_left_out_;
  }
  out_.clear();
  for (const auto& event : events) write_sse(event, out_);
  sent_bytes_ += out_.size();
  events.clear();
  c_.stream.expires_after(kClientWriteTimeout);
  if (head_written_) {
    co_await net::async_write(c_.stream, http::make_chunk(net::buffer(out_)), net::use_awaitable);
    co_return;
  }
  // The head goes out with the first events: one write, and the client's first byte sooner.
  http::response<http::empty_body> head{http::status::ok, 11};
  head.set(http::field::content_type, "text/event-stream; charset=utf-8");
  head.set(http::field::cache_control, "no-cache");
  head.set("request-id", request_id_);
  head.keep_alive(c_.keep_alive);
  head.chunked(true);
  std::ostringstream head_text;
  head_text << head.base();
  const std::string head_bytes = std::move(head_text).str();
  head_written_ = true;
  co_await net::async_write(
      c_.stream, boost::beast::buffers_cat(net::buffer(head_bytes), http::make_chunk(net::buffer(out_))),
      net::use_awaitable);
  first_byte_ms_ = since_received();
}

net::awaitable<void> ClientSink::finish(const std::optional<ApiError>& failure) {
  if (head_written_) {
    c_.stream.expires_after(kClientWriteTimeout);
    co_await net::async_write(c_.stream, http::make_chunk_last(), net::use_awaitable);
    co_return;
  }
  const auto& error = failure ? failure : collected_.error();
  first_byte_ms_ = since_received();
  if (error) co_return co_await write_error(c_, *error, request_id_);
  co_await write_json(c_, http::status::ok, collected_.message(), request_id_);
}

}  // namespace claudegpt
