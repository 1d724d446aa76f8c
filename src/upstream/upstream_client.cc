#include "upstream/upstream_client.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <netdb.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "web/fetch_policy.h"

namespace claudegpt {

// ---- UpstreamInbox ---------------------------------------------------------------------

UpstreamInbox::Snapshot UpstreamInbox::take() {
  std::lock_guard lock(mutex_);
  Snapshot out;
  out.has_response = pending_.has_response;
  out.status = pending_.status;
  if (pending_.has_response && !headers_taken_) {
    out.headers = pending_.headers;
    headers_taken_ = true;
  }
  out.data.swap(pending_.data);
  out.finished = pending_.finished;
  out.error = pending_.error;
  out.timed_out = pending_.timed_out;
  out.permanent = pending_.permanent;
  out.truncated = pending_.truncated;
  out.refused = pending_.refused;
  out.effective_url = pending_.effective_url;
  out.redirect_url = pending_.redirect_url;
  if (paused_) resume_requested_ = true;
  return out;
}

void UpstreamInbox::set_notify(std::function<void()> notify) {
  std::lock_guard lock(mutex_);
  notify_ = std::move(notify);
}

void UpstreamInbox::on_headers(int status, HttpHeaders headers) {
  std::lock_guard lock(mutex_);
  pending_.has_response = true;
  pending_.status = status;
  pending_.headers = std::move(headers);
  if (notify_) notify_();
}

bool UpstreamInbox::on_data(const char* data, std::size_t size) {
  std::lock_guard lock(mutex_);
  if (pending_.data.size() >= kHighWater) {
    paused_ = true;
    return false;
  }
  pending_.data.append(data, size);
  if (notify_) notify_();
  return true;
}

void UpstreamInbox::on_finished(std::string error, bool timed_out, bool permanent) {
  Ending ending;
  ending.error = std::move(error);
  ending.timed_out = timed_out;
  ending.permanent = permanent;
  on_finished(std::move(ending));
}

void UpstreamInbox::on_finished(Ending ending) {
  std::lock_guard lock(mutex_);
  pending_.finished = true;
  pending_.error = std::move(ending.error);
  pending_.timed_out = ending.timed_out;
  pending_.permanent = ending.permanent;
  pending_.truncated = ending.truncated;
  pending_.refused = ending.refused;
  pending_.effective_url = std::move(ending.effective_url);
  pending_.redirect_url = std::move(ending.redirect_url);
  if (notify_) notify_();
}

bool UpstreamInbox::wants_resume() {
  std::lock_guard lock(mutex_);
  if (!resume_requested_) return false;
  resume_requested_ = paused_ = false;
  return true;
}

// ---- UpstreamClient --------------------------------------------------------------------

struct UpstreamClient::Impl {
  CURLM* multi = nullptr;
  std::thread thread;
  mutable std::mutex mutex;
  std::vector<std::shared_ptr<Transfer>> to_start, to_cancel, to_resume;
  bool stopping = false;
  std::unordered_map<CURL*, std::shared_ptr<Transfer>> running;  // upstream thread only
  std::atomic<std::size_t> active{0};

  Impl() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi = curl_multi_init();
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    thread = std::thread([this] { run(); });
  }

  ~Impl() {
    shutdown();
    curl_multi_cleanup(multi);
  }

