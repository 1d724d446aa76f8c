// The request parser and the JSON writer against Boost.JSON, which they stand in for on the hot
// path (core/json_parse.h, core/json_text.h). For any bytes: parse_json accepts exactly what
// boost::json::parse accepts, refuses the rest with the same error, and gives the same value
// (doubles may differ in their last bits: simdjson rounds correctly, Boost.JSON 1.81 reads
// long mantissas a few units in the last place off); json_text writes that value exactly as
// boost::json::serialize does.
//
// Input: any bytes; the seeds are the request translator's (recorded Claude Code requests).
#include <cmath>
#include <string>

#include <boost/json.hpp>

#include "core/json_depth.h"
#include "core/json_parse.h"
#include "core/json_text.h"
#include "fuzz_support.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

// Equal but for the last few bits of the mantissa.
bool close(double a, double b) {
  return a == b || std::fabs(a - b) <= std::ldexp(std::fmax(std::fabs(a), std::fabs(b)), -48);
}

bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) return close(a.get_double(), b.get_double());
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const json::array &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const json::object &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    auto it = y.begin();
    for (const json::key_value_pair& member : x) {
      if (member.key() != it->key() || !same(member.value(), it->value())) return false;
      ++it;
    }
    return true;
  }
  return a == b;
}

}  // namespace
}  // namespace claudegpt

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  namespace json = boost::json;
  const std::string_view text = fuzz::as_text(data, size);
  boost::system::error_code ours_ec, boost_ec;
  json::monotonic_resource arena;
  const json::value ours = parse_json(text, ours_ec, &arena);
  const json::value theirs = json::parse(text, boost_ec, {}, deep_json());
  FUZZ_CHECK(ours_ec == boost_ec, "parse_json's error differs from Boost.JSON's");
  if (ours_ec) return 0;  // (kept: near-JSON is where the two parsers could disagree)
  FUZZ_CHECK(same(ours, theirs), "parse_json's value differs from Boost.JSON's");
  FUZZ_CHECK(json_text(ours, 0) == json::serialize(ours), "json_text differs from boost::json::serialize");
  return 0;
}
