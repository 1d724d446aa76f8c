#include "core/server_tool_blocks.h"

#include <algorithm>

#include <boost/json.hpp>

#include "text/utf8.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

// Anthropic's cited_text is a short quote; ours is the claim, cut like theirs.
constexpr std::size_t kCitedTextChars = 150;

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string first_chars(std::string_view text, std::size_t n) {
  std::size_t end = code_point_prefix_bytes(text, n);
  std::string out(text.substr(0, end));
  if (end < text.size()) out += "...";
  return out;
}

std::string_view trimmed(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// The length of a Markdown line's lead ("  - ", "1. ", "## ", "> "): not part of a claim.
std::size_t marker_length(std::string_view line) {
  std::size_t i = line.find_first_not_of(' ');
  if (i == std::string_view::npos) return 0;
  std::size_t mark = i;
  if (line[i] == '-' || line[i] == '*' || line[i] == '+' || line[i] == '>') {
    ++i;
  } else if (line[i] == '#') {
    while (i < line.size() && line[i] == '#') ++i;
  } else {
    while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
    if (i == mark || i >= line.size() || (line[i] != '.' && line[i] != ')')) return mark;
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') return mark;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

std::string host_of(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

json::object citation_json(const UrlCitation& citation, std::string_view claim, std::string_view link) {
  json::object c;
  c["type"] = "web_search_result_location";
  c["cited_text"] = first_chars(trimmed(claim), kCitedTextChars);
  c["url"] = without_openai_tracking(citation.url);
  c["title"] = citation.title;
  c["encrypted_index"] = link;
  return c;
}

}  // namespace

std::string server_tool_id(std::string_view upstream_id) {
  std::size_t underscore = upstream_id.find('_');
  if (underscore != std::string_view::npos && underscore + 1 < upstream_id.size())
    upstream_id.remove_prefix(underscore + 1);
  return "srvtoolu_" + std::string(upstream_id);
}

std::string without_openai_tracking(std::string_view url) {
  static constexpr std::string_view kParameter = "utm_source=openai";
  std::size_t query = url.find('?');
  if (query == std::string_view::npos) return std::string(url);
  std::size_t fragment = url.find('#', query);
  std::string_view params = url.substr(query + 1, fragment == std::string_view::npos ? std::string_view::npos
                                                                                   : fragment - query - 1);
  std::string kept;
  while (!params.empty()) {
    std::string_view param = params.substr(0, params.find('&'));
    params.remove_prefix(std::min(params.size(), param.size() + 1));
    if (param == kParameter || param.empty()) continue;
    kept.append(kept.empty() ? "" : "&").append(param);
  }
  std::string out(url.substr(0, query));
  if (!kept.empty()) out.append("?").append(kept);
  if (fragment != std::string_view::npos) out.append(url.substr(fragment));
  return out;
}

std::vector<CitedText> split_cited_text(std::string_view text, std::vector<UrlCitation> citations) {
  std::stable_sort(citations.begin(), citations.end(),
                   [](const UrlCitation& a, const UrlCitation& b) { return a.start < b.start; });
  std::vector<CitedText> blocks;
  auto add_plain = [&blocks](std::string_view piece) {
    if (piece.empty()) return;
    if (!blocks.empty() && blocks.back().citations.empty()) blocks.back().text.append(piece);
    else blocks.push_back({std::string(piece), {}});
  };

  const std::size_t length = count_code_points(text);
  std::size_t done = 0;       // bytes of `text` placed in blocks
  std::size_t done_cp = 0;    // the same, in code points
  for (const UrlCitation& citation : citations) {
    if (citation.start < done_cp || citation.end <= citation.start || citation.end > length) continue;
    const std::size_t start = code_point_prefix_bytes(text, citation.start);
    const std::size_t end = code_point_prefix_bytes(text, citation.end);
    std::string_view before = text.substr(done, start - done);
    std::string_view span = text.substr(start, end - start);

    if (!(span.starts_with("([") || span.starts_with("["))) {
      // The annotation covers the claim itself.
      add_plain(before);
      blocks.push_back({std::string(span), {citation_json(citation, span, "")}});
    } else {
      // An inline link after its claim: the claim is the text since the last line break.
      std::size_t line = before.rfind('\n');
      std::size_t claim_start = line == std::string_view::npos ? 0 : line + 1;
      claim_start += marker_length(before.substr(claim_start));
      std::string_view lead = before.substr(0, claim_start);
      std::string_view claim = before.substr(claim_start);
      if (is_blank(claim) && !blocks.empty() && !blocks.back().citations.empty() && is_blank(before)) {
        // A second link right after the first: the same claim, another source.
        blocks.back().text.append(before);
        blocks.back().citations.push_back(citation_json(citation, blocks.back().text, span));
      } else if (is_blank(claim)) {
        if (is_blank(before)) {  // nothing to attach it to: the link stays in the text
          add_plain(before);
          add_plain(span);
        } else {
          blocks.push_back({std::string(before), {citation_json(citation, before, span)}});
        }
      } else {
        add_plain(lead);
        blocks.push_back({std::string(claim), {citation_json(citation, claim, span)}});
      }
    }
    done = end;
    done_cp = citation.end;
  }
  add_plain(text.substr(done));
  return blocks;
}

json::object server_tool_use_block(std::string_view id, std::string_view name) {
  json::object block;
  block["type"] = "server_tool_use";
  block["id"] = id;
  block["name"] = name;
  block["input"].emplace_object();
  return block;
}

json::object web_search_result_block(std::string_view tool_use_id, const std::vector<SearchSource>& sources) {
  json::object block;
  block["type"] = "web_search_tool_result";
  block["tool_use_id"] = tool_use_id;
  json::array& content = block["content"].emplace_array();
  for (const SearchSource& source : sources) {
    json::object result;
    result["type"] = "web_search_result";
    result["title"] = source.title.empty() ? host_of(source.url) : source.title;
    result["url"] = source.url;
    result["encrypted_content"] = "";
    result["page_age"] = nullptr;
    content.emplace_back(std::move(result));
  }
  return block;
}

json::object web_search_error_block(std::string_view tool_use_id, std::string_view error_code) {
  json::object block;
  block["type"] = "web_search_tool_result";
  block["tool_use_id"] = tool_use_id;
  json::object& content = block["content"].emplace_object();
  content["type"] = "web_search_tool_result_error";
  content["error_code"] = error_code;
  return block;
}

json::object web_fetch_result_block(const FetchOutcome& outcome) {
  json::object block;
  block["type"] = "web_fetch_tool_result";
  block["tool_use_id"] = outcome.tool_use_id;
  json::object& content = block["content"].emplace_object();
  if (!outcome.error_code.empty()) {
    content["type"] = "web_fetch_tool_result_error";
    content["error_code"] = outcome.error_code;
    return block;
  }
  content["type"] = "web_fetch_result";
  content["url"] = outcome.url;
  content["retrieved_at"] = outcome.retrieved_at;
  json::object& document = content["content"].emplace_object();
  document["type"] = "document";
  json::object& source = document["source"].emplace_object();
  source["type"] = "text";
  source["media_type"] = "text/plain";
  source["data"] = outcome.text;
  if (!outcome.title.empty()) document["title"] = outcome.title;
  return block;
}

}  // namespace claudegpt