  void shutdown() {
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      stopping = true;
    }
    curl_multi_wakeup(multi);
    thread.join();
  }

  void enqueue(std::vector<std::shared_ptr<Transfer>> Impl::*queue, std::shared_ptr<Transfer> t) {
    {
      std::lock_guard lock(mutex);
      if (stopping) {
        if (queue == &Impl::to_start) {
          active.fetch_sub(1);
          t->inbox_.on_finished("shutting down");
        }
        return;
      }
      (this->*queue).push_back(std::move(t));
    }
    curl_multi_wakeup(multi);
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
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
  static void note_redirect(Transfer* t) {
    if (t->call_.body || t->status_ < 300 || t->status_ > 399) return;
    auto location = std::find_if(t->headers_.begin(), t->headers_.end(), [](const auto& header) {
      return header.first == "location" && !header.second.empty();
    });
    char* base = nullptr;
    curl_easy_getinfo(static_cast<CURL*>(t->easy_), CURLINFO_EFFECTIVE_URL, &base);
    if (location == t->headers_.end() || !base) return;
    CURLU* url = curl_url();
    char* resolved = nullptr;
    if (url && curl_url_set(url, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(url, CURLUPART_URL, location->second.c_str(),
                     CURLU_URLENCODE | CURLU_ALLOW_SPACE | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(url, CURLUPART_URL, &resolved, 0) == CURLUE_OK)
      t->redirect_url_ = resolved;
    curl_free(resolved);
    curl_url_cleanup(url);
  }

  // The final status is only certain once the body starts (or the transfer ends).
  static void deliver_headers(Transfer* t) {
    if (t->headers_sent_) return;
    t->headers_sent_ = true;
    long code = 0;
    curl_easy_getinfo(static_cast<CURL*>(t->easy_), CURLINFO_RESPONSE_CODE, &code);
    t->status_ = static_cast<int>(code);
    note_redirect(t);
    t->inbox_.on_headers(t->status_, std::move(t->headers_));
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    deliver_headers(t);
    const std::size_t offered = size * count;
    const std::size_t limit = t->call_.max_body_bytes;
    std::size_t accepted = offered;
    bool cut = false;
    if (limit && offered > limit - t->body_bytes_) {
      accepted = limit - t->body_bytes_;
      cut = true;
    }
    if (accepted > 0 && !t->inbox_.on_data(data, accepted)) {
      t->paused_ = true;
      return CURL_WRITEFUNC_PAUSE;  // curl hands the same bytes again on resume
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

  // A connection about to be opened to a private address, when those are refused: refuse it
  // before a packet leaves (curl tries the host's other addresses, if any).
  static curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(user);
    if (is_private_address(&address->addr)) {
      char host[NI_MAXHOST] = "";
      getnameinfo(&address->addr, address->addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
      t->refused_address_ = host;
      return CURL_SOCKET_BAD;
    }
    int type = address->socktype;
#ifdef SOCK_CLOEXEC
    type |= SOCK_CLOEXEC;  // not inherited by the processes the launcher starts
#endif
    return socket(address->family, type, address->protocol);
  }

  // Every request, also on a reused connection (which open_socket never sees) and on every
  // redirect: the address it is about to be sent to.
  static int before_request(void* user, char* remote_ip, char*, int, int) {
    auto* t = static_cast<Transfer*>(user);
    if (remote_ip && is_private_address(std::string_view(remote_ip))) {
      t->refused_address_ = remote_ip;
      return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
  }

  // A GET of a web page: only http(s), also when redirected; the limits the call sets.
  static void set_get_options(Transfer* t) {
    auto* easy = static_cast<CURL*>(t->easy_);
    const UpstreamCall& call = t->call_;
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (call.max_redirects > 0) {
      curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(call.max_redirects));
    }
    if (call.refuse_private_addresses && (!call.proxy || call.proxy->empty())) {
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Impl::open_socket);
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, t);
      curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Impl::before_request);
      curl_easy_setopt(easy, CURLOPT_PREREQDATA, t);
    }
    t->error_buffer_.assign(CURL_ERROR_SIZE, '\0');
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_buffer_.data());
  }

  void start(const std::shared_ptr<Transfer>& t) {
    CURL* easy = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& [name, value] : t->call_.headers)
      list = curl_slist_append(list, (name + ": " + value).c_str());
    if (t->call_.body)
      list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big bodies
    t->easy_ = easy;
    t->header_list_ = list;
    curl_easy_setopt(easy, CURLOPT_URL, t->call_.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    if (t->call_.body) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->call_.body->data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->call_.body->size()));
    } else {
      set_get_options(t.get());
    }
    if (t->call_.proxy) {
      // Exactly this proxy, or none: curl applies no_proxy even to a proxy it is given.
      curl_easy_setopt(easy, CURLOPT_PROXY, t->call_.proxy->c_str());
      curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
    } else if (t->call_.refuse_private_addresses) {
      curl_easy_setopt(easy, CURLOPT_PROXY, "");  // direct, so the address judged is the target's
    }
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t->call_.connect_timeout.count()));
    if (t->call_.total_timeout.count() > 0)  // page fetches and their extraction; never a turn's stream
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(t->call_.total_timeout.count()));
    if (t->call_.body || t->call_.decompress) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (!t->call_.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, t->call_.ca_bundle.c_str());
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl_multi_add_handle(multi, easy);
    running.emplace(easy, t);
  }

  void release(const std::shared_ptr<Transfer>& t) {
    auto* easy = static_cast<CURL*>(t->easy_);
    if (!easy) return;
    curl_multi_remove_handle(multi, easy);
    curl_easy_cleanup(easy);
    curl_slist_free_all(static_cast<curl_slist*>(t->header_list_));
    t->easy_ = t->header_list_ = nullptr;
    running.erase(easy);
    active.fetch_sub(1);
  }

  // The transfer failed because its address was private (not because, say, a public address
  // of the same host timed out after a private one was passed over).
  static bool refused(const Transfer& t, CURLcode result) {
    return !t.refused_address_.empty() &&
           (result == CURLE_COULDNT_CONNECT || result == CURLE_ABORTED_BY_CALLBACK);
  }

  // Why a transfer failed, for its reader ("" when it did not). A GET's words may reach a model:
  // curl's detailed message ("Could not resolve host: …"), and plain ones for our own limits.
  static std::string describe(const Transfer& t, CURLcode result) {
    if (result == CURLE_OK) return "";
    if (refused(t, result)) return "refused: " + t.refused_address_ + " is a private address";
    if (t.call_.body) return curl_easy_strerror(result);
    if (result == CURLE_TOO_MANY_REDIRECTS)
      return "too many redirects (more than " + std::to_string(t.call_.max_redirects) + ")";
    std::string detail = t.error_buffer_.c_str();
    return detail.empty() ? curl_easy_strerror(result) : detail;
  }

  // Returns false when the client is stopping.
  bool apply_commands() {
    std::vector<std::shared_ptr<Transfer>> starts, cancels, resumes;
    bool stop;
    {
      std::lock_guard lock(mutex);
      starts.swap(to_start);
      cancels.swap(to_cancel);
      resumes.swap(to_resume);
      stop = stopping;
    }
    for (auto& t : starts) start(t);
    for (auto& t : cancels) {
      if (t->easy_) {
        release(t);
        t->inbox_.on_finished("cancelled");
      }
    }
    for (auto& t : resumes) {
      if (t->easy_ && t->paused_) {
        t->paused_ = false;
        curl_easy_pause(static_cast<CURL*>(t->easy_), CURLPAUSE_CONT);
      }
    }
    return !stop;
  }

  void run() {
    while (apply_commands()) {
      int still_running = 0;
      curl_multi_perform(multi, &still_running);
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        auto it = running.find(message->easy_handle);
        if (it == running.end()) continue;
        auto t = it->second;
        CURLcode result = message->data.result;
        UpstreamInbox::Ending ending;
        // Stopping at max_body_bytes is a short write to curl, a normal end to the reader.
        if (t->truncated_ && result == CURLE_WRITE_ERROR) result = CURLE_OK;
        ending.truncated = t->truncated_;
        if (result == CURLE_OK) deliver_headers(t.get());
        char* effective_url = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_EFFECTIVE_URL, &effective_url);
        if (effective_url) ending.effective_url = effective_url;
        ending.redirect_url = std::move(t->redirect_url_);
        ending.error = describe(*t, result);
        ending.refused = refused(*t, result);
        release(t);
        ending.timed_out = result == CURLE_OPERATION_TIMEDOUT;
        ending.permanent = result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE ||
                           result == CURLE_SSL_CERTPROBLEM || result == CURLE_UNSUPPORTED_PROTOCOL ||
                           result == CURLE_URL_MALFORMAT || ending.refused;
        t->inbox_.on_finished(std::move(ending));
      }
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    while (!running.empty()) {
      auto t = running.begin()->second;
      release(t);
      t->inbox_.on_finished("shutting down");
    }
  }
};

UpstreamClient::UpstreamClient() : impl_(std::make_unique<Impl>()) {}
UpstreamClient::~UpstreamClient() = default;
void UpstreamClient::shutdown() { impl_->shutdown(); }

std::shared_ptr<UpstreamClient::Transfer> UpstreamClient::post(UpstreamCall call) {
  auto t = std::make_shared<Transfer>();
  t->call_ = std::move(call);
  impl_->active.fetch_add(1);
  impl_->enqueue(&Impl::to_start, t);
  return t;
}

void UpstreamClient::resume(const std::shared_ptr<Transfer>& t) { impl_->enqueue(&Impl::to_resume, t); }
void UpstreamClient::cancel(const std::shared_ptr<Transfer>& t) { impl_->enqueue(&Impl::to_cancel, t); }
std::size_t UpstreamClient::active() const { return impl_->active.load(); }

}  // namespace claudegpt
