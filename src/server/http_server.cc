#include "server/http_server.h"

#include <array>
#include <chrono>
#include <thread>

#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/crypto.h>

#include "core/token_counter.h"
#include "server/connection.h"
#include "support/heap.h"
#include "support/log.h"
#include "support/random_id.h"

namespace claudegpt {
namespace {

using tcp = net::ip::tcp;
namespace beast = boost::beast;

// A keep-alive connection with no request in flight is closed after this long.
constexpr auto kIdleConnectionTimeout = std::chrono::minutes(10);
// A client that does not take a whole response in this long is dropped.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
// At shutdown, streams in flight get this long to send their closing error event.
constexpr auto kShutdownGrace = std::chrono::seconds(2);
// Freed memory goes back to the kernel once no request has run for this long (support/heap.h).
constexpr auto kIdleBeforeReleasingMemory = std::chrono::seconds(5);

boost::json::object health(const ServerContext& context) {
  const Settings& s = context.settings;
  return {{"status", "ok"},
          {"version", CLAUDEGPT_VERSION},
          {"provider", context.provider.name()},
          {"endpoint", context.provider.endpoint()},
          {"models", {{"opus", s.models.opus}, {"sonnet", s.models.sonnet}, {"haiku", s.models.haiku}}}};
}

net::awaitable<void> write_ok(Connection& c) {
  http::response<http::string_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = "ok";
  co_await write_response(c, response);
}

// Whether the request carries the access token (or none is required). Compared in constant
// time so the token cannot be guessed byte by byte from response times.
bool authorized(const ServerContext& context, const http::request_header<>& request) {
  const std::string& token = context.settings.access_token;
  if (token.empty()) return true;
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

// The route of a request target: the query string (?beta=true) and trailing slashes do not
// change it.
std::string_view path_of(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// Only the probes stay open (Claude Code's connectivity check does not send the key);
// /health names the backend's endpoint and models, which other local users need not see.
bool open_without_token(const http::request_header<>& request) {
  std::string_view path = path_of(request.target());
  http::verb method = request.method();
  return ((method == http::verb::get || method == http::verb::head) && path == "/") ||
         (method == http::verb::head && path == "/api/hello");
}

// Routes one request (already authorized).
net::awaitable<void> route(Connection& c, HttpRequest& request) {
  std::string_view path = path_of(request.target());
  http::verb method = request.method();
  const bool read = method == http::verb::get || method == http::verb::head;

  if (method == http::verb::post && path == "/v1/messages") co_return co_await serve_messages(c, request);
  if (method == http::verb::post && path == "/v1/messages/count_tokens")
    co_return co_await serve_count_tokens(c, request);
  if (read && (path == "/health" || path == "/healthz"))
    co_return co_await write_json(c, http::status::ok, health(c.context));
  if (read && (path == "/" || path == "/api/hello")) co_return co_await write_ok(c);
  co_await write_error(c, ApiError::with_status(404, "Not found: " + std::string(request.method_string()) +
                                                         " " + std::string(path)),
                       random_id("req_"));
}

// Closing a socket with unread input makes the kernel reset the connection, and the client
// would see that instead of our error response. So after answering a request we will not
// read (too large), stop sending and drain what the client is still sending, for a while.
net::awaitable<void> discard_input(Connection& c) {
  beast::error_code ec;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  c.stream.expires_after(std::chrono::seconds(10));
  std::array<char, 64 * 1024> scratch;
  std::size_t drained = 0;
  while (!ec && drained < 2 * c.context.settings.max_body_bytes + 1024 * 1024)
    drained += co_await c.stream.async_read_some(net::buffer(scratch), net::redirect_error(net::use_awaitable, ec));
}

net::awaitable<void> serve_connection(tcp::socket socket, ServerContext& context) {
  socket.set_option(tcp::no_delay(true));
  Connection c(beast::tcp_stream(std::move(socket)), context);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(context.settings.max_body_bytes);
    parser.header_limit(256 * 1024);
    c.stream.expires_after(kIdleConnectionTimeout);
    // Beast reads as much as the buffer has room for (at least 512 bytes): with room for 64 KB
    // a 49 KB request takes a few reads instead of a hundred (~0.13 ms less per turn, by
    // `bench/run --phases latency --concurrency 1 --sizes 49k` with and without this).
    c.buffer.reserve(64 * 1024);
    beast::error_code ec;
    // The headers first: a request without the access token is refused before its body is
    // read (other local users must not make this process hold their bodies).
    co_await http::async_read_header(c.stream, c.buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (!ec && !open_without_token(parser.get()) && !authorized(context, parser.get())) {
      c.keep_alive = false;
      c.head_request = parser.get().method() == http::verb::head;
      co_await write_error(c, ApiError::with_status(401, "invalid x-api-key"), random_id("req_"));
      co_await discard_input(c);
      break;
    }
    if (!ec) co_await http::async_read(c.stream, c.buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted)
      break;
    if (ec) {
      // The request could not be read whole: say why (too large, or not HTTP), then close.
      c.keep_alive = false;
      bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
      ApiError error = too_large
          ? ApiError::with_status(413, "Request exceeds the maximum allowed size of " +
                                           std::to_string(context.settings.max_body_bytes) + " bytes")
          : ApiError::with_status(400, "Malformed HTTP request: " + ec.message());
      co_await write_error(c, error, random_id("req_"));
      co_await discard_input(c);
      break;
    }
    c.stream.expires_never();  // endpoints bound their own waits (streams can run for minutes)
    HttpRequest request = parser.release();
    // The room is not kept while the turn streams (for minutes, a thousand of them at once).
    c.buffer.shrink_to_fit();
    c.keep_alive = request.keep_alive() && !context.stopping;
    c.head_request = request.method() == http::verb::head;
    auto started = std::chrono::steady_clock::now();
    co_await route(c, request);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log_info(request.method_string(), " ", request.target(), " ", elapsed.count(), "ms");
    ++context.requests_served;
    if (!c.keep_alive) break;
  }
  beast::error_code ignored;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

net::awaitable<void> write_response(Connection& c, http::response<http::string_body>& response) {
  response.keep_alive(c.keep_alive);
  response.prepare_payload();
  if (c.head_request) response.body().clear();  // the headers still say how long it would be
  c.stream.expires_after(kWriteTimeout);
  co_await http::async_write(c.stream, response, net::use_awaitable);
}

net::awaitable<void> write_json(Connection& c, http::status status, const boost::json::object& body,
                                const std::string& request_id) {
  http::response<http::string_body> response{status, 11};
  response.set(http::field::content_type, "application/json");
  if (!request_id.empty()) response.set("request-id", request_id);
  response.body() = boost::json::serialize(body);
  co_await write_response(c, response);
}

net::awaitable<void> write_error(Connection& c, const ApiError& error, const std::string& request_id) {
  http::response<http::string_body> response{static_cast<http::status>(error.status), 11};
  response.set(http::field::content_type, "application/json");
  response.set("request-id", request_id);
  if (error.retry_after_seconds) response.set(http::field::retry_after, std::to_string(*error.retry_after_seconds));
  response.body() = boost::json::serialize(error.to_json(request_id));
  co_await write_response(c, response);
}

struct HttpServer::Impl {
  // Declared first so it outlives the I/O context: destroying the context destroys the
  // suspended connection coroutines, whose guards still cancel their upstream transfers.
  ServerContext context;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::signal_set signals{io};  // SIGINT/SIGTERM, added by run() only

  explicit Impl(Settings settings) : context(std::move(settings)) { keep_freed_memory(); }

  // Every Claude Code turn counts what the tool filters saved, with the o200k vocabulary
  // (~40 ms and ~11 MB to build): built in the background before the first turn needs it, but
  // not at once, so that the launcher's start (spawning claude) does not share the cores with
  // it. Claude Code takes about half a second before its first request.
  net::awaitable<void> build_vocabulary_soon() {
    net::steady_timer pause(io, std::chrono::milliseconds(100));
    beast::error_code ec;
    co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (!ec && !context.stopping) net::post(context.blocking, [] { TokenCounter::o200k(); });
  }

  // No upstream callback may reach the I/O context while it is being destroyed, and no
  // credential fetch may finish into it: both end first (their completions queue on the
  // stopped context and are destroyed with it, while `context` is still whole).
  ~Impl() {
    context.upstream.shutdown();
    context.blocking.join();
  }

  // Stops accepting, ends every stream in flight with an error event (the client retries
  // elsewhere or later; nothing is cut mid-frame), then stops the I/O context.
  net::awaitable<void> shut_down() {
    beast::error_code ignored;
    acceptor.close(ignored);
    signals.cancel(ignored);
    context.stopping = true;
    for (Waker* waker : context.streams) waker->timer.cancel();
    net::steady_timer tick(io);
    for (auto waited = std::chrono::milliseconds(0); !context.streams.empty() && waited < kShutdownGrace;
         waited += std::chrono::milliseconds(10)) {
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
    io.stop();
  }

  // What a burst of turns freed is returned once no request has run for a while.
  net::awaitable<void> release_memory_when_idle() {
    net::steady_timer tick(io);
    std::uint64_t served = context.requests_served;
    auto last_busy = std::chrono::steady_clock::now();
    bool released = true;  // (nothing to give back yet)
    for (;;) {
      tick.expires_after(std::chrono::seconds(1));
      beast::error_code ec;
      co_await tick.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (ec || context.stopping) co_return;
      const auto now = std::chrono::steady_clock::now();
      if (context.requests_served != served || !context.streams.empty()) {
        served = context.requests_served;
        last_busy = now;
        released = false;
      } else if (!released && now - last_busy >= kIdleBeforeReleasingMemory) {
        release_freed_memory();
        released = true;
      }
    }
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted) co_return;
      if (ec) {
        // Out of file descriptors (or another passing failure): the pending connection stays
        // queued, so wait a little rather than spin on it.
        log_warn("accept failed: ", ec.message());
        net::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      net::co_spawn(io, serve_connection(std::move(socket), context), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const boost::system::system_error& error) {
          // The client went away mid-write: nothing to answer.
        } catch (const std::exception& error) {
          log_warn("connection ended by an internal error: ", error.what());
        }
      });
    }
  }
};

HttpServer::HttpServer(Settings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}
HttpServer::~HttpServer() = default;

unsigned short HttpServer::listen(const std::string& host, unsigned short port) {
  // Each stream holds two sockets (the client's, the upstream's): Debian's default soft limit
  // of 1,024 open files would stop the proxy near 500 streams, far below the hard limit.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // A name ("localhost") resolves to its first address.
  tcp::resolver resolver(impl_->io);
  tcp::endpoint endpoint = resolver.resolve(host, std::to_string(port)).begin()->endpoint();
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::run() {
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->signals.async_wait([this](const beast::error_code& ec, int signal) {
    if (ec) return;
    log_info("signal ", signal, ": stopping");
    stop();
  });
  run_until_stopped();
}

void HttpServer::run_until_stopped() {
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  net::co_spawn(impl_->io, impl_->release_memory_when_idle(), net::detached);
  net::co_spawn(impl_->io, impl_->build_vocabulary_soon(), net::detached);
  impl_->io.run();
}

void HttpServer::stop() {
  net::post(impl_->io, [this] { net::co_spawn(impl_->io, impl_->shut_down(), net::detached); });
}

}  // namespace claudegpt
