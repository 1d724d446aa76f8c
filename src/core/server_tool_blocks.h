// Anthropic's server-tool blocks (what its backend sends when it searched or fetched the web
// itself), built from what the OpenAI side gives. Pure; used by the stream translator.
//
// Shapes, as recorded (../shared/fixtures/anthropic-sse/anthropic-web-*-tool.1.chunks.txt):
//   server_tool_use        {type, id:"srvtoolu_…", name:"web_search"|"web_fetch", input}
//   web_search_tool_result {type, tool_use_id, content:[{type:"web_search_result", title, url,
//                           encrypted_content, page_age}]}, or content {type:
//                           "web_search_tool_result_error", error_code}
//   web_fetch_tool_result  {type, tool_use_id, content:{type:"web_fetch_result", url,
//                           retrieved_at, content:{type:"document", source:{type:"text",
//                           media_type:"text/plain", data}, title?}}}, or content {type:
//                           "web_fetch_tool_result_error", error_code}
//   text with citations    {type:"text", text, citations:[{type:"web_search_result_location",
//                           cited_text, url, title, encrypted_index}]}
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace claudegpt {

// A WebFetch call the proxy is to perform.
struct PendingFetch {
  std::string tool_use_id;  // "srvtoolu_…", the server_tool_use block's id
  std::string url;
  std::string prompt;       // what the model wants from the page
  std::string input;        // the call's arguments (serialised), the block's input
};

// How a fetch went, for its web_fetch_tool_result block.
struct FetchOutcome {
  std::string tool_use_id;
  std::string url;            // the final URL
  std::string retrieved_at;   // ISO 8601 UTC (the caller has the clock)
  std::string text;           // what the model gets: the extraction, or the page itself
  std::string title;          // may be empty
  std::string error_code;     // non-empty: the fetch failed (web_fetch_tool_result_error)
};

// A page a search found or read.
struct SearchSource {
  std::string url;
  std::string title;  // empty when the upstream named none
};

// An OpenAI url_citation annotation: [start, end) in code points of the text.
struct UrlCitation {
  std::size_t start = 0;
  std::size_t end = 0;
  std::string url;
  std::string title;
};

// One text block of an answer with citations: its text and its citations (JSON objects of
// type web_search_result_location; empty for text that cites nothing).
struct CitedText {
  std::string text;
  std::vector<boost::json::object> citations;
};

// "srvtoolu_" + the upstream's id without its own prefix ("ws_…", "call_…"): stable, so the
// same upstream call always gives the same block id.
std::string server_tool_id(std::string_view upstream_id);

// `url` without the utm_source=openai parameter OpenAI adds to the URLs it cites.
std::string without_openai_tracking(std::string_view url);

// Splits an answer at its citations. OpenAI cites with an inline Markdown link after the
// claim, "claim ([site](url))", and the annotation covers the link: the link is taken out of
// the text (it is kept in the citation's encrypted_index, so the request translator can put it
// back when the text returns as history) and the claim before it, from the last line break,
// becomes the cited block. An annotation over plain text cites that text itself. Invalid or
// overlapping annotations are ignored; no block is empty.
std::vector<CitedText> split_cited_text(std::string_view text, std::vector<UrlCitation> citations);

boost::json::object server_tool_use_block(std::string_view id, std::string_view name);

// A source without a title is titled with its host name.
boost::json::object web_search_result_block(std::string_view tool_use_id,
                                            const std::vector<SearchSource>& sources);
boost::json::object web_search_error_block(std::string_view tool_use_id, std::string_view error_code);

boost::json::object web_fetch_result_block(const FetchOutcome& outcome);

}  // namespace claudegpt
