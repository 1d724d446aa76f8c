// How curl's multi_socket API runs on Asio (curl's docs: libcurl-multi(3), "multi_socket"):
//   - CURLMOPT_SOCKETFUNCTION says which sockets curl wants watched, for reading or writing;
//     each is an Asio descriptor whose readiness calls curl_multi_socket_action back;
//   - CURLMOPT_TIMERFUNCTION asks for one timeout, an Asio steady_timer;
//   - the sockets of connections are opened and closed through our callbacks (OPENSOCKET,
//     CLOSESOCKET), so that a descriptor never outlives its socket, and so that a connection to
//     a private address can be refused before a packet leaves.
// Every callback runs inside curl_multi_socket_action, called from an Asio handler on the
// io_context's thread; the callbacks only record and wake, they never call curl back.
#include "upstream/upstream_client.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <curl/curl.h>

#include "web/fetch_policy.h"

namespace claudegpt {

net::execution_context::id UpstreamClient::id;

struct UpstreamClient::Socket {
  net::posix::stream_descriptor descriptor;
  bool owned;           // opened by our OPENSOCKETFUNCTION: closed by CLOSESOCKETFUNCTION. Else
                        // one of curl's own (a resolver's wake-up pipe): let go on REMOVE
  int wanted = 0;       // CURL_POLL_IN/OUT as curl last asked
  bool reading = false, writing = false;  // a wait is pending
  bool gone = false;    // closed or let go: a late completion does nothing
  Socket(net::io_context& io, int fd, bool owned) : descriptor(io, fd), owned(owned) {}
};

// ---- curl's callbacks --------------------------------------------------------------------

struct UpstreamClient::Curl {
  static UpstreamTransfer* transfer_of(CURL* easy) {
    char* pointer = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &pointer);
    return reinterpret_cast<UpstreamTransfer*>(pointer);
  }

