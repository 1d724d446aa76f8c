// bench_load: the load generator of the benchmarks. One thread, N streams in flight, each on
// its own keep-alive connection; it reads the bytes and times them, nothing more, so that on a
// small machine it takes as little CPU from the proxy as it can.
//
//   bench_load latency    --proxy HOST:PORT --direct HOST:PORT --body F --direct-body F
//                         --concurrency N --requests M
//       Each stream alternates a request straight to the upstream (the body the proxy sends it)
//       and the client's request through the proxy: both kinds see the same machine state.
//       Prints JSON: p50/p99 of time to first body byte and to last byte, per kind, in ms.
//   bench_load throughput --proxy HOST:PORT --body F --concurrency N --seconds S [--scenario X]
//       Requests through the proxy back to back; JSON: streams/s, client events/s. The
//       upstream answers each with X: delta (2,000 small deltas, the default) or text_ (the
//       recorded plain text answer: a turn costs the proxy mostly its request).
//   bench_load hold       --proxy HOST:PORT --body F --concurrency N --seconds S
//       Opens N streams, prints "ready" once every one has its first bytes, holds them S
//       seconds, then closes them.
//   bench_load soak       --proxy HOST:PORT --body F --nostream-body F --concurrency N
//                         --seconds S --pace MS
//       Mixed turns (text and 3-tool-call turns, streaming and not) for S seconds; checks
//       every answer: HTTP 200, a complete message, each tool call id exactly once. JSON.
//
// Bodies carry the marker "BENCHSCN=<scenario>/<pace>/<nonce>" (prepare.mjs); it is
// rewritten per request to choose what bench_upstream answers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

namespace {

std::map<std::string, std::string> args;
std::string arg(const std::string& name, const std::string& fallback = "") {
  auto it = args.find(name);
  if (it != args.end()) return it->second;
  if (fallback.empty()) throw std::runtime_error("missing --" + name);
  return fallback;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

tcp::endpoint endpoint_of(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  return {net::ip::make_address(host_port.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(host_port.substr(colon + 1)))};
}

// A whole HTTP request, with the offset of the marker's fields (or npos).
struct Request {
  std::string bytes;
  std::size_t marker = std::string::npos;

  // name: 5 characters; nonce: up to 10 digits.
  void set_marker(std::string_view name, int pace_ms, unsigned long nonce) {
    if (marker == std::string::npos) return;
    char fields[32];
    std::snprintf(fields, sizeof fields, "%.5s/%05d/%010lu", name.data(), pace_ms, nonce);
    std::memcpy(bytes.data() + marker, fields, 22);
  }
};

Request make_request(std::string_view target, std::string_view auth, const std::string& body) {
  Request r;
  r.bytes = "POST " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(auth) +
            "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n";
  std::size_t header = r.bytes.size();
  r.bytes += body;
  std::size_t at = body.rfind("BENCHSCN=");
  if (at != std::string::npos) r.marker = header + at + 9;
  return r;
}

Request proxy_request(const std::string& body) {
  return make_request("/v1/messages?beta=true",
                      "x-api-key: dummy\r\nanthropic-version: 2023-06-01\r\n", body);
}
Request direct_request(const std::string& body) {
  return make_request("/v1/responses", "Authorization: Bearer test-key\r\n", body);
}

struct Result {
  bool ok = false;
  unsigned status = 0;
  double ttfb_ms = 0;
  double ttlb_ms = 0;
  std::string body;
  std::string error;
};

// One keep-alive connection to one endpoint; reconnects when the server closed it.
class Connection {
 public:
  Connection(net::any_io_executor ex, tcp::endpoint ep) : socket_(ex), endpoint_(ep) {}

  net::awaitable<Result> exchange(const std::string& request, bool keep_body) {
    Result r;
    if (!socket_.is_open()) {
      auto [ec] = co_await socket_.async_connect(endpoint_, kNoThrow);
      if (ec) {
        socket_.close();
        r.error = "connect: " + ec.message();
        co_return r;
      }
      socket_.set_option(tcp::no_delay(true));
      buffer_.clear();
    }
    const auto start = Clock::now();
    auto [wec, wn] = co_await net::async_write(socket_, net::buffer(request), kNoThrow);
    if (wec) {
      socket_.close();
      r.error = "write: " + wec.message();
      co_return r;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    bool first = false;
    while (!parser.is_done()) {
      auto [ec, n] = co_await http::async_read_some(socket_, buffer_, parser, kNoThrow);
      if (ec) {
        socket_.close();
        r.error = "read: " + ec.message();
        co_return r;
      }
      if (!first && parser.is_header_done() && !parser.get().body().empty()) {
        first = true;
        r.ttfb_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      }
      // Not kept: the body is dropped as it comes, so a long stream costs no memory.
      if (!keep_body && parser.get().body().size() > (1 << 16)) {
        bytes_dropped_ += parser.get().body().size();
        events_ += count_events(parser.get().body());
        parser.get().body().clear();
      }
    }
    r.ttlb_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    r.status = parser.get().result_int();
    r.body = std::move(parser.get().body());
    if (!keep_body) events_ += count_events(r.body);
    r.ok = r.status == 200;
    if (!r.ok) r.error = "HTTP " + std::to_string(r.status);
    if (!parser.get().keep_alive()) socket_.close();
    co_return r;
  }

  static std::size_t count_events(std::string_view body) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = body.find("event: ", at)) != std::string_view::npos; at += 7) ++n;
    return n;
  }

