// Upstream failures → Anthropic errors: the status/type table, the body shapes of OpenAI,
// Azure and the Codex backend, retry-after, and the "prompt is too long" text Claude Code
// compacts on. Bodies are the recorded one (fixtures/openai-responses/openai-error.1.json)
// or modelled on the messages quoted in docs/wire-notes.md.
#include "core/upstream_error.h"

#include <ctime>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/api_error.h"
#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

ErrorContext context(std::int64_t estimated, std::int64_t window) {
  ErrorContext c;
  c.estimated_input_tokens = estimated;
  c.context_window = window;
  return c;
}

std::string openai_body(std::string_view code, std::string_view message,
                        std::string_view type = "invalid_request_error") {
  json::object error = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
  return json::serialize(json::object{{"error", error}});
}

ApiError http(int status, const std::string& body, std::string_view retry_after = "") {
  return map_upstream_http_error(status, body, {.retry_after = std::string(retry_after)}, context(1000, 272000));
}

ApiError stream(std::string_view event_json, ErrorContext c = context(1000, 272000)) {
  return map_upstream_stream_error(json::parse(event_json).as_object(), c);
}

// ---------------------------------------------------------------- ApiError

TEST(ApiError, TypesFollowTheStatusAsAnthropicDocumentsThem) {
  const std::pair<int, const char*> table[] = {{400, "invalid_request_error"},
                                               {401, "authentication_error"},
                                               {402, "billing_error"},
                                               {403, "permission_error"},
                                               {404, "not_found_error"},
                                               {413, "request_too_large"},
                                               {429, "rate_limit_error"},
                                               {500, "api_error"},
                                               {504, "timeout_error"},
                                               {529, "overloaded_error"},
                                               {502, "api_error"},
                                               {503, "api_error"},
                                               {422, "invalid_request_error"}};
  for (const auto& [status, type] : table) {
    EXPECT_EQ(error_type_for_status(status), type) << status;
    EXPECT_EQ(ApiError::with_status(status, "m").type, type) << status;
  }
  EXPECT_EQ(status_for_error_type("overloaded_error"), 529);
  EXPECT_EQ(status_for_error_type("rate_limit_error"), 429);
  EXPECT_EQ(status_for_error_type("something_new"), 500);
}

TEST(ApiError, SerialisesAsTheAnthropicErrorBody) {
  const ApiError error = ApiError::with_status(429, "slow down");
  EXPECT_EQ(error.to_json("req_1"), json::parse(R"({"type":"error","error":{
      "type":"rate_limit_error","message":"slow down"},"request_id":"req_1"})"));
  EXPECT_EQ(error.to_json(""), json::parse(R"({"type":"error","error":{
      "type":"rate_limit_error","message":"slow down"}})"));
}

// ---------------------------------------------------------------- HTTP errors

TEST(UpstreamHttpError, StatusesMapToTheirAnthropicCounterparts) {
  struct Case {
    int upstream;
    int status;
    const char* type;
  };
  const Case cases[] = {
      {401, 401, "authentication_error"},
      {402, 402, "billing_error"},
      {403, 403, "permission_error"},
      {408, 504, "timeout_error"},
      {413, 413, "request_too_large"},
      {429, 429, "rate_limit_error"},
      {500, 500, "api_error"},
      {502, 502, "api_error"},
      {503, 529, "overloaded_error"},
      {504, 504, "timeout_error"},
      {520, 500, "api_error"},
  };
  for (const Case& c : cases) {
    const ApiError error = http(c.upstream, openai_body("some_code", "upstream says no"));
    EXPECT_EQ(error.status, c.status) << c.upstream;
    EXPECT_EQ(error.type, c.type) << c.upstream;
    EXPECT_EQ(error.message, "upstream says no") << c.upstream;
  }
}

// Claude Code retries 401, 429 and 5xx ten times over about 3 minutes unless told not to
// (x-should-retry: false); where the same request would meet the same answer, it is told.
TEST(UpstreamHttpError, FailuresThatRetryingCannotFixSayNotToRetry) {
  for (int upstream : {400, 401, 402, 403, 404, 409, 413, 422})
    EXPECT_TRUE(http(upstream, openai_body("some_code", "no")).no_retry) << upstream;
  for (int upstream : {408, 429, 500, 502, 503, 504, 520})
    EXPECT_FALSE(http(upstream, openai_body("some_code", "no")).no_retry) << upstream;
}

