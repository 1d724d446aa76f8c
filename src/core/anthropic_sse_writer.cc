#include "core/anthropic_sse_writer.h"

#include "core/json_text.h"

namespace claudegpt {

void write_sse(const AnthropicEvent& event, std::string& out) {
  out.append("event: ");
  out.append(event.type);
  out.append("\ndata: ");
  append_json_text(event.data, out);  // straight into `out`: no temporary string per event
  out.append("\n\n");
}

}  // namespace claudegpt
