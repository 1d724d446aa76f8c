// Everything claudegpt can be told, with its default. For now read from the environment
// (the launcher issue adds .env files and flags on top); the server and upstream client
// take a Settings and never read the environment themselves.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>

#include "core/model_tier.h"

namespace claudegpt {

struct Settings {
  // Where `claudegpt serve` listens.
  std::string host = "127.0.0.1";             // CLAUDEGPT_HOST
  int port = 3210;                            // CLAUDEGPT_PORT

  // Upstream.
  std::string provider = "openai";            // CLAUDEGPT_PROVIDER
  std::string openai_api_key;                 // OPENAI_API_KEY (secret: never logged)
  std::string openai_base_url = "https://api.openai.com/v1";  // OPENAI_BASE_URL

  // Upstream model per tier, and what the identity statement says about its cutoff.
  std::string model_opus = "gpt-5.5";         // CLAUDEGPT_OPENAI_OPUS
  std::string model_sonnet = "gpt-5.4-mini";  // CLAUDEGPT_OPENAI_SONNET
  std::string model_haiku = "gpt-5.4-mini";   // CLAUDEGPT_OPENAI_HAIKU
  std::string cutoff_opus, cutoff_sonnet, cutoff_haiku;  // CLAUDEGPT_CUTOFF_OPUS|SONNET|HAIKU
  // The upstream model's real context window per tier, for the "prompt is too long: N
  // tokens > M maximum" message Claude Code compacts on. The GPT-5 family's is 400k.
  std::int64_t context_opus = 400'000;        // CLAUDEGPT_BACKEND_CONTEXT_OPUS
  std::int64_t context_sonnet = 400'000;      // CLAUDEGPT_BACKEND_CONTEXT_SONNET
  std::int64_t context_haiku = 400'000;       // CLAUDEGPT_BACKEND_CONTEXT_HAIKU
  bool rewrite_identity = true;               // CLAUDEGPT_REWRITE_IDENTITY
  std::string default_effort = "medium";      // CLAUDEGPT_REASONING_EFFORT

  // Limits and timeouts.
  std::size_t max_body_bytes = 32 * 1024 * 1024;          // CLAUDEGPT_MAX_BODY_BYTES
  std::chrono::milliseconds connect_timeout{15'000};      // CLAUDEGPT_CONNECT_TIMEOUT (s)
  // Until the first upstream event; generous because reasoning can think for minutes.
  std::chrono::milliseconds first_event_timeout{300'000}; // CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT (s)
  std::chrono::milliseconds idle_timeout{300'000};        // CLAUDEGPT_STREAM_IDLE_TIMEOUT (s)
  std::chrono::milliseconds ping_interval{15'000};        // CLAUDEGPT_PING_INTERVAL_MS

  // The upstream model for a client's requested model name: by tier, else passed through.
  std::string upstream_model(std::string_view requested_model) const;
  std::string cutoff_for(std::string_view requested_model) const;
  std::int64_t context_window_for(std::string_view requested_model) const;  // 0: unknown

  // Reads the variables named above; `getenv` is injectable for tests. Throws
  // std::invalid_argument naming the variable when a value does not parse.
  static Settings from_environment(
      const std::function<const char*(const char*)>& getenv = [](const char* k) {
        return std::getenv(k);
      });
};

}  // namespace claudegpt
