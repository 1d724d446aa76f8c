#include "core/upstream_error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <initializer_list>
#include <limits>

#include <boost/json.hpp>

namespace claudegpt {

namespace {

namespace json = boost::json;

// The parts of an upstream error that decide how it maps.
struct UpstreamFailure {
  int status = 0;  // HTTP status; 0 inside a stream
  std::string message;
  std::string type;
  std::string code;
  std::optional<int> retry_after;  // from a header or a reset time in the body
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string string_or_number_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return {};
  if (value->is_string()) return std::string(value->get_string());
  if (value->is_int64()) return std::to_string(value->get_int64());
  return {};
}

std::optional<int> seconds_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64() && value->get_int64() >= 0)
    return static_cast<int>(std::min<std::int64_t>(value->get_int64(), 1 << 30));
  if (value->is_double() && value->get_double() >= 0)
    return static_cast<int>(std::ceil(std::min(value->get_double(), 1e9)));
  return std::nullopt;
}

// Fills message/type/code from an error object in any of the shapes upstreams use.
void read_error_object(const json::object& object, UpstreamFailure& failure) {
  const json::object* error = &object;
  // A whole response.failed event, or its response: the error is under response.error.
  if (const json::value* response = error->if_contains("response");
      response && response->is_object())
    error = &response->get_object();
  if (const json::value* nested = error->if_contains("error")) {
    if (nested->is_object()) {
      error = &nested->get_object();
    } else if (nested->is_string()) {
      failure.message = std::string(nested->get_string());
    }
  }
  if (const json::value* detail = error->if_contains("detail")) {  // Codex
    if (detail->is_string()) {
      failure.message = std::string(detail->get_string());
    } else if (detail->is_object()) {
      error = &detail->get_object();
    } else {
      failure.message = json::serialize(*detail);
    }
  }
  if (std::string message = string_or_number_field(*error, "message"); !message.empty())
    failure.message = std::move(message);
  failure.code = string_or_number_field(*error, "code");
  failure.type = string_or_number_field(*error, "type");
  if (failure.type == "error") failure.type.clear();  // the `error` event's own type
  if (!failure.retry_after) failure.retry_after = seconds_field(*error, "resets_in_seconds");
}

// A short, printable excerpt of a body that is not JSON (an HTML error page says nothing
// useful, so it is left out).
std::string excerpt(std::string_view body) {
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front())))
    body.remove_prefix(1);
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())))
    body.remove_suffix(1);
  if (body.empty() || body.front() == '<') return {};
  constexpr std::size_t kMax = 300;
  if (body.size() <= kMax) return std::string(body);
  std::size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(body[end]) & 0xC0) == 0x80) --end;  // UTF-8
  return std::string(body.substr(0, end)) + "…";
}

bool is_context_overflow(const UpstreamFailure& failure, std::string_view lower_message) {
  if (failure.code == "context_length_exceeded" || failure.type == "context_length_exceeded")
    return true;
  // "Request too large for … tokens per min" is a rate limit, not an overflow.
  if (failure.code == "rate_limit_exceeded" || failure.status == 429) return false;
  return contains(lower_message, "context window") || contains(lower_message, "context length") ||
         contains(lower_message, "maximum context") ||
         contains(lower_message, "prompt is too long") ||
         contains(lower_message, "input is too long");
}

bool any_is(const UpstreamFailure& failure, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names)
    if (failure.code == name || failure.type == name) return true;
  return false;
}

ApiError make(int status, std::string message) {
  return ApiError::with_status(status, std::move(message));
}

ApiError without_retry(ApiError error) {
  error.no_retry = true;
  return error;
}

// The longest retry-after Claude Code 2.1.330 waits out; it stops at once past it (measured:
// 61, 120 and 3600 s gave up after one request, 2 and 30 s were honoured).
constexpr int kLongestClientWait = 60;

// "3 h 20 min", "45 min", "30 s": a wait as a person reads it.
std::string duration_text(int seconds) {
  if (seconds < 60) return std::to_string(seconds) + " s";
  int minutes = (seconds + 59) / 60;
  if (minutes < 60) return std::to_string(minutes) + " min";
  std::string text = std::to_string(minutes / 60) + " h";
  if (minutes % 60) text += " " + std::to_string(minutes % 60) + " min";
  return text;
}

// " — <fix>" after the upstream's own words, or nothing.
std::string with_fix(const std::string& fix) { return fix.empty() ? std::string() : " — " + fix; }

