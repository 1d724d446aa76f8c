// One outbound HTTP request as the upstream client runs it: where, what, and the limits it
// runs under. Plain data (no Asio, no curl), so that provider.h can build one cheaply.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace claudegpt {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name`, as spelled in `headers` (the client's are lower-case); ""
// when there is none.
inline std::string_view header_value(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return {};
}

struct UpstreamCall {
  std::string url;
  HttpHeaders headers;     // may hold secrets: never logged
  std::shared_ptr<const std::string> body;  // shared with the caller: one copy in memory
  std::chrono::milliseconds connect_timeout{15'000};
  std::string ca_bundle;   // CA file to verify the upstream with; empty: the system store

  // For fetching web pages (a GET when `body` is null). The upstream API needs none of these.
  // A GET speaks only http and https, also on redirects.
  int max_redirects = 0;                        // redirects followed (0: none); more end the
                                                // transfer with "too many redirects (…)"
  std::chrono::milliseconds total_timeout{0};   // the whole transfer, 0: no limit
  std::size_t max_body_bytes = 0;               // stop reading after this many (0: no limit);
                                                // the transfer then ends normally, truncated
  bool decompress = false;                      // ask for and undo gzip, br, zstd, deflate
                                                // (a POST always asks)
  // The proxy to go through. Unset: curl's own choice from the environment (https_proxy,
  // no_proxy…), as for the upstream API; "": none; else its URL, whatever no_proxy says.
  std::optional<std::string> proxy;
  // See web/fetch_policy.h: a connection to a private address is refused, checked on every
  // connection made or reused, on every redirect. Only direct connections are judged: through
  // `proxy` the one connection is to the proxy, the user's choice, and the caller checks the
  // target before (fetch_page). With `proxy` unset the transfer goes direct, so that what is
  // judged is always the target.
  bool refuse_private_addresses = false;
};

}  // namespace claudegpt
