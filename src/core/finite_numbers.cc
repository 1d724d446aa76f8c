#include "core/finite_numbers.h"

#include <cmath>
#include <limits>

#include <boost/json.hpp>

namespace claudegpt {

void clamp_infinite_numbers(boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_:
      if (double& d = value.get_double(); std::isinf(d))
        d = std::copysign(std::numeric_limits<double>::max(), d);
      break;
    case boost::json::kind::array:
      for (boost::json::value& element : value.get_array()) clamp_infinite_numbers(element);
      break;
    case boost::json::kind::object:
      clamp_infinite_numbers(value.get_object());
      break;
    default:
      break;
  }
}

void clamp_infinite_numbers(boost::json::object& object) {
  for (auto& member : object) clamp_infinite_numbers(member.value());
}

}  // namespace claudegpt
