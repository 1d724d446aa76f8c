#include "web/fetch_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

#include "web/ascii.h"

namespace claudegpt {
namespace {

// Claude Code's own WebFetch refuses longer URLs; nothing legitimate needs more.
constexpr std::size_t kMaxUrlLength = 2000;

bool in_v4(std::uint32_t address, std::uint32_t network, int prefix) {
  std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address & mask) == network;
}

// `address` in host byte order.
bool private_v4(std::uint32_t a) {
  return in_v4(a, 0x00000000, 8)      // "this network", 0.0.0.0 (reaches the local host)
         || in_v4(a, 0x0A000000, 8)   // 10/8
         || in_v4(a, 0x64400000, 10)  // 100.64/10 carrier-grade NAT
         || in_v4(a, 0x7F000000, 8)   // 127/8 loopback
         || in_v4(a, 0xA9FE0000, 16)  // 169.254/16 link-local, cloud metadata
         || in_v4(a, 0xAC100000, 12)  // 172.16/12
         || in_v4(a, 0xC0000000, 24)  // 192.0.0/24 IETF protocol assignments
         || in_v4(a, 0xC0A80000, 16)  // 192.168/16
         || in_v4(a, 0xC6120000, 15)  // 198.18/15 benchmarking, used inside networks
         || in_v4(a, 0xE0000000, 4)   // 224/4 multicast
         || in_v4(a, 0xF0000000, 4);  // 240/4 reserved, and the broadcast address
}

std::uint32_t v4_from_bytes(const unsigned char* b) {
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
}

bool private_v6(const unsigned char (&b)[16]) {
  static constexpr unsigned char kZero[12] = {};
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  // IPv4 carried in IPv6 (mapped ::ffff:a.b.c.d, the old compatible ::a.b.c.d, NAT64
  // 64:ff9b::a.b.c.d) reaches the IPv4 address: judge that. :: and ::1 fall in here too
  // (0.0.0.0 and 0.0.0.1 are private).
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kZero, 12) == 0 ||
      std::memcmp(b, kNat64, 12) == 0)
    return private_v4(v4_from_bytes(b + 12));
  return (b[0] & 0xfe) == 0xfc                      // fc00::/7 unique-local
         || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)  // fe80::/10 link-local
         || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)  // fec0::/10 old site-local
         || b[0] == 0xff;                             // ff00::/8 multicast
}

// An IPv4 host as resolvers read it: also "127.1", "0x7f.0.0.1", "2130706433" (inet_aton's
// forms, which getaddrinfo accepts and which would otherwise slip past a dotted-quad check).
bool parse_v4(const std::string& host, std::uint32_t& address) {
  if (host.empty()) return false;
  in_addr parsed{};
  if (inet_aton(host.c_str(), &parsed) == 0) return false;
  address = ntohl(parsed.s_addr);
  return true;
}

