#include "server/http_server.h"

#include <array>
#include <chrono>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
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
#include "core/token_counter.h"
#include "server/connection.h"
#include "server/request_reader.h"
#include "support/heap.h"
#include "support/log.h"
#include "support/random_id.h"
#include "upstream/upstream_client.h"

namespace claudegpt {
namespace {

using tcp = net::ip::tcp;
namespace beast = boost::beast;

// A client that does not take a whole response in this long is dropped.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
// A shedding episode is over once no connection has been shed for this long.
constexpr auto kQuietAfterShedding = std::chrono::seconds(5);
// At shutdown, streams in flight get this long to send their closing error event.
constexpr auto kShutdownGrace = std::chrono::seconds(2);
// Freed memory goes back to the kernel once no request has begun or ended for this long
// (support/heap.h).
constexpr auto kIdleBeforeReleasingMemory = std::chrono::seconds(5);
// Streams open at once that make a burst, whose freed memory goes back while they go on.
constexpr std::size_t kBurstStreams = 64;

boost::json::object health(const ServerContext& context) {
  const Settings& s = context.settings;
  return {{"status", "ok"},
          {"version", CLAUDEGPT_VERSION},
          {"provider", context.provider.name()},
          {"endpoint", context.provider.endpoint()},
          {"models",
           {{"opus", s.models.opus}, {"sonnet", s.models.sonnet}, {"haiku", s.models.haiku}, {"fable", s.models.fable}}}};
}

net::awaitable<void> write_ok(Connection& c) {
  http::response<http::string_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = "ok";
  co_await write_response(c, response);
}

// A request target as the log shows it: a hostile one can be 64 KB of anything.
std::string loggable(std::string_view target) {
  constexpr std::size_t kMax = 200;
  std::string shown;
  for (char ch : target.substr(0, kMax)) shown += (ch < 0x20 || ch == 0x7f) ? '?' : ch;
  if (target.size() > kMax) shown += "… (" + std::to_string(target.size()) + " bytes)";
  return shown;
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
                                                         " " + loggable(path)),
                       random_id("req_"));
}

// Closing a socket with unread input makes the kernel reset the connection, and the client
// would see that instead of our error response. So after answering a request we will not
// read (too large), stop sending and drain what the client is still sending, for a while.
net::awaitable<void> discard_input(Connection& c) {
  beast::error_code ec;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  c.stream.expires_after(std::chrono::seconds(10));
  // One buffer for every connection draining on this thread: what lands in it is thrown away,
  // and a coroutine frame holding 64 KB each would let refused clients pin memory.
  thread_local std::array<char, 64 * 1024> scratch;
  std::size_t drained = 0;
  while (!ec && drained < 2 * c.context.settings.max_body_bytes + 1024 * 1024)
    drained += co_await c.stream.async_read_some(net::buffer(scratch), net::redirect_error(net::use_awaitable, ec));
}

net::awaitable<void> serve_connection(tcp::socket socket, ServerContext& context, IoThread& thread) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  socket.non_blocking(true, ignored);  // read_request tries each read before waiting for it
  Connection c(beast::tcp_stream(std::move(socket)), context, thread);
  for (;;) {
    // Declared in the loop: a refused request's parsed headers go before its input is drained.
    ReadResult read;
    std::optional<HttpRequest> request;
    {
      RequestParser parser;
      read = co_await read_request(c, parser);
      if (read.outcome == ReadResult::Outcome::request) {
        request.emplace(parser.release());
      } else if (read.outcome == ReadResult::Outcome::refused) {
        c.keep_alive = false;
        c.head_request = parser.is_header_done() && parser.get().method() == http::verb::head;
      }
    }
    // What the request held of the budgets goes back once it is answered or handed on.
    c.header_lease.release();
    if (read.outcome == ReadResult::Outcome::closed) break;
    if (read.outcome == ReadResult::Outcome::refused) {
      c.request_lease.release();
      c.buffer.clear();
      c.buffer.shrink_to_fit();
      c.member.set_sheddable(true);  // nothing of value is left on it
      co_await write_error(c, *read.error, random_id("req_"));
      co_await discard_input(c);
      break;
    }
    // The room is not kept while the turn streams (for minutes, a thousand of them at once).
    c.buffer.shrink_to_fit();
    c.keep_alive = request->keep_alive() && !context.stopping;
    c.head_request = request->method() == http::verb::head;
    auto started = std::chrono::steady_clock::now();
    ++context.requests_started;
    co_await route(c, *request);
    c.request_lease.release();
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log_info(request->method_string(), " ", loggable(request->target()), " ", elapsed.count(), "ms");
    ++context.requests_served;
    c.answered_before = true;
    if (!c.keep_alive) break;
  }
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Room for the upstream connection of every client connection, and for the ledger, traces,
// log, listener, resolver and curl's own descriptors.
std::size_t connection_cap(const Settings& settings) {
  constexpr rlim_t kReservedFiles = 64;
  // Each stream holds two sockets (the client's, the upstream's): Debian's default soft limit
  // of 1,024 open files would stop the proxy near 500 streams, far below the hard limit.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) files.rlim_cur = 1024;
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) getrlimit(RLIMIT_NOFILE, &files);
  }
  const rlim_t usable = files.rlim_cur == RLIM_INFINITY ? rlim_t{1} << 20 : files.rlim_cur;
  std::size_t cap = usable > 2 * kReservedFiles ? static_cast<std::size_t>((usable - kReservedFiles) / 2) : 16;
  if (settings.max_connections) cap = std::min(cap, settings.max_connections);
  return cap;
}

