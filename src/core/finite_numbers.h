// Boost.JSON 1.81 reads a number past double range ("1e999") as infinity, and writes infinity
// as `Infinity`, which is not JSON. What the proxy parses from a client or from the upstream,
// and may write again, goes through here first.
#pragma once

#include <boost/json/fwd.hpp>

namespace claudegpt {

// Replaces each infinite number in `value` by the largest finite double of its sign (what
// such a number rounds to in a format without infinity). JSON has no NaN, so parsing never
// makes one.
void clamp_infinite_numbers(boost::json::value& value);
void clamp_infinite_numbers(boost::json::object& object);

}  // namespace claudegpt