bool parse_v6(const std::string& host, unsigned char (&bytes)[16]) {
  in6_addr parsed{};
  if (inet_pton(AF_INET6, host.c_str(), &parsed) != 1) return false;
  std::memcpy(bytes, &parsed, 16);
  return true;
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool equal_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// A NO_PROXY entry against a host that is an IP address: "10.0.0.0/8", "::1", "fd00::/8".
// As curl: IPv4 with no bits or /32 must be equal; IPv6 with no bits is /128.
bool address_in(const std::string& host, bool v6, std::string_view entry) {
  std::size_t slash = entry.find('/');
  std::string network(entry.substr(0, slash));
  unsigned long bits = 0;
  if (slash != std::string_view::npos)  // atoi's reading: the leading digits, none is 0
    for (char c : entry.substr(slash + 1)) {
      if (c < '0' || c > '9' || bits > 1000) break;
      bits = bits * 10 + static_cast<unsigned long>(c - '0');
    }
  if (!v6) {
    in_addr address{}, check{};
    if (bits > 32 || inet_pton(AF_INET, host.c_str(), &address) != 1 ||
        inet_pton(AF_INET, network.c_str(), &check) != 1)
      return false;
    if (bits == 0 || bits == 32) return address.s_addr == check.s_addr;
    return in_v4(ntohl(address.s_addr), ntohl(check.s_addr) & (~std::uint32_t{0} << (32 - bits)),
                 static_cast<int>(bits));
  }
  unsigned char address[16], check[16];
  if (bits == 0) bits = 128;
  if (bits > 128 || !parse_v6(host, address) || !parse_v6(network, check)) return false;
  std::size_t bytes = bits / 8, rest = bits % 8;
  if (std::memcmp(address, check, bytes) != 0) return false;
  return rest == 0 || ((address[bytes] ^ check[bytes]) & (0xff << (8 - rest)) & 0xff) == 0;
}

// curl's Curl_check_noproxy: is `host` exempted by `no_proxy`?
bool exempt_from_proxy(std::string_view host, std::string_view no_proxy) {
  if (host.empty() || no_proxy.empty()) return false;
  if (no_proxy == "*") return true;
  std::string text(host);
  in_addr v4{};
  unsigned char v6[16];
  bool is_v4 = inet_pton(AF_INET, text.c_str(), &v4) == 1;
  bool is_v6 = !is_v4 && parse_v6(text, v6);
  if (!is_v4 && !is_v6 && host.ends_with('.')) host.remove_suffix(1);
  std::size_t at = 0;
  while (at < no_proxy.size()) {
    std::size_t end = no_proxy.find_first_of(", \t", at);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string_view entry = no_proxy.substr(at, end - at);
    at = end + 1;
    if (entry.empty()) continue;
    if (is_v4 || is_v6) {
      if (address_in(text, is_v6, entry)) return true;
      continue;
    }
    if (entry.ends_with('.')) entry.remove_suffix(1);
    if (entry.starts_with('.')) entry.remove_prefix(1);
    // "example.com" matches example.com and www.example.com, not nonexample.com.
    if (entry.size() == host.size() ? equal_ci(entry, host)
                                    : entry.size() < host.size() && host[host.size() - entry.size() - 1] == '.' &&
                                          equal_ci(entry, host.substr(host.size() - entry.size())))
      return true;
  }
  return false;
}

FetchTarget refuse(std::string error, bool malformed) {
  FetchTarget out;
  out.error = std::move(error);
  out.malformed = malformed;
  return out;
}

// Path, query and fragment with bytes beyond ASCII percent-encoded (a model writes
// "https://de.wikipedia.org/wiki/Straße"; on the wire it must be %C3%9F).
std::string encoded_rest(std::string_view rest) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(rest.size());
  for (char c : rest) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

}  // namespace

