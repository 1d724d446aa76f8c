// Incremental reader of the upstream's `text/event-stream`: bytes in, parsed events out.
// Handles any chunking (an event split across reads, several events in one read), CRLF,
// comments, and `data: [DONE]`. The event's type is its JSON `type` (the `event:` line is
// optional on the wire).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace claudegpt {

struct ResponsesEvent {
  std::string type;            // "response.output_text.delta", ...
  boost::json::object data;    // the whole event JSON
};

class ResponsesStreamReader {
 public:
  explicit ResponsesStreamReader(std::size_t max_event_bytes = 16 * 1024 * 1024);

  // Appends the events completed by `bytes` to `out`. Returns false, with error() set, when
  // an event is not JSON or grows beyond max_event_bytes; the reader is then unusable.
  bool feed(std::string_view bytes, std::vector<ResponsesEvent>& out);

  const std::string& error() const { return error_; }

 private:
  std::size_t max_event_bytes_;
  std::string line_;           // the line being read
  std::string data_;           // data lines of the event being read
  std::string error_;
};

}  // namespace claudegpt
