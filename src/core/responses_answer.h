// The whole answer of a small side request (a page extraction, a safety verdict), read from
// its collected Responses event stream. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace claudegpt {

struct ResponsesAnswer {
  std::string text;   // the output_text deltas, joined
  std::string error;  // non-empty: the stream failed, was malformed, or never completed
  // As the terminal event reported them.
  std::int64_t input_tokens = 0, cached_tokens = 0, output_tokens = 0, reasoning_tokens = 0;
};

ResponsesAnswer read_responses_answer(std::string_view stream);

}  // namespace claudegpt
