#include "server/page_fetch.h"

#include <algorithm>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/status.hpp>

#include "server/collected_transfer.h"
#include "web/fetch_policy.h"

namespace claudegpt {
namespace {

// A browser-like request, so sites answer with the page a reader would see, naming itself
// honestly so a site can tell (and refuse) the proxy.
const char kUserAgent[] = "Mozilla/5.0 (compatible; claudegpt/" CLAUDEGPT_VERSION ")";
const char kAccept[] =
    "text/html,application/xhtml+xml,text/markdown;q=0.9,text/plain;q=0.9,application/json;q=0.8,"
    "application/xml;q=0.8,*/*;q=0.5";

std::string_view header_value(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

// "15 s", "1.5 s": how long the fetch was allowed, as the model reads it.
std::string seconds(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
  return text;
}

std::string http_error(int status) {
  namespace http = boost::beast::http;
  std::string text = "HTTP " + std::to_string(status);
  std::string_view reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  if (!reason.empty() && reason.front() != '<') text.append(" ").append(reason);  // "<unknown-status>"
  return text;
}

FetchedPage failed(std::string url, int status, std::string error, std::string error_code) {
  FetchedPage page;
  page.url = std::move(url);
  page.status = status;
  page.error = std::move(error);
  page.error_code = std::move(error_code);
  return page;
}

}  // namespace

std::size_t page_body_limit(std::size_t max_chars) {
  constexpr std::size_t kFloor = 2 * 1024 * 1024, kCeiling = 10 * 1024 * 1024;
  std::size_t scaled = max_chars > kCeiling / 8 ? kCeiling : max_chars * 8;
  return std::clamp(scaled, kFloor, kCeiling);
}

net::awaitable<FetchedPage> fetch_page(ServerContext& context, std::string url,
                                       const PageFetchOptions& options) {
  FetchTarget target = fetch_target(url, options.allow_private);
  if (!target.error.empty())
    co_return failed(std::move(url), 0, std::move(target.error),
                     target.malformed ? "invalid_tool_input" : "url_not_allowed");

  UpstreamCall call;
  call.url = target.url;
  call.headers = {{"User-Agent", kUserAgent},
                  {"Accept", kAccept},
                  {"Accept-Language", "en-US,en;q=0.9,*;q=0.5"}};
  call.connect_timeout = std::min(options.timeout, context.settings.connect_timeout);
  call.total_timeout = options.timeout;
  call.max_redirects = options.max_redirects;
  call.max_body_bytes = page_body_limit(options.max_chars);
  call.decompress = true;
  call.refuse_private_addresses = !options.allow_private;
  call.ca_bundle = context.settings.ca_bundle;
  CollectedTransfer got = co_await collect_transfer(context, std::move(call));

  std::string final_url = got.effective_url.empty() ? target.url : std::move(got.effective_url);
  if (got.refused) co_return failed(std::move(final_url), 0, std::move(got.error), "url_not_allowed");
  if (got.timed_out)
    co_return failed(std::move(final_url), got.status, "timed out after " + seconds(options.timeout),
                     "url_not_accessible");
  if (!got.error.empty())
    co_return failed(std::move(final_url), got.status, std::move(got.error), "url_not_accessible");
  if (got.status < 200 || got.status > 299)
    co_return failed(std::move(final_url), got.status, http_error(got.status),
                     got.status == 429 ? "too_many_requests" : "url_not_accessible");

  FetchedPage out;
  out.url = std::move(final_url);
  out.status = got.status;
  // Converting a page (up to 10 MB of HTML) takes milliseconds: not on the I/O thread, where
  // every other stream waits.
  out.page = co_await net::co_spawn(
      context.blocking,
      [&]() -> net::awaitable<PageText> {
        co_return page_text(got.body, header_value(got.headers, "content-type"), out.url, options.max_chars);
      },
      net::use_awaitable);
  if (!out.page.readable) {
    out.error = out.page.reason.empty() ? "unsupported content type" : out.page.reason;
    out.error_code = "unsupported_content_type";
    co_return out;
  }
  // The text is from the first page_body_limit bytes only: not the whole page.
  if (got.truncated) out.page.truncated = true;
  co_return out;
}

}  // namespace claudegpt
