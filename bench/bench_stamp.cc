// bench_stamp: a stand-in for `claude` in the launcher benchmark. It writes the moment it
// started (CLOCK_MONOTONIC, ns; the clock node's process.hrtime reads) to $BENCH_STAMP_FILE
// and exits. Only libc and no iostreams, so little happens between exec and the stamp.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

int main() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const char* path = std::getenv("BENCH_STAMP_FILE");
  if (!path) return 0;
  char line[32];
  int n = std::snprintf(line, sizeof line, "%lld\n",
                        static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  ssize_t written = write(fd, line, static_cast<std::size_t>(n));
  close(fd);
  return written == n ? 0 : 1;
}
