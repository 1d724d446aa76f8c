#include "core/json_text.h"

#include <charconv>
#include <cstdint>

#include <boost/json/serialize.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace claudegpt {
namespace {

namespace json = boost::json;

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// How many bytes from `s` (of `n`) need no escape.
std::size_t clean_run(const char* s, std::size_t n) {
  const char* p = s;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i last_control = _mm_set1_epi8(0x1F);
  for (; n >= 16; p += 16, n -= 16) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, last_control), bytes);  // unsigned <= 0x1F
    __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                                control);
    if (int mask = _mm_movemask_epi8(hits)) return static_cast<std::size_t>(p - s) + __builtin_ctz(mask);
  }
#endif
  for (; n > 0 && !needs_escape(static_cast<unsigned char>(*p)); ++p, --n) {}
  return static_cast<std::size_t>(p - s);
}

// As Boost.JSON escapes: the two-character forms where JSON has them, else \u00XX in lower
// case; everything else (UTF-8 included) as it is.
void append_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const char* p = s.data();
  std::size_t n = s.size();
  while (n > 0) {
    std::size_t run = clean_run(p, n);
    out.append(p, run);
    p += run;
    n -= run;
    if (n == 0) break;
    const unsigned char c = static_cast<unsigned char>(*p++);
    --n;
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\b': out.append("\\b", 2); break;
      case '\f': out.append("\\f", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out += '"';
}

template <typename Integer>
void append_integer(Integer value, std::string& out) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

}  // namespace

void append_json_text(const json::object& object, std::string& out) {
  out += '{';
  bool first = true;
  for (const json::key_value_pair& member : object) {
    if (!first) out += ',';
    first = false;
    append_string(member.key(), out);
    out += ':';
    append_json_text(member.value(), out);
  }
  out += '}';
}

void append_json_text(const json::value& value, std::string& out) {
  switch (value.kind()) {
    case json::kind::object: append_json_text(value.get_object(), out); break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& item : value.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json_text(item, out);
      }
      out += ']';
      break;
    }
    case json::kind::string: append_string(value.get_string(), out); break;
    case json::kind::int64: append_integer(value.get_int64(), out); break;
    case json::kind::uint64: append_integer(value.get_uint64(), out); break;
    case json::kind::double_: out += json::serialize(value); break;  // Boost.JSON's own format; rare
    case json::kind::bool_: out += value.get_bool() ? "true" : "false"; break;
    case json::kind::null: out += "null"; break;
  }
}

std::string json_text(const json::value& value, std::size_t expected_size) {
  std::string text;
  text.reserve(expected_size + 4096);
  append_json_text(value, text);
  if (text.capacity() - text.size() > 8192) text.shrink_to_fit();
  return text;
}

}  // namespace claudegpt
