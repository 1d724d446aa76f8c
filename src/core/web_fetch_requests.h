// The upstream requests a proxy-side WebFetch makes. Pure: JSON and text in, JSON out.
//
// 1. The extraction: a small model reads the fetched page and answers the model's prompt
//    about it, so the main model gets a few thousand characters, not the page.
// 2. The continuation: once every fetch of a response has its result, the same upstream
//    conversation goes on. Its request is the turn's request with the assistant's output so far
//    appended, translated exactly as Claude Code's next request will carry that output back
//    (server_tool_use + web_fetch_tool_result → function_call + function_call_output), so the
//    next request's prefix matches and stays cached upstream.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/request_translator.h"

namespace claudegpt {

// A streaming Responses request asking `model` for what `prompt` wants from `page` (Markdown),
// answered from the page alone, in at most `max_chars` characters.
boost::json::object page_extraction_request(std::string_view model, std::string_view url,
                                            std::string_view page, std::string_view prompt,
                                            std::size_t max_chars);

// `upstream_request` (the turn's Responses request, as sent) with `assistant_content` (the
// Anthropic content blocks sent to the client so far) appended to its input. `options` are the
// turn's (the upstream model binds reasoning signatures). `outputs` replaces the output of the
// named calls (a failed fetch's status and reason, which the error block only names by code).
boost::json::object continued_request(const boost::json::object& upstream_request,
                                      const boost::json::array& assistant_content,
                                      const RequestOptions& options,
                                      const std::map<std::string, std::string>& outputs = {});

}  // namespace claudegpt
