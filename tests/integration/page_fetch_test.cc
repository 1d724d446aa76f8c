// The proxy-side WebFetch against a real HTTP server on loopback: pages, errors, compression,
// redirects, time and size limits, private addresses, and what happens to the transfer when
// the fetch is abandoned (cancelled or destroyed). Also the pieces underneath: GETs through
// the upstream client and collect_transfer.
#include "server/page_fetch.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "upstream/collected_transfer.h"
#include "upstream/upstream_client.h"

namespace claudegpt {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// ---- A small HTTP/1.1 server on loopback, one thread per connection ------------------------

struct SeenRequest {
  std::string method, path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

constexpr std::size_t kHugeSize = 50 * 1024 * 1024;

const char kPage[] =
    "<html><head><title>Hello page</title></head><body><h1>Hello</h1>"
    "<p>Fetched through claudegpt.</p></body></html>";

// gzip of an HTML page saying "This page travelled gzip-compressed." (785 bytes unpacked).
const std::string_view kGzipPage(
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xb3\xc9\x28\xc9\xcd\xb1\xb3\xc9\x48\x4d\x4c\xb1\xb3\x29"
    "\xc9\x2c\xc9\x49\xb5\x0b\x2e\x2c\x4d\x4d\xad\x4a\x4d\xb1\xd1\x87\xf0\x6d\xf4\x21\xb2\x49\xf9\x29"
    "\x95\x76\x36\x05\x76\x21\x19\x99\xc5\x0a\x05\x89\xe9\xa9\x0a\x25\x45\x89\x65\xa9\x39\x39\xa9\x29"
    "\x0a\xe9\x55\x99\x05\xba\xc9\xf9\xb9\x05\x45\xa9\xc5\xc5\xa9\x29\x7a\x36\xfa\x05\x20\xa5\x69\x99"
    "\x40\xd9\x22\x05\x6c\xd4\xa8\x8a\x51\x15\x83\x44\x85\x3e\x24\x65\xeb\x83\xb3\x02\x00\x92\xc3\xf3"
    "\x13\x11\x03\x00\x00",
    125);

// A listening socket on 127.0.0.1 at a port the kernel picks; that port goes to `port`.
int listen_on_loopback(int backlog, int& port) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, backlog) != 0)
    throw std::runtime_error("cannot listen on loopback");
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return listener;
}

// The next connection on `listener`, or -1 when none comes within 20 ms (so that an accept
// loop can look at its stop flag again).
int accept_next(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, 20) <= 0) return -1;
  return accept(listener, nullptr, nullptr);
}

class TestServer {
 public:
  TestServer() {
    listener_ = listen_on_loopback(64, port_);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestServer() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(connections_);
    }
    for (auto& t : threads) t.join();
    close(listener_);
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int port() const { return port_; }

  std::vector<SeenRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int connections_accepted() const { return accepted_.load(); }

