// Which URLs the proxy fetches for the model, and which addresses it connects to. Pure.
//
// Only http and https. http is upgraded to https, as Claude Code's own WebFetch does, except
// for loopback and private hosts written as literals or "localhost" (no certificate exists for
// them; they are reachable only when private addresses are allowed). Private addresses are
// refused unless allowed: loopback, RFC 1918, link-local (cloud metadata at 169.254.169.254),
// carrier-grade NAT, unique-local IPv6, unspecified, multicast, and IPv4-mapped forms of these.
// The check is made on the address actually connected to (after DNS, on every redirect), so a
// public name that resolves to a private address is refused too.
//
// Through an HTTP(S) or SOCKS proxy the address connected to is the proxy's, which the user
// chose (often on loopback or a private network): it is not judged. The proxy resolves the
// target's name itself, so the fetch decides up front which proxy curl would use
// (proxy_for), resolves the target's name here and refuses it when any of its addresses is
// private (first_private_address).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;

namespace claudegpt {

struct FetchTarget {
  std::string url;         // what to fetch (upgraded to https where that applies)
  std::string error;       // non-empty: refused, and why ("only http and https URLs can be fetched")
  bool malformed = false;  // with error: the URL itself is broken or too long (not a policy refusal)
};

// Checks and normalises `url`: at most 2000 characters, no spaces or control characters, no
// credentials (user:password@), a host; the scheme and host lower-cased, bytes beyond ASCII in
// the path and query percent-encoded, an explicit :80 dropped when upgrading. Hosts written
// as private literals (also in the forms resolvers accept, "127.1", "2130706433") and
// "localhost" / "*.localhost" are refused here unless allowed; names that resolve to private
// addresses are caught when connecting.
FetchTarget fetch_target(std::string_view url, bool allow_private);

// True for an address the proxy must not connect to unless private addresses are allowed.
bool is_private_address(const sockaddr* address);
// The same for a textual IP ("10.0.0.1", "::1"); false for anything that is not an IP literal.
bool is_private_address(std::string_view ip_literal);

// The first private address among `addresses` (textual IPs, as a resolver gives them), or "".
std::string first_private_address(const std::vector<std::string>& addresses);

// The scheme and host of an absolute URL, lower-cased, an IPv6 literal without its brackets;
// both empty when `url` has no "scheme://".
struct UrlHost {
  std::string scheme;
  std::string host;
};
UrlHost url_host(std::string_view url);

// True when `host` is an IP address in its plain form (dotted quad, or IPv6 without brackets).
bool is_ip_literal(std::string_view host);

// One environment variable, std::getenv's way: null when unset.
using Environment = std::function<const char*(const char* name)>;

// The proxy libcurl would use for `url` when told none, by its rules (7.88: lib/url.c
// detect_proxy and lib/noproxy.c), so that a fetch can name it explicitly and know it is used.
// "" for a direct connection, else the variable's value as curl takes it ("host:3128",
// "http://proxy:3128", "socks5h://…"):
//  - no_proxy, else NO_PROXY: "*" exempts every host. Otherwise entries separated by commas or
//    blanks: a name matches itself and its subdomains, case-insensitively, a leading and a
//    trailing dot ignored; a host written as an IP address matches addresses, "/bits" a network.
//  - <scheme>_proxy: for http only the lower-case http_proxy (curl ignores HTTP_PROXY, which a
//    CGI program gets from a request's "Proxy:" header), for https https_proxy, else
//    HTTPS_PROXY; then all_proxy, else ALL_PROXY.
// An empty variable counts as unset.
std::string proxy_for(std::string_view url, const Environment& environment);

}  // namespace claudegpt
