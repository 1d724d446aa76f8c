#include "support/utc_time.h"

#include <chrono>
#include <ctime>

namespace claudegpt {

std::string utc_timestamp(std::int64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(time_ms / 1000 - (time_ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string utc_timestamp_now() {
  return utc_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace claudegpt
