#include "stdin_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace wsc::cli {

StdinReader::StdinReader(int fd) : fd_(fd) {
  if (pipe(wake_) == 0) {
    fcntl(wake_[0], F_SETFD, FD_CLOEXEC);
    fcntl(wake_[1], F_SETFD, FD_CLOEXEC);
  }
}

StdinReader::~StdinReader() {
  if (wake_[0] >= 0) close(wake_[0]);
  if (wake_[1] >= 0) close(wake_[1]);
}

void StdinReader::stop() {
  char b = 1;
  // The pipe is never drained, so one byte keeps every later poll() awake.
  ssize_t r = write(wake_[1], &b, 1);
  (void)r;
}

StdinReader::Result StdinReader::fill() {
  if (eof_) return Result::kEof;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      errno_ = errno;
      return Result::kError;
    }
    if (fds[1].revents) return Result::kStopped;
    if (fds[0].revents) break;
  }
  char chunk[65536];
  ssize_t got;
  do {
    got = read(fd_, chunk, sizeof chunk);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    errno_ = errno;
    return Result::kError;
  }
  if (got == 0) {
    eof_ = true;
    return Result::kEof;
  }
  buffer_.append(chunk, static_cast<size_t>(got));
  return Result::kData;
}

StdinReader::Result StdinReader::read_line(std::string &line) {
  size_t scanned = 0;
  for (;;) {
    size_t nl = buffer_.find('\n', scanned);
    if (nl != std::string::npos) {
      line.assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      return Result::kData;
    }
    scanned = buffer_.size();
    Result r = fill();
    if (r == Result::kEof && !buffer_.empty()) {
      line.swap(buffer_);
      buffer_.clear();
      return Result::kData;
    }
    if (r != Result::kData) return r;
  }
}

StdinReader::Result StdinReader::read_chunk(std::string &out, size_t max) {
  while (max == 0 || buffer_.size() < max) {
    Result r = fill();
    if (r == Result::kEof) break;
    if (r != Result::kData) return r;
  }
  if (buffer_.empty()) return Result::kEof;
  size_t n = max == 0 ? buffer_.size() : std::min(max, buffer_.size());
  out.assign(buffer_, 0, n);
  buffer_.erase(0, n);
  return Result::kData;
}

}  // namespace wsc::cli
