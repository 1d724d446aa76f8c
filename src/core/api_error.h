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
  // Retrying cannot help (a refused key, an unreachable host, a spent plan): sent with
  // `x-should-retry: false`, which makes Claude Code 2.1.330 show the message at once instead
  // of retrying 10 times over about 3 minutes (measured; it ignores the header only for the
  // type overloaded_error, so that type must not carry it).
  bool no_retry = false;

  // The error with the type Anthropic uses for `status` (400 invalid_request_error,
  // 401 authentication_error, ..., 529 overloaded_error; other 5xx api_error).
  static ApiError with_status(int status, std::string message);
  // 503 overloaded_error with retry-after: the proxy itself is at a limit (connections,
  // request memory, token counts), which a client may retry shortly.
  static ApiError overloaded(std::string message, int retry_after_seconds);

  // {"type":"error","error":{"type":…,"message":…},"request_id":…}. An empty `request_id`
  // is left out, which gives exactly the object of a mid-stream `event: error`.
  boost::json::object to_json(std::string_view request_id) const;
};

// 400 invalid_request_error, 401 authentication_error, 402 billing_error, 403
// permission_error, 404 not_found_error, 413 request_too_large, 429 rate_limit_error,
// 500 api_error, 504 timeout_error, 529 overloaded_error; any other 4xx
// invalid_request_error, anything else api_error.
std::string_view error_type_for_status(int status);

// The inverse, for errors that arrive without a status (a mid-stream `event: error`):
// the status Anthropic sends with `type`; 500 for unknown types.
int status_for_error_type(std::string_view type);

}  // namespace claudegpt
