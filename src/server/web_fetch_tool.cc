#include "server/web_fetch_tool.h"


#include <boost/json/serialize.hpp>

#include "core/responses_stream_reader.h"
#include "core/web_fetch_requests.h"
#include "server/collected_transfer.h"
#include "server/page_fetch.h"
#include "support/log.h"
#include "support/utc_time.h"
#include "text/utf8.h"

namespace claudegpt {
namespace {

// An extraction answer is a few KB; a stream of one is rarely more than a few hundred.
constexpr std::size_t kMaxExtractionStream = 8 * 1024 * 1024;

// The first `n` code points of `text`.
std::string first_chars(const std::string& text, std::size_t n) {
  return text.substr(0, code_point_prefix_bytes(text, n));
}

// The answer text of a Responses event stream; empty with `error` set when it failed.
std::int64_t count_of(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_int64() ? value->get_int64() : 0;
}

// The usage a response.completed (or .incomplete) event reports, into `result`.
void note_usage(const boost::json::object& event, WebFetchResult& result) {
  const auto* response = event.if_contains("response");
  const auto* usage = response && response->is_object() ? response->get_object().if_contains("usage") : nullptr;
  if (!usage || !usage->is_object()) return;
  const boost::json::object& figures = usage->get_object();
  result.extraction_input_tokens += count_of(figures, "input_tokens");
  result.extraction_output_tokens += count_of(figures, "output_tokens");
  if (const auto* details = figures.if_contains("input_tokens_details"); details && details->is_object())
    result.extraction_cached_tokens += count_of(details->get_object(), "cached_tokens");
  if (const auto* details = figures.if_contains("output_tokens_details"); details && details->is_object())
    result.extraction_reasoning_tokens += count_of(details->get_object(), "reasoning_tokens");
}

std::string answer_of(const std::string& stream, std::string& error, WebFetchResult& result) {
  ResponsesStreamReader reader;
  std::vector<ResponsesEvent> events;
  if (!reader.feed(stream, events)) {
    error = "malformed stream: " + reader.error();
    return {};
  }
  std::string text;
  bool completed = false;
  for (const ResponsesEvent& event : events) {
    if (event.type == "response.output_text.delta") {
      if (const auto* delta = event.data.if_contains("delta"); delta && delta->is_string())
        text.append(delta->get_string());
    } else if (event.type == "response.completed" || event.type == "response.incomplete") {
      completed = true;
      note_usage(event.data, result);
    } else if (event.type == "response.failed" || event.type == "error") {
      error = boost::json::serialize(event.data);
      return {};
    }
  }
  if (!completed) error = "the stream ended before the response completed";
  return text;
}

// Asks the summariser; empty (with `error`) when that failed.
net::awaitable<std::string> extract(ServerContext& context, const std::string& model, const PendingFetch& fetch,
                                    const FetchedPage& page, const HttpHeaders& credentials,
                                    const std::string& session_id, std::string& error, WebFetchResult& result) {
  result.extraction_model = model;
  const Settings& settings = context.settings;
  boost::json::object body =
      page_extraction_request(model, page.url, page.page.text, fetch.prompt, settings.web_fetch_summary_max_chars);
  context.provider.adapt_body(body);
  UpstreamCall call = context.provider.make_call(
      std::make_shared<const std::string>(boost::json::serialize(body)), credentials, session_id);
  call.total_timeout = settings.first_event_timeout + settings.web_fetch_timeout;
  call.max_body_bytes = kMaxExtractionStream;
  CollectedTransfer answer = co_await collect_transfer(context, std::move(call));
  if (!answer.error.empty()) {
    error = answer.error;
    co_return std::string();
  }
  if (answer.status != 200) {
    error = "HTTP " + std::to_string(answer.status) + ": " + answer.body.substr(0, 300);
    co_return std::string();
  }
  co_return answer_of(answer.body, error, result);
}

}  // namespace

net::awaitable<WebFetchResult> run_web_fetch(ServerContext& context, PendingFetch fetch, HttpHeaders credentials,
                                             std::string session_id) {
  const Settings& settings = context.settings;
  WebFetchResult result;
  result.outcome.tool_use_id = fetch.tool_use_id;
  result.outcome.url = fetch.url;

  PageFetchOptions options;
  options.timeout = settings.web_fetch_timeout;
  options.max_chars = settings.web_fetch_max_chars;
  options.allow_private = settings.web_fetch_allow_private;
  FetchedPage page = co_await fetch_page(context, fetch.url, options);
  result.outcome.retrieved_at = utc_timestamp_now();
  if (!page.url.empty()) result.outcome.url = page.url;
  if (!page.error.empty()) {
    result.outcome.error_code = page.error_code;
    result.failure = "Fetching " + fetch.url + " failed: " + page.error;
    co_return result;
  }
  result.outcome.title = page.page.title;
  result.page_chars = page.page.full_chars;

  // A page already shorter than a summary needs no extraction.
  const std::string model = settings.web_fetch_summarizer_model();
  const std::size_t limit = settings.web_fetch_summary_max_chars;
  if (!model.empty() && page.page.text.size() > limit) {
    std::string error;
    std::string answer = co_await extract(context, model, fetch, page, credentials, session_id, error, result);
    if (error.empty() && !answer.empty()) {
      result.outcome.text = first_chars(answer, limit);
      result.extracted = true;
      co_return result;
    }
    log_warn("web fetch: the extraction by ", model, " failed (", error, "); the page itself is used");
  }
  result.outcome.text = model.empty() ? std::move(page.page.text) : first_chars(page.page.text, limit);
  co_return result;
}

}  // namespace claudegpt
