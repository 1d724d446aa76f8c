#include "core/responses_answer.h"

#include <vector>

#include <boost/json/serialize.hpp>

#include "core/json_fields.h"
#include "core/responses_stream_reader.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

std::int64_t count_of(const json::object* object, std::string_view key) {
  const json::value* value = object ? object->if_contains(key) : nullptr;
  return value && value->is_int64() ? value->get_int64() : 0;
}

void note_usage(const json::object& event, ResponsesAnswer& answer) {
  const json::object* response = object_field(event, "response");
  const json::object* usage = response ? object_field(*response, "usage") : nullptr;
  if (!usage) return;
  answer.input_tokens += count_of(usage, "input_tokens");
  answer.output_tokens += count_of(usage, "output_tokens");
  answer.cached_tokens += count_of(object_field(*usage, "input_tokens_details"), "cached_tokens");
  answer.reasoning_tokens += count_of(object_field(*usage, "output_tokens_details"), "reasoning_tokens");
}

}  // namespace

ResponsesAnswer read_responses_answer(std::string_view stream) {
  ResponsesAnswer answer;
  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> events;
  if (!reader.feed(stream, events)) {
    answer.error = "malformed stream: " + reader.error();
    return answer;
  }
  bool completed = false;
  for (const ResponsesEvent& event : events) {
    if (event.type == "response.output_text.delta") {
      answer.text.append(string_field(event.data, "delta"));
    } else if (event.type == "response.completed" || event.type == "response.incomplete") {
      completed = true;
      note_usage(event.data, answer);
    } else if (event.type == "response.failed" || event.type == "error") {
      answer.error = json::serialize(event.data);
      answer.text.clear();
      return answer;
    }
  }
  if (!completed) answer.error = "the stream ended before the response completed";
  return answer;
}

}  // namespace claudegpt
