#include "web/character_references.h"

#include <libxml/HTMLparser.h>

#include <algorithm>
#include <charconv>
#include <iterator>

#include "web/ascii.h"

namespace claudegpt {
namespace {

// The names browsers decode without a ';' (WHATWG HTML's table of named character
// references, the entries without one), sorted. All are HTML 4 names but the six upper-case
// ones, which kHtml4Name spells as HTML 4 does.
constexpr std::string_view kLegacyNames[] = {
    "AElig",  "AMP",    "Aacute", "Acirc",  "Agrave", "Aring",  "Atilde", "Auml",   "COPY",
    "Ccedil", "ETH",    "Eacute", "Ecirc",  "Egrave", "Euml",   "GT",     "Iacute", "Icirc",
    "Igrave", "Iuml",   "LT",     "Ntilde", "Oacute", "Ocirc",  "Ograve", "Oslash", "Otilde",
    "Ouml",   "QUOT",   "REG",    "THORN",  "Uacute", "Ucirc",  "Ugrave", "Uuml",   "Yacute",
    "aacute", "acirc",  "acute",  "aelig",  "agrave", "amp",    "aring",  "atilde", "auml",
    "brvbar", "ccedil", "cedil",  "cent",   "copy",   "curren", "deg",    "divide", "eacute",
    "ecirc",  "egrave", "eth",    "euml",   "frac12", "frac14", "frac34", "gt",     "iacute",
    "icirc",  "iexcl",  "igrave", "iquest", "iuml",   "laquo",  "lt",     "macr",   "micro",
    "middot", "nbsp",   "not",    "ntilde", "oacute", "ocirc",  "ograve", "ordf",   "ordm",
    "oslash", "otilde", "ouml",   "para",   "plusmn", "pound",  "quot",   "raquo",  "reg",
    "sect",   "shy",    "sup1",   "sup2",   "sup3",   "szlig",  "thorn",  "times",  "uacute",
    "ucirc",  "ugrave", "uml",    "uuml",   "yacute", "yen",    "yuml"};

constexpr std::size_t kLongestLegacyName = 6;

bool is_legacy_name(std::string_view name) {
  return std::binary_search(std::begin(kLegacyNames), std::end(kLegacyNames), name);
}

std::string_view html4_name(std::string_view legacy) {
  if (legacy == "AMP") return "amp";
  if (legacy == "COPY") return "copy";
  if (legacy == "GT") return "gt";
  if (legacy == "LT") return "lt";
  if (legacy == "QUOT") return "quot";
  if (legacy == "REG") return "reg";
  return legacy;
}

// Whether the parser decodes "&name;" (its table is HTML 4's, and "apos").
bool parser_knows(std::string_view name) {
  char buffer[16];
  if (name.size() >= sizeof buffer) return false;
  name.copy(buffer, name.size());
  buffer[name.size()] = '\0';
  return htmlEntityLookup(reinterpret_cast<const xmlChar*>(buffer)) != nullptr;
}

// What browsers make of 0x80–0x9F in a numeric reference: windows-1252's characters (the five
// it leaves undefined stay as they are).
constexpr char32_t kWindows1252[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return ascii_lower(c) - 'a' + 10;
}

std::size_t numeric_reference(std::string_view text, std::size_t amp, std::string& out) {
  std::size_t i = amp + 2;
  const bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
  if (hex) ++i;
  const std::size_t digits = i;
  char32_t value = 0;
  while (i < text.size() && (hex ? is_hex_digit(text[i]) : (text[i] >= '0' && text[i] <= '9'))) {
    if (value <= 0x10FFFF) value = value * (hex ? 16 : 10) + digit_value(text[i]);
    ++i;
  }
  if (i == digits) {  // not a reference: the parser would drop it
    out += "&amp;";
    return amp + 1;
  }
  char32_t meant = value;
  if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    meant = 0xFFFD;
  } else if (value >= 0x80 && value <= 0x9F) {
    meant = kWindows1252[value - 0x80];
  }
  if (meant == value) return amp;  // the parser reads it the same
  if (i < text.size() && text[i] == ';') ++i;
  char number[16];
  const auto written = std::to_chars(std::begin(number), std::end(number),
                                     static_cast<unsigned long>(meant));
  out += "&#";
  out.append(number, written.ptr);
  out += ';';
  return i;
}

}  // namespace

std::size_t rewrite_character_reference(std::string_view text, std::size_t amp,
                                        std::string& out) {
  if (amp + 1 < text.size() && text[amp + 1] == '#') return numeric_reference(text, amp, out);
  std::size_t end = amp + 1;
  while (end < text.size() && is_ascii_alnum(text[end])) ++end;
  const std::string_view name = text.substr(amp + 1, end - amp - 1);
  if (name.empty()) return amp;
  const bool semicolon = end < text.size() && text[end] == ';';
  if (semicolon && parser_knows(name)) return amp;
  // The longest legacy name the text starts with, decoded without the rest of the word.
  for (std::size_t size = std::min(name.size(), kLongestLegacyName); size >= 2; --size) {
    const std::string_view legacy = name.substr(0, size);
    if (!is_legacy_name(legacy)) continue;
    out += '&';
    out += html4_name(legacy);
    out += ';';
    return amp + 1 + size + (size == name.size() && semicolon ? 1 : 0);
  }
  return amp;
}

}  // namespace claudegpt
