#include "core/responses_stream_reader.h"

#include <cstring>

#include <boost/json.hpp>

#include "core/finite_numbers.h"
#include "core/json_depth.h"
#include "text/utf8.h"

namespace claudegpt {
namespace {

// Where the line starting at `pos` ends: its first '\r' or '\n', or npos. Two memchr
// passes: string_view::find_first_of tests each byte against the set one call at a time,
// which made it the proxy's hottest function.
std::size_t line_end(std::string_view bytes, std::size_t pos) {
  const char* begin = bytes.data() + pos;
  const std::size_t size = bytes.size() - pos;
  const char* lf = static_cast<const char*>(std::memchr(begin, '\n', size));
  const std::size_t limit = lf ? static_cast<std::size_t>(lf - begin) : size;
  if (const void* cr = std::memchr(begin, '\r', limit))
    return pos + static_cast<std::size_t>(static_cast<const char*>(cr) - begin);
  return lf ? pos + limit : std::string_view::npos;
}

}  // namespace

ResponsesStreamReader::ResponsesStreamReader(std::size_t max_event_bytes)
    : max_event_bytes_(max_event_bytes) {}

bool ResponsesStreamReader::fail(std::string message) {
  error_ = std::move(message);
  line_.clear();
  line_.shrink_to_fit();
  data_.clear();
  data_.shrink_to_fit();
  return false;
}

bool ResponsesStreamReader::feed(std::string_view bytes, std::vector<ResponsesEvent>& out) {
  if (!error_.empty()) return false;
  std::size_t pos = 0;
  if (after_cr_ && !bytes.empty()) {
    after_cr_ = false;
    if (bytes.front() == '\n') pos = 1;  // the LF of a CRLF split across reads
  }
  while (pos < bytes.size()) {
    const std::size_t end = line_end(bytes, pos);
    if (end == std::string_view::npos) {
      // An unfinished line: keep it for the next read, within bounds.
      if (line_.size() + data_.size() + (bytes.size() - pos) > max_event_bytes_)
        return fail("upstream event larger than " + std::to_string(max_event_bytes_) + " bytes");
      line_.append(bytes.substr(pos));
      return true;
    }
    std::string_view line = bytes.substr(pos, end - pos);
    bool ok;
    if (line_.empty()) {
      ok = take_line(line, out);
    } else {
      if (line_.size() + line.size() + data_.size() > max_event_bytes_)
        return fail("upstream event larger than " + std::to_string(max_event_bytes_) + " bytes");
      line_.append(line);
      ok = take_line(line_, out);
      line_.clear();
    }
    if (!ok) return false;
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos == bytes.size()) {
        after_cr_ = true;
      } else if (bytes[pos] == '\n') {
        ++pos;
      }
    }
  }
  return true;
}

bool ResponsesStreamReader::take_line(std::string_view line, std::vector<ResponsesEvent>& out) {
  if (line.empty()) return dispatch(out);
  if (line.front() == ':') return true;  // comment (keep-alive)
  std::string_view field = line;
  std::string_view value;
  if (std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + 1 > max_event_bytes_)
      return fail("upstream event larger than " + std::to_string(max_event_bytes_) + " bytes");
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_name_.assign(value.substr(0, 256));
  }
  // `id`, `retry` and unknown fields mean nothing here.
  return true;
}

bool ResponsesStreamReader::dispatch(std::vector<ResponsesEvent>& out) {
  if (!has_data_) {  // a blank line after only `event:`/comments: no event
    event_name_.clear();
    return true;
  }
  has_data_ = false;
  if (data_ == "[DONE]") {
    data_.clear();
    event_name_.clear();
    return true;
  }
  // These only echo the request (instructions, every tool schema: tens of KB each) and
  // nothing downstream reads them: parsing them would be most of the work on a turn.
  if (event_name_ == "response.created" || event_name_ == "response.in_progress") {
    out.push_back(ResponsesEvent{std::move(event_name_), {}});
    data_.clear();
    event_name_.clear();
    return true;
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(data_, ec, {}, deep_json());
  if (ec || !value.is_object()) {
    // The message reaches the client inside a JSON error event: quote the bytes as UTF-8,
    // cut at a character boundary.
    const std::string_view data = data_;
    return fail("upstream event is not a JSON object: " +
                well_formed_utf8(data.substr(0, code_point_prefix_bytes(data, 200))));
  }
  ResponsesEvent event;
  event.data = std::move(value.get_object());
  clamp_infinite_numbers(event.data);
  if (const boost::json::value* type = event.data.if_contains("type"); type && type->is_string())
    event.type = std::string(type->get_string());
  else
    event.type = event_name_;
  out.push_back(std::move(event));
  data_.clear();
  event_name_.clear();
  return true;
}

}  // namespace claudegpt
