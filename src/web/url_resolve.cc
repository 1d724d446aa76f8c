#include "web/url_resolve.h"

#include <algorithm>

#include "web/ascii.h"

namespace claudegpt {
namespace {

struct UrlParts {
  std::string_view scheme;
  bool has_authority = false;
  std::string_view authority;
  std::string_view path;
  bool has_query = false;
  std::string_view query;
  bool has_fragment = false;
  std::string_view fragment;
};

UrlParts split_url(std::string_view s) {
  UrlParts u;
  std::size_t i = 0;
  if (!s.empty() && is_ascii_alpha(s[0])) {
    std::size_t j = 1;
    while (j < s.size() && (is_ascii_alnum(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.')) ++j;
    if (j < s.size() && s[j] == ':') {
      u.scheme = s.substr(0, j);
      i = j + 1;
    }
  }
  if (s.substr(i, 2) == "//") {
    const std::size_t end = std::min(s.find_first_of("/?#", i + 2), s.size());
    u.has_authority = true;
    u.authority = s.substr(i + 2, end - i - 2);
    i = end;
  }
  const std::size_t path_end = std::min(s.find_first_of("?#", i), s.size());
  u.path = s.substr(i, path_end - i);
  i = path_end;
  if (i < s.size() && s[i] == '?') {
    const std::size_t end = std::min(s.find('#', i), s.size());
    u.has_query = true;
    u.query = s.substr(i + 1, end - i - 1);
    i = end;
  }
  if (i < s.size() && s[i] == '#') {
    u.has_fragment = true;
    u.fragment = s.substr(i + 1);
  }
  return u;
}

std::string remove_dot_segments(std::string_view in) {
  std::string out;
  auto pop_segment = [&out] {
    const std::size_t slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      pop_segment();
    } else if (in == "/..") {
      in = "/";
      pop_segment();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const std::size_t end = std::min(in.find('/', 1), in.size());
      out.append(in.substr(0, end));
      in.remove_prefix(end);
    }
  }
  return out;
}

}  // namespace

std::string resolve_url(std::string_view base, std::string_view ref) {
  const UrlParts b = split_url(base);
  if (b.scheme.empty()) return std::string(ref);
  const UrlParts r = split_url(ref);
  UrlParts t;
  std::string path;
  if (!r.scheme.empty()) return std::string(ref);  // already absolute
  t.scheme = b.scheme;
  if (r.has_authority) {
    t.has_authority = true;
    t.authority = r.authority;
    path = remove_dot_segments(r.path);
    t.has_query = r.has_query;
    t.query = r.query;
  } else {
    t.has_authority = b.has_authority;
    t.authority = b.authority;
    if (r.path.empty()) {
      path = std::string(b.path);
      t.has_query = r.has_query || b.has_query;
      t.query = r.has_query ? r.query : b.query;
    } else {
      if (r.path.front() == '/') {
        path = remove_dot_segments(r.path);
      } else if (b.has_authority && b.path.empty()) {
        path = remove_dot_segments("/" + std::string(r.path));
      } else {
        const std::size_t slash = b.path.rfind('/');
        std::string merged(slash == std::string_view::npos ? std::string_view{}
                                                           : b.path.substr(0, slash + 1));
        merged.append(r.path);
        path = remove_dot_segments(merged);
      }
      t.has_query = r.has_query;
      t.query = r.query;
    }
  }
  std::string out;
  out.reserve(base.size() + ref.size());
  out.append(t.scheme).append(":");
  if (t.has_authority) out.append("//").append(t.authority);
  out.append(path);
  if (t.has_query) out.append("?").append(t.query);
  if (r.has_fragment) out.append("#").append(r.fragment);
  return out;
}

bool has_url_scheme(std::string_view url) { return !split_url(url).scheme.empty(); }

}  // namespace claudegpt
