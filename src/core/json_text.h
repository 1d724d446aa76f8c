// JSON text of a value, byte for byte what boost::json::serialize writes, faster. The proxy
// writes a megabyte of conversation into every late-session upstream request, and every
// event it streams back; nearly all of it is strings, with an escape every 35 bytes or so (a
// newline, a quote). Boost.JSON's serializer is a resumable state machine that pays for that
// at every escape; here a 16-byte SSE2 scan finds the next byte to escape, and each clean run
// is one append (the serialise step of `bench_translate request req1m.json 300 --time`).
// The upstream body is written straight into a string sized for it: serialize grows its
// result from nothing, copying it a dozen times.
#pragma once

#include <cstddef>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace claudegpt {

// Appends the JSON text of `value` to `out`.
void append_json_text(const boost::json::value& value, std::string& out);
void append_json_text(const boost::json::object& object, std::string& out);

// `expected_size`: about how long the text will be (it may grow past it). The result keeps
// no more than 8 KB of spare room: an upstream body lives as long as its stream.
std::string json_text(const boost::json::value& value, std::size_t expected_size);

}  // namespace claudegpt
