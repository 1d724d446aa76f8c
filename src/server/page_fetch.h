// Fetches a web page for the model (the proxy-side WebFetch): the fetch policy, then a GET
// through the upstream client (redirects, compression, time and size limits), then the body
// as readable text. Every failure is a FetchedPage with an error the model can read, never an
// exception: a failed fetch is a tool result, not a broken turn. Internal to src/server/.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "server/connection.h"
#include "web/page_text.h"

namespace claudegpt {

// A host name's addresses, looked up before a fetch through a proxy (see fetch_page).
struct ResolvedHost {
  std::vector<std::string> addresses;  // every one, of every family ("93.184.215.14", "2606:…")
  std::string error;                   // it did not resolve: why, for the model
};

struct PageFetchOptions {
  std::chrono::milliseconds timeout{15'000};   // CLAUDEGPT_WEB_FETCH_TIMEOUT
  std::size_t max_chars = 50'000;             // CLAUDEGPT_WEB_FETCH_MAX_CHARS
  bool allow_private = false;                 // CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE
  int max_redirects = 10;
  // Looks a host name up. Empty: the system's resolver (getaddrinfo), off the I/O thread;
  // tests put names of their own here.
  std::function<net::awaitable<ResolvedHost>(std::string host)> resolve;
};

struct FetchedPage {
  std::string url;            // the final URL (after the https upgrade and redirects)
  int status = 0;             // the HTTP status, 0 when no response came
  std::string error;          // empty on success (2xx and readable), else for the model:
                              // "HTTP 404 Not Found", "timed out after 15 s", "refused: …"
  std::string error_code;     // Anthropic's web_fetch error code for `error`: url_not_accessible,
                              // url_not_allowed, unsupported_content_type, too_many_requests,
                              // invalid_tool_input, unavailable
  PageText page;              // when error is empty
};

// The raw body is read up to page_body_limit(max_chars) bytes (a 50 MB page is never held
// whole); a page cut there comes back with page.truncated set. Cancelling the awaiting
// coroutine aborts the fetch at once (see collect_transfer).
//
// Redirects are followed here, one transfer a hop, each hop going through the proxy curl
// would choose for it (fetch_policy.h proxy_for, from http_proxy, HTTPS_PROXY, NO_PROXY…).
// Unless private addresses are allowed: a direct hop is checked on the addresses curl
// connects to; a hop through a proxy has its host resolved first (options.resolve) and is
// refused when any address is private, before the proxy hears of it.
net::awaitable<FetchedPage> fetch_page(ServerContext& context, std::string url,
                                       const PageFetchOptions& options);

// How many raw bytes are read for a page whose text is capped at `max_chars`: 8 bytes a
// character (markup, scripts and styles often outweigh the text 5 to 10 times, and a
// character is up to 4 bytes of UTF-8), at least 2 MB (pages whose text starts late, after
// inline scripts), at most 10 MB (the memory one fetch may hold).
std::size_t page_body_limit(std::size_t max_chars);

}  // namespace claudegpt
