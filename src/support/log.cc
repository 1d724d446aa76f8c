#include "support/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace claudegpt {
namespace {

std::mutex log_mutex;
std::FILE* log_file = stderr;

}  // namespace

void set_log_file(std::FILE* file) {
  std::lock_guard lock(log_mutex);
  log_file = file;
}

void write_log_line(std::string_view level, std::string_view text) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t seconds = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line;
  line.reserve(text.size() + 48);
  line.append(stamp).append(".").append(std::to_string(1000 + millis).substr(1)).append("Z ");
  line.append(level).append(" ").append(text).append("\n");
  std::lock_guard lock(log_mutex);
  if (!log_file) return;
  std::fwrite(line.data(), 1, line.size(), log_file);
  if (log_file != stderr) std::fflush(log_file);
}

}  // namespace claudegpt