FetchTarget fetch_target(std::string_view url, bool allow_private) {
  if (url.empty()) return refuse("the URL is empty", true);
  if (url.size() > kMaxUrlLength)
    return refuse("the URL is too long (" + std::to_string(url.size()) + " characters, at most " +
                      std::to_string(kMaxUrlLength) + ")",
                  true);
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return refuse("the URL contains spaces or control characters", true);

  bool https;
  if (starts_with_ci(url, "https://")) https = true;
  else if (starts_with_ci(url, "http://")) https = false;
  else return refuse("only http and https URLs can be fetched", false);
  std::string_view after_scheme = url.substr(https ? 8 : 7);

  std::size_t authority_end = after_scheme.find_first_of("/?#");
  std::string_view authority = after_scheme.substr(0, authority_end);
  std::string_view rest =
      authority_end == std::string_view::npos ? std::string_view{} : after_scheme.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    return refuse("URLs with credentials (user:password@) are not fetched", false);

  // Host and port; an IPv6 literal is bracketed.
  std::string host;
  std::string_view port;
  bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return refuse("the URL's host is malformed", true);
    host = ascii_lowered(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return refuse("the URL's host is malformed", true);
      port = after.substr(1);
    }
  } else {
    std::size_t colon = authority.find(':');
    host = ascii_lowered(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return refuse("the URL has no host", true);
  if (!port.empty()) {
    unsigned long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return refuse("the URL's port is invalid", true);
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value == 0 || value > 65535) return refuse("the URL's port is invalid", true);
  }

  // Is the host, as written, a private one?
  bool private_host = false;
  if (bracketed) {
    unsigned char bytes[16];
    // A zone ("fe80::1%25eth0") only ever qualifies a link-local address: private.
    std::string address = host.substr(0, host.find('%'));
    if (!parse_v6(address, bytes)) return refuse("the URL's host is malformed", true);
    private_host = host.find('%') != std::string::npos || private_v6(bytes);
  } else {
    for (char c : host)
      if (!host_char(c))
        return refuse(static_cast<unsigned char>(c) >= 0x80
                          ? "the URL's host is not ASCII (write it in punycode, xn--…)"
                          : "the URL's host is malformed",
                      true);
    std::uint32_t v4 = 0;
    std::string_view name = host;
    if (name.ends_with('.')) name.remove_suffix(1);  // "localhost." is localhost
    if (name == "localhost" || name.ends_with(".localhost")) private_host = true;
    else if (parse_v4(host, v4)) private_host = private_v4(v4);
  }
  if (private_host && !allow_private)
    return refuse("refused: " + host + " is a private address", false);

  // No certificate exists for a private host: keep plain http there.
  bool upgrade = !https && !private_host;
  std::string out = upgrade || https ? "https://" : "http://";
  out += bracketed ? "[" + host + "]" : host;
  if (!port.empty() && !(upgrade && port == "80")) out.append(":").append(port);
  out += encoded_rest(rest);
  FetchTarget target;
  target.url = std::move(out);
  return target;
}

bool is_private_address(const sockaddr* address) {
  if (!address) return true;
  if (address->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    return private_v4(ntohl(v4.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    unsigned char bytes[16];
    std::memcpy(bytes, &v6.sin6_addr, 16);
    return private_v6(bytes);
  }
  return true;  // not an internet address (a Unix socket…): never for a web page
}

bool is_private_address(std::string_view ip_literal) {
  std::string text(ip_literal);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return private_v4(ntohl(v4.s_addr));
  unsigned char bytes[16];
  std::string address = text.substr(0, text.find('%'));
  if (parse_v6(address, bytes)) return private_v6(bytes);
  return false;
}

std::string first_private_address(const std::vector<std::string>& addresses) {
  for (const std::string& address : addresses)
    if (is_private_address(std::string_view(address))) return address;
  return "";
}

UrlHost url_host(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host;
  if (authority.starts_with('[')) host = authority.substr(1, authority.find(']') - 1);
  else host = authority.substr(0, authority.find(':'));
  return {ascii_lowered(url.substr(0, scheme_end)), ascii_lowered(host)};
}

bool is_ip_literal(std::string_view host) {
  std::string text(host);
  in_addr v4{};
  unsigned char v6[16];
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || parse_v6(text.substr(0, text.find('%')), v6);
}

std::string proxy_for(std::string_view url, const Environment& environment) {
  auto variable = [&](const char* name) -> std::string_view {
    const char* value = environment(name);
    return value ? value : "";
  };
  UrlHost target = url_host(url);
  std::string_view no_proxy = variable("no_proxy");
  if (no_proxy.empty()) no_proxy = variable("NO_PROXY");
  if (exempt_from_proxy(target.host, no_proxy)) return "";
  std::string_view proxy;
  if (target.scheme == "http") {
    proxy = variable("http_proxy");
  } else if (target.scheme == "https") {
    proxy = variable("https_proxy");
    if (proxy.empty()) proxy = variable("HTTPS_PROXY");
  }
  if (proxy.empty()) proxy = variable("all_proxy");
  if (proxy.empty()) proxy = variable("ALL_PROXY");
  return std::string(proxy);
}

}  // namespace claudegpt
