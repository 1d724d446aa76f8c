#include "core/anthropic_sse_writer.h"

#include <boost/json.hpp>

namespace claudegpt {

void write_sse(const AnthropicEvent& event, std::string& out) {
  out.append("event: ");
  out.append(event.type);
  out.append("\ndata: ");
  // The serializer fills whatever room `out` has; grow it in steps until the JSON is done.
  boost::json::serializer serializer;
  serializer.reset(&event.data);
  while (!serializer.done()) {
    const std::size_t used = out.size();
    out.resize(used + std::max<std::size_t>(256, out.capacity() - used));
    const std::string_view written = serializer.read(out.data() + used, out.size() - used);
    out.resize(used + written.size());
  }
  out.append("\n\n");
}

}  // namespace claudegpt
