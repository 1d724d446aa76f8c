#include "web/page_text.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <initializer_list>
#include <string>
#include <string_view>

#include "web/ascii.h"
#include "web/html_to_markdown.h"
#include "text/utf8.h"

namespace claudegpt {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  return trim(s);
}

// ---------------------------------------------------------------- Content-Type

struct ContentType {
  std::string media_type;  // lower-case, no parameters
  std::string charset;     // as labelled, may be empty
};

ContentType parse_content_type(std::string_view header) {
  ContentType out;
  const std::size_t semicolon = header.find(';');
  out.media_type = ascii_lowered(trim(header.substr(0, semicolon)));
  std::size_t pos = semicolon;
  while (pos != std::string_view::npos) {
    const std::size_t next = header.find(';', pos + 1);
    const std::string_view parameter = trim(header.substr(pos + 1, next - pos - 1));
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos &&
        equals_ci(trim(parameter.substr(0, equals)), "charset")) {
      out.charset = std::string(unquote(parameter.substr(equals + 1)));
    }
    pos = next;
  }
  return out;
}

enum class Kind { kHtml, kText, kUnsupported };

Kind classify(std::string_view media_type) {
  if (media_type == "text/html" || media_type == "application/xhtml+xml") return Kind::kHtml;
  if (media_type.starts_with("text/")) return Kind::kText;
  if (media_type.starts_with("application/")) {
    const std::string_view subtype = media_type.substr(12);
    if (subtype.ends_with("+json") || subtype.ends_with("+xml")) return Kind::kText;
    for (std::string_view text : {"json", "xml", "javascript", "ecmascript", "x-javascript",
                                  "typescript", "x-typescript", "x-sh", "x-shellscript", "yaml",
                                  "x-yaml", "toml", "x-toml", "sql", "graphql", "ndjson",
                                  "x-ndjson", "jsonl", "x-tex", "x-latex", "x-httpd-php",
                                  "x-python", "x-perl", "x-ruby", "csv", "markdown"}) {
      if (subtype == text) return Kind::kText;
    }
  }
  return Kind::kUnsupported;
}

// Types that say nothing about the body: it is sniffed as if there were no Content-Type.
bool says_nothing(std::string_view media_type) {
  return media_type.empty() || media_type == "application/octet-stream" ||
         media_type == "binary/octet-stream" || media_type == "application/unknown" ||
         media_type == "unknown/unknown" || media_type == "*/*";
}

// ---------------------------------------------------------------- sniffing

// The byte-order mark's encoding and length, if the body starts with one.
std::string_view bom_charset(std::string_view body, std::size_t* length) {
  if (body.starts_with("\xEF\xBB\xBF")) {
    *length = 3;
    return "UTF-8";
  }
  if (body.starts_with("\xFF\xFE")) {
    *length = 2;
    return "UTF-16LE";
  }
  if (body.starts_with("\xFE\xFF")) {
    *length = 2;
    return "UTF-16BE";
  }
  *length = 0;
  return {};
}

// A binary format recognised by its first bytes, or by bytes no text contains.
std::string_view sniff_binary(std::string_view body) {
  static constexpr std::pair<std::string_view, std::string_view> kMagic[] = {
      {"%PDF-", "application/pdf"},
      {"\x89PNG\r\n\x1A\n", "image/png"},
      {"GIF87a", "image/gif"},
      {"GIF89a", "image/gif"},
      {"\xFF\xD8\xFF", "image/jpeg"},
      {"PK\x03\x04", "application/zip"},
      {"\x1F\x8B\x08", "application/gzip"},
      {"wOFF", "font/woff"},
      {"wOF2", "font/woff2"},
      {"OggS", "application/ogg"},
      {"ID3", "audio/mpeg"},
      {"%!PS-Adobe-", "application/postscript"},
  };
  for (const auto& [magic, type] : kMagic) {
    if (body.starts_with(magic)) return type;
  }
  if (body.starts_with("RIFF") && body.size() >= 12 && body.substr(8, 4) == "WEBP")
    return "image/webp";
  // The WHATWG "binary data bytes": control characters text never holds.
  for (unsigned char c : body.substr(0, 1024)) {
    if (c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1A) || (c >= 0x1C && c <= 0x1F)) {
      return "application/octet-stream";
    }
  }
  return {};
}

