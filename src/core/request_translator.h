// Anthropic Messages request → OpenAI Responses request. Pure: JSON in, JSON out.
//
// What maps where is documented field by field in request_translator.cc; fields that have
// no upstream meaning are dropped and listed in `dropped` so traces can show them.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/tool_catalog.h"

namespace claudegpt {

struct RequestOptions {
  std::string upstream_model;      // already resolved from the tier
  bool rewrite_identity = true;
  std::string cutoff;              // knowledge cutoff of the upstream model, may be empty
  std::string default_effort = "medium";  // reasoning.effort when the request names none
};

struct TranslatedRequest {
  boost::json::object body;        // the Responses request; keys in order model, instructions,
                                   // tools, input, then the rest (stable prefix first)
  ToolCatalog tools;               // to map function calls back and clean their arguments
  bool client_wants_stream = false;
  std::vector<std::string> dropped;  // e.g. "temperature", "metadata", "thinking.budget_tokens"
};

// The client sent something that is not a Messages request (→ 400 invalid_request_error).
struct InvalidRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TranslatedRequest translate_request(const boost::json::object& anthropic_request,
                                    const RequestOptions& options);

}  // namespace claudegpt
