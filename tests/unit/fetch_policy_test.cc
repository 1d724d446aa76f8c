// Which URLs the proxy fetches for the model and which addresses it refuses to connect to.
#include "web/fetch_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

FetchTarget target(std::string_view url) { return fetch_target(url, /*allow_private=*/false); }
FetchTarget target_allowing_private(std::string_view url) { return fetch_target(url, true); }

// ---- fetch_target: what is fetched ---------------------------------------------------------

TEST(FetchTarget, HttpsUrlsAreFetchedAsTheyAre) {
  auto t = target("https://example.com/docs/page?x=1#part");
  EXPECT_EQ(t.error, "");
  EXPECT_EQ(t.url, "https://example.com/docs/page?x=1#part");
}

TEST(FetchTarget, HttpIsUpgradedToHttps) {
  EXPECT_EQ(target("http://example.com/a").url, "https://example.com/a");
  EXPECT_EQ(target("HTTP://Example.COM/Path").url, "https://example.com/Path");
}

TEST(FetchTarget, AnExplicitPort80IsDroppedWhenUpgradingButOtherPortsStay) {
  EXPECT_EQ(target("http://example.com:80/a").url, "https://example.com/a");
  EXPECT_EQ(target("http://example.com:8080/a").url, "https://example.com:8080/a");
  EXPECT_EQ(target("https://example.com:8443").url, "https://example.com:8443");
}

TEST(FetchTarget, HostWithoutPathIsKept) {
  EXPECT_EQ(target("https://example.com").url, "https://example.com");
  EXPECT_EQ(target("https://example.com?q=1").url, "https://example.com?q=1");
}

TEST(FetchTarget, BytesBeyondAsciiInThePathArePercentEncoded) {
  EXPECT_EQ(target("https://de.wikipedia.org/wiki/Stra\xc3\x9f" "e").url,
            "https://de.wikipedia.org/wiki/Stra%C3%9Fe");
}

TEST(FetchTarget, PublicIpLiteralsAreUpgradedLikeNames) {
  EXPECT_EQ(target("http://93.184.216.34/").url, "https://93.184.216.34/");
  EXPECT_EQ(target("http://[2606:2800:220:1::1]:8080/").url, "https://[2606:2800:220:1::1]:8080/");
}

TEST(FetchTarget, PrivateLiteralsAndLocalhostStayHttpWhenAllowed) {
  EXPECT_EQ(target_allowing_private("http://127.0.0.1:8080/x").url, "http://127.0.0.1:8080/x");
  EXPECT_EQ(target_allowing_private("http://localhost:3000/").url, "http://localhost:3000/");
  EXPECT_EQ(target_allowing_private("http://LOCALHOST/").url, "http://localhost/");
  EXPECT_EQ(target_allowing_private("http://app.localhost/").url, "http://app.localhost/");
  EXPECT_EQ(target_allowing_private("http://192.168.1.10/").url, "http://192.168.1.10/");
  EXPECT_EQ(target_allowing_private("http://[::1]:8080/").url, "http://[::1]:8080/");
  EXPECT_EQ(target_allowing_private("http://[fd00::5]/").url, "http://[fd00::5]/");
}

TEST(FetchTarget, HttpsToAPrivateHostStaysHttpsWhenAllowed) {
  EXPECT_EQ(target_allowing_private("https://127.0.0.1:8443/").url, "https://127.0.0.1:8443/");
}

TEST(FetchTarget, PrivateNamesThatOnlyDnsKnowsAreUpgraded) {
  // Only the connection can tell that router.lan is private; it is refused there.
  EXPECT_EQ(target_allowing_private("http://router.lan/").url, "https://router.lan/");
}

// ---- fetch_target: what is refused ---------------------------------------------------------

TEST(FetchTarget, OnlyHttpAndHttpsAreFetched) {
  for (std::string_view url : {"ftp://example.com/file", "file:///etc/passwd", "gopher://x/",
                               "javascript:alert(1)", "example.com/page", "//example.com/"}) {
    auto t = target(url);
    EXPECT_EQ(t.error, "only http and https URLs can be fetched") << url;
    EXPECT_EQ(t.url, "") << url;
  }
}

TEST(FetchTarget, UrlsWithCredentialsAreRefused) {
  EXPECT_NE(target("https://user:secret@example.com/").error, "");
  EXPECT_NE(target("https://user@example.com/").error, "");
  EXPECT_FALSE(target("https://user:secret@example.com/").malformed);
}

TEST(FetchTarget, AnEmptyHostIsMalformed) {
  for (std::string_view url : {"https://", "https:///path", "http://:80/", "https://?q"}) {
    auto t = target(url);
    EXPECT_EQ(t.error, "the URL has no host") << url;
    EXPECT_TRUE(t.malformed) << url;
  }
}

