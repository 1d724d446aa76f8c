#include "core/api_error.h"

#include <utility>

namespace claudegpt {

namespace {

struct StatusType {
  int status;
  std::string_view type;
};

// Anthropic's documented error types, by the status each comes with.
constexpr StatusType kStatusTypes[] = {
    {400, "invalid_request_error"}, {401, "authentication_error"}, {402, "billing_error"},
    {403, "permission_error"},      {404, "not_found_error"},      {413, "request_too_large"},
    {429, "rate_limit_error"},      {500, "api_error"},            {504, "timeout_error"},
    {529, "overloaded_error"},
};

}  // namespace

std::string_view error_type_for_status(int status) {
  for (const auto& entry : kStatusTypes)
    if (entry.status == status) return entry.type;
  if (status >= 400 && status < 500) return "invalid_request_error";
  return "api_error";
}

int status_for_error_type(std::string_view type) {
  for (const auto& entry : kStatusTypes)
    if (entry.type == type) return entry.status;
  return 500;
}

ApiError ApiError::with_status(int status, std::string message) {
  ApiError error;
  error.status = status;
  error.type = std::string(error_type_for_status(status));
  error.message = std::move(message);
  return error;
}

ApiError ApiError::overloaded(std::string message, int retry_after_seconds) {
  ApiError error = with_status(503, std::move(message));
  error.type = "overloaded_error";
  error.retry_after_seconds = retry_after_seconds;
  return error;
}

boost::json::object ApiError::to_json(std::string_view request_id) const {
  boost::json::object body;
  body["type"] = "error";
  boost::json::object& error = body["error"].emplace_object();
  error["type"] = type;
  error["message"] = message;
  if (!request_id.empty()) body["request_id"] = request_id;
  return body;
}

}  // namespace claudegpt
