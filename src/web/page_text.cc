#include "web/page_text.h"

namespace claudegpt {

PageText page_text(std::string_view body, std::string_view, std::string_view, std::size_t max_chars) {
  PageText out;  // placeholder
  out.readable = true;
  out.text = std::string(body.substr(0, max_chars));
  return out;
}

}  // namespace claudegpt