TEST(FetchTarget, SpacesAndControlCharactersAreRefused) {
  for (std::string_view url : {"https://example.com/a b", "https://example.com/\t", "https://exa\nmple.com/",
                               "https://example.com/\x7f", " https://example.com/"}) {
    auto t = target(url);
    EXPECT_EQ(t.error, "the URL contains spaces or control characters") << url;
    EXPECT_TRUE(t.malformed);
  }
}

TEST(FetchTarget, UrlsLongerThan2000CharactersAreRefused) {
  std::string base = "https://example.com/";
  std::string at_limit = base + std::string(2000 - base.size(), 'a');
  EXPECT_EQ(target(at_limit).error, "");
  auto t = target(at_limit + "a");
  EXPECT_EQ(t.error, "the URL is too long (2001 characters, at most 2000)");
  EXPECT_TRUE(t.malformed);
}

TEST(FetchTarget, BadPortsAndHostsAreMalformed) {
  for (std::string_view url : {"https://example.com:0/", "https://example.com:65536/", "https://example.com:x/",
                               "https://exa\\mple.com/", "https://[::1/", "https://[nope]/", "https://[::1]x/",
                               "https://ex%41mple.com/"}) {
    auto t = target_allowing_private(url);
    EXPECT_NE(t.error, "") << url;
    EXPECT_TRUE(t.malformed) << url;
  }
}

TEST(FetchTarget, NonAsciiHostsMustBeWrittenInPunycode) {
  EXPECT_EQ(target("https://b\xc3\xbc" "cher.de/").error,
            "the URL's host is not ASCII (write it in punycode, xn--…)");
  EXPECT_EQ(target("https://xn--bcher-kva.de/").error, "");
}

TEST(FetchTarget, PrivateLiteralsAndLocalhostAreRefusedUnlessAllowed) {
  for (std::string_view url : {"http://127.0.0.1/", "https://127.0.0.1:8443/", "http://localhost/",
                               "http://localhost./", "http://api.localhost/", "http://10.1.2.3/",
                               "http://172.16.0.1/", "http://192.168.0.1/", "http://169.254.169.254/latest/",
                               "http://100.64.0.1/", "http://0.0.0.0/", "http://[::1]/", "http://[::]/",
                               "http://[fe80::1%25eth0]/", "http://[fd12::1]/", "http://[::ffff:127.0.0.1]/",
                               "http://[::ffff:7f00:1]/", "http://224.0.0.1/"}) {
    auto t = target(url);
    EXPECT_TRUE(t.error.starts_with("refused: ")) << url << " → " << t.error;
    EXPECT_TRUE(t.error.ends_with(" is a private address")) << url;
    EXPECT_FALSE(t.malformed) << url;
    EXPECT_EQ(target_allowing_private(url).error, "") << url;
  }
  EXPECT_EQ(target("http://127.0.0.1:8080/").error, "refused: 127.0.0.1 is a private address");
}

TEST(FetchTarget, LoopbackWrittenTheWaysResolversAcceptIsStillLoopback) {
  for (std::string_view url : {"http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://0177.0.0.1/",
                               "http://0/"}) {
    EXPECT_NE(target(url).error, "") << url;
    EXPECT_EQ(target_allowing_private(url).url.substr(0, 7), "http://") << url;
  }
}

// ---- is_private_address --------------------------------------------------------------------

TEST(IsPrivateAddress, PrivateIpv4Ranges) {
  for (std::string_view ip : {"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.0", "100.127.255.255",
                              "127.0.0.1", "127.255.255.254", "169.254.169.254", "172.16.0.0", "172.31.255.255",
                              "192.168.0.1", "192.168.255.255", "192.0.0.8", "198.18.0.1", "198.19.255.255",
                              "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255"})
    EXPECT_TRUE(is_private_address(ip)) << ip;
}

TEST(IsPrivateAddress, PublicIpv4Addresses) {
  for (std::string_view ip : {"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "93.184.216.34", "100.63.255.255",
                              "100.128.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
                              "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0", "198.17.255.255",
                              "198.20.0.0", "223.255.255.255"})
    EXPECT_FALSE(is_private_address(ip)) << ip;
}

TEST(IsPrivateAddress, PrivateIpv6Ranges) {
  for (std::string_view ip : {"::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
                              "ff05::1:3", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
                              "::ffff:0.0.0.0", "::127.0.0.1", "64:ff9b::10.0.0.1", "[::1]", "fe80::1%eth0"})
    EXPECT_TRUE(is_private_address(ip)) << ip;
}

TEST(IsPrivateAddress, PublicIpv6Addresses) {
  for (std::string_view ip : {"2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8",
                              "fbff::1", "fe00::1"})
    EXPECT_FALSE(is_private_address(ip)) << ip;
}

