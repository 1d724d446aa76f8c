// Facts about the Claude Code session a request belongs to, read from the request itself
// (Claude Code sends no header for them). Pure.
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace claudegpt {

// The session's working directory, from the environment section Claude Code puts in its system
// prompt or in a role:system message (" - Primary working directory: /path"); "" when absent
// (another client, or a request such as the web search side request that has none).
std::string working_directory(const boost::json::object& anthropic_request);

}  // namespace claudegpt
