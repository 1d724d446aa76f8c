// The server's request reading, hostile: raw bytes on a loopback connection to the real
// HttpServer, running in this process (headers, chunked bodies, pipelined requests, Expect,
// whatever the bytes say). Two servers run for the whole session, one that requires an access
// token and one that does not; the upstream is a closed loopback port, so /v1/messages fails
// fast instead of reaching the internet.
//
// Properties: once the client has sent its bytes and shut its side, the server answers with
// whole, valid HTTP/1.1 responses or closes, within 5 s; it never dies; every error status
// carries an Anthropic error body (JSON, UTF-8); answers to HEAD have no body; nothing follows
// a response that closes the connection; without the token the keyed server serves only its
// probes; and after every input the server still answers GET /health, with no sockets piling
// up.
//
// Input: the first byte picks the server (odd: the keyed one; '1' is keyed, '0' is open), the
// rest is what the client sends. How the bytes are cut into writes comes from the input's hash.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include "fuzz_support.h"
#include "server/http_server.h"
#include "support/log.h"

namespace claudegpt {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// The keyed server's token; fuzz/dict/http_request.dict and fuzz/seeds.mjs carry it too.
constexpr std::string_view kAccessToken = "fuzz-proxy-key-7f3a";
// Small, so that the 413 is within an input's reach.
constexpr std::size_t kMaxBodyBytes = 64 * 1024;
// The server's limit on a request's header block (kMaxHeaderBytes, server/request_reader.h).
constexpr std::size_t kServerHeaderLimit = 64 * 1024;
// The client has sent everything and shut its side: the server has nothing to wait for. Far
// below its own header deadline (30 s), which must not be what ends a request cut short.
constexpr auto kAnswerDeadline = std::chrono::seconds(5);
constexpr const char* kNoAnswer = "the server neither answered nor closed within 5 s of the client's last byte";

struct RunningServer {
  std::unique_ptr<HttpServer> server;
  unsigned short port = 0;
  std::thread thread;
};
RunningServer* servers[2];  // [0] open, [1] keyed; stopped at exit (stop_servers)

// A port nothing listens on: bound, then closed (the upstream connection is refused at once).
unsigned short closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    std::abort();
  close(fd);
  return ntohs(address.sin_port);
}

RunningServer* start_server(std::string access_token, unsigned short upstream_port) {
  Settings settings;
  settings.provider = ProviderKind::openai;
  settings.openai_base_url = "http://127.0.0.1:" + std::to_string(upstream_port) + "/v1";
  settings.openai_api_key = "k";
  settings.access_token = std::move(access_token);
  settings.upstream_retries = 0;
  settings.trace = false;
  settings.ledger = false;
  settings.map_web_fetch = false;
  settings.max_body_bytes = kMaxBodyBytes;
  auto* running = new RunningServer;
  running->server = std::make_unique<HttpServer>(std::move(settings));
  running->port = running->server->listen("127.0.0.1", 0);
  running->thread = std::thread([server = running->server.get()] { server->run_until_stopped(); });
  return running;
}

// At exit, before LeakSanitizer looks: the servers end their connections and threads, and
// everything they hold is freed (a server still running would hold memory LSan might call
// leaked, and race with the static destructors).
void stop_servers() {
  for (RunningServer*& running : servers) {
    if (!running) continue;
    running->server->stop();
    running->thread.join();
    delete running;
    running = nullptr;
  }
}

// Shows what the server sent when a property breaks (the input itself is saved by libFuzzer).
[[noreturn]] void broken(const char* what, std::string_view received, const char* file, int line) {
  std::fprintf(stderr, "\n==fuzz== the server sent %zu bytes:\n", received.size());
  std::string shown;
  for (char c : received.substr(0, 4096)) {
    if (c == '\n' || (c >= 0x20 && c < 0x7f)) shown += c;
    else if (c == '\r') shown += "\\r";
    else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      shown += hex;
    }
  }
  std::fprintf(stderr, "%s%s\n", shown.c_str(), received.size() > 4096 ? "\n[…]" : "");
  fuzz::property_broken(what, file, line);
}
#define ANSWER_CHECK(condition, what, received) \
  do {                                          \
    if (!(condition)) broken(what, received, __FILE__, __LINE__); \
  } while (0)

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct Reply {
  std::string bytes;
  bool closed = false;  // the server closed (or reset) the connection
};

