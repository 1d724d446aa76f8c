#include "core/upstream_error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <limits>

#include <boost/json.hpp>

#include "core/json_fields.h"

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
  std::optional<std::int64_t> resets_at;  // Codex: when a spent plan's allowance returns (unix s)
  std::string plan_type;                  // Codex: "plus", "pro", ...
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

// A unix time in seconds, as an integer or a number; nullopt for anything else or a value no
// clock reaches (so that arithmetic on it cannot overflow).
std::optional<std::int64_t> unix_time_field(const json::object& object, std::string_view key) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 40;  // about 34,800 years
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64() && std::abs(value->get_int64()) < kLimit) return value->get_int64();
  if (value->is_double() && std::isfinite(value->get_double()) && std::fabs(value->get_double()) < kLimit)
    return static_cast<std::int64_t>(std::llround(value->get_double()));
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
  failure.resets_at = unix_time_field(*error, "resets_at");
  failure.plan_type = string_field(*error, "plan_type");
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// A short excerpt of a body that is not JSON (and not HTML), trimmed.
std::string excerpt(std::string_view body, std::size_t max = 300) {
  body = trimmed(body);
  if (body.size() <= max) return std::string(body);
  std::size_t end = max;
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

// "chatgpt.com", or "the upstream" when the host is unknown.
std::string upstream_name(const ErrorContext& context) {
  return context.upstream_host.empty() ? "the upstream" : context.upstream_host;
}

// "ChatGPT Plus" for the Codex plan_type "plus"; "ChatGPT" when there is none (or it is not a
// plain word, so that nothing odd reaches the message).
std::string plan_name(std::string_view plan_type) {
  static constexpr std::pair<std::string_view, std::string_view> kKnown[] = {
      {"free", "Free"},         {"go", "Go"},     {"plus", "Plus"},   {"pro", "Pro"},
      {"team", "Team"},         {"business", "Business"},            {"enterprise", "Enterprise"},
      {"edu", "Edu"}};
  for (const auto& [type, name] : kKnown)
    if (plan_type == type) return "ChatGPT " + std::string(name);
  const bool plain = !plan_type.empty() && plan_type.size() <= 24 &&
                     std::all_of(plan_type.begin(), plan_type.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                     });
  if (!plain) return "ChatGPT";
  std::string name(plan_type);
  std::replace(name.begin(), name.end(), '_', ' ');
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return "ChatGPT " + name;
}

// The longest wait a plan's reset can credibly be (a weekly window, with room to spare); a
// `resets_at` further away is a unit or clock mix-up, not a time to tell anyone.
constexpr std::int64_t kLongestCredibleReset = 31 * 24 * 3600;

// A spent plan (Codex usage_limit_reached): when it comes back, in the user's local time and
// as a wait; retry-after when that is known. Claude Code is told not to retry unless the
// reset is within the wait it honours: hours of retries would only be refused.
ApiError usage_limit_error(const UpstreamFailure& failure, const ErrorContext& context) {
  const bool clock = context.now_unix_seconds > 0;
  // When it resets (unix seconds) and how long that is from now; each only when known.
  bool knows_reset = false, knows_wait = false;
  std::int64_t reset_at = 0, wait = 0;
  if (failure.resets_at) {
    knows_reset = true;
    reset_at = *failure.resets_at;
  }
  if (failure.retry_after) {  // a retry-after header, or resets_in_seconds (2025): as said
    knows_wait = true;
    wait = *failure.retry_after;
  } else if (knows_reset && clock) {
    knows_wait = true;
    wait = reset_at - context.now_unix_seconds;
  }
  if (!knows_reset && knows_wait && clock) {
    knows_reset = true;
    reset_at = context.now_unix_seconds + wait;
  }
  if (knows_wait && std::abs(wait) > kLongestCredibleReset) knows_wait = knows_reset = false;
  if (!clock && (reset_at <= 0 || reset_at > (std::int64_t{1} << 36))) knows_reset = false;

  std::string message = "You have hit your " + plan_name(failure.plan_type) + " plan's Codex usage limit";
  const std::string at = knows_reset && context.local_time ? context.local_time(reset_at) : std::string();
  ApiError error = make(429, "");
  if (knows_wait && wait <= 0) {
    // Already past: a clock that is off, or a reset the service has not applied yet.
    message += at.empty() ? "; it was due to reset by now" : "; it was due to reset at " + at;
    message += ": try again in a moment, and if it persists, check this computer's clock";
  } else if (knows_wait) {
    const std::string in = duration_text(static_cast<int>(wait));
    message += at.empty() ? "; it resets in " + in : "; it resets at " + at + " (in " + in + ")";
    error.retry_after_seconds = static_cast<int>(wait);
  } else if (!at.empty()) {
    message += "; it resets at " + at;
  } else {
    message += "; the upstream did not say when it resets: try again later";
  }
  error.message = std::move(message);
  error.no_retry = !error.retry_after_seconds || *error.retry_after_seconds > kLongestClientWait;
  return error;
}

// An error page: HTML by its content type, or by its first character.
bool is_html(std::string_view body, std::string_view content_type) {
  return contains(lower(content_type), "text/html") || trimmed(body).starts_with('<');
}

