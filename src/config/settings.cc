#include "config/settings.h"

#include <charconv>
#include <stdexcept>

namespace claudegpt {
namespace {

class EnvReader {
 public:
  explicit EnvReader(const std::function<const char*(const char*)>& getenv) : getenv_(getenv) {}

  void text(const char* name, std::string& into) const {
    if (const char* value = getenv_(name); value && *value) into = value;
  }

  template <typename Int>
  void integer(const char* name, Int& into) const {
    const char* value = getenv_(name);
    if (!value || !*value) return;
    std::string_view s(value);
    Int parsed{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
    if (ec != std::errc{} || end != s.data() + s.size() || parsed < 0)
      throw std::invalid_argument(std::string(name) + ": not a whole number: " + value);
    into = parsed;
  }

  void milliseconds(const char* name, std::chrono::milliseconds& into, long scale) const {
    long count = -1;
    integer(name, count);
    if (count >= 0) into = std::chrono::milliseconds(count * scale);
  }

  void flag(const char* name, bool& into) const {
    const char* value = getenv_(name);
    if (!value || !*value) return;
    std::string_view s(value);
    if (s == "1" || s == "true" || s == "yes" || s == "on") into = true;
    else if (s == "0" || s == "false" || s == "no" || s == "off") into = false;
    else throw std::invalid_argument(std::string(name) + ": expected 1 or 0, got " + value);
  }

 private:
  const std::function<const char*(const char*)>& getenv_;
};

}  // namespace

Settings Settings::from_environment(const std::function<const char*(const char*)>& getenv) {
  Settings s;
  EnvReader env(getenv);
  env.text("CLAUDEGPT_HOST", s.host);
  env.integer("CLAUDEGPT_PORT", s.port);
  env.text("CLAUDEGPT_PROVIDER", s.provider);
  env.text("OPENAI_API_KEY", s.openai_api_key);
  env.text("OPENAI_BASE_URL", s.openai_base_url);
  while (!s.openai_base_url.empty() && s.openai_base_url.back() == '/') s.openai_base_url.pop_back();
  env.text("CLAUDEGPT_OPENAI_OPUS", s.model_opus);
  env.text("CLAUDEGPT_OPENAI_SONNET", s.model_sonnet);
  env.text("CLAUDEGPT_OPENAI_HAIKU", s.model_haiku);
  env.text("CLAUDEGPT_CUTOFF_OPUS", s.cutoff_opus);
  env.text("CLAUDEGPT_CUTOFF_SONNET", s.cutoff_sonnet);
  env.text("CLAUDEGPT_CUTOFF_HAIKU", s.cutoff_haiku);
  env.integer("CLAUDEGPT_BACKEND_CONTEXT_OPUS", s.context_opus);
  env.integer("CLAUDEGPT_BACKEND_CONTEXT_SONNET", s.context_sonnet);
  env.integer("CLAUDEGPT_BACKEND_CONTEXT_HAIKU", s.context_haiku);
  env.flag("CLAUDEGPT_REWRITE_IDENTITY", s.rewrite_identity);
  env.text("CLAUDEGPT_REASONING_EFFORT", s.default_effort);
  env.integer("CLAUDEGPT_MAX_BODY_BYTES", s.max_body_bytes);
  env.milliseconds("CLAUDEGPT_CONNECT_TIMEOUT", s.connect_timeout, 1000);
  env.milliseconds("CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT", s.first_event_timeout, 1000);
  env.milliseconds("CLAUDEGPT_STREAM_IDLE_TIMEOUT", s.idle_timeout, 1000);
  env.milliseconds("CLAUDEGPT_PING_INTERVAL_MS", s.ping_interval, 1);
  if (s.provider != "openai")
    throw std::invalid_argument("CLAUDEGPT_PROVIDER: unsupported provider '" + s.provider +
                                "' (this build supports: openai)");
  if (s.port < 0 || s.port > 65535) throw std::invalid_argument("CLAUDEGPT_PORT: out of range");
  return s;
}

namespace {

// The value configured for the tier named in `requested_model`; nullptr for other models.
template <typename T>
const T* for_tier(std::string_view requested_model, const T& opus, const T& sonnet, const T& haiku) {
  switch (tier_of(requested_model)) {
    case ModelTier::opus: return &opus;
    case ModelTier::sonnet: return &sonnet;
    case ModelTier::haiku: return &haiku;
    case ModelTier::other: break;
  }
  return nullptr;
}

}  // namespace

std::string Settings::upstream_model(std::string_view requested_model) const {
  const std::string* model = for_tier(requested_model, model_opus, model_sonnet, model_haiku);
  return model ? *model : std::string(requested_model);
}

std::int64_t Settings::context_window_for(std::string_view requested_model) const {
  const std::int64_t* window = for_tier(requested_model, context_opus, context_sonnet, context_haiku);
  return window ? *window : 0;
}

std::string Settings::cutoff_for(std::string_view requested_model) const {
  const std::string* cutoff = for_tier(requested_model, cutoff_opus, cutoff_sonnet, cutoff_haiku);
  return cutoff ? *cutoff : std::string();
}

}  // namespace claudegpt