  static int on_socket(CURL*, curl_socket_t fd, int what, void* user, void*) {
    auto* client = static_cast<UpstreamClient*>(user);
    auto found = client->sockets_.find(fd);
    if (what == CURL_POLL_REMOVE) {
      if (found == client->sockets_.end()) return 0;
      auto socket = found->second;
      socket->wanted = 0;
      boost::system::error_code ignored;
      socket->descriptor.cancel(ignored);
      if (!socket->owned) {  // curl closes it itself
        socket->gone = true;
        socket->descriptor.release();
        client->sockets_.erase(found);
      }
      return 0;
    }
    std::shared_ptr<Socket> socket;
    if (found != client->sockets_.end()) {
      socket = found->second;
    } else {
      try {
        socket = std::make_shared<Socket>(client->io_, fd, false);
      } catch (const std::exception&) {
        return -1;  // curl fails the transfers that need it
      }
      client->sockets_.emplace(fd, socket);
    }
    socket->wanted = what;
    client->watch(socket);
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* user) {
    auto* client = static_cast<UpstreamClient*>(user);
    if (timeout_ms < 0) {
      client->timer_->cancel();
      return 0;
    }
    // Also for 0: curl may not be called back from inside its callback, so even "now" waits
    // for the next turn of the io_context.
    client->timer_->expires_after(std::chrono::milliseconds(timeout_ms));
    client->timer_->async_wait([client](const boost::system::error_code& ec) {
      if (!ec) client->act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  // A connection about to be opened. With refuse_private_addresses, one to a private address
  // is refused before a packet leaves (curl tries the host's other addresses, if any).
  static curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
    auto* t = static_cast<UpstreamTransfer*>(user);
    if (t->call_.refuse_private_addresses && (!t->call_.proxy || t->call_.proxy->empty()) &&
        is_private_address(&address->addr)) {
      char host[NI_MAXHOST] = "";
      getnameinfo(&address->addr, address->addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
      t->refused_address_ = host;
      return CURL_SOCKET_BAD;
    }
    // Not inherited by the processes the launcher starts.
    const int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0) return CURL_SOCKET_BAD;
    UpstreamClient& client = *t->client_;
    if (auto stale = client.sockets_.find(fd); stale != client.sockets_.end()) {
      // A number curl closed without telling (a pipe of its own) came back as this socket.
      stale->second->gone = true;
      stale->second->descriptor.release();
      client.sockets_.erase(stale);
    }
    try {
      client.sockets_.emplace(fd, std::make_shared<Socket>(client.io_, fd, true));
    } catch (const std::exception&) {
      close(fd);
      return CURL_SOCKET_BAD;
    }
    return fd;
  }

  // The data is the client, never a transfer: curl closes a pooled connection long after the
  // transfer that opened it is gone.
  static int close_socket(void* user, curl_socket_t fd) {
    auto* client = static_cast<UpstreamClient*>(user);
    auto found = client->sockets_.find(fd);
    if (found == client->sockets_.end()) return close(fd);
    found->second->gone = true;
    boost::system::error_code ignored;
    found->second->descriptor.close(ignored);
    client->sockets_.erase(found);
    return 0;
  }

  // Every request, also on a reused connection (which open_socket never sees) and on every
  // redirect: the address it is about to be sent to.
  static int before_request(void* user, char* remote_ip, char*, int, int) {
    auto* t = static_cast<UpstreamTransfer*>(user);
    if (remote_ip && is_private_address(std::string_view(remote_ip))) {
      t->refused_address_ = remote_ip;
      return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<UpstreamTransfer*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {  // a new response (after 1xx, or a proxy's CONNECT)
      t->headers_.clear();
      return line.size();
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return line.size();
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    t->headers_.emplace_back(std::move(name), std::string(value));
    return line.size();
  }

  // A GET answered with a redirect that curl did not follow: its Location resolved against the
  // URL asked for, the way curl resolves it when it follows (lib/transfer.c Curl_follow: the
  // first non-empty Location of a 3xx, URL-encoded, spaces allowed), so that a caller following
  // hop by hop goes where curl would have. Any scheme is kept: the caller judges it.
  static std::string redirect_of(const UpstreamTransfer& t, int status) {
    if (t.post_ || status < 300 || status > 399) return "";
    auto location = std::find_if(t.pending_.headers.begin(), t.pending_.headers.end(), [](const auto& header) {
      return header.first == "location" && !header.second.empty();
    });
    char* base = nullptr;
    curl_easy_getinfo(static_cast<CURL*>(t.easy_), CURLINFO_EFFECTIVE_URL, &base);
    if (location == t.pending_.headers.end() || !base) return "";
    CURLU* url = curl_url();
    char* resolved = nullptr;
    std::string out;
    if (url && curl_url_set(url, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(url, CURLUPART_URL, location->second.c_str(),
                     CURLU_URLENCODE | CURLU_ALLOW_SPACE | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(url, CURLUPART_URL, &resolved, 0) == CURLUE_OK)
      out = resolved;
    curl_free(resolved);
    curl_url_cleanup(url);
    return out;
  }

  // The final status is only certain once the body starts (or the transfer ends).
  static void deliver_head(UpstreamTransfer& t) {
    if (t.head_delivered_) return;
    t.head_delivered_ = true;
    long code = 0;
    curl_easy_getinfo(static_cast<CURL*>(t.easy_), CURLINFO_RESPONSE_CODE, &code);
    t.pending_.has_response = true;
    t.pending_.status = static_cast<int>(code);
    t.pending_.headers = std::move(t.headers_);
    t.pending_.redirect_url = redirect_of(t, t.pending_.status);
    // The request went whole before its answer came (a POST follows no redirect): curl reads
    // it no more, and a stream that lasts minutes should not hold its tens of kilobytes.
    curl_off_t sent = 0;
    curl_easy_getinfo(static_cast<CURL*>(t.easy_), CURLINFO_SIZE_UPLOAD_T, &sent);
    if (t.call_.body && sent >= static_cast<curl_off_t>(t.call_.body->size())) t.call_.body.reset();
    t.changed();
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<UpstreamTransfer*>(user);
    deliver_head(*t);
    const std::size_t offered = size * count;
    if (t->pending_.data.size() >= UpstreamTransfer::kHighWater) {
      t->paused_ = true;
      return CURL_WRITEFUNC_PAUSE;  // curl hands the same bytes again on resume
    }
    const std::size_t limit = t->call_.max_body_bytes;
    std::size_t accepted = offered;
    bool cut = false;
    if (limit && offered > limit - t->body_bytes_) {
      accepted = limit - t->body_bytes_;
      cut = true;
    }
    if (accepted > 0) {
      t->pending_.data.append(data, accepted);
      t->changed();
    }
    t->body_bytes_ += accepted;
    // Exactly at the limit: stop now rather than wait for a byte that may never come, unless
    // the announced length says the body is complete.
    if (limit && t->body_bytes_ == limit && !cut) {
      curl_off_t length = -1;
      curl_easy_getinfo(static_cast<CURL*>(t->easy_), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
      cut = length != static_cast<curl_off_t>(limit);
    }
    if (!cut) return offered;
    t->truncated_ = true;
    return accepted == offered ? 0 : accepted;  // anything short of `offered` ends the transfer
  }

  // The transfer failed because its address was private (not because, say, a public address
  // of the same host timed out after a private one was passed over).
  static bool refused(const UpstreamTransfer& t, CURLcode result) {
    return !t.refused_address_.empty() &&
           (result == CURLE_COULDNT_CONNECT || result == CURLE_ABORTED_BY_CALLBACK);
  }

  // Why a transfer failed, for its reader ("" when it did not). A GET's words may reach a model:
  // curl's detailed message ("Could not resolve host: …"), and plain ones for our own limits.
  static std::string describe(const UpstreamTransfer& t, CURLcode result) {
    if (result == CURLE_OK) return "";
    if (refused(t, result)) return "refused: " + t.refused_address_ + " is a private address";
    if (t.post_) return curl_easy_strerror(result);
    if (result == CURLE_TOO_MANY_REDIRECTS)
      return "too many redirects (more than " + std::to_string(t.call_.max_redirects) + ")";
    std::string detail = t.error_buffer_.c_str();
    return detail.empty() ? curl_easy_strerror(result) : detail;
  }

  static void finish(UpstreamTransfer& t, CURLcode result) {
    // Stopping at max_body_bytes is a short write to curl, a normal end to the reader.
    if (t.truncated_ && result == CURLE_WRITE_ERROR) result = CURLE_OK;
    if (result == CURLE_OK) deliver_head(t);
    UpstreamProgress& end = t.pending_;
    end.truncated = t.truncated_;
    char* effective_url = nullptr;
    curl_easy_getinfo(static_cast<CURL*>(t.easy_), CURLINFO_EFFECTIVE_URL, &effective_url);
    if (effective_url) end.effective_url = effective_url;
    end.error = describe(t, result);
    end.refused = refused(t, result);
    end.timed_out = result == CURLE_OPERATION_TIMEDOUT;
    end.permanent = result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE ||
                    result == CURLE_SSL_CERTPROBLEM || result == CURLE_UNSUPPORTED_PROTOCOL ||
                    result == CURLE_URL_MALFORMAT || end.refused;
    end.finished = true;
    t.client_->release(t);
    t.changed();
  }

  // curl's receive buffer, one per transfer for its whole life: 16 KB by default, the
  // largest thing an open stream holds. A Responses stream is events of a few hundred bytes
  // that come one at a time; a bigger body just takes more reads. At 4 KB, 1,000 open
  // streams hold 12 MB less heap, and 16 streams of 2,000 deltas run as fast (56-58
  // streams/s with 4 KB, 54-59 with 16 KB, the proxy on one core).
  static constexpr long kReceiveBufferBytes = 4096;

  static void configure(UpstreamClient& client, UpstreamTransfer& t) {
    CURL* easy = curl_easy_init();
    if (!easy) throw std::runtime_error("curl_easy_init failed");
    const UpstreamCall& call = t.call_;
    curl_slist* list = nullptr;
    for (const auto& [name, value] : call.headers) list = curl_slist_append(list, (name + ": " + value).c_str());
    if (call.body) list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big bodies
    t.easy_ = easy;
    t.header_list_ = list;
    t.post_ = call.body != nullptr;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(easy, CURLOPT_URL, call.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    if (call.body) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call.body->data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body->size()));
    } else {  // a web page: only http(s), also when redirected; the limits the call sets
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
      if (call.max_redirects > 0) {
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(call.max_redirects));
      }
      if (call.refuse_private_addresses && (!call.proxy || call.proxy->empty())) {
        curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Curl::before_request);
        curl_easy_setopt(easy, CURLOPT_PREREQDATA, &t);
      }
      t.error_buffer_.assign(CURL_ERROR_SIZE, '\0');
      curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error_buffer_.data());
    }
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Curl::open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &t);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &Curl::close_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, &client);
    if (call.proxy) {
      // Exactly this proxy, or none: curl applies no_proxy even to a proxy it is given.
      curl_easy_setopt(easy, CURLOPT_PROXY, call.proxy->c_str());
      curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
    } else if (call.refuse_private_addresses) {
      curl_easy_setopt(easy, CURLOPT_PROXY, "");  // direct, so the address judged is the target's
    }
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call.connect_timeout.count()));
    if (call.total_timeout.count() > 0)  // page fetches and side calls; never a turn's stream
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(call.total_timeout.count()));
    if (call.body || call.decompress) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (!call.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, call.ca_bundle.c_str());
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Curl::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Curl::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  }
};

