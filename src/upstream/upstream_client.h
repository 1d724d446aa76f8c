// Outbound HTTP to the upstream, on libcurl (which brings HTTPS_PROXY/NO_PROXY, the system
// CA store, HTTP/2 and connection reuse).
//
// One background thread drives every transfer through a curl multi handle, so a thousand
// open streams cost a thousand sockets, not a thousand threads. Each transfer reports into
// an UpstreamInbox that the server side drains at its own pace; when the inbox holds more
// than a bound the transfer is paused (back-pressure) until the reader catches up.
// Cancelling a transfer (the client went away) closes its connection at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace claudegpt {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

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

// What a transfer has produced so far. Written by the upstream thread, drained by the
// reader; `notify` (set by the reader) is called after every change, on the upstream thread.
class UpstreamInbox {
 public:
  struct Snapshot {
    bool has_response = false;   // status and headers are known
    int status = 0;
    HttpHeaders headers;         // lower-case names
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

  // How a transfer ended (for on_finished).
  struct Ending {
    std::string error;           // empty: it ended normally
    bool timed_out = false;
    bool permanent = false;
    bool truncated = false;
    bool refused = false;
    std::string effective_url;
    std::string redirect_url;
  };

  // Moves out what arrived since the last call (headers are copied once, when complete).
  Snapshot take();

  // `notify` runs on the upstream thread after every change, under the inbox's lock: once
  // set_notify(nullptr) returns, it is not running and will not run again.
  void set_notify(std::function<void()> notify);

  // Upstream-thread side.
  void on_headers(int status, HttpHeaders headers);
  // Returns false when the reader is behind by more than the bound: pause the transfer.
  bool on_data(const char* data, std::size_t size);
  void on_finished(std::string error, bool timed_out = false, bool permanent = false);
  void on_finished(Ending ending);
  bool wants_resume();            // the reader drained a paused transfer

  static constexpr std::size_t kHighWater = 4 * 1024 * 1024;

 private:

  std::mutex mutex_;
  std::function<void()> notify_;
  Snapshot pending_;
  bool headers_taken_ = false;
  bool paused_ = false;
  bool resume_requested_ = false;
};

class UpstreamClient {
 public:
  UpstreamClient();
  ~UpstreamClient();  // shutdown()
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  class Transfer;

  // Starts a POST of `call.body`, or a GET when it is null. Progress arrives in the returned
  // transfer's inbox.
  std::shared_ptr<Transfer> post(UpstreamCall call);

  // Asks the upstream thread to look at `transfer` again (after the reader drained a paused one).
  void resume(const std::shared_ptr<Transfer>& transfer);

  // Aborts the transfer and closes its connection; its inbox gets no more data.
  void cancel(const std::shared_ptr<Transfer>& transfer);

  // Aborts every transfer (each inbox is told) and stops the upstream thread; later posts
  // finish at once with an error. Idempotent.
  void shutdown();

  // Transfers in flight (for health and tests).
  std::size_t active() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class UpstreamClient::Transfer {
 public:
  UpstreamInbox& inbox() { return inbox_; }

 private:
  friend class UpstreamClient;
  friend struct UpstreamClient::Impl;
  UpstreamInbox inbox_;
  UpstreamCall call_;
  void* easy_ = nullptr;           // CURL*, owned by the upstream thread
  void* header_list_ = nullptr;    // curl_slist*
  int status_ = 0;
  HttpHeaders headers_;
  bool headers_sent_ = false;
  bool paused_ = false;
  std::size_t body_bytes_ = 0;     // accepted so far (for max_body_bytes)
  bool truncated_ = false;         // the body was cut at max_body_bytes
  std::string refused_address_;    // the private address a connection was refused to
  std::string redirect_url_;       // see UpstreamInbox::Snapshot
  std::string error_buffer_;       // curl's detailed message (GETs)
};

}  // namespace claudegpt
