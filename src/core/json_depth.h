// How deeply the JSON that the proxy parses may nest: client requests, tool-call arguments,
// upstream events. Boost.JSON refuses more than 32 levels by default, and real tool inputs go
// deeper (a JSON Schema, a nested config): such a request got a 400, which degrades Claude
// Code's session, and such a tool call's input was dropped. Boost.JSON's parser keeps its own
// stack, and the proxy's recursive walks over a value take a small frame per level, so 512
// levels stay far inside any thread's stack.
#pragma once

#include <cstddef>

#include <boost/json/parse_options.hpp>

namespace claudegpt {

inline constexpr std::size_t kMaxJsonDepth = 512;

inline boost::json::parse_options deep_json() {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  return options;
}

}  // namespace claudegpt
