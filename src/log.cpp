#include "log.hpp"

#include <libwebsockets.h>

#include <mutex>
#include <shared_mutex>
#include <string>

namespace wsc::detail {

std::atomic<int> g_log_level{0};

namespace {

// Handlers run under a shared lock, so set_log_handler (exclusive) returns
// only once no call of the old handler is running.
std::shared_mutex handler_mutex;
LogHandler handler;  // under handler_mutex

void deliver(LogLevel level, std::string_view origin, std::string_view message) {
  std::shared_lock<std::shared_mutex> lock(handler_mutex);
  if (!handler) return;
  try {
    handler(level, origin, message);
  } catch (...) {
    // A logger that throws must not take the loop thread down.
  }
}

LogLevel from_lws(int lws_level) {
  if (lws_level & LLL_ERR) return LogLevel::Error;
  if (lws_level & LLL_WARN) return LogLevel::Warn;
  if (lws_level & (LLL_NOTICE | LLL_USER)) return LogLevel::Info;
  return LogLevel::Debug;
}

void from_lws_emit(int lws_level, const char *line) {
  std::string_view text(line ? line : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  deliver(from_lws(lws_level), "lws", text);
}

// The lws classes for a level. Never LLL_HEADER, LLL_PARSER or LLL_EXT:
// those print request and response headers (Authorization, cookies).
int lws_mask(int level) {
  int mask = 0;
  if (level >= static_cast<int>(LogLevel::Error)) mask |= LLL_ERR;
  if (level >= static_cast<int>(LogLevel::Warn)) mask |= LLL_WARN;
  if (level >= static_cast<int>(LogLevel::Info)) mask |= LLL_NOTICE | LLL_USER;
  if (level >= static_cast<int>(LogLevel::Debug))
    mask |= LLL_INFO | LLL_DEBUG | LLL_CLIENT | LLL_LATENCY;
  return mask;
}

// Under handler_mutex (exclusive).
void apply_to_lws(int level) {
  if (level > 0)
    lws_set_log_level(lws_mask(level), from_lws_emit);
  else
    lws_set_log_level(0, nullptr);
}

std::once_flag lws_once;

}  // namespace

void log_line(LogLevel level, std::string_view message) { deliver(level, "wsc", message); }

void install_lws_logging() {
  std::call_once(lws_once, [] {
    std::unique_lock<std::shared_mutex> lock(handler_mutex);
    apply_to_lws(g_log_level.load());
  });
}

}  // namespace wsc::detail

namespace wsc {

void set_log_handler(LogLevel level, LogHandler new_handler) {
  using namespace detail;
  const int effective = new_handler ? static_cast<int>(level) : 0;
  std::unique_lock<std::shared_mutex> lock(handler_mutex);
  handler = std::move(new_handler);
  g_log_level.store(effective);
  apply_to_lws(effective);
}

}  // namespace wsc