// What the server sent back for `chunks`, written in turn (then the client shuts its side),
// read until the server closes or kAnswerDeadline passes. Reading goes on while writing,
// so that neither side can block the other with a full socket buffer.
Reply round_trip(unsigned short port, const std::vector<std::string_view>& chunks) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  FUZZ_CHECK(socket.fd() >= 0, "no socket for the client (out of file descriptors?)");
  const int one = 1;
  setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // each chunk a segment
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  // Non-blocking: libFuzzer's timeout alarm (SIGALRM) would interrupt a blocking connect.
  if (connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    FUZZ_CHECK(errno == EINPROGRESS || errno == EINTR, "connecting to the server failed at once");
    pollfd writable{socket.fd(), POLLOUT, 0};
    const auto until = Clock::now() + kAnswerDeadline;
    int ready;
    do {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      ready = left.count() > 0 ? poll(&writable, 1, static_cast<int>(left.count())) : 0;
    } while (ready < 0 && errno == EINTR);
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
    FUZZ_CHECK(ready > 0 && error == 0, "the server does not accept connections");
  }

  Reply reply;
  std::size_t chunk = 0, offset = 0;  // the next byte to write
  bool writing = true;
  auto deadline = Clock::now() + kAnswerDeadline;  // for taking the request, then for answering
  for (;;) {
    if (writing && chunk == chunks.size()) {
      shutdown(socket.fd(), SHUT_WR);
      writing = false;
      deadline = Clock::now() + kAnswerDeadline;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      ANSWER_CHECK(!writing, "the server stopped taking the request for 5 s, without closing", reply.bytes);
      return reply;  // not closed: the caller judges
    }
    pollfd events{socket.fd(), static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
    if (poll(&events, 1, static_cast<int>(left.count())) <= 0) continue;
    if (events.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[64 * 1024];
      const ssize_t n = recv(socket.fd(), buffer, sizeof buffer, 0);
      if (n > 0) {
        reply.bytes.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      // A close, or a reset (the server closed with input unread: on loopback what it sent
      // before has arrived whole, and is checked like any answer).
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        reply.closed = true;
        return reply;
      }
    }
    if (writing && (events.revents & POLLOUT)) {
      const std::string_view rest = chunks[chunk].substr(offset);
      const ssize_t n = send(socket.fd(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        chunk = chunks.size();  // the server closed before taking everything: read what it said
      } else if (n > 0 && (offset += static_cast<std::size_t>(n)) == chunks[chunk].size()) {
        ++chunk;
        offset = 0;
      }
    }
  }
}

struct SentRequest {
  http::verb method;
  std::string target;
};

// The requests in `bytes` whose heads the server reads, in order, parsed as the server parses
// them (same parser, same limits), up to the first one it cannot read or that closes the
// connection. Tells which answers belong to HEAD requests.
std::vector<SentRequest> requests_in(std::string_view bytes) {
  std::vector<SentRequest> requests;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.header_limit(kServerHeaderLimit);
    parser.body_limit(kMaxBodyBytes);
    bool counted = false;
    beast::error_code ec;
    while (!parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (!counted && parser.is_header_done()) {
        requests.push_back({parser.get().method(), std::string(parser.get().target())});
        counted = true;
      }
      if (ec == http::error::need_more || (!ec && used == 0)) {
        if (used == 0) return requests;  // the rest of the input is not a whole request
        ec = {};
      }
      if (ec) return requests;
    }
    if (!parser.keep_alive()) return requests;
  }
}

struct Answer {
  std::size_t offset = 0, size = 0;  // where it is in what the server sent
  int status = 0;
  unsigned version = 0;
  bool keep_alive = false;
  bool has_body = false;  // false when parsed as the answer to a HEAD
  std::string content_type;
  std::string body;
};

