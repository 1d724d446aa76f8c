#include "web/page_chrome.h"

#include <algorithm>
#include <string>

#include "web/ascii.h"

namespace claudegpt {
namespace {

bool is_chrome_word(std::string_view word) {
  static constexpr std::string_view kWords[] = {
      "nav",    "navbar",  "navigation", "navbox", "menu",   "menubar", "breadcrumb",
      "breadcrumbs", "sidebar", "footer", "banner", "consent", "gdpr",  "advert",
      "adverts", "advertisement", "ads", "lineno", "linenos", "gutter"};
  // cookie, cookies, cookiebanner, cookiebot (Cookiebot's dialog), cookieconsent…
  return word.starts_with("cookie") ||
         std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

bool token_is_chrome(std::string_view token) {
  std::string word;
  auto check = [&word] {
    const bool chrome = is_chrome_word(word);
    word.clear();
    return chrome;
  };
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char c = token[i];
    if (c == '-' || c == '_') {
      if (check()) return true;
      continue;
    }
    const bool upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0 && token[i - 1] >= 'a' && token[i - 1] <= 'z' && check()) return true;
    word += ascii_lower(c);
  }
  return check();
}

}  // namespace

bool names_page_chrome(std::string_view value) {
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && is_ascii_space(value[i])) ++i;
    std::size_t j = i;
    while (j < value.size() && !is_ascii_space(value[j])) ++j;
    if (j > i && token_is_chrome(value.substr(i, j - i))) return true;
    i = j;
  }
  return false;
}

}  // namespace claudegpt