bool looks_like_html(std::string_view body) {
  std::size_t i = 0;
  while (i < body.size() && is_ascii_space(body[i])) ++i;
  const std::string_view start = body.substr(i, 64);
  if (starts_with_ci(start, "<!doctype html") || start.starts_with("<!--")) return true;
  for (std::string_view tag : {"html", "head", "body", "script", "iframe", "h1", "div", "font",
                               "table", "a", "style", "title", "b", "br", "p", "meta", "link"}) {
    if (start.size() > tag.size() + 1 && start[0] == '<' &&
        starts_with_ci(start.substr(1), tag)) {
      const char after = start[tag.size() + 1];
      if (after == '>' || after == ' ' || after == '\t' || after == '\n' || after == '\r' ||
          after == '/') {
        return true;
      }
    }
  }
  if (starts_with_ci(start, "<?xml")) {
    const std::string head = ascii_lowered(body.substr(0, 1024));
    return head.find("<html") != std::string::npos;
  }
  return false;
}

std::string sniff_media_type(std::string_view body) {
  std::size_t bom = 0;
  bom_charset(body, &bom);
  if (bom == 0) {
    if (const std::string_view binary = sniff_binary(body); !binary.empty()) {
      return std::string(binary);
    }
  }
  std::string_view text = body.substr(bom);
  if (bom == 2) {
    // UTF-16: look at the ASCII it spells, one byte in two.
    std::string narrow;
    const std::size_t offset = body.starts_with("\xFF\xFE") ? 0 : 1;
    for (std::size_t i = offset; i < std::min<std::size_t>(text.size(), 256); i += 2) {
      narrow += text[i];
    }
    return looks_like_html(narrow) ? "text/html" : "text/plain";
  }
  if (looks_like_html(text)) return "text/html";
  if (starts_with_ci(trim(text.substr(0, 64)), "<?xml")) return "text/xml";
  return "text/plain";
}

// ---------------------------------------------------------------- charset declared in the body

// Attributes of the tag whose name ends at `pos`; calls `on(name, value)` for each.
template <typename F>
void tag_attributes(std::string_view s, std::size_t pos, F on) {
  const std::size_t n = s.size();
  while (pos < n) {
    while (pos < n && (is_ascii_space(s[pos]) || s[pos] == '/')) ++pos;
    if (pos >= n || s[pos] == '>') return;
    const std::size_t name_start = pos;
    while (pos < n && !is_ascii_space(s[pos]) && s[pos] != '=' && s[pos] != '>' &&
           s[pos] != '/') {
      ++pos;
    }
    const std::string name = ascii_lowered(s.substr(name_start, pos - name_start));
    while (pos < n && is_ascii_space(s[pos])) ++pos;
    std::string_view value;
    if (pos < n && s[pos] == '=') {
      ++pos;
      while (pos < n && is_ascii_space(s[pos])) ++pos;
      if (pos < n && (s[pos] == '"' || s[pos] == '\'')) {
        const std::size_t close = s.find(s[pos], pos + 1);
        if (close == std::string_view::npos) return;
        value = s.substr(pos + 1, close - pos - 1);
        pos = close + 1;
      } else {
        const std::size_t start = pos;
        while (pos < n && !is_ascii_space(s[pos]) && s[pos] != '>') ++pos;
        value = s.substr(start, pos - start);
      }
    }
    on(name, value);
  }
}

// "text/html; charset=x" as in <meta http-equiv content>: the x.
std::string_view charset_in_content(std::string_view content) {
  const std::string lowered = ascii_lowered(content);
  const std::size_t at = lowered.find("charset");
  if (at == std::string::npos) return {};
  std::size_t pos = at + 7;
  while (pos < content.size() && is_ascii_space(content[pos])) ++pos;
  if (pos >= content.size() || content[pos] != '=') return {};
  ++pos;
  while (pos < content.size() && is_ascii_space(content[pos])) ++pos;
  if (pos < content.size() && (content[pos] == '"' || content[pos] == '\'')) ++pos;
  const std::size_t start = pos;
  while (pos < content.size() && !is_ascii_space(content[pos]) && content[pos] != ';' &&
         content[pos] != '"' && content[pos] != '\'') {
    ++pos;
  }
  return content.substr(start, pos - start);
}

