// The client's tools as the upstream sees them, and the way back.
//
// Responses function names must match ^[a-zA-Z0-9_-]{1,64}$; MCP tools ("mcp__server__tool")
// can be longer or use other characters. Such names are rewritten deterministically (the same
// client name always gives the same upstream name, so request prefixes stay cacheable, and
// history written in one request still matches the tools of the next) and mapped back when
// the model calls them.
//
// The catalog also remembers which parameters each tool requires, to clean the model's
// arguments: GPT tends to fill optional parameters with "" or null, which Claude Code's
// validators reject ("tool call rejected" loops).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

namespace claudegpt {

// A name the upstream accepts; `name` itself when it already is one. Otherwise the name with
// every other byte replaced by '_', cut to 55 characters, plus '_' and the 8 hex digits of the
// FNV-1a hash of the original name: unique per name, so the mapping stays reversible.
std::string upstream_tool_name(std::string_view name);

class ToolCatalog {
 public:
  // Registers a client tool and returns its upstream name.
  std::string add(std::string_view client_name, const boost::json::object& input_schema);

  // Registers a name seen only in the conversation history (a call to a tool not offered
  // now): it maps back, but its arguments are never cleaned. Returns its upstream name.
  std::string add_name(std::string_view client_name);

  // The client's name for an upstream function name (unknown names are returned as they are).
  std::string client_name(std::string_view upstream_name) const;

  // `arguments` without the optional parameters (not in the schema's `required`) whose
  // value is "" or null; top level only. Tools without a known schema are returned unchanged.
  boost::json::object clean_arguments(std::string_view client_name,
                                      boost::json::object arguments) const;

 private:
  std::unordered_map<std::string, std::string> client_by_upstream_;  // only renamed tools
  std::unordered_map<std::string, std::vector<std::string>> required_by_client_;
};

}  // namespace claudegpt
