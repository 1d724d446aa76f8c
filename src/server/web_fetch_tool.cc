#include "server/web_fetch_tool.h"

#include <boost/json/serialize.hpp>

#include "core/responses_answer.h"
#include "core/web_fetch_requests.h"
#include "upstream/collected_transfer.h"
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
  CollectedTransfer answer = co_await collect_transfer(std::move(call));
  if (!answer.error.empty()) {
    error = answer.error;
    co_return std::string();
  }
  if (answer.status != 200) {
    error = "HTTP " + std::to_string(answer.status) + ": " + answer.body.substr(0, 300);
    co_return std::string();
  }
  ResponsesAnswer read = read_responses_answer(answer.body);
  result.extraction_input_tokens += read.input_tokens;
  result.extraction_cached_tokens += read.cached_tokens;
  result.extraction_output_tokens += read.output_tokens;
  result.extraction_reasoning_tokens += read.reasoning_tokens;
  error = std::move(read.error);
  co_return std::move(read.text);
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
