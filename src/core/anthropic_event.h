// One event of an Anthropic Messages stream, as the client will receive it.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace claudegpt {

struct AnthropicEvent {
  std::string type;           // "message_start", "content_block_delta", "ping", "error", ...
  boost::json::object data;   // the event's JSON; carries "type" too, as on the wire
};

using AnthropicEvents = std::vector<AnthropicEvent>;

}  // namespace claudegpt