  // What the endless and the huge pages saw of their client.
  std::optional<Clock::time_point> never_closed_at() {
    std::lock_guard lock(mutex_);
    return never_closed_at_;
  }
  std::size_t huge_bytes_sent() const { return huge_sent_.load(); }
  std::optional<Clock::time_point> huge_ended_at() {
    std::lock_guard lock(mutex_);
    return huge_ended_at_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      int fd = accept_next(listener_);
      if (fd < 0) continue;
      ++accepted_;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, fd] {
        serve(fd);
        close(fd);
      });
    }
  }

  // Reads up to the end of the headers (and a Content-Length body). False: closed or stopping.
  bool read_request(int fd, std::string& buffer, SeenRequest& request) {
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_some(fd, buffer)) return false;
    }
    std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string line = head.substr(0, line_end);
    std::size_t space1 = line.find(' '), space2 = line.find(' ', space1 + 1);
    request.method = line.substr(0, space1);
    request.path = line.substr(space1 + 1, space2 - space1 - 1);
    std::size_t at = line_end;
    while (at != std::string::npos && at < head.size()) {
      std::size_t next = head.find("\r\n", at + 2);
      std::string header = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      std::size_t colon = header.find(':');
      if (colon != std::string::npos) {
        std::string name = header.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::size_t value_at = header.find_first_not_of(' ', colon + 1);
        request.headers[name] = value_at == std::string::npos ? "" : header.substr(value_at);
      }
      at = next;
    }
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      std::size_t length = std::stoul(it->second);
      while (buffer.size() < length)
        if (!read_some(fd, buffer)) return false;
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);
    }
    return true;
  }

  bool read_some(int fd, std::string& buffer) {
    for (;;) {
      if (stop_) return false;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      char chunk[4096];
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  static bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  static bool respond(int fd, std::string_view status, std::string_view content_type, std::string_view body,
                      std::string_view extra_headers = "") {
    std::string out = "HTTP/1.1 " + std::string(status) + "\r\n";
    if (!content_type.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += extra_headers;
    out += "\r\n";
    out += body;
    return send_all(fd, out);
  }

  // Serves requests on one connection until it closes; the endless and huge pages end it.
  void serve(int fd) {
    std::string buffer;
    for (;;) {
      SeenRequest request;
      if (!read_request(fd, buffer, request)) return;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const std::string& path = request.path;
      bool ok = true;
      if (path == "/page") {
        ok = respond(fd, "200 OK", "text/html; charset=utf-8", kPage, "X-Hop: final\r\n");
      } else if (path == "/missing") {
        ok = respond(fd, "404 Not Found", "text/html", "<h1>nothing here</h1>");
      } else if (path == "/busy") {
        ok = respond(fd, "429 Too Many Requests", "text/plain", "slow down", "Retry-After: 30\r\n");
      } else if (path == "/teapot") {
        ok = respond(fd, "555 Whatever", "text/plain", "odd");
      } else if (path == "/gzip") {
        ok = respond(fd, "200 OK", "text/html", kGzipPage, "Content-Encoding: gzip\r\n");
      } else if (path == "/r1") {
        ok = respond(fd, "302 Found", "text/html", "<a href=/r2>moved</a>", "Location: /r2\r\nX-Hop: 1\r\n");
      } else if (path == "/r2") {
        ok = respond(fd, "301 Moved Permanently", "text/html", "moved again",
                     "Location: " + url("/page") + "\r\nX-Hop: 2\r\nX-Only-On-Hop-2: yes\r\n");
      } else if (path == "/loop") {
        ok = respond(fd, "302 Found", "text/plain", "round and round", "Location: /loop\r\n");
      } else if (path == "/to-ftp") {
        ok = respond(fd, "302 Found", "text/plain", "", "Location: ftp://127.0.0.1/file\r\n");
      } else if (path == "/image") {
        ok = respond(fd, "200 OK", "image/png", std::string_view("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
      } else if (path == "/exact") {
        ok = respond(fd, "200 OK", "text/plain", std::string(1000, 'e'));
      } else if (path == "/echo" && request.method == "POST") {
        ok = respond(fd, "200 OK", "application/json", request.body);
      } else if (path == "/never") {
        never_ending(fd);
        return;
      } else if (path == "/huge") {
        huge(fd);
        return;
      } else {
        ok = respond(fd, "404 Not Found", "text/plain", "unknown path");
      }
      if (!ok) return;
    }
  }

  // Headers and the start of a body, then nothing, until the client leaves.
  void never_ending(int fd) {
    if (!send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
                      "<html><body><p>The rest never comes"))
      return;
    while (!stop_) {
      pollfd p{fd, POLLIN | POLLRDHUP, 0};
      if (poll(&p, 1, 2) <= 0) continue;
      char byte;
      if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) || recv(fd, &byte, 1, MSG_DONTWAIT) == 0) {
        std::lock_guard lock(mutex_);
        never_closed_at_ = Clock::now();
        return;
      }
    }
  }

  // 50 MB of HTML in 64 kB writes, as fast as the client takes them.
  void huge(int fd) {
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                       std::to_string(kHugeSize) + "\r\n\r\n";
    send_all(fd, head);
    std::string paragraph = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n";
    std::string chunk;
    while (chunk.size() + paragraph.size() <= 64 * 1024) chunk += paragraph;
    chunk.resize(64 * 1024, ' ');
    std::size_t sent = 0;
    while (sent < kHugeSize && !stop_) {
      std::size_t n = std::min(chunk.size(), kHugeSize - sent);
      if (!send_all(fd, std::string_view(chunk).substr(0, n))) break;
      sent += n;
      huge_sent_ = sent;
    }
    std::lock_guard lock(mutex_);
    huge_ended_at_ = Clock::now();
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::vector<SeenRequest> requests_;
  std::optional<Clock::time_point> never_closed_at_;
  std::atomic<std::size_t> huge_sent_{0};
  std::optional<Clock::time_point> huge_ended_at_;
};

// ---- A forward proxy on loopback that is also the sites behind it ---------------------------
//
// What a user's HTTPS_PROXY / http_proxy might be: it takes CONNECT host:port (https through a
// proxy) and absolute-URI requests (http through a proxy) and records each. It answers for
// the "public" sites itself, as if it had reached them: behind CONNECT over TLS, with a
// certificate only the test trusts (through Settings::ca_bundle). It never connects anywhere.

// A self-signed certificate for the names the proxy answers for, made with OpenSSL in memory;
// the PEM file is what curl is told to trust.
class SiteCertificate {
 public:
  SiteCertificate() {
    key_ = EVP_EC_gen("P-256");
    cert_ = X509_new();
    X509_set_version(cert_, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 86400);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pages.example"),
                               -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert_, cert_, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:pages.example,DNS:intranet.example,IP:203.0.113.7"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert_, extension, -1);
      X509_EXTENSION_free(extension);
    }
    X509_sign(cert_, key_, EVP_sha256());
    char path[] = "/tmp/claudegpt-site-cert-XXXXXX";
    int fd = mkstemp(path);
    FILE* file = fdopen(fd, "w");
    PEM_write_X509(file, cert_);
    fclose(file);
    pem_file_ = path;
  }
  ~SiteCertificate() {
    std::remove(pem_file_.c_str());
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  SiteCertificate(const SiteCertificate&) = delete;
  SiteCertificate& operator=(const SiteCertificate&) = delete;

  X509* cert() const { return cert_; }
  EVP_PKEY* key() const { return key_; }
  const std::string& pem_file() const { return pem_file_; }

 private:
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  std::string pem_file_;
};

class TestProxy {
 public:
  explicit TestProxy(const SiteCertificate& certificate) {
    tls_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(tls_, certificate.cert());
    SSL_CTX_use_PrivateKey(tls_, certificate.key());
    listener_ = listen_on_loopback(16, port_);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestProxy() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : connections_) t.join();
    close(listener_);
    SSL_CTX_free(tls_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections_accepted() const { return accepted_.load(); }
  // "pages.example:443" for each CONNECT, "GET http://pages.example/page" for each plain request.
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      int fd = accept_next(listener_);
      if (fd < 0) continue;
      ++accepted_;
      timeval limit{5, 0};  // a client that says nothing does not hold the test up
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      connections_.emplace_back([this, fd] {
        serve(fd);
        close(fd);
      });
    }
  }

  // The head of one request: "METHOD target", up to the blank line.
  template <typename Read>
  static std::optional<std::pair<std::string, std::string>> read_head(Read read) {
    std::string head;
    char c;
    while (!head.ends_with("\r\n\r\n")) {
      if (read(&c, 1) != 1 || head.size() > 16384) return std::nullopt;
      head.push_back(c);
    }
    std::size_t space1 = head.find(' '), space2 = head.find(' ', space1 + 1);
    return std::pair{head.substr(0, space1), head.substr(space1 + 1, space2 - space1 - 1)};
  }

  void record(std::string line) {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(line));
  }

  // What the sites answer, by path (every site has the same pages).
  static std::string site_response(std::string_view path) {
    auto respond = [](std::string_view status, std::string_view extra, std::string_view body) {
      return "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: text/html\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\nConnection: close\r\n" + std::string(extra) + "\r\n" +
             std::string(body);
    };
    if (path == "/page")
      return respond("200 OK", "",
                     "<html><head><title>Public</title></head><body><p>Served behind the proxy.</p></body></html>");
    if (path == "/to-intranet") return respond("302 Found", "Location: https://intranet.example/secret\r\n", "");
    if (path == "/to-private-literal") return respond("302 Found", "Location: https://10.0.0.5/secret\r\n", "");
    if (path == "/to-localhost") return respond("302 Found", "Location: https://localhost/secret\r\n", "");
    if (path == "/to-page") return respond("301 Moved Permanently", "Location: /page\r\n", "");
    return respond("404 Not Found", "", "no such page");
  }

  void serve(int fd) {
    auto plain_read = [fd](char* data, int size) { return static_cast<int>(recv(fd, data, size, 0)); };
    auto request = read_head(plain_read);
    if (!request) return;
    auto [method, target] = *request;
    if (method != "CONNECT") {  // http through the proxy: an absolute URI
      record(method + " " + target);
      std::size_t path_at = target.find('/', target.find("://") + 3);
      std::string reply = site_response(path_at == std::string::npos ? "/" : target.substr(path_at));
      send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      return;
    }
    record(target);
    static constexpr std::string_view kEstablished = "HTTP/1.1 200 Connection Established\r\n\r\n";
    send(fd, kEstablished.data(), kEstablished.size(), MSG_NOSIGNAL);
    SSL* tls = SSL_new(tls_);
    SSL_set_fd(tls, fd);
    if (SSL_accept(tls) == 1) {
      auto tls_read = [tls](char* data, int size) { return SSL_read(tls, data, size); };
      if (auto inner = read_head(tls_read)) {
        std::string reply = site_response(inner->second);
        SSL_write(tls, reply.data(), static_cast<int>(reply.size()));
        SSL_shutdown(tls);
      }
    }
    SSL_free(tls);
  }

  SSL_CTX* tls_ = nullptr;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // the acceptor's only
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

// Sets the proxy variables curl reads for the life of a test, the others unset; restores them all.
class ProxyEnvironment {
 public:
  explicit ProxyEnvironment(std::map<std::string, std::string> set) {
    for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                             "no_proxy", "NO_PROXY"}) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      else saved_[name] = std::nullopt;
      unsetenv(name);
    }
    for (const auto& [name, value] : set) setenv(name.c_str(), value.c_str(), 1);
  }
  ~ProxyEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) setenv(name.c_str(), value->c_str(), 1);
      else unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// ---- Fixture -------------------------------------------------------------------------------