// ---- UpstreamClient ----------------------------------------------------------------------

UpstreamClient& UpstreamClient::of(const net::any_io_executor& executor) {
  const auto* io = executor.target<net::io_context::executor_type>();
  if (!io) throw std::logic_error("upstream transfers run on an io_context");
  return net::use_service<UpstreamClient>(io->context());
}

UpstreamClient::UpstreamClient(net::io_context& io) : net::execution_context::service(io), io_(io) {
  // Once per process, never undone: it sets OpenSSL up, and a cleanup would only have a later
  // client set it up again, on whatever thread that client starts on.
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  timer_.emplace(io);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Curl::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Curl::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

UpstreamClient::~UpstreamClient() { shutdown(); }

// Runs before the io_context destroys its pending handlers (coroutine frames among them), so
// that a transfer destroyed with its coroutine finds itself already over.
void UpstreamClient::shutdown() {
  if (!multi_) return;
  while (!running_.empty()) {
    UpstreamTransfer& t = **running_.begin();
    t.pending_.finished = true;
    t.pending_.error = "shutting down";
    release(t);
    t.changed();
  }
  curl_multi_cleanup(static_cast<CURLM*>(multi_));  // closes the pooled connections (close_socket)
  multi_ = nullptr;
  for (auto& [fd, socket] : sockets_) {
    socket->gone = true;
    if (!socket->owned) socket->descriptor.release();
  }
  sockets_.clear();
  timer_.reset();
}

std::shared_ptr<UpstreamTransfer> UpstreamClient::start(UpstreamCall call) {
  std::shared_ptr<UpstreamTransfer> t(new UpstreamTransfer(*this, std::move(call)));
  if (!multi_) {
    t->client_ = nullptr;
    t->pending_.finished = true;
    t->pending_.error = "shutting down";
    return t;
  }
  Curl::configure(*this, *t);
  running_.insert(t.get());
  curl_multi_add_handle(static_cast<CURLM*>(multi_), static_cast<CURL*>(t->easy_));  // asks for a timeout of 0
  return t;
}

void UpstreamClient::release(UpstreamTransfer& t) {
  if (t.easy_) {
    curl_multi_remove_handle(static_cast<CURLM*>(multi_), static_cast<CURL*>(t.easy_));
    curl_easy_cleanup(static_cast<CURL*>(t.easy_));
    curl_slist_free_all(static_cast<curl_slist*>(t.header_list_));
    t.easy_ = t.header_list_ = nullptr;
  }
  running_.erase(&t);
  t.client_ = nullptr;
}

void UpstreamClient::act(int socket, int events) {
  if (!multi_) return;
  auto* multi = static_cast<CURLM*>(multi_);
  int still_running = 0;
  curl_multi_socket_action(multi, socket, events, &still_running);
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued))
    if (message->msg == CURLMSG_DONE)
      if (UpstreamTransfer* t = Curl::transfer_of(message->easy_handle))
        Curl::finish(*t, message->data.result);
}

