#include "core/safeguards.h"

#include "core/json_fields.h"

namespace claudegpt {

namespace json = boost::json;

std::optional<SafeguardRequest> take_safeguards(json::object& request) {
  request.erase("classifier_tool_calls");
  const json::value* field = request.if_contains("safeguards");
  if (!field) return std::nullopt;
  std::optional<SafeguardRequest> found;
  if (field->is_array()) {
    for (const json::value& entry : field->get_array()) {
      const json::object* object = entry.if_object();
      if (!object || string_field(*object, "type") != "dangerous_tool_use") continue;
      found.emplace();
      if (const json::object* context = object_field(*object, "classifier_context"))
        found->classifier_context = *context;
      break;
    }
  }
  request.erase("safeguards");
  return found;
}

SafetyVerdict SafetyVerdict::allowed(std::string cited_rule) {
  SafetyVerdict v;
  v.kind = Kind::allowed;
  v.cited_rule = std::move(cited_rule);
  return v;
}

SafetyVerdict SafetyVerdict::flagged(std::string explanation, std::string cited_rule) {
  SafetyVerdict v;
  v.kind = Kind::flagged;
  v.explanation = std::move(explanation);
  v.cited_rule = std::move(cited_rule);
  return v;
}

SafetyVerdict SafetyVerdict::unavailable(std::string reason) {
  SafetyVerdict v;
  v.kind = Kind::unavailable;
  v.reason = std::move(reason);
  return v;
}

namespace {

json::object entry_of(const SafetyVerdict& verdict) {
  if (verdict.kind == SafetyVerdict::Kind::unavailable)
    return {{"type", "unavailable"}, {"reason", verdict.reason}};
  json::object entry{{"type", "evaluated"},
                     {"outcome", verdict.kind == SafetyVerdict::Kind::flagged ? "flagged" : "not_flagged"}};
  if (verdict.kind == SafetyVerdict::Kind::flagged) entry["explanation"] = verdict.explanation;
  if (!verdict.cited_rule.empty())
    entry["cited_rule"] = json::object{{"type", "classifier_context"}, {"path", verdict.cited_rule}};
  return entry;
}

}  // namespace

json::array safeguard_results(const std::vector<std::pair<std::string, SafetyVerdict>>& verdicts) {
  json::object tool_uses;
  for (const auto& [id, verdict] : verdicts) tool_uses[id] = entry_of(verdict);
  json::object status{{"type", "available"}, {"tool_uses", std::move(tool_uses)}};
  return json::array{json::object{{"type", "dangerous_tool_use"}, {"status", std::move(status)}}};
}

}  // namespace claudegpt
