#include "core/claude_code_context.h"

#include <string_view>

#include "core/json_fields.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

constexpr std::string_view kMarker = "Primary working directory: ";

std::string_view directory_in(std::string_view text) {
  std::size_t at = text.find(kMarker);
  if (at == std::string_view::npos) return {};
  text.remove_prefix(at + kMarker.size());
  std::string_view line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// The directory in a `system` or message `content` value: a string or text blocks.
std::string_view directory_in(const json::value* content) {
  if (!content) return {};
  if (content->is_string()) return directory_in(std::string_view(content->get_string()));
  if (!content->is_array()) return {};
  for (const json::value& block : content->get_array())
    if (block.is_object())
      if (std::string_view found = directory_in(string_field(block.get_object(), "text")); !found.empty())
        return found;
  return {};
}

}  // namespace

std::string working_directory(const json::object& request) {
  if (std::string_view found = directory_in(request.if_contains("system")); !found.empty())
    return std::string(found);
  // Claude Code 2.1.330 moved the environment into a role:system message after the first turn.
  if (const json::value* messages = request.if_contains("messages"); messages && messages->is_array())
    for (const json::value& message : messages->get_array())
      if (message.is_object() && string_field(message.get_object(), "role") == "system")
        if (std::string_view found = directory_in(message.get_object().if_contains("content")); !found.empty())
          return std::string(found);
  return {};
}

}  // namespace claudegpt
