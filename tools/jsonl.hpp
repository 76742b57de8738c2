// --jsonl: one JSON object a line for each received message, so scripts can
// read binary and text alike without guessing where a message ends:
//   {"ts":1733551200.123456,"type":"text","length":5,"text":"hello"}
//   {"ts":1733551200.123456,"type":"binary","length":3,"base64":"AAEC"}
// ts is the receive time in seconds since the Unix epoch; length counts bytes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <wsc/client.hpp>

namespace wsc::cli {

// A JSON string literal, quotes included. `text` must be valid UTF-8 (wsc
// checked text messages); control characters are escaped.
std::string json_string(std::string_view text);
std::string base64(std::string_view data);
// The line for one message, without the newline.
std::string jsonl_message(std::chrono::system_clock::time_point when, wsc::MessageType type,
                          std::string_view data);

}  // namespace wsc::cli