// The charset an HTML page declares in its first bytes (<meta charset>, <meta http-equiv>),
// or an XML declaration's encoding. Browsers look at 1024 bytes; pages that put a long
// comment or script first are common enough to look further.
std::string declared_charset(std::string_view body) {
  const std::string_view head = body.substr(0, 8192);
  if (starts_with_ci(head, "<?xml")) {
    const std::size_t end = head.find("?>");
    std::string found;
    tag_attributes(head.substr(0, end), 5, [&](const std::string& name, std::string_view value) {
      if (name == "encoding") found = std::string(trim(value));
    });
    if (!found.empty()) return found;
  }
  std::size_t pos = 0;
  while (true) {
    pos = head.find('<', pos);
    if (pos == std::string_view::npos) return {};
    if (head.substr(pos, 4) == "<!--") {
      pos = head.find("-->", pos + 4);
      if (pos == std::string_view::npos) return {};
      continue;
    }
    if (starts_with_ci(head.substr(pos), "<meta") && pos + 5 < head.size() &&
        (is_ascii_space(head[pos + 5]) || head[pos + 5] == '/')) {
      std::string charset, http_equiv, content;
      tag_attributes(head, pos + 5, [&](const std::string& name, std::string_view value) {
        if (name == "charset") charset = std::string(unquote(value));
        if (name == "http-equiv") http_equiv = ascii_lowered(trim(value));
        if (name == "content") content = std::string(value);
      });
      if (!charset.empty()) return charset;
      if (http_equiv == "content-type") {
        const std::string_view from_content = charset_in_content(content);
        if (!from_content.empty()) return std::string(from_content);
      }
    }
    ++pos;
  }
}

// ---------------------------------------------------------------- decoding

// The iconv name for a charset label, following the WHATWG Encoding Standard where browsers
// read a label as a superset (ISO-8859-1 and ASCII as windows-1252, GB2312 as GB18030…).
// Empty for UTF-8, which is decoded here.
std::string iconv_name(std::string_view label) {
  const std::string l = ascii_lowered(trim(label));
  auto any = [&l](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), l) != names.end();
  };
  if (l.empty() ||
      any({"utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "x-unicode20utf8"})) {
    return {};
  }
  if (any({"iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "latin1", "l1", "us-ascii",
           "ascii", "ansi_x3.4-1968", "cp819", "ibm819", "iso-ir-100", "csisolatin1",
           "windows-1252", "cp1252", "x-cp1252"})) {
    return "WINDOWS-1252";
  }
  if (any({"iso-8859-9", "iso8859-9", "latin5", "l5", "windows-1254", "cp1254"})) {
    return "WINDOWS-1254";
  }
  if (any({"tis-620", "iso-8859-11", "windows-874", "dos-874"})) return "WINDOWS-874";
  if (any({"utf-16", "utf-16le", "unicode", "ucs-2", "csunicode"})) return "UTF-16LE";
  if (any({"utf-16be", "unicodefffe"})) return "UTF-16BE";
  if (any({"gb2312", "gbk", "x-gbk", "chinese", "csgb2312", "gb_2312-80", "gb18030"})) {
    return "GB18030";
  }
  if (any({"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "ms932", "windows-31j",
           "csshiftjis"})) {
    return "CP932";
  }
  if (any({"euc-kr", "ks_c_5601-1987", "windows-949", "cseuckr"})) return "CP949";
  if (any({"big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5"})) return "BIG5-HKSCS";
  std::string name(trim(label));
  for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return name;
}

// Whether `s` holds one well-formed sequence of two bytes or more.
bool has_multibyte_sequence(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const Utf8Sequence sequence = next_utf8_sequence(s, i);
    if (sequence.valid && sequence.size > 1) return true;
    i += sequence.size;
  }
  return false;
}

