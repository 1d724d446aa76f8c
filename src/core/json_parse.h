// A client's request body parsed into a Boost.JSON value, faster than boost::json::parse.
// Late in a session Claude Code sends a megabyte of conversation, mostly strings full of
// escapes; Boost.JSON's parser spent 1.8 of the 3.4 ms the proxy took over such a request.
// simdjson finds the structure and unescapes the strings with SIMD instructions, and the
// value is built from its result in one pass (`bench_translate request req1m.json 300
// --time`, parse: see bench/RESULTS.md).
//
// The value is Boost.JSON's but for one thing: simdjson rounds every number correctly, where
// Boost.JSON 1.81's parser can be a few units in the last place off (2308.0576811111111), so
// a client's number survives the round trip. Text simdjson refuses, for any reason
// (malformed, too deep, an integer past 64 bits, a number out of range, invalid UTF-8), is
// parsed again by Boost.JSON, whose value or error the caller gets: errors read as they
// always did. Past 4 MiB Boost.JSON parses alone: simdjson's buffers would hold about twice
// the text meanwhile (a 31 MB count_tokens request grew the proxy by 118 MB, not 60).
#pragma once

#include <string_view>

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

namespace claudegpt {

// Parses `text` with deep_json()'s depth limit (json_depth.h), the value in `storage`.
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              boost::json::storage_ptr storage = {});

}  // namespace claudegpt
