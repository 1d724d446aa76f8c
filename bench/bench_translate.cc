// bench_translate: the translation core alone, without sockets, for its cost.
//
//   bench_translate request FILE N [--time]
//       N times: parse the client body (parse_json, in an arena, as the proxy does), clamp
//       its numbers, translate_request, serialise the Responses body. That is all the proxy
//       does to a request before sending it. The allocator is set up as in the proxy.
//   bench_translate events SSE_FILE REQUEST_FILE N [--time]
//       N times: the recorded upstream stream (SSE bytes, several responses) fed in 16 KB reads
//       through ResponsesStreamReader, StreamTranslator (a new one per response) and write_sse.
//
// Without --time it only does the work (for `valgrind --tool=callgrind`: run it with two
// values of N; the difference in instructions over the difference in N is the cost of one
// iteration, setup excluded). With --time it prints the median and p99 wall time of one
// iteration, in ms, and for `request` of each step.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/anthropic_sse_writer.h"
#include "core/finite_numbers.h"
#include "core/json_parse.h"
#include "core/json_text.h"
#include "core/request_translator.h"
#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "support/heap.h"

using namespace claudegpt;
using Clock = std::chrono::steady_clock;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RequestOptions options() {
  RequestOptions o;
  o.upstream_model = "gpt-5.1-codex";
  o.cutoff = "2024-09-30";
  return o;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void report(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::printf("\"%s\":{\"p50\":%.4f,\"p99\":%.4f,\"n\":%zu}", what, v[v.size() / 2],
              v[static_cast<std::size_t>(0.99 * (v.size() - 1))], v.size());
}

std::size_t sink = 0;  // keeps the optimiser from dropping the work

int run_request(const std::string& text, int n, bool time) {
  const RequestOptions opts = options();
  std::vector<double> parse_ms, clamp_ms, translate_ms, serialize_ms, total_ms;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    boost::json::monotonic_resource arena;
    boost::system::error_code ec;
    boost::json::value body = parse_json(text, ec, &arena);
    auto tp = Clock::now();
    clamp_infinite_numbers(body);  // as the proxy does after every parse
    auto t1 = Clock::now();
    TranslatedRequest translated = translate_request(body, opts);
    auto t2 = Clock::now();
    std::string out = json_text(translated.body, text.size());
    auto t3 = Clock::now();
    sink += out.size();
    if (time) {
      parse_ms.push_back(ms(tp - t0));
      clamp_ms.push_back(ms(t1 - tp));
      translate_ms.push_back(ms(t2 - t1));
      serialize_ms.push_back(ms(t3 - t2));
      total_ms.push_back(ms(t3 - t0));
    }
  }
  if (time) {
    std::printf("{\"bytes\":%zu,", text.size());
    report("total", total_ms);
    std::printf(",");
    report("parse", parse_ms);
    std::printf(",");
    report("clamp", clamp_ms);
    std::printf(",");
    report("translate", translate_ms);
    std::printf(",");
    report("serialize", serialize_ms);
    std::printf("}\n");
  }
  return 0;
}

bool terminal(const std::string& type) {
  return type == "response.completed" || type == "response.failed" || type == "response.incomplete";
}

int run_events(const std::string& sse, const std::string& request, int n, bool time) {
  TranslatedRequest translated = translate_request(boost::json::parse(request), options());
  std::vector<double> total_ms;
  std::size_t events_in = 0, events_out = 0;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    ResponsesStreamReader reader;
    std::vector<ResponsesEvent> events;
    AnthropicEvents out;
    std::string bytes;
    StreamSetup setup;
    setup.message_id = "msg_bench";
    setup.client_model = "claude-opus-5-5";
    setup.upstream_model = "gpt-5.1-codex";
    setup.tools = &translated.tools;
    auto translator = std::make_unique<StreamTranslator>(setup);
    constexpr std::size_t kRead = 16 * 1024;  // what one socket read brings, about
    for (std::size_t at = 0; at < sse.size(); at += kRead) {
      events.clear();
      if (!reader.feed(std::string_view(sse).substr(at, kRead), events)) {
        std::fprintf(stderr, "reader: %s\n", reader.error().c_str());
        return 1;
      }
      for (const ResponsesEvent& e : events) {
        ++events_in;
        translator->on_event(e, out);
        for (const AnthropicEvent& a : out) write_sse(a, bytes);
        events_out += out.size();
        out.clear();
        if (terminal(e.type)) translator = std::make_unique<StreamTranslator>(setup);
      }
      sink += bytes.size();
      bytes.clear();  // sent to the client
    }
    if (time) total_ms.push_back(ms(Clock::now() - t0));
  }
  if (time) {
    std::printf("{\"events_per_iteration\":%zu,\"client_events_per_iteration\":%zu,",
                events_in / n, events_out / n);
    report("total", total_ms);
    std::printf("}\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  claudegpt::keep_freed_memory();  // as the proxy does
  std::vector<std::string> a(argv + 1, argv + argc);
  bool time = std::find(a.begin(), a.end(), "--time") != a.end();
  std::erase(a, "--time");
  try {
    if (a.size() == 3 && a[0] == "request") return run_request(read_file(a[1]), std::stoi(a[2]), time);
    if (a.size() == 4 && a[0] == "events")
      return run_events(read_file(a[1]), read_file(a[2]), std::stoi(a[3]), time);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_translate: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: bench_translate request FILE N [--time] | events SSE REQUEST N [--time]\n");
  return sink == 0 ? 2 : 2;
}
