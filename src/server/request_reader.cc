#include "server/request_reader.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/crypto.h>

#include "support/log.h"

namespace claudegpt {
namespace {

namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

// A keep-alive connection with no request in flight is closed after this long (or shed
// sooner, when room is needed).
constexpr auto kIdleConnectionTimeout = std::chrono::minutes(10);
// Reads of a body take up to this much at once (a 49 KB request in one read; ~0.13 ms less
// per turn than 512-byte reads, by `bench/run --phases latency --concurrency 1 --sizes 49k`).
constexpr std::size_t kBodyReadSize = 64 * 1024;
// Reads that found bytes waiting, in a row, before the reader lets the thread's other
// connections run: a large body arriving as fast as it is read (31 MB from a local client)
// would otherwise hold the I/O thread for the whole upload, /health and every stream on it
// waiting (70-130 ms measured here).
constexpr int kReadsBeforeYielding = 16;
// What a client that sends too much is told to wait before trying again.
constexpr int kRetryAfterSeconds = 5;

ReadResult closed() { return {ReadResult::Outcome::closed, std::nullopt}; }
ReadResult refused(ApiError error) { return {ReadResult::Outcome::refused, std::move(error)}; }

ApiError overloaded(std::string message) { return ApiError::overloaded(std::move(message), kRetryAfterSeconds); }

std::string budget_full(const Settings& settings) {
  return "The proxy is holding as many request bytes as it may (" +
         std::to_string(settings.request_memory_bytes / (1024 * 1024)) + " MiB); try again shortly";
}

ApiError timed_out(std::string message) {
  ApiError error = ApiError::with_status(408, std::move(message));
  error.type = "timeout_error";
  return error;
}

ApiError parse_error(const beast::error_code& ec, const Settings& settings) {
  if (ec == http::error::header_limit)
    return ApiError::with_status(431, "Request header fields too large: at most " +
                                          std::to_string(kMaxHeaderBytes / 1024) + " KiB of headers");
  if (ec == http::error::body_limit)
    return ApiError::with_status(413, "Request body exceeds the maximum allowed size of " +
                                          std::to_string(settings.max_body_bytes) + " bytes");
  return ApiError::with_status(400, "Malformed HTTP request: " + ec.message());
}

// The capacity a flat_buffer will have once `n` more bytes are prepared (as Beast grows it).
std::size_t capacity_after_prepare(const beast::flat_buffer& buffer, std::size_t n) {
  const std::size_t size = buffer.size();
  if (n <= buffer.capacity() - size) return buffer.capacity();
  return std::max(2 * size, size + n);
}

bool expects_continue(const http::request_header<>& request) {
  auto expect = request.find(http::field::expect);
  return expect != request.end() && beast::iequals(expect->value(), "100-continue");
}

// The read deadline: one timer per connection, armed when the deadline moves, whose expiry
// cancels the read in flight. Unlike the stream's own expiry, which closes the socket, this
// leaves it open: the client can still be told why. (Racing each read against a timer of its
// own would take two coroutine frames and a parallel group per read.)
void arm_deadline(Connection& c, Clock::time_point deadline) {
  auto& d = c.read_deadline;
  const std::uint64_t generation = ++d.generation;
  d.expired = false;
  d.timer.expires_at(deadline);
  d.timer.async_wait([&c, alive = std::weak_ptr<void>(c.alive), generation](const beast::error_code& ec) {
    if (ec || alive.expired() || c.read_deadline.generation != generation) return;
    c.read_deadline.expired = true;
    beast::error_code ignored;
    c.stream.socket().cancel(ignored);
  });
}

// Once the request is read (or refused): the relay's own reads must not be cancelled by it.
void disarm_deadline(Connection& c) {
  ++c.read_deadline.generation;
  c.read_deadline.timer.cancel();
}

// Only the probes stay open (Claude Code's connectivity check does not send the key).
bool open_without_token(const http::request_header<>& request) {
  std::string_view path = path_of(request.target());
  http::verb method = request.method();
  return ((method == http::verb::get || method == http::verb::head) && path == "/") ||
         (method == http::verb::head && path == "/api/hello");
}

// The room the connection's budgets must grant for `bytes` held; when the unauthenticated
// headers' share is full, the oldest idle or unauthenticated connections are shed for it.
bool hold(Connection& c, std::size_t bytes, bool authenticated) {
  IoThread& thread = c.thread;  // its table and its headers' share: a shed connection lets go at once
  if (!authenticated) {
    while (!c.header_lease.resize(bytes)) {
      const bool was_shedding = thread.connections.shedding();
      if (!thread.connections.shed_oldest(Clock::now(), &c.member)) return false;
      if (!was_shedding && c.context.shedding.began())
        log_warn("unauthenticated request headers hold ", thread.unauthenticated_headers.used() / 1024,
                 " KiB, their limit: closing idle and unauthenticated connections, oldest first");
    }
  }
  return c.request_lease.resize(bytes);
}

}  // namespace

std::string_view path_of(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

bool authorized_request(const ServerContext& context, const http::request_header<>& request) {
  const std::string& token = context.settings.access_token;
  if (token.empty() || open_without_token(request)) return true;
  // Compared in constant time, so the token cannot be guessed byte by byte from timing.
  auto matches = [&token](std::string_view offered) {
    return offered.size() == token.size() && CRYPTO_memcmp(offered.data(), token.data(), token.size()) == 0;
  };
  if (auto key = request.find("x-api-key"); key != request.end() && matches(key->value())) return true;
  if (auto auth = request.find(http::field::authorization); auth != request.end()) {
    std::string_view value = auth->value();
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() > kBearer.size() && beast::iequals(value.substr(0, kBearer.size()), kBearer) &&
        matches(value.substr(kBearer.size())))
      return true;
  }
  return false;
}

namespace {

net::awaitable<ReadResult> read_request_within_deadlines(Connection& c, RequestParser& parser) {
  const Settings& settings = c.context.settings;
  parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
  parser.body_limit(settings.max_body_bytes);
  c.member.set_sheddable(true);  // until its headers show the token

  // A fresh connection's headers must be whole header_timeout after it was accepted. An idle
  // keep-alive connection may wait for its next request up to the idle timeout; from that
  // request's first byte its headers have header_timeout.
  const auto start = Clock::now();
  bool got_bytes = c.buffer.size() > 0;  // a pipelined request already read
  const bool idle_wait = c.answered_before && !got_bytes;
  Clock::time_point deadline = start + (idle_wait ? std::chrono::milliseconds(kIdleConnectionTimeout)
                                                  : settings.header_timeout);
  Clock::time_point armed{};
  bool authenticated = false;
  Clock::time_point body_start{};
  std::uint64_t body_bytes = 0;
  int immediate_reads = 0;  // in a row (kReadsBeforeYielding)

  for (;;) {
    // Parse what is buffered. Before the headers are whole, Beast consumes nothing.
    if (c.buffer.size() > 0) {
      beast::error_code ec;
      const std::size_t used = parser.put(c.buffer.data(), ec);
      c.buffer.consume(used);
      if (authenticated) body_bytes += used;
      if (ec && ec != http::error::need_more) co_return refused(parse_error(ec, settings));

      if (parser.is_header_done() && !authenticated) {
        const auto& header = parser.get();
        if (!authorized_request(c.context, header))
          co_return refused(ApiError::with_status(401, "invalid x-api-key"));
        authenticated = true;
        c.member.set_sheddable(false);
        c.header_lease.release();
        if (!parser.is_done()) {
          // A declared body is granted whole, before any of it is read.
          const std::size_t declared = static_cast<std::size_t>(parser.content_length().value_or(0));
          if (!hold(c, capacity_after_prepare(c.buffer, kBodyReadSize) + declared, true))
            co_return refused(overloaded(budget_full(settings)));
          c.buffer.reserve(kBodyReadSize);
          if (expects_continue(header)) {
            http::response<http::empty_body> go_on{http::status::continue_, 11};
            c.stream.expires_after(settings.header_timeout);
            beast::error_code write_ec;
            co_await http::async_write(c.stream, go_on, net::redirect_error(net::use_awaitable, write_ec));
            if (write_ec) co_return closed();
          }
          body_start = Clock::now();
        }
      }
      if (parser.is_done()) {
        c.stream.expires_never();
        co_return ReadResult{ReadResult::Outcome::request, std::nullopt};
      }
      if (used > 0 && c.buffer.size() > 0) continue;
    }

    // Read more, within the budgets and the deadline.
    std::size_t n;
    if (authenticated) {
      n = std::max<std::size_t>(512, std::min(kBodyReadSize, c.buffer.capacity() - c.buffer.size()));
      // A chunked body's size is learned as it comes: it must keep within the budget too.
      const std::size_t body_held = std::max<std::size_t>(parser.content_length().value_or(0),
                                                          parser.get().body().size());
      if (!hold(c, capacity_after_prepare(c.buffer, n) + body_held, true))
        co_return refused(overloaded(budget_full(settings)));
      const auto expected = parser.content_length().value_or(body_bytes);
      deadline = body_start + settings.header_timeout +
                 std::chrono::milliseconds(expected * 1000 / kMinBodyBytesPerSecond);
    } else {
      // Beast sees a header too large only once it holds more than the limit.
      n = std::min(std::max<std::size_t>(512, c.buffer.capacity() - c.buffer.size()),
                   kMaxHeaderBytes + 1024 - c.buffer.size());
      if (!hold(c, capacity_after_prepare(c.buffer, n), false))
        co_return refused(overloaded("The proxy is holding as many request headers as it may; try again shortly"));
    }
    if (deadline != armed) arm_deadline(c, armed = deadline);
    beast::error_code ec;
    // First without waiting: after a read that did not fill its buffer, Asio waits for the next
    // readiness edge, and an end of input that came with the bytes before (a client that sent
    // its request and shut its side at once; one the relay's close watcher saw as the turn
    // ended) would give none: the connection would sit until its deadline. (The socket is in
    // non-blocking mode: serve_connection sets it.)
    std::size_t read = c.stream.socket().read_some(c.buffer.prepare(n), ec);
    if (ec == net::error::would_block) {
      ec = {};
      immediate_reads = 0;
      read = co_await c.stream.socket().async_read_some(c.buffer.prepare(n), net::redirect_error(net::use_awaitable, ec));
    } else if (++immediate_reads >= kReadsBeforeYielding) {
      immediate_reads = 0;
      co_await net::post(c.stream.get_executor(), net::use_awaitable);
    }
    c.buffer.commit(read);
    if (c.member.shed()) co_return closed();
    if (c.read_deadline.expired) {
      if (!got_bytes) co_return closed();  // an idle connection: nothing was asked
      co_return refused(timed_out(authenticated ? "The request body arrived too slowly"
                                                : "The request headers did not arrive in time"));
    }
    if (ec) co_return closed();  // the client left (mid-request too: it cannot be answered)
    if (!got_bytes && read > 0) {
      got_bytes = true;
      if (idle_wait) deadline = Clock::now() + settings.header_timeout;
    }
  }
}

}  // namespace

net::awaitable<ReadResult> read_request(Connection& c, RequestParser& parser) {
  ReadResult result = co_await read_request_within_deadlines(c, parser);
  disarm_deadline(c);
  co_return result;
}

}  // namespace claudegpt
