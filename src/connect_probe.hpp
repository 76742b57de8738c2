// Why a TCP connect failed, in errno words. lws 4.1.6 reports every failed
// connect as "Unable to connect" and has closed the socket (and lost its
// SO_ERROR) by the time it tells us, so on that path wsc asks the kernel
// once more with a connect of its own.
#pragma once

#include <chrono>
#include <string>

namespace wsc::detail {

// Connects to a numeric address (IPv4 or IPv6) and port, waiting at most
// `budget` for the outcome. Returns strerror of the failure ("Connection
// refused", "Network is unreachable", ...), or "" when the connect
// succeeded or was still pending when the budget ran out.
std::string connect_failure_text(const std::string &address, int port,
                                 std::chrono::milliseconds budget);

}  // namespace wsc::detail