  std::size_t events() const { return events_; }
  tcp::socket& socket() { return socket_; }

 private:
  tcp::socket socket_;
  tcp::endpoint endpoint_;
  boost::beast::flat_buffer buffer_;
  std::size_t bytes_dropped_ = 0;
  std::size_t events_ = 0;
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * (v.size() - 1))];
}

std::string stats(const std::vector<double>& v) {
  char s[160];
  std::snprintf(s, sizeof s, "{\"p50\":%.4f,\"p99\":%.4f,\"min\":%.4f,\"n\":%zu}", quantile(v, 0.5),
                quantile(v, 0.99), v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()), v.size());
  return s;
}

// --- latency ---------------------------------------------------------------------------------
int run_latency(net::io_context& io) {
  Request proxied = proxy_request(read_file(arg("body")));
  Request direct = direct_request(read_file(arg("direct-body")));
  const int concurrency = std::stoi(arg("concurrency", "1"));
  const int total = std::stoi(arg("requests", "2000"));
  const int warmup = std::stoi(arg("warmup", "20"));
  struct Samples {
    std::vector<double> ttfb, ttlb;
  } by_kind[2];
  int next = 0, failed = 0, warm = 0;
  std::string last_error;
  auto worker = [&]() -> net::awaitable<void> {
    Connection to_proxy(io.get_executor(), endpoint_of(arg("proxy")));
    Connection to_direct(io.get_executor(), endpoint_of(arg("direct")));
    for (;;) {
      int i;
      if (warm < warmup * concurrency) i = -1, ++warm;
      else if (next < total) i = next++;
      else break;
      // Interleaved on each stream: direct, proxied, direct, ...
      for (int kind = 0; kind < 2; ++kind) {
        // (Not a conditional expression around co_await: GCC 12 miscompiles that.)
        Result r;
        if (kind == 0) r = co_await to_direct.exchange(direct.bytes, false);
        else r = co_await to_proxy.exchange(proxied.bytes, false);
        if (!r.ok) {
          ++failed;
          last_error = r.error;
          continue;
        }
        if (i >= 0) {
          by_kind[kind].ttfb.push_back(r.ttfb_ms);
          by_kind[kind].ttlb.push_back(r.ttlb_ms);
        }
      }
    }
  };
  // Background streams (--background N): N streams kept open through the proxy, the upstream
  // pacing their events (--background-pace ms apart), restarted as they end; the measured
  // requests then see a proxy with N streams in flight without being queued behind each other.
  const int background = std::stoi(arg("background", "0"));
  Request paced = proxy_request(read_file(arg("background-body", arg("body"))));
  paced.set_marker("text_", std::stoi(arg("background-pace", "200")), 0);
  int measuring = concurrency;
  std::size_t background_streams = 0;
  auto background_worker = [&](int b) -> net::awaitable<void> {
    Connection c(io.get_executor(), endpoint_of(arg("proxy")));
    net::steady_timer t(io, std::chrono::milliseconds(b % 100));
    co_await t.async_wait(kNoThrow);
    while (measuring > 0) {
      Result r = co_await c.exchange(paced.bytes, false);
      if (!r.ok) ++failed, last_error = "background: " + r.error;
      else ++background_streams;
    }
  };
  auto measured = [&]() -> net::awaitable<void> {
    if (background > 0) {  // lets the background streams get going first
      net::steady_timer t(io, std::chrono::milliseconds(500));
      co_await t.async_wait(kNoThrow);
    }
    co_await worker();
    if (--measuring == 0) io.stop();
  };
  for (int b = 0; b < background; ++b) net::co_spawn(io, background_worker(b), net::detached);
  for (int i = 0; i < concurrency; ++i) net::co_spawn(io, measured(), net::detached);
  io.run();
  std::printf("{\"concurrency\":%d,\"background\":%d,\"background_streams\":%zu,\"requests\":%d,\"failed\":%d,\"last_error\":\"%s\",\n"
              " \"direct\":{\"ttfb\":%s,\"ttlb\":%s},\n \"proxy\":{\"ttfb\":%s,\"ttlb\":%s}}\n",
              concurrency, background, background_streams, total, failed, last_error.c_str(),
              stats(by_kind[0].ttfb).c_str(),
              stats(by_kind[0].ttlb).c_str(), stats(by_kind[1].ttfb).c_str(),
              stats(by_kind[1].ttlb).c_str());
  return failed == 0 ? 0 : 1;
}