// Waits for what curl wants of the socket; each readiness is handed to curl, and the wait
// renewed while curl still wants it.
void UpstreamClient::watch(const std::shared_ptr<Socket>& socket) {
  auto arm = [this, &socket](bool reading) {
    bool& pending = reading ? socket->reading : socket->writing;
    const int flag = reading ? CURL_POLL_IN : CURL_POLL_OUT;
    if (pending || !(socket->wanted & flag)) return;
    pending = true;
    socket->descriptor.async_wait(
        reading ? net::posix::descriptor_base::wait_read : net::posix::descriptor_base::wait_write,
        [this, socket, reading, flag](const boost::system::error_code& ec) {
          (reading ? socket->reading : socket->writing) = false;
          if (socket->gone) return;
          if (ec != net::error::operation_aborted && (socket->wanted & flag))
            act(socket->descriptor.native_handle(),
                ec ? CURL_CSELECT_ERR : (reading ? CURL_CSELECT_IN : CURL_CSELECT_OUT));
          if (!socket->gone) watch(socket);
        });
  };
  arm(true);
  arm(false);
}

// ---- UpstreamTransfer --------------------------------------------------------------------

UpstreamTransfer::UpstreamTransfer(UpstreamClient& client, UpstreamCall call)
    : client_(&client), call_(std::move(call)) {}

