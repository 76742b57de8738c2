// Interactive slash commands: a line typed as "/ping [data]" or
// "/close [code [reason]]" is a command, not a message; "//text" sends
// "/text". Parsing only; client_command.cpp carries them out.
#pragma once

#include <string>
#include <variant>

namespace wsc::cli {

struct SendLine {  // not a command: send this text
  std::string text;
};
struct PingCommand {
  std::string data;  // shown back with the round trip
};
struct CloseCommand {
  int code = 1000;
  std::string reason;
};
struct BadCommand {  // a line starting with '/' that is no command: why
  std::string why;
};

using SlashLine = std::variant<SendLine, PingCommand, CloseCommand, BadCommand>;

SlashLine parse_slash_line(const std::string &line);

}  // namespace wsc::cli
