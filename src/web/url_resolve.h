// Relative URL resolution (RFC 3986 §5.2), for the links and images of a fetched page.
//
// Syntactic only: no normalisation beyond removing dot segments, no percent-decoding, no IDNA.
// What a browser adds on top (backslashes as slashes, "http:path" as relative) is not done.
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

// `reference` made absolute against `base`. An absolute reference comes back unchanged; so
// does any reference when `base` has no scheme (nothing to resolve against).
std::string resolve_url(std::string_view base, std::string_view reference);

// True if `url` starts with a scheme ("https:", "mailto:").
bool has_url_scheme(std::string_view url);

}  // namespace claudegpt