UpstreamTransfer::~UpstreamTransfer() { cancel(); }

void UpstreamTransfer::cancel() {
  notify_ = nullptr;
  if (!client_) return;
  client_->release(*this);
  pending_.finished = true;
  pending_.error = "cancelled";
}

void UpstreamTransfer::changed() {
  news_ = true;
  if (wake_) wake_->cancel();
  if (notify_) notify_();
}

UpstreamProgress UpstreamTransfer::take() {
  std::string data = std::exchange(pending_.data, {});
  HttpHeaders headers;
  if (pending_.has_response && !head_taken_) {
    headers = std::exchange(pending_.headers, {});
    head_taken_ = true;
  }
  UpstreamProgress out = pending_;  // the rest is small, and stays once finished
  out.data = std::move(data);
  out.headers = std::move(headers);
  news_ = false;
  if (paused_ && easy_) {  // room again: curl delivers what it held, perhaps right here
    paused_ = false;
    curl_easy_pause(static_cast<CURL*>(easy_), CURLPAUSE_CONT);
  }
  return out;
}

net::awaitable<UpstreamProgress> UpstreamTransfer::next() {
  while (!news_ && !pending_.finished) {
    if (!wake_) wake_.emplace(co_await net::this_coro::executor);
    wake_->expires_at(net::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await wake_->async_wait(net::redirect_error(net::use_awaitable, ec));
    // An arrival and a cancellation both end the wait with operation_aborted: ask which.
    auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none)
      throw boost::system::system_error(net::error::operation_aborted);
  }
  co_return take();
}

}  // namespace claudegpt
