// Reads one request from a client connection under the limits any local process may hit:
//
//   - the headers: at most kMaxHeaderBytes, whole within Settings::header_timeout of their
//     first byte (a fresh connection: of its accept);
//   - the access token, checked on the headers, before a byte of the body is read;
//   - the body: at most Settings::max_body_bytes, arriving at kMinBodyBytesPerSecond or faster
//     after a grace of header_timeout;
//   - every byte buffered drawn from the request memory budget, and header bytes of
//     requests that have not shown the token also from a smaller budget of their own; when
//     that one is full, the oldest unauthenticated or idle connections are shed first;
//   - `Expect: 100-continue` answered once the request may send its body.
//
// A request that breaks a limit gets its error here (the caller answers and closes).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/api_error.h"
#include "server/connection.h"

namespace claudegpt {

// Beast keeps header field offsets in 16 bits and throws past them; a whole header block
// within this many bytes can never get there.
inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr std::size_t kMinBodyBytesPerSecond = 32 * 1024;

using RequestParser = http::request_parser<http::string_body>;

struct ReadResult {
  enum class Outcome {
    request,  // `parser` holds a whole request to route
    closed,   // the client left, went quiet while idle, or was shed: nothing to answer
    refused,  // answer `error`, then close
  };
  Outcome outcome = Outcome::closed;
  std::optional<ApiError> error;
};

net::awaitable<ReadResult> read_request(Connection& c, RequestParser& parser);

// The route of a request target: the query string (?beta=true) and trailing slashes do not
// change it.
std::string_view path_of(std::string_view target);

// Whether the request may be served: it carries the access token, or it is one of the probes
// that stay open, or no token is required.
bool authorized_request(const ServerContext& context, const http::request_header<>& request);

}  // namespace claudegpt
