#include "server/trace_tap.h"

namespace claudegpt {
namespace {

// The upstream's events are kept up to this much of the stream (as read).
constexpr std::size_t kTracedEventBytes = 8u << 20;

}  // namespace

void TraceTap::request(const std::shared_ptr<const std::string>& body) {
  if (!on_ || last_request_.lock() == body) return;
  last_request_ = body;
  if (!first_request_seen_) {
    first_request_seen_ = true;
    if (spool_) {
      if (client_body_ && spool_("request_anthropic", client_body_)) client_body_.reset();
      first_request_spooled_ = spool_("request_openai", body);
      if (first_request_spooled_) return;
    }
  }
  requests_.push_back(body);
}

void TraceTap::event(ResponsesEvent& event) {
  if (!on_) return;
  if (read_ > kTracedEventBytes) {
    ++left_out_;
    return;
  }
  events_.push_back(event.data.empty() ? boost::json::object{{"type", event.type}} : std::move(event.data));
}

void TraceTap::into(TurnTrace& trace) {
  trace.request_anthropic = std::move(client_body_);
  trace.request_openai = std::move(requests_);
  trace.request_openai_spooled = first_request_spooled_;
  trace.events_openai = std::move(events_);
  trace.events_left_out = left_out_;
}

}  // namespace claudegpt
