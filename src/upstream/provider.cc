#include "upstream/provider.h"

#include <boost/json/object.hpp>

namespace claudegpt {

Provider::Provider(const Settings& settings) : name_(settings.provider) {
  // Only OpenAI for now; Azure and the Codex subscription differ in exactly these members.
  url_ = settings.openai_base_url + "/responses";
  if (!settings.openai_api_key.empty())
    auth_headers_.emplace_back("Authorization", "Bearer " + settings.openai_api_key);
}

void Provider::adapt_body(boost::json::object&) const {}

UpstreamCall Provider::make_call(std::shared_ptr<const std::string> body, const Settings& settings) const {
  UpstreamCall call;
  call.url = url_;
  call.headers = auth_headers_;
  call.headers.emplace_back("Content-Type", "application/json");
  call.headers.emplace_back("Accept", "text/event-stream");
  call.body = std::move(body);
  call.connect_timeout = settings.connect_timeout;
  return call;
}

}  // namespace claudegpt
