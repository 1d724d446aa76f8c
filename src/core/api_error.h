// An error as the Anthropic Messages API reports it: an HTTP status, an error type that
// clients switch on, and a message. Used both as an HTTP error body and as a mid-stream
// `event: error`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace claudegpt {

struct ApiError {
  int status = 500;
  std::string type = "api_error";  // invalid_request_error, rate_limit_error, ...
  std::string message;
  std::optional<int> retry_after_seconds;  // sent as `retry-after` on 429/529

  // The error with the type Anthropic uses for `status` (400 invalid_request_error,
  // 401 authentication_error, ..., 529 overloaded_error; other 5xx api_error).
  static ApiError with_status(int status, std::string message);

  // {"type":"error","error":{"type":…,"message":…},"request_id":…}
  boost::json::object to_json(std::string_view request_id) const;
};

std::string_view error_type_for_status(int status);

}  // namespace claudegpt
