// Reads stdin in lines or chunks and can be interrupted from another thread. std::getline
// blocks in read(2) with no way to wake it, which would leave Ctrl-C waiting for the next
// line of input; poll(2) on stdin plus a wake-up pipe lets the client stop the reader and
// join its thread.
#pragma once

#include <cstddef>
#include <string>

namespace wsc::cli {

class StdinReader {
 public:
  enum class Result { kData, kEof, kStopped, kError };

  explicit StdinReader(int fd = 0);
  ~StdinReader();
  StdinReader(const StdinReader &) = delete;
  StdinReader &operator=(const StdinReader &) = delete;

  // One line without its '\n'. A last line without a newline is still returned as kData.
  Result read_line(std::string &line);
  // Up to max bytes; fewer only at end of input. max == 0 reads everything up to EOF.
  Result read_chunk(std::string &out, size_t max);
  // Thread-safe and async-signal-safe: makes pending and future reads return kStopped.
  void stop();

  int error() const { return errno_; }  // errno after kError

 private:
  Result fill();  // appends to buffer_; kData if anything was read

  int fd_;
  int wake_[2] = {-1, -1};
  bool eof_ = false;
  int errno_ = 0;
  std::string buffer_;
};

}  // namespace wsc::cli
