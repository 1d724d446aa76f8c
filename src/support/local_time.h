// A time as the user's clock shows it (this process's time zone: TZ, else /etc/localtime).
#pragma once

#include <cstdint>
#include <string>

namespace claudegpt {

// `unix_seconds` in local time, as short as is unambiguous from `now_unix_seconds`: "14:05"
// on today's date, "Mon 14:05" within the coming six days, else "Mon 14 Dec 14:05".
std::string local_clock_time(std::int64_t unix_seconds, std::int64_t now_unix_seconds);

}  // namespace claudegpt