// The whole response at the front of `bytes` (everything the server sent from there on), or
// nothing when they do not start with one. `no_body`: it answers a HEAD.
std::optional<Answer> parse_answer(std::string_view bytes, bool no_body) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.skip(no_body);
  parser.header_limit(64 * 1024);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if ((ec == http::error::need_more || !ec) && n > 0) continue;
    if (ec == http::error::need_more || !ec) {
      parser.put_eof(ec);  // all there is: a body may end with the connection
      if (ec || !parser.is_done()) return std::nullopt;
      break;
    }
    if (ec) return std::nullopt;
  }
  Answer answer;
  const auto& response = parser.get();
  answer.size = used;
  answer.status = response.result_int();
  answer.version = response.version();
  answer.keep_alive = response.keep_alive();
  answer.has_body = !no_body;
  answer.content_type = std::string(response[http::field::content_type]);
  answer.body = response.body();
  return answer;
}

// What the server sent, cut into responses as a client reads them (with the methods of the
// requests they answer: HEAD answers have no body).
struct Answers {
  std::vector<Answer> list;
  std::size_t finals = 0;         // answers that are not 1xx: the requests answered
  std::size_t whole_bytes = 0;    // where the bytes stop being whole responses
  bool head_expected = false;     // (at that point)
  bool after_close = false;       // they go on past a response that closes the connection
};

Answers parse_answers(const std::vector<SentRequest>& requests, std::string_view received) {
  Answers answers;
  while (answers.whole_bytes < received.size() && !answers.after_close) {
    const std::string_view rest = received.substr(answers.whole_bytes);
    const bool head = answers.finals < requests.size() && requests[answers.finals].method == http::verb::head;
    std::optional<Answer> answer = parse_answer(rest, head);
    // An error that closes the connection may carry a body even for a HEAD (the server may
    // refuse the request before knowing its method): nothing is read after it.
    if (head && (!answer || answer->size < rest.size()))
      if (auto with_body = parse_answer(rest, false);
          with_body && with_body->size == rest.size() && !with_body->keep_alive && with_body->status >= 400)
        answer = std::move(with_body);
    if (!answer) {
      answers.head_expected = head;
      break;
    }
    answer->offset = answers.whole_bytes;
    answers.whole_bytes += answer->size;
    if (answer->status >= 200) {  // (100 Continue: the final answer follows)
      ++answers.finals;
      answers.after_close = !answer->keep_alive && answers.whole_bytes < received.size();
    }
    answers.list.push_back(std::move(*answer));
  }
  return answers;
}

bool is_json(const Answer& answer) { return answer.content_type.starts_with("application/json"); }

// {"type":"error","error":{"type":…,"message":…},…}, as the Anthropic API and SDKs have it.
bool is_error_body(std::string_view body) {
  beast::error_code ec;
  const json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return false;
  const json::object& object = value.get_object();
  const auto* type = object.if_contains("type");
  const auto* error = object.if_contains("error");
  if (!type || !type->is_string() || type->get_string() != "error" || !error || !error->is_object())
    return false;
  const auto* error_type = error->get_object().if_contains("type");
  const auto* message = error->get_object().if_contains("message");
  return error_type && error_type->is_string() && !error_type->get_string().empty() && message &&
         message->is_string();
}

