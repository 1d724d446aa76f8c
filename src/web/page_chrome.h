// Class and id names that mark page chrome: navigation, menus, breadcrumbs, cookie and
// consent banners, sidebars, footers, advertising, code line numbers.
//
// Matched on whole words: each class token splits at '-', '_' and camelCase humps, and a word
// must equal a chrome word (or start with "cookie"). So "navbar", "site-nav", "mainMenu" and
// "CybotCookiebotDialog" match, while "canvas", "navy" and "downloads" do not.
#pragma once

#include <string_view>

namespace claudegpt {

// `names` is a class attribute (tokens separated by whitespace) or an id.
bool names_page_chrome(std::string_view names);

}  // namespace claudegpt
