#include "message_output.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "format.hpp"
#include "jsonl.hpp"

namespace wsc::cli {

bool MessageOutput::received(wsc::MessageType type, std::string_view data) {
  if (shape_ == Shape::kJsonl) {
    const std::string line = jsonl_message(std::chrono::system_clock::now(), type, data) + "\n";
    std::lock_guard<std::mutex> lock(mutex_);
    const bool ok = std::fwrite(line.data(), 1, line.size(), stdout) == line.size();
    return std::fflush(stdout) == 0 && ok;
  }
  return write(shape_ == Shape::kMarkers ? "< " : "", type, data);
}

bool MessageOutput::sent(wsc::MessageType type, std::string_view data) {
  if (shape_ != Shape::kMarkers || isatty(STDIN_FILENO)) return true;
  return write("> ", type, data);
}

bool MessageOutput::write(std::string_view marker, wsc::MessageType type, std::string_view data) {
  std::string text;
  if (type == wsc::MessageType::Text) {
    text.append(marker).append(data) += '\n';
  } else if (raw_) {
    text.append(marker).append(data);
  } else {
    text.append(marker).append(binary_preview(data)) += '\n';
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  // Flushed per message: a reader on the other end of a pipe should see replies as they come.
  return std::fflush(stdout) == 0 && ok;
}

}  // namespace wsc::cli
