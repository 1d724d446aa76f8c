#include "core/anthropic_sse_writer.h"

#include <boost/json.hpp>

namespace claudegpt {

void write_sse(const AnthropicEvent& event, std::string& out) {
  out.append("event: ");
  out.append(event.type);
  out.append("\ndata: ");
  // Serialised piecewise through a small stack buffer: no temporary string per event.
  boost::json::serializer serializer;
  serializer.reset(&event.data);
  char buffer[4096];
  while (!serializer.done()) out.append(serializer.read(buffer, sizeof buffer));
  out.append("\n\n");
}

}  // namespace claudegpt
