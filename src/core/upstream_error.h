// Upstream failures → the Anthropic error Claude Code knows how to handle.
//
// Claude Code retries 429 (honouring retry-after), 529 and cut streams itself, compacts on
// "prompt is too long: N tokens > M maximum", and degrades the session on any other 400.
// So each failure must carry its true status and type.
#pragma once

#include <cstdint>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/api_error.h"

namespace claudegpt {

// What the proxy knows about the request, for messages the upstream leaves vague
// (OpenAI's context-overflow error names no token counts).
struct ErrorContext {
  std::int64_t estimated_input_tokens = 0;
  std::int64_t context_window = 0;    // 0 when unknown
};

// An upstream HTTP error response. `body` is OpenAI's {"error":{message,type,code}} or the
// Codex backend's {"detail":…} or anything else; `retry_after` is the header value, if any
// (else a "try again in Xs" in the message is used).
ApiError map_upstream_http_error(int status, std::string_view body, std::string_view retry_after,
                                 const ErrorContext& context);

// The error object of a `response.failed` event or of an `error` event (fields at the top
// level or nested under "error").
ApiError map_upstream_stream_error(const boost::json::object& error, const ErrorContext& context);

}  // namespace claudegpt
