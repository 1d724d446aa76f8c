// The conversation's text as claudegpt's reports show it. Pure.
//
// A Claude Code session is told by the user's first prompt (`claudegpt usage --by session`),
// a turn by its last one (`claudegpt traces show`). Finding them means reading past what
// Claude Code adds to the user's messages: markup elements at the start of a text
// (<system-reminder>…</system-reminder>, <command-name>…, <local-command-stdout>…), tool
// results, and the summary that starts a conversation over after /compact.
//
// What the conversation holds is data, never terminal output: whatever a report prints from
// it (or from any recorded text: a model name, an error message, a folder) goes through
// text_opening, which keeps it to one line of printable text and cuts it to a length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace claudegpt {

// The user's own words in an Anthropic Messages request: the text of its role:user messages
// (a string content or text blocks; tool results are not the user's words), without the
// markup elements that lead a text (a block that is nothing else is skipped) and without the
// summary that starts a conversation after /compact. The first such text (the session's first
// prompt, as every main-loop request repeats the conversation), or the last; "" when there is
// none. Whole, not cut.
std::string first_user_prompt(const boost::json::object& request);
std::string last_user_prompt(const boost::json::object& request);

// The opening of `text` for one line of a report: runs of white space and control characters
// (C0, DEL, C1) become one space, leading and trailing ones are dropped, and what is longer
// than `max_chars` code points is cut to max_chars - 1 of them followed by "…". Nothing in
// the result can move the cursor or start an escape sequence.
std::string text_opening(std::string_view text, std::size_t max_chars);

}  // namespace claudegpt
