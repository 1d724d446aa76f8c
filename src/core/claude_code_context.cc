#include "core/claude_code_context.h"

#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "core/fnv1a.h"
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

std::string cwd_tag(std::string_view cwd) {
  while (cwd.size() > 1 && cwd.back() == '/') cwd.remove_suffix(1);
  const std::uint32_t hash = fnv1a32(cwd);

  // The slugs of the last three components, last first.
  std::vector<std::string> parts;
  std::string_view rest = cwd;
  while (!rest.empty() && parts.size() < 3) {
    auto slash = rest.rfind('/');
    std::string_view component = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(0, slash);
    std::string slug;
    for (char c : component) {
      char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
      if (keep)
        slug += lower;
      else if (!slug.empty() && slug.back() != '-')
        slug += '-';
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    if (!slug.empty()) parts.push_back(std::move(slug));
  }

  constexpr std::size_t kMaxSlug = 31;  // + "-" + 8 hex digits = 40
  auto joined = [&] {
    std::string slug;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (!slug.empty()) slug += '-';
      slug += *it;
    }
    return slug;
  };
  std::string slug = joined();
  while (slug.size() > kMaxSlug && parts.size() > 1) {
    parts.pop_back();  // the leading component
    slug = joined();
  }
  if (slug.size() > kMaxSlug) slug.resize(kMaxSlug);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "dir";

  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(hash));
  return slug + "-" + hex;
}

}  // namespace claudegpt
