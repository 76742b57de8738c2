#include "slash_command.hpp"

namespace wsc::cli {
namespace {

// The word after the command and the rest after one space.
std::pair<std::string, std::string> split_word(const std::string &s) {
  const size_t start = s.find_first_not_of(' ');
  if (start == std::string::npos) return {"", ""};
  const size_t end = s.find(' ', start);
  if (end == std::string::npos) return {s.substr(start), ""};
  return {s.substr(start, end - start), s.substr(end + 1)};
}

}  // namespace

SlashLine parse_slash_line(const std::string &line) {
  if (line.empty() || line[0] != '/') return SendLine{line};
  if (line.size() > 1 && line[1] == '/') return SendLine{line.substr(1)};
  auto [word, rest] = split_word(line.substr(1));
  if (word == "ping") return PingCommand{rest};
  if (word == "close") {
    CloseCommand c;
    auto [code, reason] = split_word(rest);
    if (code.empty()) return c;
    if (code.size() > 4 || code.find_first_not_of("0123456789") != std::string::npos) {
      return BadCommand{"/close expects a numeric code, got '" + code + "'"};
    }
    c.code = std::stoi(code);
    c.reason = reason;
    return c;
  }
  return BadCommand{"unknown command /" + word +
                    " (commands: /ping [data], /close [code [reason]]; //text sends /text)"};
}

}  // namespace wsc::cli
