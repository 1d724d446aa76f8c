// Responses stream events → Anthropic stream events: the heart of claudegpt, as a small
// explicit state machine. Pure: no I/O, no clock, no randomness (ids come in through
// StreamSetup), so it is tested directly on recorded streams.
//
// States: waiting (nothing sent: an upstream error here becomes an HTTP error response) →
// streaming (message_start sent; blocks open and close as upstream items do) → done
// (message_delta + message_stop sent) or failed (an `error` event sent, or error() set
// while still waiting).
//
// message_start is lazy: it goes out with the first client block, at a terminal event, or
// when start() is called. Blocks, numbered from 0 in the order they start:
//   - text: `output_text` and `refusal` parts of `message` items (any phase). A block opens
//     at the first non-empty delta (never an empty text block, which clients cannot send
//     back) and each upstream delta is forwarded at once as one text_delta.
//   - thinking: a `reasoning` item's summary (parts joined by "\n\n") and reasoning text,
//     then a signature_delta with wrap_reasoning_signature(encrypted_content) of the item's
//     output_item.done. A reasoning item with nothing to show and no encrypted content
//     gives no block (a thinking block without signature is dropped by Claude Code anyway).
//   - tool_use: a `function_call` item, sent whole once its arguments are complete: start,
//     ONE input_json_delta with the cleaned arguments, stop. Arguments that are not a JSON
//     object become {}: the client's schema validation then tells the model what is
//     missing, where invalid JSON would make the Anthropic SDK abort the whole turn.
//   - web_search_call (the hosted search): a server_tool_use (name "web_search") and its
//     web_search_tool_result, in Anthropic's shape (server_tool_blocks.h). OpenAI's citations
//     arrive after the text they cite, Anthropic's before it: so once a response has searched,
//     its message text is held until its part is done, then sent as text blocks split at the
//     citations, each cited block opening with its citations_delta events. The search blocks
//     are held as long, to list the cited pages' titles. usage.server_tool_use counts searches.
//   - a `WebFetch` function call while fetches_left > 0 is the proxy's to perform: it becomes a
//     server_tool_use (name "web_fetch", input = the call's arguments), not a tool_use. When
//     the response completes with such calls pending, the turn waits (awaiting_fetches()): the
//     caller performs them, announcing each with fetch_started() (its server_tool_use block)
//     and reporting it with fetch_result() (a web_fetch_tool_result block),
//     then resume_after_fetches(): the turn either ends with stop_reason tool_use (client tool
//     calls were made in the same response) or continues with the events of a new upstream
//     response (the conversation continued with the fetch results), into the same message.
//   - other items (tool_search_call, …) are not translated.
// The client's max_tokens (StreamSetup::max_tokens; the upstream had room to reason above it)
// bounds the visible text, counted in o200k tokens as it arrives: text past it is not sent,
// nor anything after it, and the stop_reason is max_tokens.
// Otherwise the stop_reason is tool_use if a tool_use block was sent, else refusal if a refusal was,
// else end_turn; response.incomplete gives max_tokens (max_output_tokens) or refusal
// (content_filter). message_delta's usage carries output_tokens_details.thinking_tokens (the
// upstream's output_tokens_details.reasoning_tokens) when the upstream reported them. Usage: the upstream's input_tokens counts all input, cache reads
// (input_tokens_details.cached_tokens) and writes (cache_write_tokens, GPT-5.6 and later)
// included; Anthropic's input_tokens is the rest, beside cache_read_input_tokens and
// cache_creation_input_tokens (the three add up to the upstream's input); over a turn
// continued after fetches, the sums of its responses.
//
// Failures (`error`, `response.failed`, fail(), an upstream end without a terminal event:
// 502 api_error "upstream stream ended before the response completed"): the first one wins.
// Before message_start nothing is emitted; after it, one `error` event ends the stream
// (open blocks are left open, as Anthropic does). Never a made-up message_stop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/anthropic_event.h"
#include "core/api_error.h"
#include "core/responses_stream_reader.h"
#include "core/server_tool_blocks.h"
#include "core/tool_catalog.h"
#include "core/upstream_error.h"

namespace claudegpt {

struct StreamSetup {
  std::string message_id;              // "msg_…", made by the caller
  std::string client_model;            // the model name the client asked for, echoed back
  std::string upstream_model;          // the model answering; its name binds reasoning signatures
  const ToolCatalog* tools = nullptr;  // maps function names back, cleans arguments
  ErrorContext error_context;          // for error messages; estimated_input_tokens (if set)
                                       // also goes into message_start's usage
  int max_web_searches = 0;            // the client's max_uses: searches past it get a
                                       // max_uses_exceeded result (0: no limit)
  int fetches_left = 0;                // WebFetch calls the proxy performs in this turn
  std::int64_t max_tokens = 0;         // the client's max_tokens (TranslatedRequest::
                                       // visible_max_tokens): visible text past it is not sent
                                       // (0: no limit)
};

// What the turn used, as the upstream reported it (summed over its responses), for the ledger.
struct TurnUsage {
  std::int64_t input_tokens = 0;   // cache reads and writes included
  std::int64_t cached_tokens = 0;
  std::int64_t cache_write_tokens = 0;
  std::int64_t output_tokens = 0;  // reasoning included
  std::int64_t reasoning_tokens = 0;
  int web_searches = 0;
  int web_fetches = 0;
  int responses = 0;               // upstream responses the turn took
  std::string stop_reason;         // as sent in message_delta ("" until then)
};

class StreamTranslator {
 public:
  explicit StreamTranslator(StreamSetup setup);
  ~StreamTranslator();
  StreamTranslator(StreamTranslator&&) noexcept;
  StreamTranslator& operator=(StreamTranslator&&) noexcept;

  // Translates one upstream event, appending what the client should see now. Events after
  // the turn finished are ignored.
  void on_event(const ResponsesEvent& event, AnthropicEvents& out);

  // The upstream stream ended. Without a terminal event before it, that is a failure.
  void on_upstream_end(AnthropicEvents& out);

  // A failure outside the stream (timeout, connection lost, upstream HTTP error).
  void fail(ApiError error, AnthropicEvents& out);

  // Sends message_start now if it has not been sent (before a keep-alive ping).
  void start(AnthropicEvents& out);

  // The turn waits for the proxy's fetches (the upstream response completed with WebFetch
  // calls pending); neither finished() nor failed.
  bool awaiting_fetches() const;
  const std::vector<PendingFetch>& pending_fetches() const;
  // Emits the server_tool_use block of one pending fetch (when it starts: Anthropic sends a
  // server tool's call and result together), then, with fetch_result(), its result.
  void fetch_started(const PendingFetch& fetch, AnthropicEvents& out);
  void fetch_result(const FetchOutcome& outcome, AnthropicEvents& out);
  // After every pending fetch has its result: true when the turn goes on (feed the events of
  // the continued upstream response next); false when it ended here (stop_reason tool_use,
  // the client has tool calls to run).
  bool resume_after_fetches(AnthropicEvents& out);

  TurnUsage usage() const;

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
