// What the sanitizer build (the asan preset) found, each pinned as the behaviour it broke. Under
// that preset a regression aborts the test (UBSan halts on the first error); in any build the
// expected result still holds.
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/request_translator.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

json::object translated_body(std::string_view request) {
  RequestOptions options;
  options.upstream_model = "gpt-5.5";
  return translate_request(json::parse(request), options).body;
}

// ---- a client max_tokens far below int64 range (-1e300) was cast to int64: undefined
// behaviour (UBSan: "-1e+300 is outside the range of representable values of type 'long
// int'"), reachable by any client. Found by the asan preset on a request sent to the proxy.

json::object with_max_tokens(std::string_view max_tokens) {
  return translated_body(
      std::string(R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],)"
                  R"("max_tokens":)") +
      std::string(max_tokens) + "}");
}

TEST(SanitizerFindings, AMaxTokensFarBelowInt64RangeAsksForTheSmallestOutput) {
  // The smallest output: what a request for 16 tokens (the upstream's minimum) gets, room to
  // reason included. (0 is refused: request_translator_test.)
  const json::value smallest = with_max_tokens("16").at("max_output_tokens");
  for (std::string_view max_tokens : {"-1e300", "-1e999", "-5", "0.5"})
    EXPECT_EQ(with_max_tokens(max_tokens).at("max_output_tokens"), smallest) << max_tokens;
}

}  // namespace
}  // namespace claudegpt
