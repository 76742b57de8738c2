// wsc's side of logging (include/wsc/log.hpp): a cheap level check before
// any formatting, and the bridge that hands libwebsockets' lines over too.
#pragma once

#include <atomic>
#include <string_view>
#include <wsc/log.hpp>

namespace wsc::detail {

extern std::atomic<int> g_log_level;

inline bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_log_level.load(std::memory_order_relaxed);
}

// Call only after log_enabled(level): the message is built by then.
void log_line(LogLevel level, std::string_view message);

// Before the first lws context: lws logs to stderr until told otherwise.
void install_lws_logging();

}  // namespace wsc::detail