Settings test_settings() {
  Settings s;
  s.provider = ProviderKind::openai;
  s.openai_api_key = "sk-test-not-used";
  return s;
}

// One io_context for a whole test, so that its upstream client (and curl's connection pool)
// lasts from one fetch to the next, as on the proxy's I/O thread.
net::io_context io;

template <typename T>
T run(net::awaitable<T> work) {
  io.restart();
  auto result = net::co_spawn(io, std::move(work), net::use_future);
  io.run();
  return result.get();
}

std::size_t transfers_in_flight() { return UpstreamClient::of(io.get_executor()).active(); }

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds within = 2000ms) {
  auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

class PageFetch : public ::testing::Test {
 protected:
  PageFetch() { local.allow_private = true; }

  FetchedPage fetch(const std::string& url, const PageFetchOptions& options) {
    return run(fetch_page(context, url, options));
  }
  FetchedPage fetch(const std::string& url) { return fetch(url, local); }

  CollectedTransfer collect(UpstreamCall call) { return run(collect_transfer(std::move(call))); }

  static UpstreamCall get(std::string url) {
    UpstreamCall call;
    call.url = std::move(url);
    call.connect_timeout = 2000ms;
    call.total_timeout = 5000ms;
    return call;
  }

  TestServer server;
  ServerContext context{test_settings()};
  PageFetchOptions local;  // the test server is on loopback: private addresses allowed
};

// ---- Pages and HTTP errors -----------------------------------------------------------------

TEST_F(PageFetch, AnHtmlPageComesBackAsReadableText) {
  auto page = fetch(server.url("/page"));
  EXPECT_EQ(page.error, "");
  EXPECT_EQ(page.error_code, "");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.url, server.url("/page"));
  EXPECT_TRUE(page.page.readable);
  EXPECT_NE(page.page.text.find("Fetched through claudegpt."), std::string::npos) << page.page.text;
  EXPECT_FALSE(page.page.truncated);
}