TEST(IsPrivateAddress, TextThatIsNotAnIpLiteralIsNotPrivate) {
  for (std::string_view text : {"", "localhost", "example.com", "127.1", "1.2.3", "::g"})
    EXPECT_FALSE(is_private_address(text)) << text;
}

TEST(IsPrivateAddress, SocketAddressesAreJudgedByTheirAddress) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
  EXPECT_TRUE(is_private_address(reinterpret_cast<const sockaddr*>(&v4)));
  inet_pton(AF_INET, "93.184.216.34", &v4.sin_addr);
  EXPECT_FALSE(is_private_address(reinterpret_cast<const sockaddr*>(&v4)));

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.168.1.1", &v6.sin6_addr);
  EXPECT_TRUE(is_private_address(reinterpret_cast<const sockaddr*>(&v6)));
  inet_pton(AF_INET6, "fe80::1", &v6.sin6_addr);
  EXPECT_TRUE(is_private_address(reinterpret_cast<const sockaddr*>(&v6)));
  inet_pton(AF_INET6, "2606:4700:4700::1111", &v6.sin6_addr);
  EXPECT_FALSE(is_private_address(reinterpret_cast<const sockaddr*>(&v6)));
}

TEST(IsPrivateAddress, AddressesOfOtherFamiliesAreNeverConnectedTo) {
  sockaddr_un unix_address{};
  unix_address.sun_family = AF_UNIX;
  EXPECT_TRUE(is_private_address(reinterpret_cast<const sockaddr*>(&unix_address)));
  EXPECT_TRUE(is_private_address(static_cast<const sockaddr*>(nullptr)));
}

// ---- first_private_address, url_host, is_ip_literal ----------------------------------------

TEST(FirstPrivateAddress, AnyPrivateAddressAmongAHostsAddressesIsTheOneNamed) {
  EXPECT_EQ(first_private_address({"93.184.215.14", "2606:4700:4700::1111"}), "");
  EXPECT_EQ(first_private_address({"93.184.215.14", "10.0.0.5", "::1"}), "10.0.0.5");
  EXPECT_EQ(first_private_address({"2606:4700:4700::1111", "::ffff:169.254.169.254"}), "::ffff:169.254.169.254");
  EXPECT_EQ(first_private_address({}), "");
}

TEST(UrlHost, TheSchemeAndHostLowerCasedWithoutPortCredentialsOrBrackets) {
  auto host = url_host("HTTPS://Example.COM:8443/a?b#c");
  EXPECT_EQ(host.scheme, "https");
  EXPECT_EQ(host.host, "example.com");
  EXPECT_EQ(url_host("http://user:pw@intranet.example/x").host, "intranet.example");
  EXPECT_EQ(url_host("https://[2606:4700::1111]:443/").host, "2606:4700::1111");
  EXPECT_EQ(url_host("https://example.com?q=1").host, "example.com");
  EXPECT_EQ(url_host("ftp://files.example/f").scheme, "ftp");
  EXPECT_EQ(url_host("/relative/path").host, "");
}

TEST(IsIpLiteral, PlainAddressesOnly) {
  for (std::string_view host : {"10.0.0.5", "93.184.215.14", "::1", "2606:4700::1111", "fe80::1%eth0"})
    EXPECT_TRUE(is_ip_literal(host)) << host;
  for (std::string_view host : {"example.com", "localhost", "127.1", "2130706433", "[::1]", ""})
    EXPECT_FALSE(is_ip_literal(host)) << host;
}

// ---- proxy_for: the proxy curl would choose ----------------------------------------------------

struct FakeEnvironment {
  std::map<std::string, std::string> variables;
  Environment lookup() const {
    return [this](const char* name) -> const char* {
      auto it = variables.find(name);
      return it == variables.end() ? nullptr : it->second.c_str();
    };
  }
  std::string proxy_for(std::string_view url) const { return claudegpt::proxy_for(url, lookup()); }
};

TEST(ProxyFor, NoVariablesMeanDirect) {
  FakeEnvironment env;
  EXPECT_EQ(env.proxy_for("https://example.com/"), "");
  EXPECT_EQ(env.proxy_for("http://example.com/"), "");
}

TEST(ProxyFor, EachSchemeHasItsOwnVariable) {
  FakeEnvironment env{{{"https_proxy", "http://secure:3128"}, {"http_proxy", "http://plain:3128"}}};
  EXPECT_EQ(env.proxy_for("https://example.com/"), "http://secure:3128");
  EXPECT_EQ(env.proxy_for("http://example.com/"), "http://plain:3128");
}