TEST(UpstreamHttpError, ARefusedKeyNamesTheSettingToFixAndNotClaudeCodesLogin) {
  ErrorContext c = context(1000, 272000);
  c.credentials_fix = "check OPENAI_API_KEY with `claudegpt doctor`";
  const ApiError error = map_upstream_http_error(
      401, openai_body("invalid_api_key", "Incorrect API key provided: sk-abc***xyz."), {}, c);
  EXPECT_EQ(error.status, 401);
  EXPECT_EQ(error.type, "authentication_error");
  EXPECT_EQ(error.message, "Incorrect API key provided: sk-abc***xyz. — check OPENAI_API_KEY with `claudegpt doctor`");
}

// A 404 would have Claude Code print its own "issue with the selected model" instead.
TEST(UpstreamHttpError, AMissingModelOrDeploymentIsAGatewayFailureWithTheUpstreamsWords) {
  const ApiError error = http(404, openai_body("model_not_found", "The model `gpt-9` does not exist"));
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.message, "The upstream has no such model or deployment: The model `gpt-9` does not exist");
}

// Claude Code stops after one request when retry-after is over 60 s (measured); a shorter
// wait it honours.
TEST(UpstreamHttpError, ARateLimitIsRetriedOnlyWhenTheWaitIsAMinuteOrLess) {
  const std::string body = openai_body("rate_limit_exceeded", "Rate limit reached.", "requests");
  EXPECT_FALSE(http(429, body, "60").no_retry);
  EXPECT_TRUE(http(429, body, "61").no_retry);
  EXPECT_FALSE(http(429, body, "").no_retry);
}

// The client's request was valid (it translated); the upstream refusing our translation is
// a gateway failure. Answering 400 would make Claude Code degrade the session.
TEST(UpstreamHttpError, AnUpstreamRejectionOfAValidRequestIsNotA400) {
  for (int upstream : {400, 409, 415, 422}) {
    const ApiError error = http(upstream, openai_body("invalid_value", "reasoning.effort: bad value"));
    EXPECT_EQ(error.status, 502) << upstream;
    EXPECT_EQ(error.type, "api_error") << upstream;
    EXPECT_EQ(error.message, "The upstream rejected the translated request: reasoning.effort: bad value");
  }
}

TEST(UpstreamHttpError, OverflowWithoutCountsIsCountedOnlyWhenNeeded) {
  ErrorContext lazy;
  int counted = 0;
  lazy.count_input_tokens = [&] { ++counted; return std::int64_t{412345}; };
  lazy.context_window = 400000;
  const ApiError error = map_upstream_http_error(
      400, openai_body("context_length_exceeded", "Your input exceeds the context window of this model."), {},
      lazy);
  EXPECT_EQ(error.status, 400);
  EXPECT_TRUE(error.message.starts_with("prompt is too long: 412345 tokens > 400000 maximum"));
  EXPECT_EQ(counted, 1);
  map_upstream_http_error(429, openai_body("rate_limit_exceeded", "slow down"), {}, lazy);
  EXPECT_EQ(counted, 1);
}

TEST(UpstreamHttpError, PromptTooLongIsScaledLikeEveryInputFigure) {
  ErrorContext scaled;
  scaled.estimated_input_tokens = 410000;
  scaled.context_window = 400000;
  scaled.input_token_scale = 2.5;
  const ApiError error = map_upstream_http_error(
      400, openai_body("context_length_exceeded", "Your input exceeds the context window of this model."), {},
      scaled);
  EXPECT_TRUE(error.message.starts_with("prompt is too long: 1025000 tokens > 1000000 maximum"));
}

TEST(UpstreamHttpError, InsufficientQuotaIsABillingErrorNotARateLimit) {
  // Recorded body; OpenAI sends it with status 429.
  const std::string body = test::read_fixture("openai-responses/openai-error.1.json");
  const ApiError error = http(429, body);
  EXPECT_EQ(error.status, 402);
  EXPECT_EQ(error.type, "billing_error");
  EXPECT_TRUE(error.message.starts_with("You exceeded your current quota"));
  EXPECT_FALSE(error.retry_after_seconds.has_value());
  EXPECT_TRUE(error.no_retry);
}

