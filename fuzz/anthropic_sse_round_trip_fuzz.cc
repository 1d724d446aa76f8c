// The Anthropic SSE writer round trip: events written as `text/event-stream`, read back with
// the SSE reader in any chunking, are the same events (same type, equal JSON), and writing
// them again gives the same bytes.
//
// Input: an Anthropic stream in SSE framing (`event:`/`data:` lines). The reader turns it into
// the events to write: so every JSON object the reader accepts (any keys, strings with any
// escapes, numbers at their limits, deep nesting) goes through the writer. Two kinds of event
// are left out, as the proxy never writes them: types holding CR or LF (its types are fixed
// names), and the two Responses types whose data the reader drops unparsed.
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "core/anthropic_event.h"
#include "core/responses_stream_reader.h"
#include "fuzz_support.h"
#include "sse_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  const std::string_view bytes = fuzz::as_text(data, size);
  fuzz::Choices choices(fuzz::input_hash(bytes));

  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> read;
  reader.feed(bytes, read);  // a malformed event ends the stream; what came before is used

  AnthropicEvents events;
  for (ResponsesEvent& event : read) {
    if (event.type.find_first_of("\r\n") != std::string::npos) continue;
    if (event.type == "response.created" || event.type == "response.in_progress") continue;
    events.push_back(AnthropicEvent{std::move(event.type), std::move(event.data)});
  }
  if (events.empty()) return -1;
  fuzz::check_sse_round_trip(events, choices);
  return 0;
}
