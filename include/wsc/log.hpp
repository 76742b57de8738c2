// Where wsc's log lines go: its own events (connect, open with TLS details
// and handshake time, errors, reconnect with delay and reason, close) and
// libwebsockets' lines. Silent until a handler is set.
#pragma once

#include <functional>
#include <string_view>
#include <wsc/client.hpp>

namespace wsc {

enum class LogLevel : int { Off = 0, Error = 1, Warn = 2, Info = 3, Debug = 4 };

// origin is "wsc" for wsc's own events and "lws" for libwebsockets' lines.
// Runs on whichever thread logs (mostly a loop thread), with no wsc lock
// held, possibly on several threads at once; it must not block for long
// and must not call set_log_handler. Lines never carry request headers,
// proxy credentials, cookies or URL paths and queries (they may hold tokens).
using LogHandler =
    std::function<void(LogLevel level, std::string_view origin, std::string_view message)>;

// Process-wide (libwebsockets' logging is). Lines above level are dropped
// before they are formatted; an empty handler or LogLevel::Off is silence.
// When it returns, the previous handler is no longer running nor called.
WSC_CXX_API void set_log_handler(LogLevel level, LogHandler handler);

}  // namespace wsc
