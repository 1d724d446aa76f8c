// Client tool names ↔ upstream function names, and cleaning the model's arguments.
#include "core/tool_catalog.h"

#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace claudegpt {
namespace {

namespace json = boost::json;

bool valid_upstream_name(const std::string& name) {
  static const std::regex valid("^[a-zA-Z0-9_-]{1,64}$");
  return std::regex_match(name, valid);
}

json::object schema(const char* text) {
  return json::parse(text).as_object();
}

TEST(UpstreamToolName, KeepsNamesTheUpstreamAlreadyAccepts) {
  EXPECT_EQ(upstream_tool_name("Bash"), "Bash");
  EXPECT_EQ(upstream_tool_name("mcp__github__create_pull_request"),
            "mcp__github__create_pull_request");
  std::string sixty_four(64, 'a');
  EXPECT_EQ(upstream_tool_name(sixty_four), sixty_four);
}

TEST(UpstreamToolName, ShortensLongNamesTo64CharactersWithAStableHash) {
  std::string long_name =
      "mcp__claude_ai_Some_Very_Long_Server_Name__search_every_document_now_please";
  std::string upstream = upstream_tool_name(long_name);
  EXPECT_EQ(upstream.size(), 64u);
  EXPECT_TRUE(valid_upstream_name(upstream)) << upstream;
  EXPECT_EQ(upstream.substr(0, 55), long_name.substr(0, 55));
  EXPECT_EQ(upstream[55], '_');
  EXPECT_EQ(upstream_tool_name(long_name), upstream);        // deterministic
  EXPECT_NE(upstream_tool_name(long_name + "2"), upstream);  // same prefix, different tool
}

TEST(UpstreamToolName, ReplacesForbiddenCharactersAndStaysDistinctFromTheUnderscoreSpelling) {
  std::string upstream = upstream_tool_name("mcp__files__read.file");
  EXPECT_TRUE(valid_upstream_name(upstream)) << upstream;
  EXPECT_TRUE(upstream.starts_with("mcp__files__read_file_")) << upstream;
  EXPECT_NE(upstream, upstream_tool_name("mcp__files__read_file"));
  EXPECT_TRUE(valid_upstream_name(upstream_tool_name("outil écrire")));
  EXPECT_TRUE(valid_upstream_name(upstream_tool_name("")));
}

TEST(ToolCatalog, MapsRenamedToolsBackToTheClientName) {
  ToolCatalog catalog;
  std::string long_name(80, 'x');
  std::string upstream = catalog.add(long_name, schema(R"({"type":"object"})"));
  EXPECT_EQ(catalog.client_name(upstream), long_name);
  EXPECT_EQ(catalog.add("Read", schema(R"({"type":"object"})")), "Read");
  EXPECT_EQ(catalog.client_name("Read"), "Read");
  EXPECT_EQ(catalog.client_name("NeverSeen"), "NeverSeen");
  std::string history_only = catalog.add_name("mcp__old__tool.v1");
  EXPECT_EQ(catalog.client_name(history_only), "mcp__old__tool.v1");
}

TEST(ToolCatalog, CleanArgumentsDropsOptionalEmptyStringsAndNulls) {
  ToolCatalog catalog;
  catalog.add("Grep", schema(R"({"type":"object","properties":{"pattern":{},"path":{},
      "glob":{},"type":{},"-i":{}},"required":["pattern"]})"));
  json::object cleaned = catalog.clean_arguments(
      "Grep",
      json::parse(R"({"pattern":"","path":"","glob":null,"type":"js","-i":false})").as_object());
  EXPECT_EQ(json::serialize(cleaned), R"({"pattern":"","type":"js","-i":false})");
}

TEST(ToolCatalog, CleanArgumentsKeepsOrderAndLooksOnlyAtTheTopLevel) {
  ToolCatalog catalog;
  catalog.add("Edit", schema(R"({"type":"object","required":["a"]})"));
  json::object cleaned = catalog.clean_arguments(
      "Edit",
      json::parse(R"({"z":"","a":"1","nested":{"x":""},"list":[""],"b":null,"c":0})").as_object());
  EXPECT_EQ(json::serialize(cleaned), R"({"a":"1","nested":{"x":""},"list":[""],"c":0})");
}

TEST(ToolCatalog, CleanArgumentsLeavesUnknownToolsAlone) {
  ToolCatalog catalog;
  catalog.add_name("Unschemed");
  json::object arguments = json::parse(R"({"a":"","b":null})").as_object();
  EXPECT_EQ(catalog.clean_arguments("Unknown", arguments), arguments);
  EXPECT_EQ(catalog.clean_arguments("Unschemed", arguments), arguments);
}

TEST(ToolCatalog, CleanArgumentsWithoutRequiredListTreatsEverythingAsOptional) {
  ToolCatalog catalog;
  catalog.add("T", schema(R"({"type":"object","properties":{"a":{}}})"));
  EXPECT_EQ(json::serialize(catalog.clean_arguments("T", json::parse(R"({"a":""})").as_object())),
            "{}");
}

}  // namespace
}  // namespace claudegpt