TEST_F(PageFetch, TheRequestIsABrowserLikeGet) {
  fetch(server.url("/page"));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.headers.at("user-agent"), "Mozilla/5.0 (compatible; claudegpt/" CLAUDEGPT_VERSION ")");
  EXPECT_TRUE(r.headers.at("accept").starts_with("text/html,")) << r.headers.at("accept");
  EXPECT_NE(r.headers.at("accept-encoding").find("gzip"), std::string::npos);
  EXPECT_EQ(r.headers.count("expect"), 0u);
}

TEST_F(PageFetch, HttpIsNotUpgradedToHttpsForALoopbackLiteral) {
  auto page = fetch(server.url("/page"));
  EXPECT_EQ(page.error, "");
  EXPECT_TRUE(page.url.starts_with("http://127.0.0.1:")) << page.url;
}

TEST_F(PageFetch, A404IsAnErrorNamingTheStatus) {
  auto page = fetch(server.url("/missing"));
  EXPECT_EQ(page.error, "HTTP 404 Not Found");
  EXPECT_EQ(page.error_code, "url_not_accessible");
  EXPECT_EQ(page.status, 404);
}

TEST_F(PageFetch, A429IsTooManyRequests) {
  auto page = fetch(server.url("/busy"));
  EXPECT_EQ(page.error, "HTTP 429 Too Many Requests");
  EXPECT_EQ(page.error_code, "too_many_requests");
}

TEST_F(PageFetch, AnUnknownStatusIsNamedByItsNumber) {
  auto page = fetch(server.url("/teapot"));
  EXPECT_EQ(page.error, "HTTP 555");
  EXPECT_EQ(page.error_code, "url_not_accessible");
}

TEST_F(PageFetch, AGzipCompressedPageIsDecompressed) {
  auto page = fetch(server.url("/gzip"));
  EXPECT_EQ(page.error, "");
  EXPECT_NE(page.page.text.find("This page travelled gzip-compressed."), std::string::npos) << page.page.text;
}

