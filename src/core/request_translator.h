// Anthropic Messages request → OpenAI Responses request. Pure: JSON in, JSON out.
//
// What maps where is documented field by field in request_translator.cc; fields that have
// no upstream meaning are dropped and listed in `dropped` so traces can show them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/tool_catalog.h"

namespace claudegpt {

struct RequestOptions {
  std::string upstream_model;      // already resolved from the tier
  bool rewrite_identity = true;
  std::string cutoff;              // knowledge cutoff of the upstream model, may be empty
  // reasoning.effort, strongest first: forced_effort (CLAUDEGPT_EFFORT); tools_turn_effort
  // when the turn continues a tool loop (the last input is a tool result: keeps agentic
  // latency down); the client's own effort (output_config.effort, thinking.budget_tokens);
  // default_effort (the tier's). Empty means "no such rule".
  std::string forced_effort;
  std::string tools_turn_effort;
  std::string default_effort = "medium";
  // Groups a session's requests on one upstream prompt cache (the Claude Code session id);
  // when empty, the session_id inside metadata.user_id is used, if any.
  std::string prompt_cache_key;
  // The backend offers its hosted web_search tool for this model. Then Anthropic's
  // web_search_* server tool becomes that tool; without it the tool is left out and the
  // instructions tell the model that web search is not available (so it does not pretend).
  bool web_search = false;
  // Tools the client offers that are not sent: every "mcp__*" tool when block_mcp, and those
  // named in drop_tools. Their lines also leave Claude Code's list of deferred tools; calls
  // to them already in the history still translate.
  bool block_mcp = false;
  std::vector<std::string> drop_tools;
};

struct TranslatedRequest {
  boost::json::object body;        // the Responses request; keys in order model, instructions,
                                   // tools, input, then the rest (stable prefix first)
  ToolCatalog tools;               // to map function calls back and clean their arguments
  bool client_wants_stream = false;
  std::vector<std::string> dropped;  // e.g. "temperature", "metadata", "thinking.budget_tokens"
  std::string effort_reason;         // why reasoning.effort is what it is, for the trace
  std::int64_t filtered_tool_tokens = 0;  // o200k tokens the tool filters kept from the
                                          // upstream (definitions and deferred-list lines)
  // Where the visible output is cut (StreamSetup::max_tokens): the client's max_tokens when
  // the upstream's max_output_tokens gives room above it (to reason); 0 when the upstream's
  // own limit is the client's, or the client named none, and nothing needs counting.
  std::int64_t visible_max_tokens = 0;

  TranslatedRequest() = default;
  explicit TranslatedRequest(boost::json::object translated_body)
      : body(std::move(translated_body)) {}
  TranslatedRequest(const TranslatedRequest&) = default;
  TranslatedRequest(TranslatedRequest&&) = default;
  TranslatedRequest& operator=(const TranslatedRequest&) = default;
  // The body lives in its own arena (boost::json storage). A plain member-wise move would copy
  // it into this body's storage; this takes the arena over instead, like the move constructor.
  TranslatedRequest& operator=(TranslatedRequest&& other) noexcept;
};

// The client sent something that is not a Messages request (→ 400 invalid_request_error).
struct InvalidRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws InvalidRequest when the request is malformed (no `messages` array, content blocks
// of the wrong JSON type, a tool_use without id or name…) or asks for what the proxy does not
// serve (max_tokens 0: a review without a generation); anything merely unusual passes.
TranslatedRequest translate_request(const boost::json::object& anthropic_request,
                                    const RequestOptions& options);

// The same for a parsed body of any JSON type (not an object → InvalidRequest).
TranslatedRequest translate_request(const boost::json::value& anthropic_request,
                                    const RequestOptions& options);

}  // namespace claudegpt
