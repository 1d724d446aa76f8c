// The Anthropic-facing HTTP server: what Claude Code talks to.
//
//   POST /v1/messages[?beta=true]              translated to the upstream, streamed back
//   POST /v1/messages/count_tokens[?beta=true] counted locally (o200k_base)
//   GET  /health, /healthz                     provider, endpoint, model per tier, version
//   GET|HEAD /, HEAD /api/hello                200 (Claude Code probes them)
//
// With Settings::access_token set, everything but the probes and /health answers 401
// unless the request carries the token as `x-api-key` or `Authorization: Bearer`.
//
// One coroutine per connection. CLAUDEGPT_THREADS I/O threads (one per core by default), each
// with its own io_context and upstream client; one acceptor deals the connections out to them
// in turn, and a connection, its turn and the turn's upstream transfer stay on that thread.
// Blocking work (a token refresh) and counting run on small pools of their own.
//
// Any local process may connect: what it can make the server hold is bounded
// (server/request_reader.h, server/connection_table.h), and no exception raised while
// serving one connection ends the server.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/settings.h"

namespace claudegpt {

class HttpServer {
 public:
  explicit HttpServer(Settings settings);
  ~HttpServer();

  // Binds and listens; returns the bound port (useful with port 0). Throws when the address
  // is not a loopback one and no access token is set.
  unsigned short listen(const std::string& host, unsigned short port);

  // Serves until SIGINT/SIGTERM or stop().
  void run();

  // Serves until stop(), leaving signals to the caller (the launcher forwards them to
  // Claude Code instead).
  void run_until_stopped();

  // Thread-safe.
  void stop();

  // Runs `job` on the first I/O thread (thread-safe). Tests use it to throw from a handler.
  void post(std::function<void()> job);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace claudegpt