// What came back is empty (a close) or a sequence of whole HTTP/1.1 responses, each as the
// client may expect it, nothing after one that closes the connection, then a close.
void check_answers(const std::vector<SentRequest>& requests, std::string_view sent, const Reply& reply,
                   bool keyed) {
  const std::string_view received = reply.bytes;
  const Answers answers = parse_answers(requests, received);
  ANSWER_CHECK(reply.closed, kNoAnswer, received);
  ANSWER_CHECK(answers.whole_bytes == received.size() || answers.after_close,
               answers.head_expected ? "the answer to a HEAD request is not a whole HTTP response without a body"
                                     : "the server sent bytes that are not a whole HTTP response",
               received.substr(answers.whole_bytes));
  ANSWER_CHECK(!answers.after_close, "bytes after a response that closes the connection",
               received.substr(answers.whole_bytes));
  // Without the token anywhere in the input, only the probes (GET|HEAD /, HEAD /api/hello:
  // text "ok") may succeed on the keyed server.
  const bool without_token = keyed && sent.find(kAccessToken) == std::string_view::npos;
  for (const Answer& answer : answers.list) {
    const std::string_view shown = received.substr(answer.offset, answer.size);
    ANSWER_CHECK(answer.version == 11, "a response that is not HTTP/1.1", shown);
    ANSWER_CHECK(answer.status >= 100 && answer.status <= 599, "a status outside 100..599", shown);
    if (answer.status >= 400 && answer.has_body) {
      ANSWER_CHECK(is_json(answer) && is_error_body(answer.body),
                   "an error status without an Anthropic error body ({\"type\":\"error\",…})", shown);
      ANSWER_CHECK(fuzz::is_well_formed_utf8(answer.body), "an error body that is not UTF-8", shown);
    }
    if (answer.status < 300 && answer.has_body && is_json(answer)) {
      beast::error_code ec;
      json::parse(answer.body, ec);
      ANSWER_CHECK(!ec, "a JSON response body that does not parse", shown);
    }
    if (without_token && answer.status >= 200 && answer.status < 300)
      ANSWER_CHECK(answer.content_type.starts_with("text/plain") && (!answer.has_body || answer.body == "ok"),
                   "the keyed server served more than its probes to a client without the token", shown);
  }
}

// The server is still whole: it answers a fresh connection's GET /health.
void check_health(const RunningServer& running, bool keyed) {
  std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (keyed) request.append("x-api-key: ").append(kAccessToken).append("\r\n");
  request += "Connection: close\r\n\r\n";
  const Reply reply = round_trip(running.port, {request});
  const std::optional<Answer> answer = parse_answer(reply.bytes, false);
  ANSWER_CHECK(reply.closed && answer && answer->size == reply.bytes.size() && answer->status == 200 &&
                   is_json(*answer),
               "GET /health after the input did not get a 200 (and a close)", reply.bytes);
}

std::size_t open_files() {
  std::size_t count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir)) ++count;
    closedir(dir);
  }
  return count;
}

// Neither side keeps sockets across inputs. Some slack: the server closes its side just after
// the client has read its close, and its upstream thread may still hold a refused connection.
void check_open_files() {
  static std::size_t inputs = 0;
  static std::size_t baseline = 0;
  if (++inputs % 256 != 0) return;
  const std::size_t now = open_files();
  if (baseline == 0) baseline = now;  // once curl and the rest have started
  if (now > baseline + 32) {
    std::fprintf(stderr, "\n==fuzz== %zu open files, %zu after the first 256 inputs\n", now, baseline);
    FUZZ_CHECK(false, "file descriptors pile up across inputs");
  }
}

}  // namespace
}  // namespace claudegpt

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace claudegpt;
  // A line per request: not wanted a thousand times a second, but while replaying an input.
  if (!std::getenv("CLAUDEGPT_FUZZ_SERVER_LOG")) set_log_file(nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  const unsigned short upstream = closed_port();
  servers[0] = start_server("", upstream);
  servers[1] = start_server(std::string(kAccessToken), upstream);
  std::atexit(stop_servers);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  const std::string_view input = fuzz::as_text(data, size);
  const bool keyed = size > 0 && (data[0] & 1);
  const std::string_view sent = size > 0 ? input.substr(1) : input;
  fuzz::Choices choices(fuzz::input_hash(input));
  const RunningServer& running = *servers[keyed];

  const std::vector<SentRequest> requests = requests_in(sent);
  const Reply reply = round_trip(running.port, fuzz::random_chunks(sent, choices));
  check_answers(requests, sent, reply, keyed);
  check_health(running, keyed);
  check_open_files();
  return 0;
}