TEST(UpstreamHttpError, CodexDetailBodiesAreRead) {
  ApiError error = http(400, R"({"detail":"Unsupported parameter: max_output_tokens"})");
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.message, "The upstream rejected the translated request: Unsupported parameter: max_output_tokens");

  error = http(401, R"({"detail":{"code":"token_expired","message":"Provided token is expired"}})");
  EXPECT_EQ(error.status, 401);
  EXPECT_EQ(error.type, "authentication_error");
  EXPECT_EQ(error.message, "Provided token is expired");
}

TEST(UpstreamHttpError, BodiesThatAreNotJsonStillNameTheStatus) {
  ApiError error = http(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.message, "the upstream answered HTTP 502 with an HTML page");

  error = http(500, "");
  EXPECT_EQ(error.message, "the upstream answered HTTP 500 with an empty body");

  error = http(503, "upstream connect error or disconnect/reset before headers");
  EXPECT_EQ(error.status, 529);
  EXPECT_EQ(error.message,
            "the upstream answered HTTP 503: upstream connect error or disconnect/reset before headers");
}

// ---------------------------------------------------------------- HTML and empty bodies
// (real-services-2026.md §12 and issue 15 part 4: never a blank message)

ErrorContext on_host(std::string host) {
  ErrorContext c = context(1000, 272000);
  c.upstream_host = std::move(host);
  c.credentials_fix = "check OPENAI_API_KEY with `claudegpt doctor`";
  return c;
}

TEST(UpstreamHttpBody, AnHtmlPageNamesTheStatusTheHostAndItsTitle) {
  const ApiError error = map_upstream_http_error(
      502, "<!DOCTYPE html>\n<html><head><title>\n  502 Bad   Gateway\n</title></head><body>nginx</body></html>",
      {.content_type = "text/html; charset=UTF-8"}, on_host("chatgpt.com"));
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.type, "api_error");
  EXPECT_FALSE(error.no_retry);  // a passing gateway failure: worth Claude Code's retries
  EXPECT_EQ(error.message, "chatgpt.com answered HTTP 502 with an HTML page (“502 Bad Gateway”)");
}

TEST(UpstreamHttpBody, AnEmptyBodyIsSaidToBeEmpty) {
  for (const char* body : {"", "  \r\n"}) {
    const ApiError error = map_upstream_http_error(500, body, {}, on_host("api.openai.com"));
    EXPECT_EQ(error.status, 500);
    EXPECT_EQ(error.message, "api.openai.com answered HTTP 500 with an empty body");
  }
  const ApiError refused = map_upstream_http_error(401, "", {}, on_host("api.openai.com"));
  EXPECT_EQ(refused.message,
            "api.openai.com answered HTTP 401 with an empty body — check OPENAI_API_KEY with `claudegpt doctor`");
}

TEST(UpstreamHttpBody, JsonWithoutAnyMessageStillSaysWhoAnsweredWhat) {
  const ApiError error = map_upstream_http_error(502, R"({"error":{}})", {}, on_host("example.openai.azure.com"));
  EXPECT_EQ(error.message, "example.openai.azure.com answered HTTP 502 without an error message");
}

// ---------------------------------------------------------------- Cloudflare (§6)

// The page Cloudflare serves with a managed challenge (shortened; CLIProxyAPI #3626).
constexpr const char* kChallengePage =
    "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body>"
    "<noscript>Enable JavaScript and cookies to continue</noscript><script>window._cf_chl_opt={};"
    "</script><script src=\"/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1\"></script></body></html>";

TEST(UpstreamCloudflare, ACfMitigatedChallengeIsNamedAndHasNoCredentialsAdvice) {
  const ApiError error = map_upstream_http_error(
      403, kChallengePage, {.cf_mitigated = "challenge", .content_type = "text/html; charset=UTF-8"},
      on_host("chatgpt.com"));
  // Not a 403: Claude Code would print "Failed to authenticate" before it.
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.type, "api_error");
  EXPECT_TRUE(error.no_retry);
  EXPECT_TRUE(error.message.starts_with(
      "chatgpt.com's Cloudflare challenged the request (HTTP 403, cf-mitigated: challenge): "))
      << error.message;
  EXPECT_NE(error.message.find("try another network"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("OPENAI_API_KEY"), std::string::npos) << error.message;
}

TEST(UpstreamCloudflare, TheHeaderAloneIsEnough) {
  const ApiError error = map_upstream_http_error(403, "", {.cf_mitigated = "challenge"}, on_host("chatgpt.com"));
  EXPECT_TRUE(error.message.starts_with("chatgpt.com's Cloudflare challenged the request (HTTP 403")) << error.message;
}

