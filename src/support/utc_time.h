// Times as the JSON the proxy writes carries them.
#pragma once

#include <cstdint>
#include <string>

namespace claudegpt {

// UTC, to the second: utc_timestamp(1796679984744) == "2026-12-07T21:46:24Z".
std::string utc_timestamp(std::int64_t time_ms);

// Now, the same way.
std::string utc_timestamp_now();

}  // namespace claudegpt