// A connection refused for want of room hears why, if it listens at once; it is not waited on.
void refuse_for_room(tcp::socket& socket) {
  static const std::string kAnswer = [] {
    const ApiError error = ApiError::overloaded("The proxy is at its connection limit; try again shortly", 1);
    std::string body = boost::json::serialize(error.to_json({}));
    return "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: " +
           std::to_string(*error.retry_after_seconds) + "\r\n"
           "connection: close\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(net::buffer(kAnswer), ignored);
  socket.close(ignored);
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
  if (error.no_retry) response.set("x-should-retry", "false");
  response.body() = boost::json::serialize(error.to_json(request_id));
  co_await write_response(c, response);
}

ServerContext::ServerContext(Settings s)
    : settings(std::move(s)),
      provider(settings),
      refusals(settings.refusals_file),
      counting_threads(std::clamp<unsigned>(std::thread::hardware_concurrency(), 2, 5) - 1),
      counting(counting_threads),
      request_memory(settings.request_memory_bytes),
      recorder(std::make_unique<TurnRecorder>(settings)) {
  for (const StoredRefusal& kept : refusals.load())
    if (kept.provider == provider.name() && kept.endpoint == provider.endpoint())
      provider.remember(kept.model, kept.refusal);
}

Connection::Connection(beast::tcp_stream s, ServerContext& c, IoThread& t)
    : stream(std::move(s)),
      context(c),
      thread(t),
      request_lease(c.request_memory),
      header_lease(t.unauthenticated_headers),
      member(t.connections, [this] {
        // Shed to make room: what it holds is given back now, its coroutine ends on its own.
        beast::error_code ignored;
        stream.socket().close(ignored);
        request_lease.release();
        header_lease.release();
      }),
      read_deadline{net::steady_timer(stream.get_executor())} {
  ++context.connections;
}

Connection::~Connection() { --context.connections; }

// The number of I/O threads: CLAUDEGPT_THREADS, else one per core.
std::size_t io_thread_count(const Settings& settings) {
  if (settings.threads) return settings.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

struct HttpServer::Impl {
  // Declared first so it outlives the I/O threads: destroying their contexts destroys the
  // suspended connection coroutines, which still use it on their way out.
  ServerContext context;
  const std::size_t connection_cap;  // all threads together
  std::vector<std::unique_ptr<IoThread>> threads;
  IoThread& first;  // the acceptor's, the timers', and the caller's of run()
  tcp::acceptor acceptor{first.io};
  net::signal_set signals{first.io};  // SIGINT/SIGTERM, added by run() only
  std::size_t dealt = 0;  // connections handed to threads, round-robin

  explicit Impl(Settings settings)
      : context(std::move(settings)),
        connection_cap(claudegpt::connection_cap(context.settings)),
        threads(make_threads(context.settings, connection_cap)),
        first(*threads.front()) {
    keep_freed_memory();
    // Each thread's upstream client is made here, on the thread that starts the server: the
    // first sets curl and OpenSSL up, which must not happen on an I/O thread (LeakSanitizer saw
    // OpenSSL's state from there outlive it).
    for (auto& thread : threads) UpstreamClient::of(thread->io.get_executor());
  }

  // Each thread its share of the connection cap and of the unauthenticated headers' memory
  // (small: headers from anyone who can connect, before they show the token).
  static std::vector<std::unique_ptr<IoThread>> make_threads(const Settings& settings, std::size_t cap) {
    const std::size_t count = io_thread_count(settings);
    const std::size_t header_bytes = std::min<std::size_t>(settings.request_memory_bytes / 16, 16 * 1024 * 1024);
    std::vector<std::unique_ptr<IoThread>> threads;
    for (std::size_t i = 0; i < count; ++i)
      threads.push_back(std::make_unique<IoThread>(cap / count + (i < cap % count ? 1 : 0), header_bytes / count));
    return threads;
  }

  // Every Claude Code turn counts what the tool filters saved, with the o200k vocabulary
  // (~40 ms and ~11 MB to build): built in the background before the first turn needs it, but
  // not at once, so that the launcher's start (spawning claude) does not share the cores with
  // it. Claude Code takes about half a second before its first request.
  net::awaitable<void> build_vocabulary_soon() {
    net::steady_timer pause(first.io, std::chrono::milliseconds(100));
    beast::error_code ec;
    co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (!ec && !context.stopping) net::post(context.blocking, [] { TokenCounter::o200k(); });
  }

  // No credential fetch may finish into an I/O context while it is being destroyed: they end
  // first (their completions queue on the stopped context and are destroyed with it, while
  // `context` is still whole).
  ~Impl() {
    context.blocking.join();
    context.counting.join();
  }

  // Stops accepting, ends every stream in flight with an error event (the client retries
  // elsewhere or later; nothing is cut mid-frame), then stops the I/O threads.
  net::awaitable<void> shut_down() {
    beast::error_code ignored;
    acceptor.close(ignored);
    signals.cancel(ignored);
    context.stopping = true;
    for (auto& thread : threads)
      net::post(thread->io, [&thread = *thread] {
        for (Waker* waker : thread.streams) waker->wake();
      });
    net::steady_timer tick(first.io);
    for (auto waited = std::chrono::milliseconds(0); context.streams > 0 && waited < kShutdownGrace;
         waited += std::chrono::milliseconds(10)) {
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
    for (auto& thread : threads) thread->io.stop();
  }

  // What a burst of requests freed is returned once no request has begun or ended for a
  // while, even while the burst's streams go on: a thousand streams opened at once leave the
  // memory their bodies were read, parsed and translated in, which those streams no longer
  // need. (malloc_trim then holds the allocator for a few ms, once per quiet spell.) A few
  // long streams are an ordinary session, not a burst: then it waits for them to end, or
  // their next turns would pay for fresh pages (support/heap.h).
  net::awaitable<void> release_memory_when_idle() {
    net::steady_timer tick(first.io);
    std::uint64_t started = context.requests_started, served = context.requests_served;
    auto last_busy = std::chrono::steady_clock::now();
    bool released = true;  // (nothing to give back yet)
    for (;;) {
      tick.expires_after(std::chrono::seconds(1));
      beast::error_code ec;
      co_await tick.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (ec || context.stopping) co_return;
      const auto now = std::chrono::steady_clock::now();
      if (context.requests_started != started || context.requests_served != served) {
        started = context.requests_started;
        served = context.requests_served;
        last_busy = now;
        released = false;
      } else if (!released && now - last_busy >= kIdleBeforeReleasingMemory &&
                 (context.streams == 0 || context.streams >= kBurstStreams)) {
        release_freed_memory();
        released = true;
      }
    }
  }

  // One line when a shedding episode ends (the first connection shed logged its start), on
  // each thread for its own table.
  net::awaitable<void> report_shedding(IoThread& thread) {
    net::steady_timer tick(thread.io);
    for (;;) {
      tick.expires_after(std::chrono::seconds(1));
      beast::error_code ec;
      co_await tick.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (ec || context.stopping) co_return;
      ConnectionTable::Episode part;
      if (!thread.connections.end_quiet_episode(std::chrono::steady_clock::now(), kQuietAfterShedding, part))
        continue;
      if (auto whole = context.shedding.ended(part))
        log_info("connection shedding over: ", whole->shed, " shed and ", whole->refused, " refused in ",
                 std::chrono::duration_cast<std::chrono::seconds>(whole->length).count(), " s; ",
                 context.connections.load(), " connections open");
    }
  }

  // Runs on `thread`: a new connection is served there if its share of the cap has room.
  void take(IoThread& thread, tcp::socket socket) {
    const auto now = std::chrono::steady_clock::now();
    ConnectionTable& table = thread.connections;
    const bool was_shedding = table.shedding();
    const bool room = table.make_room(now);
    if (!room) table.note_refused(now);
    if (!was_shedding && table.shedding() && context.shedding.began())
      log_warn("at the connection limit (", connection_cap,
               "): closing idle and unauthenticated connections, oldest first",
               room ? "" : "; none left to close, so new connections are refused");
    if (!room) {
      refuse_for_room(socket);
      return;
    }
    net::co_spawn(thread.io, serve_connection(std::move(socket), context, thread), [](std::exception_ptr e) {
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

  // Deals the connections out to the I/O threads in turn; each lives on its thread for good.
  net::awaitable<void> accept_loop() {
    std::string last_failure;
    for (;;) {
      IoThread& thread = *threads[dealt++ % threads.size()];
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(thread.io, net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted) co_return;
      if (ec) {
        // Out of file descriptors all the same (something else holds them): the pending
        // connection stays queued, so wait a little rather than spin on it, and say so once.
        if (ec.message() != last_failure) log_warn("accept failed: ", ec.message());
        last_failure = ec.message();
        net::steady_timer pause(first.io, std::chrono::milliseconds(50));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      last_failure.clear();
      net::dispatch(thread.io, [this, &thread, socket = std::move(socket)]() mutable { take(thread, std::move(socket)); });
    }
  }

  // The last resort: an exception that escapes a handler (outside any connection's
  // coroutine) ends that handler's work, never the process or the launcher's proxy thread.
  static void run_thread(net::io_context& io) {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& error) {
        log_warn("internal error, the server goes on: ", error.what());
      } catch (...) {
        log_warn("internal error (not a std::exception), the server goes on");
      }
    }
  }
};

HttpServer::HttpServer(Settings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}
HttpServer::~HttpServer() = default;

unsigned short HttpServer::listen(const std::string& host, unsigned short port) {
  // A name ("localhost") resolves to its first address.
  tcp::resolver resolver(impl_->first.io);
  tcp::endpoint endpoint = resolver.resolve(host, std::to_string(port)).begin()->endpoint();
  // Judged on the address itself: a name may resolve to 0.0.0.0.
  if (!endpoint.address().is_loopback() && impl_->context.settings.access_token.empty())
    throw std::runtime_error("serving on " + host + " (" + endpoint.address().to_string() +
                             ") would let anyone who reaches it spend your quota; set CLAUDEGPT_PROXY_KEY "
                             "(clients send it as x-api-key), or keep the default 127.0.0.1");
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
  Impl& d = *impl_;
  net::co_spawn(d.first.io, d.accept_loop(), net::detached);
  net::co_spawn(d.first.io, d.release_memory_when_idle(), net::detached);
  net::co_spawn(d.first.io, d.build_vocabulary_soon(), net::detached);
  std::vector<std::thread> others;
  for (auto& thread : d.threads) {
    net::co_spawn(thread->io, d.report_shedding(*thread), net::detached);
    if (thread.get() == &d.first) continue;  // the caller's (the process's name stays)
    // The others wait for connections until shut_down stops them. Named, for top -H and ps -L.
    const std::string name = "claudegpt-io" + std::to_string(others.size() + 2);
    others.emplace_back([&io = thread->io, name] {
      pthread_setname_np(pthread_self(), name.c_str());
      auto busy = net::make_work_guard(io);
      Impl::run_thread(io);
    });
  }
  Impl::run_thread(d.first.io);
  for (auto& thread : d.threads) thread->io.stop();  // (the first returned: they all go)
  for (std::thread& other : others) other.join();
}

void HttpServer::post(std::function<void()> job) { net::post(impl_->first.io, std::move(job)); }

void HttpServer::stop() {
  net::post(impl_->first.io, [this] { net::co_spawn(impl_->first.io, impl_->shut_down(), net::detached); });
}

}  // namespace claudegpt
