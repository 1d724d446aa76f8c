// What the client of one /v1/messages exchange is sent: the translated events as SSE (the
// response head goes out with the first of them, each write bounded by a timeout), or, for a
// client that did not ask for a stream, one Message at the end. It remembers the message as
// the client got it: a turn continued after the proxy's web fetches carries it upstream, and
// the trace shows it. Internal to src/server/.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/anthropic_event.h"
#include "core/api_error.h"
#include "core/message_accumulator.h"
#include "server/connection.h"

namespace claudegpt {

// A client that takes longer than this to accept one write (it stopped reading without
// closing, e.g. a suspended process) is dropped, so the upstream is not held open for it.
inline constexpr auto kClientWriteTimeout = std::chrono::seconds(60);

class ClientSink {
 public:
  // `whole_message`: the message as sent is kept whole (a continuation needs it); else, when
  // `tracing`, it is kept up to the trace's budget, its later deltas only counted.
  ClientSink(Connection& c, std::string request_id, bool stream, bool whole_message, bool tracing,
             std::chrono::steady_clock::time_point received);

  // Sends `events` (or collects them, for a non-streaming client) and empties it.
  net::awaitable<void> write(AnthropicEvents& events);

  // Ends the response: the stream's last chunk; or, for a non-streaming client, the Message,
  // or `failure` (else the error the events carried) as an HTTP error.
  net::awaitable<void> finish(const std::optional<ApiError>& failure);

  bool streaming() const { return stream_; }
  // The message as the client got it (see the constructor), and its deltas left out.
  const MessageAccumulator& delivered() const { return stream_ ? sent_ : collected_; }
  std::int64_t deltas_left_out() const { return deltas_left_out_; }
  // An error among the events a non-streaming client was to get.
  const std::optional<ApiError>& collected_error() const { return collected_.error(); }
  // Milliseconds from the request's arrival to the client's first byte (-1: not yet).
  std::int64_t first_byte_ms() const { return first_byte_ms_; }

 private:
  std::int64_t since_received() const;

  Connection& c_;
  const std::string request_id_;
  const bool stream_, whole_message_, tracing_;
  const std::chrono::steady_clock::time_point received_;
  MessageAccumulator collected_;   // a non-streaming client's answer
  MessageAccumulator sent_;        // what a streaming client got (see the constructor)
  std::size_t sent_bytes_ = 0;
  std::int64_t deltas_left_out_ = 0;
  std::int64_t first_byte_ms_ = -1;
  std::string out_;                // the SSE bytes of one write
  bool head_written_ = false;
};

}  // namespace claudegpt