TEST_F(PageFetch, AnImageIsAnUnsupportedContentType) {
  auto page = fetch(server.url("/image"));
  EXPECT_EQ(page.error_code, "unsupported_content_type");
  EXPECT_NE(page.error.find("image/png"), std::string::npos) << page.error;
  EXPECT_EQ(page.status, 200);
}

TEST_F(PageFetch, AConnectionRefusedIsNotAccessible) {
  int port;
  {
    TestServer gone;
    port = gone.port();
  }
  auto page = fetch("http://127.0.0.1:" + std::to_string(port) + "/page");
  EXPECT_EQ(page.error_code, "url_not_accessible");
  EXPECT_NE(page.error, "");
  EXPECT_EQ(page.status, 0);
}

// ---- Redirects -------------------------------------------------------------------------------

TEST_F(PageFetch, RedirectsAreFollowedAndTheFinalUrlReported) {
  auto page = fetch(server.url("/r1"));
  EXPECT_EQ(page.error, "");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.url, server.url("/page"));
  EXPECT_NE(page.page.text.find("Fetched through claudegpt."), std::string::npos);
  EXPECT_EQ(page.page.text.find("moved"), std::string::npos) << "a redirect's own body leaked in";
}

TEST_F(PageFetch, ARedirectLoopEndsWithTooManyRedirects) {
  auto page = fetch(server.url("/loop"));
  EXPECT_EQ(page.error, "too many redirects (more than 10)");
  EXPECT_EQ(page.error_code, "url_not_accessible");
  EXPECT_EQ(server.requests().size(), 11u);  // the first request and ten redirects
}

TEST_F(PageFetch, ARedirectToAnotherProtocolIsNotFollowed) {
  auto page = fetch(server.url("/to-ftp"));
  EXPECT_EQ(page.error, "redirected to ftp://127.0.0.1/file, which is not an http or https URL");
  EXPECT_EQ(page.error_code, "url_not_accessible");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(PageFetch, OnlyTheFinalResponsesHeadersAreCollected) {
  auto call = get(server.url("/r1"));
  call.max_redirects = 5;
  auto got = collect(std::move(call));
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.effective_url, server.url("/page"));
  int hops = 0;
  for (const auto& [name, value] : got.headers) {
    EXPECT_NE(name, "x-only-on-hop-2");
    EXPECT_NE(name, "location");
    if (name == "x-hop") {
      ++hops;
      EXPECT_EQ(value, "final");
    }
  }
  EXPECT_EQ(hops, 1);
  EXPECT_EQ(got.body, kPage);
}

TEST_F(PageFetch, WithoutRedirectsAllowedTheRedirectItselfIsTheAnswer) {
  auto got = collect(get(server.url("/r1")));
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.status, 302);
  EXPECT_EQ(got.effective_url, server.url("/r1"));
}

// ---- Time and size limits --------------------------------------------------------------------

TEST_F(PageFetch, APageThatNeverFinishesTimesOutOnTime) {
  PageFetchOptions options = local;
  options.timeout = 1000ms;
  auto started = Clock::now();
  auto page = fetch(server.url("/never"), options);
  double elapsed = ms_between(started, Clock::now());
  std::cout << "[ figures  ] timeout 1000 ms took " << elapsed << " ms\n";
  EXPECT_EQ(page.error, "timed out after 1 s");
  EXPECT_EQ(page.error_code, "url_not_accessible");
  EXPECT_GE(elapsed, 950);
  EXPECT_LT(elapsed, 2000);
  EXPECT_EQ(transfers_in_flight(), 0u);
}

TEST_F(PageFetch, AFractionalTimeoutIsSaidAsSuch) {
  PageFetchOptions options = local;
  options.timeout = 300ms;
  EXPECT_EQ(fetch(server.url("/never"), options).error, "timed out after 0.3 s");
}

TEST_F(PageFetch, AHugePageIsCutAtTheBodyLimitWithoutBeingReadWhole) {
  auto started = Clock::now();
  auto page = fetch(server.url("/huge"));
  double elapsed = ms_between(started, Clock::now());
  ASSERT_TRUE(eventually([&] { return server.huge_ended_at().has_value(); }, 5000ms));
  std::size_t sent = server.huge_bytes_sent();
  std::cout << "[ figures  ] 50 MB page: fetch_page took " << elapsed << " ms, server got to send " << sent
            << " bytes (body limit " << page_body_limit(local.max_chars) << ")\n";
  EXPECT_EQ(page.error, "");
  EXPECT_TRUE(page.page.truncated);
  EXPECT_LT(elapsed, 3000);
  EXPECT_LT(sent, page_body_limit(local.max_chars) + 16 * 1024 * 1024);  // the limit plus socket buffers
  EXPECT_LT(sent, kHugeSize / 2);
}

