// Reading UTF-8 by code point: the well-formedness check a parser and a decoder share, making
// text well-formed before it goes into JSON or a tokenizer (whole, or a part at a time), and
// cutting text to a number of code points (the unit the fetch and citation limits count in) or
// at a code point boundary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claudegpt {

// What starts at one byte of a UTF-8 string.
struct Utf8Sequence {
  std::size_t size = 0;  // bytes to step over: the sequence, or the ill-formed bytes to replace
  bool valid = false;    // whether those bytes are one well-formed sequence (ASCII included)
};

// The sequence at `s[i]` (`i < s.size()`). Ill-formed bytes are split as Unicode's "maximal
// subpart" practice (which browsers follow) says: a truncated sequence as one unit, any other
// bad byte alone, so each unit is one U+FFFD when replaced.
inline Utf8Sequence next_utf8_sequence(std::string_view s, std::size_t i);

// next_utf8_sequence for a byte that is not ASCII. The ASCII case is inline: it is most of
// any page, and costs no call.
Utf8Sequence next_multibyte_utf8_sequence(std::string_view s, std::size_t i);

inline Utf8Sequence next_utf8_sequence(std::string_view s, std::size_t i) {
  if (static_cast<unsigned char>(s[i]) < 0x80) return {1, true};
  return next_multibyte_utf8_sequence(s, i);
}

// `s` with each ill-formed unit (as next_utf8_sequence splits them) replaced by U+FFFD;
// `replaced`, when given, gets how many were.
std::string well_formed_utf8(std::string_view s, std::size_t* replaced = nullptr);

// Whether `s` is well-formed (no unit well_formed_utf8 would replace). ASCII is checked eight
// bytes at a time: this runs over whole request bodies before they are counted.
bool is_well_formed_utf8(std::string_view s);

// well_formed_utf8 a part at a time, for text too long to copy whole: appends `raw` to `out`,
// each ill-formed unit as U+FFFD, until `out` holds at least `target` bytes or `raw` is used
// up, and returns how many bytes of `raw` it used. Unless `last`, a sequence cut short by the
// end of `raw` is left unused, for the next call to see with the bytes that follow it.
std::size_t append_well_formed_utf8(std::string_view raw, bool last, std::string& out,
                                    std::size_t target);

// Code points in well-formed UTF-8 (counts the bytes that are not continuation bytes).
std::size_t count_code_points(std::string_view s);

// Bytes taken by the first `n` code points of well-formed UTF-8 (all of `s` when it has fewer).
std::size_t code_point_prefix_bytes(std::string_view s, std::size_t n);

// The start of the code point that `s[at]` belongs to, in well-formed UTF-8 (`at < s.size()`):
// the last boundary at or before `at`, where a cut leaves both sides well-formed.
inline std::size_t code_point_floor(std::string_view s, std::size_t at) {
  while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  return at;
}

}  // namespace claudegpt
