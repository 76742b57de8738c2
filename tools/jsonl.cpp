#include "jsonl.hpp"

#include <cstdio>

namespace wsc::cli {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;  // UTF-8 passes through: JSON text is UTF-8
        }
    }
  }
  return out + "\"";
}

std::string base64(std::string_view data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(data[i]) << 16 |
                       static_cast<uint8_t>(data[i + 1]) << 8 | static_cast<uint8_t>(data[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  const size_t rest = data.size() - i;
  if (rest) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string jsonl_message(std::chrono::system_clock::time_point when, wsc::MessageType type,
                          std::string_view data) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
  char head[96];
  std::snprintf(head, sizeof head, "{\"ts\":%lld.%06lld,\"type\":\"%s\",\"length\":%zu,",
                static_cast<long long>(us / 1000000), static_cast<long long>(us % 1000000),
                type == wsc::MessageType::Text ? "text" : "binary", data.size());
  std::string line = head;
  if (type == wsc::MessageType::Text) {
    line += "\"text\":" + json_string(data);
  } else {
    line += "\"base64\":\"" + base64(data) + "\"";
  }
  return line + "}";
}

}  // namespace wsc::cli
