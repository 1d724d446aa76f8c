// POST /v1/messages and /v1/messages/count_tokens: parse, translate, then relay or count.
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/request_translator.h"
#include "core/token_counter.h"
#include "server/connection.h"
#include "server/relay.h"
#include "support/log.h"
#include "support/random_id.h"

namespace claudegpt {
namespace {

std::string requested_model(const boost::json::object& body) {
  const auto* model = body.if_contains("model");
  return model && model->is_string() ? std::string(model->get_string()) : std::string();
}

RequestOptions options_for(const Settings& settings, const std::string& model) {
  RequestOptions options;
  options.upstream_model = settings.upstream_model(model);
  options.rewrite_identity = settings.rewrite_identity;
  options.cutoff = settings.cutoff_for(model);
  options.default_effort = settings.default_effort;
  return options;
}

// A client request, parsed and translated; or why it cannot be.
struct PreparedRequest {
  std::optional<ApiError> error;
  std::string model;  // as the client asked for it
  TranslatedRequest translated;
};

// The parsed body lives in an arena local to this call: only the translation outlives it.
PreparedRequest prepare(std::string_view text, const Settings& settings) {
  PreparedRequest prepared;
  boost::json::monotonic_resource arena;
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(text, ec, &arena);
  if (ec) {
    prepared.error = ApiError::with_status(400, "Malformed JSON in request body: " + ec.message());
    return prepared;
  }
  if (!body.is_object()) {
    prepared.error = ApiError::with_status(400, "The request body must be a JSON object");
    return prepared;
  }
  prepared.model = requested_model(body.get_object());
  try {
    prepared.translated = translate_request(body.get_object(), options_for(settings, prepared.model));
  } catch (const InvalidRequest& invalid) {
    prepared.error = ApiError::with_status(400, invalid.what());
  }
  return prepared;
}

}  // namespace

net::awaitable<void> serve_messages(Connection& c, HttpRequest& request) {
  const Settings& settings = c.context.settings;
  Exchange exchange;
  exchange.request_id = random_id("req_");
  PreparedRequest prepared = prepare(request.body(), settings);
  request.body() = {};  // streams can last minutes: keep only what the relay needs
  if (prepared.error) co_return co_await write_error(c, *prepared.error, exchange.request_id);

  TranslatedRequest& translated = prepared.translated;
  c.context.provider.adapt_body(translated.body);
  exchange.client_model = prepared.model;
  exchange.upstream_model = settings.upstream_model(prepared.model);
  exchange.client_wants_stream = translated.client_wants_stream;
  exchange.upstream_body = std::make_shared<const std::string>(boost::json::serialize(translated.body));
  exchange.tools = std::move(translated.tools);
  std::vector<std::string> dropped = std::move(translated.dropped);
  translated = TranslatedRequest();  // frees the translated body's arena

  std::string result = co_await relay(c, exchange);
  // Field names only (never values): what the upstream did not get, e.g. temperature.
  std::string not_forwarded;
  for (const auto& field : dropped) not_forwarded.append(not_forwarded.empty() ? "" : ",").append(field);
  log_info(exchange.request_id, " ", exchange.client_model, " -> ", exchange.upstream_model,
           exchange.client_wants_stream ? " stream" : "", ": ", result,
           not_forwarded.empty() ? "" : "; not forwarded: ", not_forwarded);
}

net::awaitable<void> serve_count_tokens(Connection& c, HttpRequest& request) {
  const std::string request_id = random_id("req_");
  PreparedRequest prepared = prepare(request.body(), c.context.settings);
  if (prepared.error) co_return co_await write_error(c, *prepared.error, request_id);
  boost::json::object answer;
  answer["input_tokens"] = static_cast<std::int64_t>(count_request_tokens(prepared.translated.body));
  co_await write_json(c, http::status::ok, answer);
}

}  // namespace claudegpt
