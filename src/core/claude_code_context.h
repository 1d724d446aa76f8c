// Facts about the Claude Code session a request belongs to, read from the request itself
// (Claude Code sends no header for them). Pure.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace claudegpt {

// The session's working directory, from the environment section Claude Code puts in its system
// prompt or in a role:system message (" - Primary working directory: /path"); "" when absent
// (another client, or a request such as the web search side request that has none).
std::string working_directory(const boost::json::object& anthropic_request);

// A readable, stable name for a working directory, under which its session's traces and
// ledger rows are grouped: the last (up to) three path components that have ASCII letters or
// digits, lower-cased, with every run of other characters turned into one '-', cut to at most
// 31 characters by dropping leading components (then the end of the last), then '-' and the
// 32-bit FNV-1a hash of the whole path (trailing slashes removed) as 8 hex digits:
//   "/home/alice/src/My Project" -> "alice-src-my-project-dbb6cb63"
// At most 40 characters; a path with no usable characters gives "dir-<hash>".
std::string cwd_tag(std::string_view cwd);

}  // namespace claudegpt