ApiError classify(UpstreamFailure failure, const ErrorContext& context) {
  const std::string lower_message = lower(failure.message);
  if (failure.message.empty()) {
    failure.message = !failure.code.empty()   ? failure.code
                      : !failure.type.empty() ? failure.type
                      : failure.status != 0
                          ? "upstream returned HTTP " + std::to_string(failure.status)
                          : "upstream response failed";
  }

  if (is_context_overflow(failure, lower_message))
    return make(400, prompt_too_long_message(failure.message, context));

  if (any_is(failure, {"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"}))
    return without_retry(make(402, failure.message));

  if (any_is(failure, {"usage_limit_reached"})) {  // the plan's allowance: gone until it resets
    ApiError error = make(429, failure.message);
    error.retry_after_seconds = failure.retry_after;
    if (failure.retry_after) error.message += " (the limit resets in " + duration_text(*failure.retry_after) + ")";
    return without_retry(std::move(error));
  }

  if (failure.status == 429 || any_is(failure, {"rate_limit_exceeded", "rate_limit_error"})) {
    ApiError error = make(429, failure.message);
    error.retry_after_seconds =
        failure.retry_after ? failure.retry_after : parse_retry_after_message(failure.message);
    // Claude Code gives up on a retry-after over 60 s anyway; say so plainly.
    error.no_retry = error.retry_after_seconds && *error.retry_after_seconds > kLongestClientWait;
    return error;
  }

  if (failure.status == 503 || contains(lower_message, "overloaded") ||
      any_is(failure, {"server_is_overloaded", "overloaded", "overloaded_error", "slow_down"})) {
    ApiError error = make(529, failure.message);
    error.retry_after_seconds = failure.retry_after;
    return error;
  }

  if (failure.status == 0) {  // inside a stream that the upstream had accepted
    if (any_is(failure, {"invalid_prompt"})) return make(400, failure.message);
    return make(500, failure.message);
  }

  switch (failure.status) {
    // The client's request was valid (it parsed and translated), so the upstream rejecting
    // our translation is a gateway failure, not the client's: a 400 would make Claude Code
    // degrade the session for nothing.
    case 400:
    case 409:
    case 415:
    case 422:
      return without_retry(make(502, "The upstream rejected the translated request: " + failure.message));
    case 404:
      return without_retry(make(502, "The upstream has no such model or deployment: " + failure.message));
    case 401:
    case 403:
      return without_retry(make(failure.status, failure.message + with_fix(context.credentials_fix)));
    case 402:
    case 413:
      return without_retry(make(failure.status, failure.message));
    case 408:
    case 504:
    case 522:
    case 524:
      return make(504, failure.message);
    default:
      break;
  }
  if (failure.status >= 500) return make(failure.status == 502 ? 502 : 500, failure.message);
  if (failure.status >= 400) return make(failure.status, failure.message);
  return make(502, failure.message);  // a non-error status reported as a failure
}

// Parses "<digits>[,<digits>…][.<digits>]" at `pos`; advances `pos` past it.
std::optional<double> read_number(std::string_view text, std::size_t& pos, bool allow_grouping) {
  std::size_t i = pos;
  double value = 0;
  bool any = false;
  while (i < text.size()) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      value = value * 10 + (c - '0');
      any = true;
      ++i;
    } else if (allow_grouping && c == ',' && any && i + 3 < text.size() &&
               std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isdigit(static_cast<unsigned char>(text[i + 2])) &&
               std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
      ++i;  // "272,000"
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  if (i + 1 < text.size() && text[i] == '.' &&
      std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
    double scale = 0.1;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      value += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  pos = i;
  return value;
}

// Milliseconds per unit word ("ms", "s", "sec", "seconds", "m", "min", "h", ...); 0 if none.
double unit_ms(std::string_view lower_text, std::size_t& pos) {
  std::size_t start = pos;
  while (start < lower_text.size() && lower_text[start] == ' ') ++start;
  std::size_t end = start;
  while (end < lower_text.size() && std::isalpha(static_cast<unsigned char>(lower_text[end])))
    ++end;
  std::string_view word = lower_text.substr(start, end - start);
  double ms = 0;
  if (word == "ms" || word == "millisecond" || word == "milliseconds") {
    ms = 1;
  } else if (word == "s" || word == "sec" || word == "secs" || word == "second" ||
             word == "seconds") {
    ms = 1000;
  } else if (word == "m" || word == "min" || word == "mins" || word == "minute" ||
             word == "minutes") {
    ms = 60'000;
  } else if (word == "h" || word == "hr" || word == "hour" || word == "hours") {
    ms = 3'600'000;
  }
  if (ms != 0) pos = end;
  return ms;
}

std::int64_t to_tokens(double value) { return value > 9e15 ? 0 : static_cast<std::int64_t>(value); }

}  // namespace

