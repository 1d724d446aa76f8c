// The Anthropic SSE writer checked against the reader: whatever events are written, reading the
// bytes back (in any chunking) gives the same events, and writing those gives the same bytes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/anthropic_event.h"
#include "core/anthropic_sse_writer.h"
#include "core/responses_stream_reader.h"
#include "fuzz_support.h"

namespace claudegpt::fuzz {

inline std::string written(const AnthropicEvents& events) {
  std::string wire;
  for (const AnthropicEvent& event : events) write_sse(event, wire);
  return wire;
}

// Boost 1.81's parser is not correctly rounded: a double written exactly (shortest round-trip
// form) may read back a few units in the last place off. That is the JSON library's known
// limit, not the writer's; equal here means equal but for that.
inline bool close_enough(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const boost::json::object &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (auto i = p.begin(), j = q.begin(); i != p.end(); ++i, ++j)
      if (i->key() != j->key() || !close_enough(i->value(), j->value())) return false;
    return true;
  }
  if (a.is_array()) {
    const boost::json::array &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!close_enough(p[i], q[i])) return false;
    return true;
  }
  return a == b;
}

// `events` must have types without CR or LF (the proxy's are fixed names) and none of the two
// names the reader drops the data of (response.created, response.in_progress).
inline void check_sse_round_trip(const AnthropicEvents& events, Choices& choices) {
  const std::string wire = written(events);
  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> back;
  for (std::string_view chunk : random_chunks(wire, choices))
    FUZZ_CHECK(reader.feed(chunk, back), "the reader rejects what the writer wrote");
  FUZZ_CHECK(back.size() == events.size(), "a different number of events read back");
  AnthropicEvents again;
  again.reserve(back.size());
  bool exact = true;
  for (std::size_t i = 0; i < back.size(); ++i) {
    FUZZ_CHECK(back[i].type == events[i].type, "an event type changed on the way");
    if (back[i].data != events[i].data) {
      exact = false;
      if (!close_enough(boost::json::value(events[i].data), boost::json::value(back[i].data))) {
        std::fprintf(stderr, "==fuzz== written: %.600s\n==fuzz== read:    %.600s\n",
                     boost::json::serialize(events[i].data).c_str(),
                     boost::json::serialize(back[i].data).c_str());
        FUZZ_CHECK(false, "an event's JSON changed on the way");
      }
    }
    again.push_back(AnthropicEvent{std::move(back[i].type), std::move(back[i].data)});
  }
  if (exact) FUZZ_CHECK(written(again) == wire, "rewriting what was read gives other bytes");
}

}  // namespace claudegpt::fuzz
