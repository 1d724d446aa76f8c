#include "server/trace_tap.h"

namespace claudegpt {
namespace {

// The upstream's events are kept up to this much of the stream (as read).
constexpr std::size_t kTracedEventBytes = 8u << 20;

}  // namespace

void TraceTap::request(const std::shared_ptr<const std::string>& body) {
  if (on_ && (requests_.empty() || requests_.back() != body)) requests_.push_back(body);
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
  trace.request_openai = std::move(requests_);
  trace.events_openai = std::move(events_);
  trace.events_left_out = left_out_;
}

}  // namespace claudegpt