// --- throughput ------------------------------------------------------------------------------
int run_throughput(net::io_context& io) {
  Request proxied = proxy_request(read_file(arg("body")));
  proxied.set_marker(arg("scenario", "delta"), 0, 0);
  const int concurrency = std::stoi(arg("concurrency", "16"));
  const double seconds = std::stod(arg("seconds", "10"));
  const auto start = Clock::now();
  const auto warm_end = start + std::chrono::duration<double>(seconds * 0.2);
  const auto end = warm_end + std::chrono::duration<double>(seconds);
  std::size_t streams = 0, events = 0, failed = 0;
  std::string last_error;
  auto worker = [&]() -> net::awaitable<void> {
    Connection c(io.get_executor(), endpoint_of(arg("proxy")));
    while (Clock::now() < end) {
      std::size_t before = c.events();
      Result r = co_await c.exchange(proxied.bytes, false);
      auto now = Clock::now();
      if (!r.ok) {
        ++failed;
        last_error = r.error;
        continue;
      }
      if (now >= warm_end && now < end) {
        ++streams;
        events += c.events() - before;
      }
    }
  };
  for (int i = 0; i < concurrency; ++i) net::co_spawn(io, worker(), net::detached);
  io.run();
  std::printf("{\"concurrency\":%d,\"seconds\":%.1f,\"streams\":%zu,\"failed\":%zu,"
              "\"last_error\":\"%s\",\"streams_per_s\":%.1f,\"events_per_s\":%.0f}\n",
              concurrency, seconds, streams, failed, last_error.c_str(), streams / seconds,
              events / seconds);
  return failed == 0 ? 0 : 1;
}

