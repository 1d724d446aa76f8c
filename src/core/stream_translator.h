// Responses stream events → Anthropic stream events: the heart of claudegpt, as a small
// explicit state machine. Pure: no I/O, no clock, no randomness (ids come in through
// StreamSetup), so it is tested directly on recorded streams.
//
// States: waiting (nothing sent: an upstream error here becomes an HTTP error response) →
// streaming (message_start sent; blocks open and close as upstream items do) → done
// (message_delta + message_stop sent) or failed (an `error` event sent, or error() set
// while still waiting).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/anthropic_event.h"
#include "core/api_error.h"
#include "core/responses_stream_reader.h"
#include "core/tool_catalog.h"
#include "core/upstream_error.h"

namespace claudegpt {

struct StreamSetup {
  std::string message_id;          // "msg_…", made by the caller
  std::string client_model;        // the model name the client asked for, echoed back
  const ToolCatalog* tools = nullptr;  // maps function names back, cleans arguments
  ErrorContext error_context;      // also: estimated_input_tokens goes into message_start
};

class StreamTranslator {
 public:
  explicit StreamTranslator(StreamSetup setup);
  ~StreamTranslator();
  StreamTranslator(StreamTranslator&&) noexcept;

  // Translates one upstream event, appending what the client should see now.
  void on_event(const ResponsesEvent& event, AnthropicEvents& out);

  // The upstream stream ended. Without a terminal event before it, that is a failure.
  void on_upstream_end(AnthropicEvents& out);

  // A failure outside the stream (timeout, connection lost, upstream HTTP error).
  void fail(ApiError error, AnthropicEvents& out);

  // Sends message_start now if it has not been sent (before a keep-alive ping).
  void start(AnthropicEvents& out);

  bool started() const;   // message_start has been emitted
  bool finished() const;  // message_stop or an error has been emitted / set
  // The failure, when the turn failed. If !started() nothing was emitted: the caller
  // answers with an HTTP error instead.
  const std::optional<ApiError>& error() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace claudegpt
