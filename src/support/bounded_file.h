// Reading a small file whole, at most a cap: for the files a setting or another program points
// at (the Codex login auth.json, prices.toml), which may turn out to be /dev/zero, a FIFO or a
// huge file. Header-only so that every library (ledger/ as well as the app) can use the one
// reader.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <istream>
#include <string>
#include <string_view>

namespace claudegpt {

// The cap for such files: each is a few KiB. Messages call it kBoundedFileLimitText.
inline constexpr std::size_t kBoundedFileMaxBytes = 1 << 20;
inline constexpr std::string_view kBoundedFileLimitText = "1 MiB";

struct BoundedFile {
  enum class Status { read, missing, unreadable, too_large };
  Status status = Status::read;
  std::string text;  // all of it when read
  int error = 0;     // errno when missing or unreadable
};

// Reads `path` whole when it holds at most `max_bytes`. The size is not taken from stat (a
// device or a FIFO has none): reading stops one byte past the cap, so /dev/zero is too_large
// at once instead of being read until memory runs out. A FIFO nobody writes to reads as empty
// rather than hanging the open. missing: ENOENT or ENOTDIR (a path through a file).
inline BoundedFile read_bounded_file(const std::string& path,
                                     std::size_t max_bytes = kBoundedFileMaxBytes) {
  BoundedFile result;
  // O_NONBLOCK only so that opening a FIFO with no writer does not hang; reads block again.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    result.error = errno;
    result.status = result.error == ENOENT || result.error == ENOTDIR
                        ? BoundedFile::Status::missing
                        : BoundedFile::Status::unreadable;
    return result;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  char buffer[8192];
  for (;;) {
    std::size_t want = std::min(sizeof buffer, max_bytes + 1 - result.text.size());
    ssize_t n = ::read(fd, buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.error = errno;
      result.status = BoundedFile::Status::unreadable;
      result.text.clear();
      break;
    }
    if (n == 0) break;
    result.text.append(buffer, static_cast<std::size_t>(n));
    if (result.text.size() > max_bytes) {
      result.status = BoundedFile::Status::too_large;
      result.text.clear();
      break;
    }
  }
  ::close(fd);
  return result;
}

// The same cap for a stream another program writes (stdin): reads until its end or one byte
// past `max_bytes`, so an endless stream is too_large at once. unreadable: the stream went bad
// (error is then 0).
inline BoundedFile read_bounded_stream(std::istream& in, std::size_t max_bytes = kBoundedFileMaxBytes) {
  BoundedFile result;
  char buffer[8192];
  while (in) {
    std::size_t want = std::min(sizeof buffer, max_bytes + 1 - result.text.size());
    in.read(buffer, static_cast<std::streamsize>(want));
    result.text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (result.text.size() > max_bytes) {
      result.status = BoundedFile::Status::too_large;
      result.text.clear();
      return result;
    }
  }
  if (in.bad()) {
    result.status = BoundedFile::Status::unreadable;
    result.text.clear();
  }
  return result;
}

}  // namespace claudegpt
