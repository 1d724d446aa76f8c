// bench_upstream: a minimal OpenAI Responses upstream for the benchmarks. One thread, no JSON:
// it answers every POST with a precomputed SSE stream (the files bench/prepare.mjs writes), so
// what the benchmarks measure is the proxy, not the fake.
//
//   bench_upstream --dir INPUTS [--port 0]      prints "listening on http://127.0.0.1:PORT"
//
// The answer is chosen by the marker the request carries ("BENCHSCN=<scenario>/<pace>/<nonce>",
// see prepare.mjs); without one, `text`:
//   text_  the recorded plain text turn          tools  3 parallel function calls
//   delta  2,000 small output_text deltas         hold_  the first events, then held open until
//                                                        the client goes away
// pace > 0 sends one event every `pace` ms instead of all at once. In tools, the call ids
// carry the nonce, so the client can check each one arrives exactly once.
// GET /_last_request answers the body of the last POST (to build the direct request).
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
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
constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

namespace {

struct Stream {
  std::string body;                 // the whole SSE text
  std::vector<std::string> events;  // the same, one framed event each (for pacing)
  std::string immediate;            // body as one HTTP chunk plus the last chunk
};

std::string chunk(std::string_view data) {
  char size[20];
  auto end = std::to_chars(size, size + sizeof size, data.size(), 16).ptr;
  std::string out(size, end);
  out += "\r\n";
  out += data;
  out += "\r\n";
  return out;
}

Stream load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Stream s;
  s.body = ss.str();
  for (std::size_t at = 0; at < s.body.size();) {
    std::size_t end = s.body.find("\n\n", at);
    end = end == std::string::npos ? s.body.size() : end + 2;
    s.events.push_back(s.body.substr(at, end - at));
    at = end;
  }
  s.immediate = chunk(s.body) + "0\r\n\r\n";
  return s;
}

struct Streams {
  Stream text, tools, delta, hold;
};
Streams streams;
std::string last_request;

constexpr std::string_view kHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

// Owns its fields: the request body they come from is replaced by the next request.
struct Scenario {
  std::string name = "text_";
  int pace_ms = 0;
  std::string nonce = "0000000000";
};

Scenario scenario_of(std::string_view body) {
  Scenario s;
  // The marker is near the end of the user input; the tail is searched first.
  constexpr std::string_view kMarker = "BENCHSCN=";
  std::size_t at = body.rfind(kMarker);
  if (at == std::string_view::npos || body.size() < at + kMarker.size() + 22) return s;
  std::string_view f = body.substr(at + kMarker.size(), 22);  // name/pace/nonce
  s.name = f.substr(0, 5);
  std::from_chars(f.data() + 6, f.data() + 11, s.pace_ms);
  s.nonce = f.substr(12, 10);
  return s;
}

std::string with_nonce(std::string_view text, std::string_view nonce) {
  std::string out;
  out.reserve(text.size());
  constexpr std::string_view kPlaceholder = "@@NONCE@@";
  std::size_t at = 0;
  for (std::size_t hit; (hit = text.find(kPlaceholder, at)) != std::string_view::npos;
       at = hit + kPlaceholder.size()) {
    out.append(text.substr(at, hit - at));
    out.append(nonce);
  }
  out.append(text.substr(at));
  return out;
}

net::awaitable<void> session(tcp::socket socket) {
  socket.set_option(tcp::no_delay(true));
  boost::beast::flat_buffer buffer;
  net::steady_timer timer(socket.get_executor());
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(socket, buffer, parser, kNoThrow);
    if (ec) co_return;
    auto& request = parser.get();
    if (request.method() == http::verb::get) {
      const std::string& body = last_request;
      std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
      auto [wec, wn] = co_await net::async_write(socket, net::buffer(response), kNoThrow);
      if (wec) co_return;
      continue;
    }
    last_request = std::move(request.body());
    Scenario sc = scenario_of(last_request);
    const Stream* stream = &streams.text;
    if (sc.name == "tools") stream = &streams.tools;
    else if (sc.name == "delta") stream = &streams.delta;
    else if (sc.name == "hold_") stream = &streams.hold;
    const bool needs_nonce = stream == &streams.tools;

    if (sc.pace_ms == 0 && stream != &streams.hold) {
      std::string response(kHead);
      response += needs_nonce ? chunk(with_nonce(stream->body, sc.nonce)) + "0\r\n\r\n"
                              : stream->immediate;
      auto [wec, wn] = co_await net::async_write(socket, net::buffer(response), kNoThrow);
      if (wec) co_return;
      continue;
    }
    {
      auto [wec, wn] = co_await net::async_write(socket, net::buffer(kHead), kNoThrow);
      if (wec) co_return;
    }
    if (stream == &streams.hold) {
      std::string head = chunk(stream->body);
      auto [wec, wn] = co_await net::async_write(socket, net::buffer(head), kNoThrow);
      if (wec) co_return;
      // Held until the client (the proxy) closes the connection.
      char byte;
      co_await socket.async_read_some(net::buffer(&byte, 1), kNoThrow);
      co_return;
    }
    for (const std::string& event : stream->events) {
      std::string c = chunk(needs_nonce ? with_nonce(event, sc.nonce) : event);
      auto [wec, wn] = co_await net::async_write(socket, net::buffer(c), kNoThrow);
      if (wec) co_return;
      timer.expires_after(std::chrono::milliseconds(sc.pace_ms));
      co_await timer.async_wait(kNoThrow);
    }
    auto [wec, wn] = co_await net::async_write(socket, net::buffer("0\r\n\r\n", 5), kNoThrow);
    if (wec) co_return;
  }
}

net::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      // Out of descriptors and the like: wait a little rather than spin.
      net::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(10));
      co_await t.async_wait(kNoThrow);
      continue;
    }
    net::co_spawn(acceptor.get_executor(), session(std::move(socket)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = ".";
  unsigned short port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--dir") dir = argv[i + 1];
    else if (a == "--port") port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
  }
  streams.text = load(dir + "/text.sse");
  streams.tools = load(dir + "/tools.sse");
  streams.delta = load(dir + "/deltas.sse");
  streams.hold = load(dir + "/hold.sse");

  net::io_context io{1};
  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), port});
  acceptor.listen(4096);
  std::printf("listening on http://127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  net::co_spawn(io, listen(acceptor), net::detached);
  io.run();
}
