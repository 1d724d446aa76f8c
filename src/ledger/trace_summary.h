// What `claudegpt traces show ID` prints: one turn's trace (a file trace_store.h wrote) summed
// up for a person, one fact a line. Pure: the parsed trace comes in, text comes out.
// (`traces show ID --json` prints the whole trace instead.)
//
//   turn         req_8c1f…  2026-11-24 10:54:00 UTC
//   session      5b0c2d7e-…
//   folder       /home/alice/src/claudegpt
//   model        claude-opus-5-5 → gpt-5.5 (openai, opus tier)
//   effort       high (opus tier default)
//   tokens       in 123,456 (cached 120,000, 97.2%) · out 4,321 (reasoning 1,234)
//   web tools    1 web search · 2 web fetches
//   cost         $0.1235                    (or: unknown (no price for <model>))
//   latency      upstream's first byte 0.85 s · client's first byte 0.87 s · done 14.25 s
//   rounds       2 server-side tool rounds after the first answer
//   outcome      tool_use                   (or: error: rate_limit_error: <its message>)
//   request      12 messages · 31 tools · not forwarded: metadata, temperature
//   last prompt  "create hello.txt"
//   answer       "I'll write the file, then show it."
//   tool calls   Write, Bash ×2
//
//   The whole trace (194 KB): claudegpt traces show req_8c1f… --json
//   File: <path>
//
// Lines whose facts the trace lacks are left out (no web tools, no server-side rounds, no
// answer text, no tool call). The last prompt is the user's own words (last_user_prompt).
// Every value from the file is printed through text_opening (conversation_text.h): a trace is
// data, and a long prompt or a control character in it cannot take over the terminal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace claudegpt {

// `working_directory` is the one Claude Code's request names ("" when it names none: the cwd
// tag is shown instead); `file` and `file_bytes` say where the whole trace is. Ends with a
// newline.
std::string render_trace_summary(const boost::json::object& trace,
                                 std::string_view working_directory, std::string_view file,
                                 std::uint64_t file_bytes);

}  // namespace claudegpt
