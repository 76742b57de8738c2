// Small text helpers shared by the commands: sizes, durations, hex previews, stats lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <wsc/client.hpp>

namespace wsc::cli {

std::string format_bytes(uint64_t n);                          // "512 B", "1.0 KiB", "1.0 MiB"
std::string format_ms(std::chrono::steady_clock::duration d);  // "0.42 ms"
// "<binary N bytes> 00 01 ... (first 32 bytes shown)"
std::string binary_preview(std::string_view data, size_t max_bytes = 32);
std::string format_stats(const wsc::Stats &s);
// Message bytes before and after permessage-deflate, both ways, e.g.
// "sent 1.2 KiB on the wire for 10.0 KiB (8.3:1), received ...".
std::string format_compression(const wsc::Stats &s);
const char *state_name(wsc::State s);

}  // namespace wsc::cli