TEST_F(PageFetch, ACollectedBodyStopsAtExactlyMaxBodyBytes) {
  auto call = get(server.url("/huge"));
  call.max_body_bytes = 1'000'000;
  auto started = Clock::now();
  auto got = collect(std::move(call));
  std::cout << "[ figures  ] 50 MB page, 1 MB limit: collected " << got.body.size() << " bytes in "
            << ms_between(started, Clock::now()) << " ms\n";
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.status, 200);
  EXPECT_TRUE(got.truncated);
  EXPECT_EQ(got.body.size(), 1'000'000u);
  EXPECT_TRUE(got.body.starts_with("<p>Lorem ipsum"));
}

TEST_F(PageFetch, ABodyOfExactlyMaxBodyBytesIsNotTruncated) {
  auto call = get(server.url("/exact"));
  call.max_body_bytes = 1000;
  auto got = collect(std::move(call));
  EXPECT_EQ(got.error, "");
  EXPECT_FALSE(got.truncated);
  EXPECT_EQ(got.body, std::string(1000, 'e'));

  call = get(server.url("/exact"));
  call.max_body_bytes = 999;
  got = collect(std::move(call));
  EXPECT_TRUE(got.truncated);
  EXPECT_EQ(got.body.size(), 999u);
}

TEST(PageBodyLimit, EightBytesACharacterBetween2And10Megabytes) {
  EXPECT_EQ(page_body_limit(50'000), 2u * 1024 * 1024);
  EXPECT_EQ(page_body_limit(500'000), 4'000'000u);
  EXPECT_EQ(page_body_limit(100'000'000), 10u * 1024 * 1024);
  EXPECT_EQ(page_body_limit(SIZE_MAX), 10u * 1024 * 1024);
}

// ---- Private addresses -----------------------------------------------------------------------

TEST_F(PageFetch, ALoopbackUrlIsRefusedUnlessPrivateAddressesAreAllowed) {
  PageFetchOptions options;  // allow_private = false
  auto page = fetch(server.url("/page"), options);
  EXPECT_EQ(page.error, "refused: 127.0.0.1 is a private address");
  EXPECT_EQ(page.error_code, "url_not_allowed");
  EXPECT_EQ(server.connections_accepted(), 0);

  EXPECT_EQ(fetch(server.url("/page")).error, "");  // allowed
}

TEST_F(PageFetch, MalformedAndForbiddenUrlsAreRefusedBeforeAnyConnection) {
  auto page = fetch("ftp://127.0.0.1/file");
  EXPECT_EQ(page.error, "only http and https URLs can be fetched");
  EXPECT_EQ(page.error_code, "url_not_allowed");
  page = fetch("https://exa mple.com/");
  EXPECT_EQ(page.error_code, "invalid_tool_input");
  EXPECT_EQ(page.url, "https://exa mple.com/");
}

TEST_F(PageFetch, ANameThatResolvesToAPrivateAddressIsRefusedWhenConnecting) {
  auto call = get("http://localhost:" + std::to_string(server.port()) + "/page");
  call.refuse_private_addresses = true;
  auto got = collect(std::move(call));
  EXPECT_TRUE(got.refused);
  EXPECT_TRUE(got.error.starts_with("refused: ")) << got.error;
  EXPECT_TRUE(got.error.ends_with(" is a private address")) << got.error;
  EXPECT_EQ(got.status, 0);
  EXPECT_EQ(server.connections_accepted(), 0);  // not even a TCP handshake
}

TEST_F(PageFetch, AReusedConnectionToAPrivateAddressIsRefusedToo) {
  auto first = collect(get(server.url("/page")));  // leaves a connection in curl's pool
  ASSERT_EQ(first.error, "");
  auto call = get(server.url("/page"));
  call.refuse_private_addresses = true;
  auto got = collect(std::move(call));
  EXPECT_TRUE(got.refused);
  EXPECT_EQ(got.error, "refused: 127.0.0.1 is a private address");
  EXPECT_EQ(server.requests().size(), 1u);  // the second request was never sent
}

// ---- Through an HTTP(S) proxy ----------------------------------------------------------------

// HTTPS_PROXY and http_proxy name a proxy on loopback, as a user's local proxy would be, and
// private addresses are refused. The test's names resolve through `options.resolve`.
class PageFetchThroughAProxy : public ::testing::Test {
 protected:
  PageFetchThroughAProxy() {
    options.resolve = [this](std::string host) -> net::awaitable<ResolvedHost> {
      looked_up.push_back(host);
      static const std::map<std::string, std::vector<std::string>> kNames = {
          {"pages.example", {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"}},
          {"intranet.example", {"10.0.0.5"}},
          {"mixed.example", {"93.184.215.14", "169.254.169.254"}}};
      ResolvedHost resolved;
      if (auto it = kNames.find(host); it != kNames.end()) resolved.addresses = it->second;
      else resolved.error = "Could not resolve host: " + host;
      co_return resolved;
    };
  }

  static const SiteCertificate& certificate() {
    static const SiteCertificate site;
    return site;
  }
  static Settings settings_trusting_the_sites() {
    Settings s = test_settings();
    s.ca_bundle = certificate().pem_file();
    return s;
  }

  FetchedPage fetch(const std::string& url) { return run(fetch_page(context, url, options)); }

  TestProxy proxy{certificate()};
  ProxyEnvironment environment{{{"HTTPS_PROXY", proxy.url()}, {"http_proxy", proxy.url()}}};
  ServerContext context{settings_trusting_the_sites()};
  PageFetchOptions options;
  std::vector<std::string> looked_up;  // by options.resolve
};

TEST_F(PageFetchThroughAProxy, APublicNameIsFetchedThroughAProxyOnLoopback) {
  auto page = fetch("https://pages.example/page");
  EXPECT_EQ(page.error, "");
  EXPECT_EQ(page.url, "https://pages.example/page");
  EXPECT_NE(page.page.text.find("Served behind the proxy."), std::string::npos) << page.page.text;
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"pages.example:443"});
  EXPECT_EQ(looked_up, std::vector<std::string>{"pages.example"});
}

TEST_F(PageFetchThroughAProxy, APublicAddressIsFetchedWithoutALookup) {
  auto page = fetch("https://203.0.113.7/page");
  EXPECT_EQ(page.error, "");
  EXPECT_NE(page.page.text.find("Served behind the proxy."), std::string::npos) << page.page.text;
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"203.0.113.7:443"});
  EXPECT_TRUE(looked_up.empty());
}

TEST_F(PageFetchThroughAProxy, ANameThatResolvesToAPrivateAddressIsRefusedAndTheProxyNeverHearsOfIt) {
  auto page = fetch("https://intranet.example/secret");
  EXPECT_EQ(page.error, "refused: 10.0.0.5 is a private address");
  EXPECT_EQ(page.error_code, "url_not_allowed");
  EXPECT_EQ(page.status, 0);
  EXPECT_EQ(proxy.connections_accepted(), 0);
}

TEST_F(PageFetchThroughAProxy, ANameWithAnyPrivateAddressIsRefused) {
  auto page = fetch("https://mixed.example/");
  EXPECT_EQ(page.error, "refused: 169.254.169.254 is a private address");
  EXPECT_EQ(proxy.connections_accepted(), 0);
}

TEST_F(PageFetchThroughAProxy, ARedirectToAPrivateNameIsRefusedBeforeTheProxyIsAskedForIt) {
  auto page = fetch("https://pages.example/to-intranet");
  EXPECT_EQ(page.error, "refused: 10.0.0.5 is a private address");
  EXPECT_EQ(page.error_code, "url_not_allowed");
  EXPECT_EQ(page.url, "https://intranet.example/secret");
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"pages.example:443"});
}

