// JSON text of a large value, written straight into a string sized for it. The upstream body
// is about as long as the client's request (megabytes late in a session); boost::json::serialize
// grows its result from nothing, copying it a dozen times: 7-20% of serialising a 1 MB body
// (the serialise step of `bench_translate request req1m.json 300 --time`, against serialize).
#pragma once

#include <cstddef>
#include <string>

#include <boost/json/value.hpp>

namespace claudegpt {

// `expected_size`: about how long the text will be (it may grow past it).
std::string json_text(const boost::json::value& value, std::size_t expected_size);

}  // namespace claudegpt
