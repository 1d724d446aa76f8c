// The client's tools as the upstream sees them, and the way back.
//
// Responses function names must match ^[a-zA-Z0-9_-]{1,64}$; MCP tools ("mcp__server__tool")
// can be longer or use other characters. Names are shortened deterministically (the same
// client name always gives the same upstream name, so request prefixes stay cacheable) and
// mapped back when the model calls them.
//
// The catalog also remembers each tool's input schema, to clean the model's arguments:
// GPT tends to fill optional parameters with "" or null, which Claude Code's validators
// reject ("tool call rejected" loops).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/object.hpp>

namespace claudegpt {

// A name the upstream accepts; `name` itself when it already is one.
std::string upstream_tool_name(std::string_view name);

class ToolCatalog {
 public:
  // Registers a client tool and returns its upstream name.
  std::string add(std::string_view client_name, const boost::json::object& input_schema);

  // The client's name for an upstream function name (unknown names are returned as they are).
  std::string client_name(std::string_view upstream_name) const;

  // `arguments` without the optional parameters (not in the schema's `required`) whose
  // value is "" or null. Tools without a known schema are returned unchanged.
  boost::json::object clean_arguments(std::string_view client_name,
                                      boost::json::object arguments) const;

 private:
  std::unordered_map<std::string, std::string> client_by_upstream_;
  std::unordered_map<std::string, boost::json::object> schema_by_client_;
};

}  // namespace claudegpt