TEST(ProxyFor, HttpsProxyMayBeUpperCaseAndLowerCaseWins) {
  FakeEnvironment env{{{"HTTPS_PROXY", "upper:3128"}}};
  EXPECT_EQ(env.proxy_for("https://example.com/"), "upper:3128");
  env.variables["https_proxy"] = "lower:3128";
  EXPECT_EQ(env.proxy_for("https://example.com/"), "lower:3128");
}

TEST(ProxyFor, UpperCaseHttpProxyIsIgnoredAsCurlDoes) {
  FakeEnvironment env{{{"HTTP_PROXY", "http://from-a-cgi-header:8080"}}};
  EXPECT_EQ(env.proxy_for("http://example.com/"), "");
  EXPECT_EQ(env.proxy_for("https://example.com/"), "");  // nor for https
}

TEST(ProxyFor, AllProxyIsTheFallbackForEitherScheme) {
  FakeEnvironment env{{{"ALL_PROXY", "socks5h://upper:1080"}}};
  EXPECT_EQ(env.proxy_for("http://example.com/"), "socks5h://upper:1080");
  env.variables["all_proxy"] = "socks5h://lower:1080";
  EXPECT_EQ(env.proxy_for("https://example.com/"), "socks5h://lower:1080");
  env.variables["https_proxy"] = "http://secure:3128";
  EXPECT_EQ(env.proxy_for("https://example.com/"), "http://secure:3128");
}

TEST(ProxyFor, EmptyVariablesCountAsUnset) {
  FakeEnvironment env{{{"https_proxy", ""}, {"HTTPS_PROXY", "upper:3128"}, {"no_proxy", ""}, {"NO_PROXY", "*"}}};
  EXPECT_EQ(env.proxy_for("https://example.com/"), "");  // NO_PROXY=* applies
  env.variables.erase("NO_PROXY");
  EXPECT_EQ(env.proxy_for("https://example.com/"), "upper:3128");
}

TEST(ProxyFor, NoProxyStarExemptsEveryHostButOnlyAlone) {
  FakeEnvironment env{{{"https_proxy", "p:1"}, {"no_proxy", "*"}}};
  EXPECT_EQ(env.proxy_for("https://example.com/"), "");
  env.variables["no_proxy"] = "*,other.com";
  EXPECT_EQ(env.proxy_for("https://example.com/"), "p:1");
}

TEST(ProxyFor, NoProxyNamesMatchThemselvesAndTheirSubdomains) {
  FakeEnvironment env{{{"https_proxy", "p:1"}, {"no_proxy", "example.com, .internal.corp ,Local."}}};
  for (std::string_view url : {"https://example.com/", "https://www.example.com/", "https://EXAMPLE.com./",
                               "https://internal.corp/", "https://wiki.internal.corp:8443/", "https://local/"})
    EXPECT_EQ(env.proxy_for(url), "") << url;
  for (std::string_view url : {"https://nonexample.com/", "https://example.com.evil/", "https://corp/"})
    EXPECT_EQ(env.proxy_for(url), "p:1") << url;
}

TEST(ProxyFor, NoProxyIsReadLowerCaseFirst) {
  FakeEnvironment env{{{"https_proxy", "p:1"}, {"no_proxy", "a.example"}, {"NO_PROXY", "b.example"}}};
  EXPECT_EQ(env.proxy_for("https://a.example/"), "");
  EXPECT_EQ(env.proxy_for("https://b.example/"), "p:1");
}

TEST(ProxyFor, NoProxyAddressesAndNetworksMatchHostsWrittenAsAddresses) {
  FakeEnvironment env{{{"https_proxy", "p:1"}, {"no_proxy", "10.0.0.0/8,192.168.1.7,fd00::/8,::1"}}};
  for (std::string_view url : {"https://10.20.30.40/", "https://192.168.1.7/", "https://[fd12::5]/", "https://[::1]/"})
    EXPECT_EQ(env.proxy_for(url), "") << url;
  for (std::string_view url : {"https://11.0.0.1/", "https://192.168.1.8/", "https://[fe80::1]/", "https://[::2]/"})
    EXPECT_EQ(env.proxy_for(url), "p:1") << url;
  env.variables["no_proxy"] = "10.0.0.0/0";  // curl: no bits means the address itself
  EXPECT_EQ(env.proxy_for("https://10.0.0.1/"), "p:1");
  EXPECT_EQ(env.proxy_for("https://10.0.0.0/"), "");
}

TEST(ProxyFor, AnAddressEntryDoesNotMatchANameNorANameAnAddress) {
  FakeEnvironment env{{{"https_proxy", "p:1"}, {"no_proxy", "127.0.0.1,example.com"}}};
  EXPECT_EQ(env.proxy_for("https://localhost/"), "p:1");
  EXPECT_EQ(env.proxy_for("https://93.184.215.14/"), "p:1");
}

}  // namespace
}  // namespace claudegpt
