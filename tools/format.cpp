#include "format.hpp"

#include <algorithm>
#include <cstdio>

namespace wsc::cli {

std::string format_bytes(uint64_t n) {
  char buf[64];
  if (n < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  } else if (n < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", n / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", n / (1024.0 * 1024.0));
  }
  return buf;
}

std::string format_ms(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", std::chrono::duration<double, std::milli>(d).count());
  return buf;
}

std::string binary_preview(std::string_view data, size_t max_bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "<binary " + std::to_string(data.size()) + " bytes>";
  size_t shown = std::min(max_bytes, data.size());
  for (size_t i = 0; i < shown; ++i) {
    auto b = static_cast<unsigned char>(data[i]);
    out += ' ';
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  if (shown < data.size()) out += " ...";
  return out;
}

std::string format_stats(const wsc::Stats &s) {
  std::string out = "sent " + std::to_string(s.msgs_sent) + " msgs / " +
                    format_bytes(s.bytes_sent) + ", received " + std::to_string(s.msgs_received) +
                    " msgs / " + format_bytes(s.bytes_received) + ", reconnects " +
                    std::to_string(s.reconnects) + ", discarded " +
                    std::to_string(s.send_discarded);
  if (s.rtt_us_smoothed >= 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, ", ping rtt %.2f ms", s.rtt_us_smoothed / 1000.0);
    out += buf;
  }
  return out;
}

std::string format_compression(const wsc::Stats &s) {
  const auto one = [](uint64_t wire, uint64_t bytes) {
    std::string out = format_bytes(wire) + " on the wire for " + format_bytes(bytes);
    if (wire > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " (%.1f:1)", static_cast<double>(bytes) / wire);
      out += buf;
    }
    return out;
  };
  return "sent " + one(s.wire_bytes_sent, s.bytes_sent) + ", received " +
         one(s.wire_bytes_received, s.bytes_received);
}

const char *state_name(wsc::State s) {
  switch (s) {
    case wsc::State::Connecting:
      return "connecting";
    case wsc::State::Open:
      return "open";
    case wsc::State::Closing:
      return "closing";
    case wsc::State::Closed:
      return "closed";
    case wsc::State::Reconnecting:
      return "reconnecting";
  }
  return "unknown";
}

}  // namespace wsc::cli
