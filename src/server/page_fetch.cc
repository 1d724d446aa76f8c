#include "server/page_fetch.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/system/system_error.hpp>

#include "upstream/collected_transfer.h"
#include "web/fetch_policy.h"

namespace claudegpt {
namespace {

using Clock = std::chrono::steady_clock;

// A browser-like request, so sites answer with the page a reader would see, naming itself
// honestly so a site can tell (and refuse) the proxy.
const char kUserAgent[] = "Mozilla/5.0 (compatible; claudegpt/" CLAUDEGPT_VERSION ")";
const char kAccept[] =
    "text/html,application/xhtml+xml,text/markdown;q=0.9,text/plain;q=0.9,application/json;q=0.8,"
    "application/xml;q=0.8,*/*;q=0.5";

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

// getaddrinfo blocks, for seconds when a DNS server does not answer: it runs on asio's
// resolver thread, neither on the I/O thread nor on `blocking` (whose one thread also fetches
// credentials for turns). Gives up at `deadline` (nullopt), leaving the lookup to end unseen.
net::awaitable<std::optional<ResolvedHost>> system_resolve(std::string host, Clock::time_point deadline) {
  struct Lookup {
    net::ip::tcp::resolver resolver;
    net::steady_timer timer;
    std::optional<ResolvedHost> result;
    explicit Lookup(const net::any_io_executor& executor) : resolver(executor), timer(executor) {}
  };
  auto lookup = std::make_shared<Lookup>(co_await net::this_coro::executor);
  // No flags: every address of every family, also those this host has no route for.
  lookup->resolver.async_resolve(
      host, "", net::ip::resolver_base::flags{},
      [lookup, host](const boost::system::error_code& ec, const net::ip::tcp::resolver::results_type& results) {
        ResolvedHost resolved;
        if (ec) resolved.error = "Could not resolve host: " + host;
        for (const auto& entry : results) resolved.addresses.push_back(entry.endpoint().address().to_string());
        lookup->result = std::move(resolved);
        lookup->timer.cancel();
      });
  if (!lookup->result) {  // the I/O context has one thread: the handler cannot run before the wait
    lookup->timer.expires_at(deadline);
    boost::system::error_code ec;
    co_await lookup->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  if (!lookup->result) lookup->resolver.cancel();
  auto state = co_await net::this_coro::cancellation_state;
  if (state.cancelled() != net::cancellation_type::none)
    throw boost::system::system_error(net::error::operation_aborted);
  co_return std::move(lookup->result);
}

// A hop through a proxy: what curl connects to is the proxy, the user's choice (often on
// loopback), so the check on connections (UpstreamCall::refuse_private_addresses) would judge
// the proxy and never the target, whose name the proxy resolves. The name is resolved here
// instead and refused when any of its addresses is private. The failure to return, if any.
//
// Residual risk: the proxy resolves the name again, itself, and may get another answer (its
// own DNS view of an internal zone, or a name rebinding between the two lookups). Only the
// proxy can close that; a direct hop has no such gap (the address connected to is judged).
net::awaitable<std::optional<FetchedPage>> check_before_proxy(const std::string& at, Clock::time_point deadline,
                                                              const PageFetchOptions& options) {
  std::string host = url_host(at).host;
  ResolvedHost resolved;
  if (is_ip_literal(host)) {
    resolved.addresses = {host};
  } else if (options.resolve) {
    resolved = co_await options.resolve(host);
  } else if (auto found = co_await system_resolve(host, deadline)) {
    resolved = std::move(*found);
  } else {
    co_return failed(at, 0, "timed out after " + seconds(options.timeout), "url_not_accessible");
  }
  if (resolved.error.empty() && resolved.addresses.empty()) resolved.error = "Could not resolve host: " + host;
  if (!resolved.error.empty())  // unchecked, so not fetched: the proxy might know it as internal
    co_return failed(at, 0,
                     resolved.error + " (looked up here to check its addresses before a fetch through the proxy)",
                     "url_not_accessible");
  std::string address = first_private_address(resolved.addresses);
  if (!address.empty())
    co_return failed(at, 0, "refused: " + address + " is a private address", "url_not_allowed");
  co_return std::nullopt;
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

  const Clock::time_point deadline = Clock::now() + options.timeout;
  auto timed_out = [&](std::string at, int status) {
    return failed(std::move(at), status, "timed out after " + seconds(options.timeout), "url_not_accessible");
  };
  std::string at = std::move(target.url);  // this hop's URL
  CollectedTransfer got;
  for (int redirects = 0;; ++redirects) {
    // Named here rather than left to curl, so that it is known whether the hop goes direct.
    std::string proxy = proxy_for(at, [](const char* name) { return std::getenv(name); });
    if (!proxy.empty() && !options.allow_private) {
      std::optional<FetchedPage> refused = co_await check_before_proxy(at, deadline, options);
      if (refused) co_return std::move(*refused);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) co_return timed_out(std::move(at), 0);

    UpstreamCall call;
    call.url = at;
    call.headers = {{"User-Agent", kUserAgent},
                    {"Accept", kAccept},
                    {"Accept-Language", "en-US,en;q=0.9,*;q=0.5"}};
    call.connect_timeout = std::min(left, context.settings.connect_timeout);
    call.total_timeout = left;
    call.max_body_bytes = page_body_limit(options.max_chars);
    call.decompress = true;
    call.proxy = std::move(proxy);
    call.refuse_private_addresses = !options.allow_private;
    call.ca_bundle = context.settings.ca_bundle;
    got = co_await collect_transfer(std::move(call));

    if (!got.error.empty() || got.redirect_url.empty() || options.max_redirects <= 0) break;
    if (redirects == options.max_redirects)
      co_return failed(std::move(at), got.status,
                       "too many redirects (more than " + std::to_string(options.max_redirects) + ")",
                       "url_not_accessible");
    std::string scheme = url_host(got.redirect_url).scheme;
    if (scheme != "http" && scheme != "https")
      co_return failed(std::move(at), got.status,
                       "redirected to " + got.redirect_url + ", which is not an http or https URL",
                       "url_not_accessible");
    at = std::move(got.redirect_url);
  }

  std::string final_url = got.effective_url.empty() ? std::move(at) : std::move(got.effective_url);
  if (got.refused) co_return failed(std::move(final_url), 0, std::move(got.error), "url_not_allowed");
  if (got.timed_out) co_return timed_out(std::move(final_url), got.status);
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