// --- hold ------------------------------------------------------------------------------------
int run_hold(net::io_context& io) {
  Request proxied = proxy_request(read_file(arg("body")));
  proxied.set_marker("hold_", 0, 0);
  const int concurrency = std::stoi(arg("concurrency", "1000"));
  const double seconds = std::stod(arg("seconds", "10"));
  int started = 0, failed = 0;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  auto opener = [&](int) -> net::awaitable<void> {
    auto socket = std::make_unique<tcp::socket>(io);
    auto [ec] = co_await socket->async_connect(endpoint_of(arg("proxy")), kNoThrow);
    if (!ec) std::tie(ec, std::ignore) = co_await net::async_write(*socket, net::buffer(proxied.bytes), kNoThrow);
    // Waits for the first bytes of the answer (status line and the first events).
    char buf[4096];
    std::size_t n = 0;
    if (!ec) std::tie(ec, n) = co_await socket->async_read_some(net::buffer(buf), kNoThrow);
    if (ec || n < 12 || std::string_view(buf, 12) != "HTTP/1.1 200") ++failed;
    else ++started;
    sockets.push_back(std::move(socket));
    if (started + failed == concurrency) {
      std::printf("ready %d streams open, %d failed\n", started, failed);
      std::fflush(stdout);
      net::steady_timer t(io, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
      co_await t.async_wait(kNoThrow);
      for (auto& s : sockets) s->close();
    }
  };
  for (int i = 0; i < concurrency; ++i) net::co_spawn(io, opener(i), net::detached);
  io.run();
  return failed == 0 ? 0 : 1;
}

// --- soak ------------------------------------------------------------------------------------
int run_soak(net::io_context& io) {
  const std::string stream_body = read_file(arg("body"));
  const std::string nostream_body = read_file(arg("nostream-body"));
  const int concurrency = std::stoi(arg("concurrency", "1000"));
  const double seconds = std::stod(arg("seconds", "600"));
  const int pace = std::stoi(arg("pace", "200"));
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  unsigned long nonce = 0;
  struct Kind {
    const char* name;
    std::size_t done = 0, failed = 0;
  };
  Kind kinds[4] = {{"text-stream"}, {"tools-stream"}, {"tools-nostream"}, {"text-nostream"}};
  std::size_t calls_expected = 0, calls_once = 0, calls_missing = 0, calls_duplicated = 0;
  std::string last_error;
  int dumped = 0;
  auto worker = [&](int w) -> net::awaitable<void> {
    Connection c(io.get_executor(), endpoint_of(arg("proxy")));
    Request stream_req = proxy_request(stream_body), nostream_req = proxy_request(nostream_body);
    // Starts are spread over the first pace interval, not all at once.
    net::steady_timer t(io, std::chrono::microseconds(w * 1000L * std::max(pace, 1) / concurrency));
    co_await t.async_wait(kNoThrow);
    for (unsigned long i = w; Clock::now() < end; i += concurrency) {
      // Of every 20 turns: 10 text and 7 tool turns streamed, 2 tool and 1 text not streamed.
      int slot = static_cast<int>(i % 20);
      int k = slot < 10 ? 0 : slot < 17 ? 1 : slot < 19 ? 2 : 3;
      bool tools = k == 1 || k == 2;
      bool streamed = k < 2;
      Request& req = streamed ? stream_req : nostream_req;
      unsigned long n = ++nonce;
      req.set_marker(tools ? "tools" : "text_", pace, n);
      Result r = co_await c.exchange(req.bytes, true);
      bool ok = r.ok;
      if (ok && streamed)
        ok = r.body.find("event: message_stop") != std::string::npos &&
             r.body.find("event: error") == std::string::npos;
      if (ok && !streamed) ok = r.body.find("\"stop_reason\"") != std::string::npos;
      if (ok && tools) {
        for (int call = 0; call < 3; ++call) {
          char id[48];
          std::snprintf(id, sizeof id, "\"call_%010lu_%d\"", n, call);
          std::size_t count = 0;
          for (std::size_t at = 0; (at = r.body.find(id, at)) != std::string::npos; at += 1) ++count;
          ++calls_expected;
          if (count == 1) ++calls_once;
          else if (count == 0) ++calls_missing, ok = false;
          else ++calls_duplicated, ok = false;
        }
      }
      if (ok) ++kinds[k].done;
      else if (dumped < 5 && !arg("fail-dump", "-").empty() && arg("fail-dump", "-") != "-") {
        // The first failed answers, whole, for a look.
        std::ofstream(arg("fail-dump") + "." + std::to_string(dumped++))
            << "nonce " << n << " kind " << kinds[k].name << " error " << r.error << "\n" << r.body;
      }
      if (!ok) {
        ++kinds[k].failed;
        last_error = r.error.empty() ? "bad answer: " + r.body.substr(0, 300) : r.error;
      }
    }
  };
  for (int i = 0; i < concurrency; ++i) net::co_spawn(io, worker(i), net::detached);
  // Progress on stderr every 30 s.
  net::steady_timer progress(io);
  std::function<void()> tick = [&] {
    progress.expires_after(std::chrono::seconds(30));
    progress.async_wait([&](boost::system::error_code) {
      std::size_t done = 0, failed = 0;
      for (auto& k : kinds) done += k.done, failed += k.failed;
      std::fprintf(stderr, "soak: %.0f s, %zu turns ok, %zu failed\n",
                   std::chrono::duration<double>(Clock::now() - start).count(), done, failed);
      if (Clock::now() < end) tick();
    });
  };
  tick();
  io.run();
  std::size_t done = 0, failed = 0;
  std::string by_kind;
  for (auto& k : kinds) {
    done += k.done, failed += k.failed;
    by_kind += (by_kind.empty() ? "" : ",") + std::string("\"") + k.name + "\":[" +
               std::to_string(k.done) + "," + std::to_string(k.failed) + "]";
  }
  for (char& ch : last_error)
    if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\r') ch = ' ';
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"concurrency\":%d,\"seconds\":%.0f,\"pace_ms\":%d,\"turns\":%zu,\"failed\":%zu,"
              "\"turns_per_s\":%.1f,\"by_kind\":{%s},\"tool_calls\":%zu,\"tool_calls_once\":%zu,"
              "\"tool_calls_missing\":%zu,\"tool_calls_duplicated\":%zu,\"last_error\":\"%s\"}\n",
              concurrency, elapsed, pace, done, failed, done / elapsed, by_kind.c_str(),
              calls_expected, calls_once, calls_missing, calls_duplicated, last_error.c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_load latency|throughput|hold|soak --option value...\n");
    return 2;
  }
  for (int i = 2; i + 1 < argc; i += 2) args[std::string(argv[i]).substr(2)] = argv[i + 1];
  std::string mode = argv[1];
  net::io_context io{1};
  try {
    if (mode == "latency") return run_latency(io);
    if (mode == "throughput") return run_throughput(io);
    if (mode == "hold") return run_hold(io);
    if (mode == "soak") return run_soak(io);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_load: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
