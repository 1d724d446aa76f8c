// The upstream's event stream, hostile: the Responses SSE reader, then the stream translator on
// the events it yields, as the relay drives them (WebFetch calls performed when the turn waits
// for them, the stream failed when the reader gives up).
//
// Properties: the reader yields the same events and the same verdict whatever the chunking;
// a reader with a small limit fails cleanly; the translator's output is a well-formed Anthropic
// stream (anthropic_stream_grammar.h) that ends, emits nothing once finished, folds into a
// Message, and survives the SSE writer → reader round trip.
//
// Input: raw `text/event-stream` bytes. The chunking and the StreamSetup come from its hash.
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "anthropic_stream_grammar.h"
#include "core/message_accumulator.h"
#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "core/tool_catalog.h"
#include "fuzz_support.h"
#include "sse_round_trip.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

bool same_events(const std::vector<ResponsesEvent>& a, const std::vector<ResponsesEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].type != b[i].type || a[i].data != b[i].data) return false;
  return true;
}

// Client tools as Claude Code offers them: one with required and optional parameters (its
// arguments get cleaned), WebFetch (which the proxy may perform), and an MCP tool whose name
// the upstream would refuse (so it is renamed and mapped back).
const ToolCatalog& catalog() {
  static const ToolCatalog tools = [] {
    ToolCatalog c;
    c.add("Read", json::parse(R"({"type":"object","properties":{"file_path":{"type":"string"},
        "offset":{"type":"number"},"limit":{"type":"number"}},"required":["file_path"]})")
                      .as_object());
    c.add("WebFetch", json::parse(R"({"type":"object","properties":{"url":{"type":"string"},
        "prompt":{"type":"string"}},"required":["url","prompt"]})")
                          .as_object());
    c.add("mcp__claude.ai Gmail__search_threads_with_a_name_far_longer_than_sixty_four_bytes",
          json::object{{"type", "object"}});
    return c;
  }();
  return tools;
}

StreamSetup setup_from(fuzz::Choices& choices) {
  StreamSetup setup;
  setup.message_id = "msg_fuzz";
  setup.client_model = "claude-opus-4-5";
  setup.upstream_model = choices.flip() ? "gpt-5.5" : "gpt-5.1-codex-max";
  setup.tools = choices.below(4) == 0 ? nullptr : &catalog();
  setup.error_context.estimated_input_tokens = choices.flip() ? 1234 : 0;
  setup.error_context.context_window = choices.flip() ? 272000 : 0;
  setup.error_context.input_token_scale = choices.flip() ? 1.0 : 0.735;
  if (choices.flip()) setup.error_context.count_input_tokens = [] { return std::int64_t{5000}; };
  setup.max_web_searches = static_cast<int>(choices.below(3));
  setup.fetches_left = static_cast<int>(choices.below(3));
  return setup;
}

// What the relay does when the response ended with WebFetch calls pending.
void perform_fetches(StreamTranslator& translator, AnthropicEvents& out, fuzz::Choices& choices) {
  const std::vector<PendingFetch> fetches = translator.pending_fetches();
  for (const PendingFetch& fetch : fetches) {
    if (choices.below(4) != 0) translator.fetch_started(fetch, out);
    FetchOutcome outcome{fetch.tool_use_id, fetch.url, "2026-11-24T10:00:00Z", "", "", ""};
    if (choices.flip()) {
      outcome.text = "# Example\n\nSome text with \"quotes\", \\ and \xC3\xA9.";
      outcome.title = choices.flip() ? "Example" : "";
    } else {
      outcome.error_code = "url_not_accessible";
    }
    translator.fetch_result(outcome, out);
  }
  translator.resume_after_fetches(out);
}

}  // namespace
}  // namespace claudegpt

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  const std::string_view bytes = fuzz::as_text(data, size);
  fuzz::Choices choices(fuzz::input_hash(bytes));

  // The reader: all at once, then in random pieces.
  ResponsesStreamReader whole;
  std::vector<ResponsesEvent> events;
  const bool ok = whole.feed(bytes, events);
  ResponsesStreamReader pieces;
  std::vector<ResponsesEvent> events_in_pieces;
  bool pieces_ok = true;
  for (std::string_view chunk : fuzz::random_chunks(bytes, choices))
    if (!(pieces_ok = pieces.feed(chunk, events_in_pieces))) break;
  FUZZ_CHECK(ok == pieces_ok, "the chunking changed whether the stream is readable");
  FUZZ_CHECK(whole.error() == pieces.error(), "the chunking changed the reader's error");
  FUZZ_CHECK(same_events(events, events_in_pieces), "the chunking changed the events");
  FUZZ_CHECK(ok || !whole.feed("\n\n", events_in_pieces), "a failed reader read on");

  // A tight limit: fails (or not) cleanly.
  ResponsesStreamReader tight(16 + choices.below(2048));
  std::vector<ResponsesEvent> tight_events;
  for (std::string_view chunk : fuzz::random_chunks(bytes, choices))
    if (!tight.feed(chunk, tight_events)) break;

  // The translator, driven as the relay drives it.
  StreamTranslator translator(setup_from(choices));
  AnthropicEvents out;
  if (choices.below(8) == 0) translator.start(out);
  for (const ResponsesEvent& event : events) {
    translator.on_event(event, out);
    if (translator.awaiting_fetches()) perform_fetches(translator, out, choices);
  }
  if (!ok)
    translator.fail(ApiError::with_status(502, "The upstream sent a malformed event stream: " +
                                                   whole.error()),
                    out);
  else
    translator.on_upstream_end(out);
  FUZZ_CHECK(translator.finished(), "the turn did not finish at the end of the stream");
  FUZZ_CHECK(translator.started() || out.empty(), "events emitted before message_start");
  FUZZ_CHECK(translator.started() || translator.error(), "no output and no error either");

  const std::string violation = fuzz::anthropic_stream_violation(out, /*complete=*/true);
  if (!violation.empty()) {
    std::fprintf(stderr, "==fuzz== %s\n", violation.c_str());
    FUZZ_CHECK(false, "the translator's output is not a well-formed Anthropic stream");
  }

  // Finished means finished.
  const std::size_t emitted = out.size();
  for (std::size_t i = 0; i < events.size() && i < 4; ++i) translator.on_event(events[i], out);
  translator.on_upstream_end(out);
  FUZZ_CHECK(out.size() == emitted, "events emitted after the turn finished");

  // The non-streaming client's view of the same turn.
  MessageAccumulator accumulator;
  for (const AnthropicEvent& event : out) accumulator.add(event);
  const json::object message = accumulator.message();
  FUZZ_CHECK(accumulator.complete() == (!out.empty() && out.back().type == "message_stop"),
             "the accumulator disagrees about the end of the message");
  FUZZ_CHECK(accumulator.error().has_value() == (!out.empty() && out.back().type == "error"),
             "the accumulator disagrees about the error");

  // What the client receives: the writer's bytes read back are the same events (the reader's
  // error message, quoted in the error event, included).
  FUZZ_CHECK(fuzz::is_well_formed_utf8(whole.error()), "a reader error message that is not UTF-8");
  fuzz::check_sse_round_trip(out, choices);
  (void)message;
  return 0;
}