TEST_F(PageFetchThroughAProxy, ARedirectToAPrivateAddressIsRefusedBeforeTheProxyIsAskedForIt) {
  auto page = fetch("https://203.0.113.7/to-private-literal");
  EXPECT_EQ(page.error, "refused: 10.0.0.5 is a private address");
  EXPECT_EQ(page.error_code, "url_not_allowed");
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"203.0.113.7:443"});
}

TEST_F(PageFetchThroughAProxy, TheSystemResolverJudgesARedirectToLocalhost) {
  options.resolve = nullptr;  // getaddrinfo: localhost is 127.0.0.1 (and ::1) everywhere
  auto page = fetch("https://203.0.113.7/to-localhost");
  EXPECT_TRUE(page.error == "refused: 127.0.0.1 is a private address" ||
              page.error == "refused: ::1 is a private address")
      << page.error;
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"203.0.113.7:443"});
}

TEST_F(PageFetchThroughAProxy, ARedirectToAPublicNameIsFollowedThroughTheProxy) {
  auto page = fetch("https://pages.example/to-page");
  EXPECT_EQ(page.error, "");
  EXPECT_EQ(page.url, "https://pages.example/page");
  EXPECT_EQ(proxy.requests(), (std::vector<std::string>{"pages.example:443", "pages.example:443"}));
  EXPECT_EQ(looked_up, (std::vector<std::string>{"pages.example", "pages.example"}));  // every hop
}

