// What the server's translation units share: the per-process context and one client
// connection, with the helpers every endpoint uses to answer. Internal to src/server/ (it
// pulls in Beast; keep it out of everything else).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>

#include "config/settings.h"
#include "core/api_error.h"
#include "server/connection_table.h"
#include "server/memory_budget.h"
#include "server/turn_recorder.h"
#include "server/waker.h"
#include "upstream/provider.h"
#include "upstream/refusal_store.h"
#include "upstream/upstream_call.h"

namespace claudegpt {

namespace net = boost::asio;
namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;

// What the I/O threads share: read-only after the start, or thread-safe (the pools, the
// request budget, the provider, the recorder), or atomic.
struct ServerContext {
  Settings settings;
  Provider provider;
  RefusalStore refusals;                 // what the upstream refused, across runs
  net::thread_pool blocking{1};          // for the rare blocking work (refreshing a token)
  // Counting a count_tokens body takes up to a second or two of CPU: never on an I/O thread,
  // and on at most counting_threads cores.
  const std::size_t counting_threads;
  net::thread_pool counting;
  std::atomic<std::size_t> counting_jobs{0};  // queued or running on `counting`
  MemoryBudget request_memory;           // bytes of requests being read (server/request_reader.h)
  SheddingLog shedding;                  // the I/O threads' connection shedding, as one in the log
  std::atomic<bool> stopping{false};     // set at shutdown: relays end their streams
  std::atomic<std::size_t> streams{0};   // relays in flight, on every thread
  std::atomic<std::size_t> connections{0};          // client connections open, on every thread
  // Requests begun and ended: while neither changes, the proxy is quiet, if not idle.
  std::atomic<std::uint64_t> requests_started{0}, requests_served{0};

  std::unique_ptr<TurnRecorder> recorder;  // traces and the usage ledger

  explicit ServerContext(Settings s);
};

// One I/O thread's own: its share of the connection cap and of the memory unauthenticated
// headers may hold, the relays running on it, and its io_context (whose upstream client is its
// own too: upstream/upstream_client.h). A connection lives its whole life on the thread that
// took it, so nothing here is locked; other threads only post to `io`.
struct IoThread {
  ConnectionTable connections;
  MemoryBudget unauthenticated_headers;
  std::unordered_set<Waker*> streams;    // the relays in flight here, to wake them at shutdown
  net::io_context io{1};                 // last: destroyed first, with the coroutines that use the rest

  IoThread(std::size_t connection_cap, std::size_t header_bytes)
      : connections(connection_cap), unauthenticated_headers(header_bytes) {}
};

struct Connection {
  boost::beast::tcp_stream stream;
  boost::beast::flat_buffer buffer;
  ServerContext& context;
  IoThread& thread;             // the one it lives on
  bool keep_alive = true;       // the current request allows the connection to stay open
  bool head_request = false;    // the current request is a HEAD: answers carry no body
  bool answered_before = false; // a request was served on it (it is a keep-alive connection)
  // What the request being read holds of the request memory budget: its header bytes, then
  // its body until the endpoint has translated (or counted) it and let it go.
  BudgetLease request_lease;
  BudgetLease header_lease;     // of unauthenticated_headers, until the token is seen
  ConnectionTable::Member member;
  // The deadline of the request being read (server/request_reader.cc).
  struct ReadDeadline {
    net::steady_timer timer;
    std::uint64_t generation = 0;  // an expiry from an earlier arming does nothing
    bool expired = false;
  } read_deadline;
  std::shared_ptr<void> alive = std::make_shared<char>();  // for handlers that may outlive it

  Connection(boost::beast::tcp_stream s, ServerContext& c, IoThread& t);
  ~Connection();
};

// Whole responses: keep-alive as the request asked, no body for HEAD, a write timeout.
net::awaitable<void> write_response(Connection& c, http::response<http::string_body>& response);
net::awaitable<void> write_json(Connection& c, http::status status, const boost::json::object& body,
                                const std::string& request_id = {});
net::awaitable<void> write_error(Connection& c, const ApiError& error, const std::string& request_id);

// The endpoints (messages_endpoint.cc).
net::awaitable<void> serve_messages(Connection& c, HttpRequest& request);
net::awaitable<void> serve_count_tokens(Connection& c, HttpRequest& request);

}  // namespace claudegpt