TEST(UpstreamCloudflare, AnHtml403WithoutTheHeaderIsACloudflareChallengeToo) {
  // Cloudflare's own page: said for certain.
  ApiError error = map_upstream_http_error(403, kChallengePage, {}, on_host("chatgpt.com"));
  EXPECT_EQ(error.status, 502);
  EXPECT_TRUE(error.no_retry);
  EXPECT_TRUE(error.message.starts_with("chatgpt.com's Cloudflare challenged the request (HTTP 403): "))
      << error.message;
  // Another HTML page: the status, the host and the page's title, and the likely cause.
  error = map_upstream_http_error(403, "<html><head><title>Forbidden</title></head></html>", {},
                                  on_host("chatgpt.com"));
  EXPECT_TRUE(error.message.starts_with("chatgpt.com answered HTTP 403 with an HTML page (“Forbidden”), as "
                                        "its Cloudflare does when it challenges a request: "))
      << error.message;
  EXPECT_EQ(error.message.find("OPENAI_API_KEY"), std::string::npos) << error.message;
}

TEST(UpstreamCloudflare, AJson403IsStillAboutTheCredentials) {
  const ApiError error = map_upstream_http_error(
      403, openai_body("unsupported_country_region_territory", "Country, region, or territory not supported"),
      {}, on_host("api.openai.com"));
  EXPECT_EQ(error.message,
            "Country, region, or territory not supported — check OPENAI_API_KEY with `claudegpt doctor`");
}

TEST(UpstreamHttpError, RateLimitsKeepTheRetryAfterHeader) {
  const std::string body = openai_body(
      "rate_limit_exceeded", "Rate limit reached. Please try again in 11.054s.", "requests");
  EXPECT_EQ(http(429, body, "7").retry_after_seconds, 7);
  EXPECT_EQ(http(429, body, "1.2").retry_after_seconds, 2);
  EXPECT_EQ(http(429, body, "").retry_after_seconds, 12);  // from the message instead
  EXPECT_EQ(http(429, body, "Wed, 21 Oct 2026 07:28:00 GMT").retry_after_seconds, 12);
}

TEST(UpstreamHttpError, RetryAfterIsReadFromTheMessagesUpstreamsWrite) {
  EXPECT_EQ(parse_retry_after_message("Please try again in 11.054s."), 12);
  EXPECT_EQ(parse_retry_after_message("Requests to the Responses API have exceeded the rate limit. "
                                      "Try again in 35 seconds."),
            35);
  EXPECT_EQ(parse_retry_after_message("Please try again in 20ms."), 1);
  EXPECT_EQ(parse_retry_after_message("Please try again in 1m30s."), 90);
  EXPECT_EQ(parse_retry_after_message("Please try again in 6m0s."), 360);
  EXPECT_EQ(parse_retry_after_message("Please try again later."), std::nullopt);
  EXPECT_EQ(parse_retry_after_message("no hint"), std::nullopt);

  EXPECT_EQ(parse_retry_after_header("30"), 30);
  EXPECT_EQ(parse_retry_after_header(" 0.5 "), 1);
  EXPECT_EQ(parse_retry_after_header("soon"), std::nullopt);
  EXPECT_EQ(parse_retry_after_header(""), std::nullopt);
}

// ---------------------------------------------------------------- Codex plan limits (§4)
// openai/codex codex-rs/codex-api/src/api_bridge.rs (UsageErrorBody {type, plan_type,
// resets_at}): a 429 whose error.type is usage_limit_reached or usage_not_included.

constexpr std::int64_t kNow = 1'765'100'000;  // 2025-12-07 09:33:20 UTC

// The test's "local time": UTC, as HH:MM, with the day when it is not today's.
ErrorContext codex_context() {
  ErrorContext c = context(1000, 272000);
  c.upstream_host = "chatgpt.com";
  c.now_unix_seconds = kNow;
  c.local_time = [](std::int64_t at) {
    char text[32];
    const std::time_t t = at;
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(text, sizeof text, at / 86400 == kNow / 86400 ? "%H:%M" : "%a %H:%M", &tm);
    return std::string(text);
  };
  return c;
}

std::string usage_limit_body(std::string_view reset_field) {
  return R"({"error":{"type":"usage_limit_reached","message":"The usage limit has been reached",)"
         R"("plan_type":"plus",)" + std::string(reset_field) + "}}";
}

