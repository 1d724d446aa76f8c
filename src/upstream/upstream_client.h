// Outbound HTTP to the upstream, on libcurl (which brings HTTPS_PROXY/NO_PROXY, the system
// CA store, HTTP/2 and connection reuse), driven by Asio on the thread that runs the
// io_context: curl's multi_socket API watches its sockets and its timer through the
// io_context, so the bytes of a transfer reach the coroutine that awaits them without
// crossing a thread, and a thousand open streams cost a thousand sockets, not threads.
//
// Each io_context has its own client (an Asio service: UpstreamClient::of(executor)), with its
// own curl multi handle and connection pool. A turn and its upstream transfer live on one
// thread; nothing here is locked, and nothing may be called from another thread.
//
//   auto transfer = UpstreamClient::of(co_await net::this_coro::executor).start(std::move(call));
//   for (;;) {
//     UpstreamProgress got = co_await transfer->next();   // headers, body bytes, or the end
//     ...
//     if (got.finished) break;
//   }
//
// Back-pressure is local: a transfer whose unread bytes pass a bound is paused until its
// reader takes them. Cancelling (or dropping) a transfer removes it at once and closes its
// connection.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "upstream/upstream_call.h"

namespace claudegpt {

namespace net = boost::asio;

// What a transfer produced since the last take().
struct UpstreamProgress {
  bool has_response = false;   // status and headers are known
  int status = 0;
  HttpHeaders headers;         // lower-case names; only in the first take() that has them
  std::string data;            // body bytes since the last take()
  bool finished = false;       // the transfer is over (see error)
  std::string error;           // empty when it ended normally
  bool timed_out = false;      // it ended because connecting (or total_timeout) took too long
  bool permanent = false;      // a failure another attempt would meet again (TLS verification)
  bool truncated = false;      // max_body_bytes was reached: the body is cut there
  bool refused = false;        // refuse_private_addresses stopped it ("refused: 10.0.0.5 is …")
  std::string effective_url;   // after redirects (set when finished)
  std::string redirect_url;    // a GET's final answer is a redirect (3xx with a Location): where
                               // to, absolute, as curl would follow it (set when finished)
};

class UpstreamClient;

class UpstreamTransfer {
 public:
  ~UpstreamTransfer();  // cancel()
  UpstreamTransfer(const UpstreamTransfer&) = delete;
  UpstreamTransfer& operator=(const UpstreamTransfer&) = delete;

  // What arrived since the last call; never waits. Once finished, every later call says so.
  UpstreamProgress take();

  // Waits until something new arrived (the response's head, body bytes, the end) and takes it.
  // A cancelled wait ends with net::error::operation_aborted; the transfer runs on.
  net::awaitable<UpstreamProgress> next();

  // `notify` is called (on this thread, from inside curl: it must only wake someone) each time
  // something new arrives, for a coroutine that waits on more than this transfer.
  void on_progress(std::function<void()> notify) { notify_ = std::move(notify); }

  // Aborts the transfer and closes its connection; nothing more arrives. Idempotent.
  void cancel();

  // Unread body bytes beyond which the transfer is paused until they are taken.
  static constexpr std::size_t kHighWater = 4 * 1024 * 1024;

 private:
  friend class UpstreamClient;
  explicit UpstreamTransfer(UpstreamClient& client, UpstreamCall call);
  void changed();

  UpstreamClient* client_;       // null once the transfer is over (or the client shut down)
  UpstreamCall call_;            // its body is let go once it is sent and the answer comes
  bool post_ = false;            // a POST (call_.body was set)
  void* easy_ = nullptr;         // CURL*
  void* header_list_ = nullptr;  // curl_slist*
  UpstreamProgress pending_;     // what take() hands out next
  bool head_taken_ = false;
  bool news_ = false;            // something arrived since the last take()
  bool paused_ = false;          // curl holds the body until take() makes room
  std::function<void()> notify_;
  std::optional<net::steady_timer> wake_;  // next()'s wait, cancelled by changed()

  // While running (written from curl's callbacks).
  HttpHeaders headers_;
  bool head_delivered_ = false;
  std::size_t body_bytes_ = 0;   // accepted so far (for max_body_bytes)
  bool truncated_ = false;       // the body was cut at max_body_bytes
  std::string refused_address_;  // the private address a connection was refused to
  std::string error_buffer_;     // curl's detailed message (GETs)
};

class UpstreamClient : public net::execution_context::service {
 public:
  using key_type = UpstreamClient;
  static net::execution_context::id id;

  // The client of the io_context that `executor` belongs to (created on first use).
  static UpstreamClient& of(const net::any_io_executor& executor);

  explicit UpstreamClient(net::io_context& io);
  ~UpstreamClient() override;

  // Starts a POST of `call.body`, or a GET when it is null.
  std::shared_ptr<UpstreamTransfer> start(UpstreamCall call);

  // Transfers in flight (for health and tests).
  std::size_t active() const { return running_.size(); }

 private:
  friend class UpstreamTransfer;
  struct Curl;     // curl's callbacks and the handling of finished transfers
  struct Socket;   // one socket curl asked us to watch

  // The io_context is going away: every transfer ends ("shutting down"), every socket closes.
  void shutdown() override;
  void release(UpstreamTransfer& transfer);
  void act(int socket, int events);  // curl_multi_socket_action, then the finished transfers
  void watch(const std::shared_ptr<Socket>& socket);

  net::io_context& io_;
  void* multi_ = nullptr;  // CURLM*
  std::optional<net::steady_timer> timer_;  // curl's one timeout
  std::unordered_map<int, std::shared_ptr<Socket>> sockets_;
  std::unordered_set<UpstreamTransfer*> running_;
};

}  // namespace claudegpt
