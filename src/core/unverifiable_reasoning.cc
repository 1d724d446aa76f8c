#include "core/unverifiable_reasoning.h"

#include <boost/json/parse.hpp>

#include "core/fnv1a.h"
#include "core/json_fields.h"

namespace claudegpt {

namespace json = boost::json;

bool is_unverifiable_reasoning_error(const json::object& error) {
  constexpr std::string_view kCode = "invalid_encrypted_content";
  if (string_field(error, "code") == kCode) return true;
  if (const json::object* nested = object_field(error, "error"))
    if (string_field(*nested, "code") == kCode) return true;
  if (const json::object* response = object_field(error, "response"))
    if (const json::object* nested = object_field(*response, "error"))
      return string_field(*nested, "code") == kCode;
  return false;
}

bool is_unverifiable_reasoning_error(std::string_view body) {
  if (body.find("invalid_encrypted_content") == std::string_view::npos) return false;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  return !ec && parsed.is_object() && is_unverifiable_reasoning_error(parsed.get_object());
}

std::vector<std::string> drop_reasoning_items(json::object& body,
                                              const std::function<bool(std::string_view)>& drop) {
  std::vector<std::string> dropped;
  json::value* input = body.if_contains("input");
  if (!input || !input->is_array()) return dropped;
  json::array& items = input->get_array();
  for (auto it = items.begin(); it != items.end();) {
    const json::object* item = it->if_object();
    std::string_view content = item ? string_field(*item, "encrypted_content") : std::string_view();
    if (item && string_field(*item, "type") == "reasoning" && !content.empty() &&
        (!drop || drop(content))) {
      dropped.emplace_back(content);
      it = items.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

void DeadReasoning::add(std::string_view encrypted_content) {
  if (capacity_ == 0) return;
  const std::uint64_t print = fnv1a64(encrypted_content);
  if (!set_.insert(print).second) return;
  order_.push_back(print);
  if (order_.size() > capacity_) {
    set_.erase(order_.front());
    order_.pop_front();
  }
}

bool DeadReasoning::contains(std::string_view encrypted_content) const {
  return set_.contains(fnv1a64(encrypted_content));
}

}  // namespace claudegpt
