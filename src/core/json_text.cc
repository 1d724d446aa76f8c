#include "core/json_text.h"

#include <boost/json/serializer.hpp>

namespace claudegpt {

std::string json_text(const boost::json::value& value, std::size_t expected_size) {
  std::string text;
  text.resize(expected_size + 4096);
  std::size_t used = 0;
  boost::json::serializer serializer;
  serializer.reset(&value);
  while (!serializer.done()) {
    if (text.size() - used < 4096) text.resize(text.size() * 2);
    used += serializer.read(text.data() + used, text.size() - used).size();
  }
  text.resize(used);
  if (text.capacity() - used > 8192) text.shrink_to_fit();  // it is kept for the whole turn
  return text;
}

}  // namespace claudegpt
