// Incremental reader of the upstream's `text/event-stream`: bytes in, parsed events out.
// Handles any chunking (an event split across reads, several events in one read), CRLF,
// LF or CR line ends, `:` comments, multi-line data and `data: [DONE]` (skipped). The
// event's type is its JSON `type` (the `event:` line is optional on the wire; it is only
// used when the JSON has no `type`). Memory is bounded by max_event_bytes.
//
// Nothing in it is specific to OpenAI: it reads an Anthropic stream just as well.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace claudegpt {

struct ResponsesEvent {
  std::string type;          // "response.output_text.delta", ...
  boost::json::object data;  // the whole event JSON (left empty for response.created and
                             // response.in_progress, which only echo the request)
};

class ResponsesStreamReader {
 public:
  explicit ResponsesStreamReader(std::size_t max_event_bytes = 16 * 1024 * 1024);

  // Appends the events completed by `bytes` to `out`. Returns false, with error() set, when
  // an event's data is not a JSON object or grows beyond max_event_bytes; the reader is then
  // unusable (later calls return false at once). An event not yet ended by a blank line when
  // the stream ends is incomplete and never reported, as SSE specifies.
  bool feed(std::string_view bytes, std::vector<ResponsesEvent>& out);

  const std::string& error() const { return error_; }

 private:
  bool take_line(std::string_view line, std::vector<ResponsesEvent>& out);
  bool dispatch(std::vector<ResponsesEvent>& out);
  bool fail(std::string message);

  std::size_t max_event_bytes_;
  std::string line_;        // the line being read, when it spans reads
  std::string data_;        // data lines of the event being read, joined by "\n"
  std::string event_name_;  // its `event:` line, if any
  bool has_data_ = false;   // a data line was seen (data may still be empty)
  bool after_cr_ = false;   // the last byte read was a CR: a following LF belongs to it
  std::string error_;
};

}  // namespace claudegpt
