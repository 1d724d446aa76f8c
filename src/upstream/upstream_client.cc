#include "upstream/upstream_client.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <curl/curl.h>

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
  std::lock_guard lock(mutex_);
  pending_.finished = true;
  pending_.error = std::move(error);
  pending_.timed_out = timed_out;
  pending_.permanent = permanent;
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

  // The final status is only certain once the body starts (or the transfer ends).
  static void deliver_headers(Transfer* t) {
    if (t->headers_sent_) return;
    t->headers_sent_ = true;
    long code = 0;
    curl_easy_getinfo(static_cast<CURL*>(t->easy_), CURLINFO_RESPONSE_CODE, &code);
    t->status_ = static_cast<int>(code);
    t->inbox_.on_headers(t->status_, std::move(t->headers_));
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    deliver_headers(t);
    if (!t->inbox_.on_data(data, size * count)) {
      t->paused_ = true;
      return CURL_WRITEFUNC_PAUSE;  // curl hands the same bytes again on resume
    }
    return size * count;
  }

  void start(const std::shared_ptr<Transfer>& t) {
    CURL* easy = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& [name, value] : t->call_.headers)
      list = curl_slist_append(list, (name + ": " + value).c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big bodies
    t->easy_ = easy;
    t->header_list_ = list;
    curl_easy_setopt(easy, CURLOPT_URL, t->call_.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->call_.body->data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->call_.body->size()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t->call_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
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
        if (result == CURLE_OK) deliver_headers(t.get());
        std::string error = result == CURLE_OK ? "" : curl_easy_strerror(result);
        release(t);
        bool permanent = result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE ||
                         result == CURLE_SSL_CERTPROBLEM || result == CURLE_UNSUPPORTED_PROTOCOL ||
                         result == CURLE_URL_MALFORMAT;
        t->inbox_.on_finished(std::move(error), result == CURLE_OPERATION_TIMEDOUT, permanent);
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