TEST_F(PageFetchThroughAProxy, ANameThatDoesNotResolveHereIsNotSentToTheProxy) {
  auto page = fetch("https://nowhere.example/");
  EXPECT_EQ(page.error,
            "Could not resolve host: nowhere.example (looked up here to check its addresses before a fetch "
            "through the proxy)");
  EXPECT_EQ(page.error_code, "url_not_accessible");
  EXPECT_EQ(proxy.connections_accepted(), 0);
}

TEST_F(PageFetchThroughAProxy, WithPrivateAddressesAllowedNothingIsLookedUp) {
  options.allow_private = true;
  auto page = fetch("https://intranet.example/page");
  EXPECT_EQ(page.error, "");
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"intranet.example:443"});
  EXPECT_TRUE(looked_up.empty());
}

TEST_F(PageFetchThroughAProxy, AHostInNoProxyIsFetchedDirectly) {
  TestServer site;
  options.allow_private = true;  // the direct site is on loopback
  EXPECT_EQ(fetch(site.url("/page")).error, "");
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"GET " + site.url("/page")});  // http_proxy
  EXPECT_EQ(site.requests().size(), 0u);

  setenv("NO_PROXY", "localhost,127.0.0.1", 1);  // restored with the others
  EXPECT_EQ(fetch(site.url("/page")).error, "");
  EXPECT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(site.requests().size(), 1u);
}

TEST_F(PageFetchThroughAProxy, AGuardedTransferWithoutAProxyNamedGoesDirect) {
  TestServer site;
  UpstreamCall call;
  call.url = site.url("/page");
  call.refuse_private_addresses = true;
  auto got = run(collect_transfer(std::move(call)));
  EXPECT_EQ(got.error, "refused: 127.0.0.1 is a private address");  // judged: the target itself
  EXPECT_EQ(proxy.connections_accepted(), 0);
}

TEST_F(PageFetchThroughAProxy, TheUpstreamApiStillGoesThroughTheEnvironmentsProxy) {
  UpstreamCall call;
  call.url = "http://api.example/v1/responses";
  call.body = std::make_shared<const std::string>(R"({"model":"x"})");
  call.headers = {{"Content-Type", "application/json"}};
  auto got = run(collect_transfer(std::move(call)));
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(proxy.requests(), std::vector<std::string>{"POST http://api.example/v1/responses"});
}

// ---- Abandoned fetches -----------------------------------------------------------------------

TEST_F(PageFetch, ACancelledFetchClosesItsConnectionAtOnce) {
  using namespace boost::asio::experimental::awaitable_operators;
  net::io_context io;
  int winner = -1;
  auto started = Clock::now();
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        net::steady_timer timer(co_await net::this_coro::executor, 100ms);
        auto outcome = co_await (fetch_page(context, server.url("/never"), local) ||
                                 timer.async_wait(net::use_awaitable));
        winner = static_cast<int>(outcome.index());
      },
      net::detached);
  io.run();
  double returned = ms_between(started, Clock::now());
  EXPECT_EQ(winner, 1);
  ASSERT_TRUE(eventually([&] { return server.never_closed_at().has_value(); }));
  double closed = ms_between(started, *server.never_closed_at());
  EXPECT_EQ(UpstreamClient::of(io.get_executor()).active(), 0u);
  std::cout << "[ figures  ] cancelled at 100 ms: the fetch returned at " << returned
            << " ms, the server saw the close at " << closed << " ms\n";
  EXPECT_LT(returned, 200);
  EXPECT_LT(closed, 250);
}

TEST_F(PageFetch, ADestroyedFetchClosesItsConnection) {
  {
    net::io_context io;
    net::co_spawn(io, fetch_page(context, server.url("/never"), local), net::detached);
    io.run_for(150ms);
    ASSERT_EQ(UpstreamClient::of(io.get_executor()).active(), 1u);
  }  // the suspended coroutine is destroyed with its io_context
  EXPECT_TRUE(eventually([&] { return server.never_closed_at().has_value(); }, 500ms));
}

// ---- POSTs stay POSTs ------------------------------------------------------------------------

TEST_F(PageFetch, ACallWithABodyIsStillAPost) {
  UpstreamCall call = get(server.url("/echo"));
  call.body = std::make_shared<const std::string>(R"({"hello":"upstream"})");
  call.headers = {{"Content-Type", "application/json"}};
  auto got = collect(std::move(call));
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, R"({"hello":"upstream"})");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].headers.count("expect"), 0u);  // "Expect:" suppresses 100-continue
}

}  // namespace
}  // namespace claudegpt
