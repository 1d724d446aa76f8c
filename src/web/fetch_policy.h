// Which URLs the proxy fetches for the model, and which addresses it connects to. Pure.
//
// Only http and https. http is upgraded to https, as Claude Code's own WebFetch does, except
// for loopback and private hosts written as literals or "localhost" (no certificate exists for
// them; they are reachable only when private addresses are allowed). Private addresses are
// refused unless allowed: loopback, RFC 1918, link-local (cloud metadata at 169.254.169.254),
// carrier-grade NAT, unique-local IPv6, unspecified, multicast, and IPv4-mapped forms of these.
// The check is made on the address actually connected to (after DNS, on every redirect), so a
// public name that resolves to a private address is refused too.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace claudegpt
