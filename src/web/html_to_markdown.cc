#include "web/html_to_markdown.h"

namespace claudegpt {

MarkdownPage html_to_markdown(std::string_view html, std::string_view) {
  return {{}, std::string(html)};  // placeholder
}

}  // namespace claudegpt