ApiError codex(int status, const std::string& body, ErrorContext c = codex_context()) {
  return map_upstream_http_error(status, body, {}, c);
}

// A spent plan stays spent until it resets: said at once, with when, in local time.
TEST(UpstreamCodexLimit, ResetsAtInTheFutureIsTheResetTimeAndRetryAfter) {
  const ApiError error = codex(429, usage_limit_body(R"("resets_at":)" + std::to_string(kNow + 12000)));
  EXPECT_EQ(error.status, 429);
  EXPECT_EQ(error.type, "rate_limit_error");
  EXPECT_EQ(error.retry_after_seconds, 12000);
  EXPECT_TRUE(error.no_retry);  // hours away: Claude Code must not retry (it would give up anyway)
  EXPECT_EQ(error.message, "You have hit your ChatGPT Plus plan's Codex usage limit; it resets at 12:53 (in 3 h 20 min)");
}

TEST(UpstreamCodexLimit, AResetOnAnotherDayNamesTheDay) {
  const ApiError error = codex(429, usage_limit_body(R"("resets_at":)" + std::to_string(kNow + 3 * 86400)));
  EXPECT_EQ(error.message, "You have hit your ChatGPT Plus plan's Codex usage limit; it resets at Wed 09:33 (in 72 h)");
}

TEST(UpstreamCodexLimit, AResetWithinAMinuteMayBeWaitedOut) {
  const ApiError error = codex(429, usage_limit_body(R"("resets_at":)" + std::to_string(kNow + 30)));
  EXPECT_EQ(error.retry_after_seconds, 30);
  EXPECT_FALSE(error.no_retry);  // Claude Code honours a retry-after up to 60 s
}

TEST(UpstreamCodexLimit, ResetsAtInThePastSuggestsTheClock) {
  const ApiError error = codex(429, usage_limit_body(R"("resets_at":)" + std::to_string(kNow - 600)));
  EXPECT_EQ(error.status, 429);
  EXPECT_FALSE(error.retry_after_seconds.has_value());
  EXPECT_TRUE(error.no_retry);
  EXPECT_EQ(error.message, "You have hit your ChatGPT Plus plan's Codex usage limit; it was due to reset at "
                           "09:23: try again in a moment, and if it persists, check this computer's clock");
}

TEST(UpstreamCodexLimit, AnAbsurdResetsAtIsNotTold) {
  // Milliseconds by mistake, a year 3000 reset, a negative one, a string, a huge number.
  for (const std::string& field : {R"("resets_at":)" + std::to_string(kNow * 1000),
                                  std::string(R"("resets_at":32503680000)"), std::string(R"("resets_at":-5)"),
                                  std::string(R"("resets_at":"soon")"), std::string(R"("resets_at":1e300)"),
                                  std::string(R"("resets_at":18446744073709551615)")}) {
    const ApiError error = codex(429, usage_limit_body(field));
    EXPECT_EQ(error.status, 429) << field;
    EXPECT_FALSE(error.retry_after_seconds.has_value()) << field;
    EXPECT_TRUE(error.no_retry) << field;
    EXPECT_EQ(error.message, "You have hit your ChatGPT Plus plan's Codex usage limit; the upstream did not say "
                             "when it resets: try again later")
        << field;
  }
}

TEST(UpstreamCodexLimit, The2025ResetsInSecondsStillWorks) {
  const ApiError error = codex(429, usage_limit_body(R"("resets_in_seconds":12000)"));
  EXPECT_EQ(error.retry_after_seconds, 12000);
  EXPECT_TRUE(error.no_retry);
  EXPECT_EQ(error.message, "You have hit your ChatGPT Plus plan's Codex usage limit; it resets at 12:53 (in 3 h 20 min)");
}

// The service's own wait, when it sends one, is not recomputed against this machine's clock.
TEST(UpstreamCodexLimit, ARetryAfterHeaderIsTheWaitAndResetsAtTheTime) {
  const ApiError error = map_upstream_http_error(
      429, usage_limit_body(R"("resets_at":)" + std::to_string(kNow + 12000)), {.retry_after = "11990"},
      codex_context());
  EXPECT_EQ(error.retry_after_seconds, 11990);
  EXPECT_EQ(error.message, "You have hit your ChatGPT Plus plan's Codex usage limit; it resets at 12:53 (in 3 h 20 min)");
}