// The page's <title>, whitespace collapsed and cut short; "" when there is none.
std::string html_title(std::string_view body) {
  const std::string text = lower(body.substr(0, 64 * 1024));
  std::size_t open = text.find("<title");
  if (open == std::string::npos) return {};
  std::size_t start = text.find('>', open);
  if (start == std::string::npos) return {};
  std::size_t end = text.find("</title", ++start);
  if (end == std::string::npos) return {};
  std::string title;
  for (char c : body.substr(start, end - start)) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c));
    if (space && (title.empty() || title.back() == ' ')) continue;
    title += space ? ' ' : c;
  }
  return excerpt(title, 80);
}

// Whether an HTML page is one of Cloudflare's (its challenge and block pages load their script
// from /cdn-cgi/challenge-platform/ and name Cloudflare).
bool is_cloudflare_page(std::string_view body) {
  const std::string text = lower(body.substr(0, 64 * 1024));
  return contains(text, "cloudflare") || contains(text, "challenge-platform") || contains(text, "_cf_chl");
}

// A 403 that Cloudflare gave in front of the service (cf-mitigated: challenge, or its HTML
// page): the credentials were never looked at, so their advice would mislead. A 502 for Claude
// Code, which prints a 403 as "Failed to authenticate" (and a 5xx as "a server-side issue,
// usually temporary", which a challenge is; measured with 2.1.330). The challenge wants a
// browser; retrying at once meets it again.
ApiError cloudflare_error(std::string_view body, const UpstreamErrorHeaders& headers, const ErrorContext& context) {
  const std::string host = upstream_name(context);
  const bool certain = lower(trimmed(headers.cf_mitigated)) == "challenge" || is_cloudflare_page(body);
  const std::string title = html_title(body);
  std::string message =
      certain ? host + "'s Cloudflare challenged the request (HTTP 403" +
                    (headers.cf_mitigated.empty() ? "" : ", cf-mitigated: " + excerpt(headers.cf_mitigated, 40)) + ")"
              : host + " answered HTTP 403 with an HTML page" + (title.empty() ? "" : " (“" + title + "”)") +
                    ", as its Cloudflare does when it challenges a request";
  message += ": it took this client for a bot. Wait a few minutes and try again; if it persists, try "
             "another network (a VPN or proxy can set it off), or switch backend with `claudegpt setup`";
  return without_retry(make(502, std::move(message)));
}

// A plan without Codex (usage_not_included): no wait helps, only another plan or backend. A
// 402 billing_error: what is missing is a purchase, and Claude Code 2.1.330 prints a 402 as
// "API Error: 402 <message>", while it prefixes a 403 with "Failed to authenticate" (the login
// is fine) and a 429 reads as "wait" (measured, 2026-12-07).
ApiError usage_not_included_error(const UpstreamFailure& failure) {
  return without_retry(make(
      402, "Your " + plan_name(failure.plan_type) +
               " plan does not include Codex, which claudegpt's codex backend uses "
               "(usage_not_included): upgrade the plan (https://chatgpt.com/explore/plus), or use "
               "an OpenAI API key instead: `claudegpt setup`"));
}

ApiError classify(UpstreamFailure failure, const ErrorContext& context) {
  const std::string lower_message = lower(failure.message);
  if (failure.message.empty()) {
    failure.message = !failure.code.empty()   ? failure.code
                      : !failure.type.empty() ? failure.type
                      : failure.status != 0   ? upstream_name(context) + " answered HTTP " +
                                                std::to_string(failure.status) + " without an error message"
                                              : "upstream response failed";
  }

  if (is_context_overflow(failure, lower_message))
    return make(400, prompt_too_long_message(failure.message, context));

  if (any_is(failure, {"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"}))
    return without_retry(make(402, failure.message));

  if (any_is(failure, {"usage_limit_reached"})) return usage_limit_error(failure, context);
  if (any_is(failure, {"usage_not_included"})) return usage_not_included_error(failure);

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

ApiError map_upstream_http_error(int status, std::string_view body, const UpstreamErrorHeaders& headers,
                                 const ErrorContext& context) {
  UpstreamFailure failure;
  failure.status = status;
  failure.retry_after = parse_retry_after_header(headers.retry_after);
  const std::string answered = upstream_name(context) + " answered HTTP " + std::to_string(status);
  const bool html = is_html(body, headers.content_type);
  if (status == 403 && (lower(trimmed(headers.cf_mitigated)) == "challenge" || html))
    return cloudflare_error(body, headers, context);
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    read_error_object(parsed.get_object(), failure);
  } else if (trimmed(body).empty()) {
    failure.message = answered + " with an empty body";
  } else if (html) {
    const std::string title = html_title(body);
    failure.message = answered + " with an HTML page" + (title.empty() ? "" : " (“" + title + "”)");
  } else {
    failure.message = answered + ": " + excerpt(body);
  }
  return classify(std::move(failure), context);
}

ApiError map_upstream_stream_error(const boost::json::object& error, const ErrorContext& context) {
  UpstreamFailure failure;
  read_error_object(error, failure);
  return classify(std::move(failure), context);
}

}  // namespace claudegpt
