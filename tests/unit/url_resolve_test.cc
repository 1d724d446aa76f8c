// Relative URL resolution against the reference examples of RFC 3986 §5.4.
#include "web/url_resolve.h"

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

constexpr const char* kBase = "http://a/b/c/d;p?q";

TEST(ResolveUrl, NormalExamplesOfRfc3986) {
  const std::pair<const char*, const char*> cases[] = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {"g?y#s", "http://a/b/c/g?y#s"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"g;x?y#s", "http://a/b/c/g;x?y#s"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../", "http://a/"},
      {"../../g", "http://a/g"},
  };
  for (const auto& [reference, expected] : cases) {
    EXPECT_EQ(resolve_url(kBase, reference), expected) << reference;
  }
}

TEST(ResolveUrl, AbnormalExamplesOfRfc3986) {
  const std::pair<const char*, const char*> cases[] = {
      {"../../../g", "http://a/g"},
      {"../../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},
      {"g?y/../x", "http://a/b/c/g?y/../x"},
      {"g#s/./x", "http://a/b/c/g#s/./x"},
      {"g#s/../x", "http://a/b/c/g#s/../x"},
      {"http:g", "http:g"},
  };
  for (const auto& [reference, expected] : cases) {
    EXPECT_EQ(resolve_url(kBase, reference), expected) << reference;
  }
}

TEST(ResolveUrl, ABaseWithoutAPathActsAsTheRoot) {
  EXPECT_EQ(resolve_url("https://example.com", "x"), "https://example.com/x");
  EXPECT_EQ(resolve_url("https://example.com?q", "#f"), "https://example.com?q#f");
}

TEST(ResolveUrl, WithoutASchemeInTheBaseNothingResolves) {
  EXPECT_EQ(resolve_url("", "../x"), "../x");
  EXPECT_EQ(resolve_url("/relative/base", "x"), "x");
}

TEST(ResolveUrl, SchemesAreRecognised) {
  EXPECT_TRUE(has_url_scheme("https://x"));
  EXPECT_TRUE(has_url_scheme("mailto:a@b"));
  EXPECT_TRUE(has_url_scheme("svn+ssh://x"));
  EXPECT_FALSE(has_url_scheme("/path:with-colon"));
  EXPECT_FALSE(has_url_scheme("1http://x"));
  EXPECT_FALSE(has_url_scheme("relative"));
}

}  // namespace
}  // namespace claudegpt