TEST(UpstreamCodexLimit, WithoutAClockOrTimeZoneTheWaitIsStillSaid) {
  ApiError error = http(429, usage_limit_body(R"("resets_in_seconds":12000)"));
  EXPECT_EQ(error.message, "You have hit your ChatGPT Plus plan's Codex usage limit; it resets in 3 h 20 min");
  EXPECT_EQ(error.retry_after_seconds, 12000);
  error = http(429, R"({"error":{"type":"usage_limit_reached"}})");
  EXPECT_EQ(error.message, "You have hit your ChatGPT plan's Codex usage limit; the upstream did not say when "
                           "it resets: try again later");
  EXPECT_TRUE(error.no_retry);
}

TEST(UpstreamCodexLimit, ALimitInTheStreamIsReadTheSameWay) {
  // sse/responses.rs reads type, code, message, plan_type and resets_at of response.failed.
  ErrorContext c = codex_context();
  const ApiError error = stream(R"({"type":"response.failed","response":{"error":{"type":"usage_limit_reached",
      "plan_type":"pro","resets_at":)" + std::to_string(kNow + 45 * 60) + "}}}", c);
  EXPECT_EQ(error.status, 429);
  EXPECT_EQ(error.message, "You have hit your ChatGPT Pro plan's Codex usage limit; it resets at 10:18 (in 45 min)");
}

// Codex sends it as a 429 too, but no wait brings it back: a 402 that names the plan and the
// fix (Claude Code prints a 403 as "Failed to authenticate").
TEST(UpstreamCodexLimit, UsageNotIncludedIsABillingErrorThatNamesThePlan) {
  const ApiError error = codex(429, R"({"error":{"type":"usage_not_included","plan_type":"free"}})");
  EXPECT_EQ(error.status, 402);
  EXPECT_EQ(error.type, "billing_error");
  EXPECT_TRUE(error.no_retry);
  EXPECT_FALSE(error.retry_after_seconds.has_value());
  EXPECT_EQ(error.message, "Your ChatGPT Free plan does not include Codex, which claudegpt's codex backend uses "
                           "(usage_not_included): upgrade the plan (https://chatgpt.com/explore/plus), or use an "
                           "OpenAI API key instead: `claudegpt setup`");
  // In a stream, as a code (sse/responses.rs is_usage_not_included); an odd plan name is left out.
  const ApiError streamed = stream(
      R"({"type":"response.failed","response":{"error":{"code":"usage_not_included","plan_type":"<b>x</b>"}}})");
  EXPECT_EQ(streamed.status, 402);
  EXPECT_TRUE(streamed.message.starts_with("Your ChatGPT plan does not include Codex")) << streamed.message;
}

TEST(UpstreamHttpError, OverloadedUpstreamsGive529) {
  const ApiError error =
      http(500, openai_body("server_is_overloaded", "The server is overloaded.", "server_error"));
  EXPECT_EQ(error.status, 529);
  EXPECT_EQ(error.type, "overloaded_error");
}

// ---------------------------------------------------------------- context overflow

TEST(UpstreamHttpError, ContextOverflowBecomesPromptIsTooLong) {
  // The Responses API names no counts: the estimate and the window fill in.
  const std::string body = openai_body("context_length_exceeded",
                                       "Your input exceeds the context window of this model. "
                                       "Please adjust your input and try again.");
  ApiError error = map_upstream_http_error(400, body, {}, context(300000, 272000));
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_TRUE(error.message.starts_with("prompt is too long: 300000 tokens > 272000 maximum"))
      << error.message;
  EXPECT_NE(error.message.find("exceeds the context window"), std::string::npos);

  // An estimate below the window is contradicted by the upstream: just over it, then.
  error = map_upstream_http_error(400, body, {}, context(250000, 272000));
  EXPECT_TRUE(error.message.starts_with("prompt is too long: 272001 tokens > 272000 maximum"))
      << error.message;

  // Without a known window, the estimate exceeds "one token less".
  error = map_upstream_http_error(400, body, {}, context(5000, 0));
  EXPECT_TRUE(error.message.starts_with("prompt is too long: 5000 tokens > 4999 maximum"))
      << error.message;
}

