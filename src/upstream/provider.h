// Where and how a Responses request is sent: the few places where backends differ
// (URL, authentication, fields a backend rejects). The translator knows nothing of them.
#pragma once

#include <string>

#include <boost/json/fwd.hpp>

#include "config/settings.h"
#include "upstream/upstream_client.h"

namespace claudegpt {

class Provider {
 public:
  explicit Provider(const Settings& settings);

  const std::string& name() const { return name_; }
  const std::string& endpoint() const { return url_; }  // the Responses URL (no secrets)

  // Removes or adds what this backend requires of a translated body.
  void adapt_body(boost::json::object& body) const;

  // The call for a body, with URL and auth headers.
  UpstreamCall make_call(std::shared_ptr<const std::string> body, const Settings& settings) const;

 private:
  std::string name_;
  std::string url_;
  HttpHeaders auth_headers_;
};

}  // namespace claudegpt
