// Lenient reads of optional JSON fields. Upstream events and client requests carry fields
// that may be missing, null or of another type; the translators treat all of those as absent.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>

namespace claudegpt {

// The string at `key`, or "" when it is absent or not a string.
inline std::string_view string_field(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// The object at `key`, or nullptr when it is absent or not an object.
inline const boost::json::object* object_field(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_object() ? &value->get_object() : nullptr;
}
inline boost::json::object* object_field(boost::json::object& object, std::string_view key) {
  boost::json::value* value = object.if_contains(key);
  return value && value->is_object() ? &value->get_object() : nullptr;
}

// The array at `key`, or nullptr when it is absent or not an array.
inline const boost::json::array* array_field(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_array() ? &value->get_array() : nullptr;
}

}  // namespace claudegpt