// Bytes in `charset` (an iconv name) to UTF-8; unconvertible bytes become U+FFFD.
// Returns false when iconv does not know the charset.
bool decode_with_iconv(std::string_view in, const std::string& charset, std::string* out) {
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  const std::size_t unit = charset.starts_with("UTF-16") ? 2 : 1;
  out->assign(in.size() + in.size() / 2 + 16, '\0');
  std::size_t used = 0;
  char* input = const_cast<char*>(in.data());
  std::size_t input_left = in.size();
  bool flushing = false;
  while (true) {
    if (out->size() - used < 16) out->resize(out->size() * 2);
    char* output = out->data() + used;
    std::size_t output_left = out->size() - used;
    const std::size_t result = flushing
                                   ? iconv(cd, nullptr, nullptr, &output, &output_left)
                                   : iconv(cd, &input, &input_left, &output, &output_left);
    used = static_cast<std::size_t>(output - out->data());
    if (result != static_cast<std::size_t>(-1)) {
      if (flushing) break;
      flushing = true;  // stateful encodings (ISO-2022-JP) may still owe a shift sequence
      continue;
    }
    if (errno == E2BIG) {
      out->resize(out->size() * 2);
    } else if (errno == EILSEQ) {
      out->replace(used, kReplacement.size(), kReplacement);
      used += kReplacement.size();
      const std::size_t skip = std::min(unit, input_left);
      input += skip;
      input_left -= skip;
    } else {  // EINVAL: the input ends inside a character
      out->replace(used, kReplacement.size(), kReplacement);
      used += kReplacement.size();
      input_left = 0;
      flushing = true;
    }
  }
  iconv_close(cd);
  out->resize(used);
  return true;
}

// The body as UTF-8. `declared` is the label from the header or the page, possibly empty.
std::string decode(std::string_view body, std::string_view declared) {
  std::string charset = iconv_name(declared);
  if (!charset.empty()) {
    std::string out;
    if (decode_with_iconv(body, charset, &out)) return out;
  }
  // Ill-formed units become U+FFFD (the "maximal subpart" practice browsers follow).
  std::size_t replaced = 0;
  std::string out = well_formed_utf8(body, &replaced);
  // Undeclared and not UTF-8 at all (not one multi-byte sequence): an old single-byte page,
  // read as browsers in the West default to, rather than as a field of U+FFFD.
  if (declared.empty() && replaced > 0 && !has_multibyte_sequence(body)) {
    decode_with_iconv(body, "WINDOWS-1252", &out);
  }
  return out;
}

}  // namespace

PageText page_text(std::string_view body, std::string_view content_type, std::string_view url,
                   std::size_t max_chars) {
  PageText page;
  const ContentType type = parse_content_type(content_type);
  page.media_type = says_nothing(type.media_type) ? sniff_media_type(body) : type.media_type;
  const Kind kind = classify(page.media_type);
  if (kind == Kind::kUnsupported) {
    page.reason = "unsupported content type " + page.media_type;
    return page;
  }
  page.readable = true;

  // A byte-order mark outranks every label, as in browsers; then the header, then the page.
  std::size_t bom = 0;
  std::string charset(bom_charset(body, &bom));
  if (charset.empty()) charset = type.charset;
  if (charset.empty() && (kind == Kind::kHtml || page.media_type.ends_with("xml"))) {
    charset = declared_charset(body);
    // A page read as ASCII to find its <meta> cannot be UTF-16.
    if (starts_with_ci(charset, "utf-16")) charset = "UTF-8";
  }
  std::string text = decode(body.substr(bom), charset);

  if (kind == Kind::kHtml) {
    MarkdownPage markdown = html_to_markdown(text, url);
    page.title = std::move(markdown.title);
    text = std::move(markdown.markdown);
  }
  page.full_chars = count_code_points(text);
  if (page.full_chars > max_chars) {
    text.resize(code_point_prefix_bytes(text, max_chars));
    page.truncated = true;
  }
  page.text = std::move(text);
  return page;
}

}  // namespace claudegpt
