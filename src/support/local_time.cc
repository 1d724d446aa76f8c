#include "support/local_time.h"

#include <ctime>

namespace claudegpt {

std::string local_clock_time(std::int64_t unix_seconds, std::int64_t now_unix_seconds) {
  const std::time_t at = static_cast<std::time_t>(unix_seconds);
  const std::time_t now = static_cast<std::time_t>(now_unix_seconds);
  std::tm when{};
  std::tm today{};
  if (!localtime_r(&at, &when) || !localtime_r(&now, &today)) return {};
  // Days between the two local dates (timegm on the dates alone: no DST or zone arithmetic).
  auto date_only = [](const std::tm& t) {
    std::tm date{};
    date.tm_mday = t.tm_mday;
    date.tm_mon = t.tm_mon;
    date.tm_year = t.tm_year;
    return timegm(&date);
  };
  const long days = static_cast<long>((date_only(when) - date_only(today)) / 86400);
  const char* format = days == 0 ? "%H:%M" : days > 0 && days < 7 ? "%a %H:%M" : "%a %-d %b %H:%M";
  char text[64];
  if (std::strftime(text, sizeof text, format, &when) == 0) return {};
  return text;
}

}  // namespace claudegpt
