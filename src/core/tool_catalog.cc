#include "core/tool_catalog.h"

#include <algorithm>
#include <cstdint>

#include <boost/json.hpp>

#include "core/fnv1a.h"

namespace claudegpt {

namespace {

constexpr std::size_t kMaxName = 64;
constexpr std::size_t kHashSuffix = 9;  // '_' + 8 hex digits

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool is_upstream_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxName &&
         std::all_of(name.begin(), name.end(), is_name_char);
}


}  // namespace

std::string upstream_tool_name(std::string_view name) {
  if (is_upstream_name(name)) return std::string(name);
  // Any change gets the hash suffix, not only shortening: "a.b" and a real tool "a_b" must
  // not collide, or the way back would be ambiguous.
  std::string upstream;
  upstream.reserve(kMaxName);
  for (char c : name.substr(0, kMaxName - kHashSuffix))
    upstream.push_back(is_name_char(c) ? c : '_');
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint32_t hash = fnv1a32(name);
  upstream.push_back('_');
  for (int shift = 28; shift >= 0; shift -= 4) upstream.push_back(kHex[(hash >> shift) & 0xf]);
  return upstream;
}

std::string ToolCatalog::add(std::string_view client_name,
                             const boost::json::object& input_schema) {
  std::string upstream = add_name(client_name);
  std::vector<std::string> required;
  if (const auto* list = input_schema.if_contains("required"); list && list->is_array()) {
    for (const auto& entry : list->get_array())
      if (entry.is_string()) required.emplace_back(entry.get_string());
  }
  required_by_client_.insert_or_assign(std::string(client_name), std::move(required));
  return upstream;
}

std::string ToolCatalog::add_name(std::string_view client_name) {
  std::string upstream = upstream_tool_name(client_name);
  if (upstream != client_name) client_by_upstream_.try_emplace(upstream, client_name);
  return upstream;
}

std::string ToolCatalog::client_name(std::string_view upstream_name) const {
  auto found = client_by_upstream_.find(std::string(upstream_name));
  return found == client_by_upstream_.end() ? std::string(upstream_name) : found->second;
}

boost::json::object ToolCatalog::clean_arguments(std::string_view client_name,
                                                 boost::json::object arguments) const {
  auto found = required_by_client_.find(std::string(client_name));
  if (found == required_by_client_.end()) return arguments;
  const std::vector<std::string>& required = found->second;
  auto droppable = [&](const boost::json::key_value_pair& entry) {
    const boost::json::value& value = entry.value();
    bool empty = value.is_null() || (value.is_string() && value.get_string().empty());
    return empty && std::find(required.begin(), required.end(), entry.key()) == required.end();
  };
  if (std::none_of(arguments.begin(), arguments.end(), droppable)) return arguments;
  // Rebuilt rather than erased in place: object::erase moves the last entry into the gap,
  // and the client should see the arguments in the order the model wrote them.
  boost::json::object kept(arguments.storage());
  kept.reserve(arguments.size());
  for (auto& entry : arguments)
    if (!droppable(entry)) kept.emplace(entry.key(), std::move(entry.value()));
  return kept;
}

}  // namespace claudegpt
