// The current time as the JSON the proxy writes carries it.
#pragma once

#include <string>

namespace claudegpt {

// Now, UTC, to the second: "2026-12-07T04:50:00Z".
std::string utc_timestamp_now();

}  // namespace claudegpt
