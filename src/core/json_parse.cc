#include "core/json_parse.h"

#include <simdjson.h>

#include <boost/json/parse.hpp>
#include <boost/json/value_stack.hpp>

#include "core/json_depth.h"

namespace claudegpt {
namespace {

namespace json = boost::json;
using simdjson::dom::element_type;

// Pushes `e` onto `stack` in document order; value_stack builds objects as Boost.JSON's own
// parser does (the last of duplicate keys wins). Recursion is bounded by kMaxJsonDepth.
void push(simdjson::dom::element e, json::value_stack& stack) {
  switch (e.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object object = e.get_object().value_unsafe();
      std::size_t n = 0;
      for (simdjson::dom::key_value_pair member : object) {
        stack.push_key({member.key.data(), member.key.size()});
        push(member.value, stack);
        ++n;
      }
      stack.push_object(n);
      break;
    }
    case element_type::ARRAY: {
      simdjson::dom::array array = e.get_array().value_unsafe();
      std::size_t n = 0;
      for (simdjson::dom::element item : array) {
        push(item, stack);
        ++n;
      }
      stack.push_array(n);
      break;
    }
    case element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      stack.push_string({s.data(), s.size()});
      break;
    }
    case element_type::INT64: stack.push_int64(e.get_int64().value_unsafe()); break;
    case element_type::UINT64: stack.push_uint64(e.get_uint64().value_unsafe()); break;
    case element_type::DOUBLE: stack.push_double(e.get_double().value_unsafe()); break;
    case element_type::BOOL: stack.push_bool(e.get_bool().value_unsafe()); break;
    case element_type::NULL_VALUE: stack.push_null(); break;
  }
}

// The largest text simdjson parses (see parse_json).
constexpr std::size_t kMaxFastText = 4u << 20;

}  // namespace

json::value parse_json(std::string_view text, boost::system::error_code& ec, json::storage_ptr storage) {
  ec = {};
  // A parser per document: its buffers are about 14 times the text (a tape of 8 bytes per
  // byte, at most), too much to keep between requests. Of them it fills about twice the
  // text (a padded copy, the unescaped strings): past kMaxFastText that memory is worth more
  // than the time, and Boost.JSON parses alone.
  simdjson::dom::parser parser;
  if (text.size() <= kMaxFastText && parser.allocate(text.size(), kMaxJsonDepth) == simdjson::SUCCESS) {
    simdjson::dom::element root;
    // (The text is copied into a padded buffer: simdjson reads past its end in blocks.)
    if (parser.parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS) {
      json::value_stack stack;  // (its scratch on the heap; the value in `storage`)
      stack.reset(storage);
      push(root, stack);
      return stack.release();
    }
  }
  return json::parse(text, ec, std::move(storage), deep_json());
}

}  // namespace claudegpt