std::optional<int> parse_retry_after_header(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  std::size_t pos = 0;
  std::optional<double> seconds = read_number(value, pos, false);
  if (!seconds || pos != value.size()) return std::nullopt;
  return static_cast<int>(std::ceil(std::min(*seconds, 1e9)));
}

std::optional<int> parse_retry_after_message(std::string_view message) {
  const std::string text = lower(message);
  std::size_t pos = text.find("try again in");
  if (pos == std::string::npos) return std::nullopt;
  pos += std::string_view("try again in").size();
  double total_ms = 0;
  bool any = false;
  for (;;) {  // "1m30s", "11.054s", "35 seconds", "20ms"
    while (pos < text.size() && text[pos] == ' ') ++pos;
    std::optional<double> amount = read_number(text, pos, false);
    if (!amount) break;
    double ms = unit_ms(text, pos);
    if (ms == 0) break;
    total_ms += *amount * ms;
    any = true;
  }
  if (!any) return std::nullopt;
  return static_cast<int>(std::ceil(std::min(total_ms / 1000, 1e9)));
}

std::string prompt_too_long_message(std::string_view upstream_message,
                                    const ErrorContext& context) {
  const std::string text = lower(upstream_message);
  std::int64_t tokens = 0;
  std::int64_t maximum = 0;
  // Every "<number> token(s)" (or Anthropic's own "N tokens > M"): a number introduced by a
  // word of limit ("maximum context length is", "context window of", "limit") is the maximum,
  // any other the prompt's size. Only the text since the previous number counts as its intro.
  std::size_t previous_end = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[pos])) ||
        (pos > 0 &&
         (std::isalnum(static_cast<unsigned char>(text[pos - 1])) || text[pos - 1] == '.'))) {
      ++pos;
      continue;
    }
    std::size_t start = pos;
    std::optional<double> number = read_number(text, pos, true);
    std::size_t after = pos;
    while (after < text.size() && text[after] == ' ') ++after;
    const bool is_tokens = text.compare(after, 5, "token") == 0;
    const bool is_after_gt = start >= 2 && text.compare(start - 2, 2, "> ") == 0;
    if (number && (is_tokens || is_after_gt)) {
      std::string_view intro = std::string_view(text).substr(previous_end, start - previous_end);
      const bool is_limit = is_after_gt || contains(intro, "maximum") || contains(intro, "limit") ||
                            contains(intro, "window") || contains(intro, "max ");
      if (is_limit) {
        if (maximum == 0) maximum = to_tokens(*number);
      } else if (tokens == 0) {
        tokens = to_tokens(*number);
      }
      previous_end = pos;
    }
  }
  if (tokens <= 0) tokens = context.estimated_input_tokens;
  if (tokens <= 0 && context.count_input_tokens) tokens = context.count_input_tokens();
  if (maximum <= 0) maximum = context.context_window;
  if (maximum <= 0) maximum = std::max<std::int64_t>(tokens - 1, 0);
  if (tokens <= maximum) tokens = maximum + 1;
  if (context.input_token_scale != 1.0) {
    tokens = static_cast<std::int64_t>(std::llround(tokens * context.input_token_scale));
    maximum = static_cast<std::int64_t>(std::llround(maximum * context.input_token_scale));
  }

  std::string message = "prompt is too long: " + std::to_string(tokens) + " tokens > " +
                        std::to_string(maximum) + " maximum";
  if (!upstream_message.empty() && !text.starts_with("prompt is too long")) {
    message += " (upstream: ";
    message += upstream_message;
    message += ")";
  }
  return message;
}

ApiError map_upstream_http_error(int status, std::string_view body, std::string_view retry_after,
                                 const ErrorContext& context) {
  UpstreamFailure failure;
  failure.status = status;
  failure.retry_after = parse_retry_after_header(retry_after);
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    read_error_object(parsed.get_object(), failure);
  } else if (std::string text = excerpt(body); !text.empty()) {
    failure.message = "upstream returned HTTP " + std::to_string(status) + ": " + text;
  }
  return classify(std::move(failure), context);
}

ApiError map_upstream_stream_error(const boost::json::object& error, const ErrorContext& context) {
  UpstreamFailure failure;
  read_error_object(error, failure);
  return classify(std::move(failure), context);
}

}  // namespace claudegpt