TEST(UpstreamHttpError, CountsNamedInTheMessageWin) {
  const std::string body = openai_body(
      "",
      "This model's maximum context length is 128000 tokens. However, your messages resulted "
      "in 130512 tokens. Please reduce the length of the messages.");
  const ApiError error = map_upstream_http_error(400, body, {}, context(1000, 272000));
  EXPECT_TRUE(error.message.starts_with("prompt is too long: 130512 tokens > 128000 maximum"))
      << error.message;

  EXPECT_TRUE(prompt_too_long_message("Input tokens exceed the configured limit of 272,000 tokens. "
                                      "Your messages resulted in 280,001 tokens.",
                                      context(0, 0))
                  .starts_with("prompt is too long: 280001 tokens > 272000 maximum"));
  EXPECT_EQ(
      prompt_too_long_message("prompt is too long: 205351 tokens > 200000 maximum", context(0, 0)),
      "prompt is too long: 205351 tokens > 200000 maximum");
}

TEST(UpstreamHttpError, ATokensPerMinuteLimitIsNotAContextOverflow) {
  const ApiError error =
      http(429, openai_body("rate_limit_exceeded",
                            "Request too large for gpt-5 on tokens per min (TPM): "
                            "Limit 30000, Requested 45000. Please try again in 2s.",
                            "tokens"));
  EXPECT_EQ(error.status, 429);
  EXPECT_EQ(error.retry_after_seconds, 2);
}

// ---------------------------------------------------------------- stream errors

TEST(UpstreamStreamError, ReadsTheRecordedErrorAndFailedEvents) {
  const auto lines = test::read_chunks("openai-responses/openai-error.1.chunks.txt");
  ASSERT_EQ(lines[2].at("type"), "error");
  ASSERT_EQ(lines[3].at("type"), "response.failed");
  for (const json::object& event : {lines[2], lines[3]}) {
    const ApiError error = map_upstream_stream_error(event, context(0, 0));
    EXPECT_EQ(error.status, 402);
    EXPECT_EQ(error.type, "billing_error");
    EXPECT_TRUE(error.message.starts_with("You exceeded your current quota"));
  }
  // The response.failed's `response.error` alone reads the same.
  const ApiError inner =
      map_upstream_stream_error(lines[3].at("response").at("error").as_object(), context(0, 0));
  EXPECT_EQ(inner.status, 402);
}

TEST(UpstreamStreamError, FieldsMayBeAtTheTopLevelOrNested) {
  for (const char* event : {
           R"({"type":"error","code":"rate_limit_exceeded",
               "message":"Rate limit reached. Please try again in 3s.","param":null})",
           R"({"type":"error","error":{"type":"tokens","code":"rate_limit_exceeded",
               "message":"Rate limit reached. Please try again in 3s."}})",
       }) {
    const ApiError error = stream(event);
    EXPECT_EQ(error.status, 429);
    EXPECT_EQ(error.retry_after_seconds, 3);
  }
}

TEST(UpstreamStreamError, CodesMapWithoutDegradingTheSession) {
  EXPECT_EQ(
      stream(R"({"type":"error","code":"server_error","message":"An error occurred"})").status,
      500);
  EXPECT_EQ(stream(R"({"type":"error","code":"server_is_overloaded","message":"busy"})").status,
            529);
  EXPECT_EQ(stream(R"({"type":"error","code":"invalid_prompt","message":"flagged"})").status, 400);
  // After the upstream accepted the request, other "invalid" codes are its problem, not the
  // client's: a 400 would make Claude Code degrade the session.
  const ApiError error = stream(
      R"({"type":"error","error":{"type":"invalid_request_error","code":"weird","message":"x"}})");
  EXPECT_EQ(error.status, 500);
  EXPECT_EQ(error.type, "api_error");
  const ApiError context_error = stream(
      R"({"type":"response.failed","response":{"error":{"code":"context_length_exceeded",
          "message":"Your input exceeds the context window of this model."}}})",
      context(400000, 272000));
  EXPECT_EQ(context_error.status, 400);
  EXPECT_TRUE(
      context_error.message.starts_with("prompt is too long: 400000 tokens > 272000 maximum"));
}

TEST(UpstreamStreamError, AFailureWithoutDetailsIsAnApiError) {
  const ApiError error = stream(R"({"type":"response.failed","response":{"error":null}})");
  EXPECT_EQ(error.status, 500);
  EXPECT_EQ(error.type, "api_error");
  EXPECT_EQ(error.message, "upstream response failed");
}

}  // namespace
}  // namespace claudegpt
