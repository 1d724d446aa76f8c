// Anthropic events → `text/event-stream` bytes: "event: <type>\ndata: <json>\n\n".
#pragma once

#include <string>

#include "core/anthropic_event.h"

namespace claudegpt {

// Appends the SSE frame of `event` to `out`; the JSON is compact (no whitespace) and goes
// into `out` without an intermediate string.
void write_sse(const AnthropicEvent& event, std::string& out);

}  // namespace claudegpt
