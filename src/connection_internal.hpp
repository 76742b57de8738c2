// What the files of Connection (connection*.cpp) share and nothing else
// needs: limits and clock helpers.
#pragma once

#include <libwebsockets.h>

#include <chrono>
#include <cstddef>

#include "connection.hpp"
#include "log.hpp"
#include "metrics.hpp"

namespace wsc::detail {

// How long a Close may wait for the server's answer.
constexpr auto kCloseTimeout = std::chrono::milliseconds(3000);
// An open connection that lives this long resets the reconnect backoff.
constexpr auto kStableAfter = std::chrono::milliseconds(5000);
// Received buffers bigger than this are released after each message.
constexpr size_t kKeepRxCapacity = 64 * 1024;
// Sealed TLS records: a connection keeps this much capacity between writes
// (a batch of small frames); a larger buffer goes back to the loop's pool.
constexpr size_t kKeepTlsOutCapacity = 4 * 1024;
// What a queued received message costs beyond its payload, counted against
// RECV_QUEUE_BYTES so that a flood of empty messages is bounded too (the
// std::string and the queue slot; about what the allocator really spends).
constexpr size_t kQueuedMessageOverhead = 64;
// Pings answered one by one up to this many pending pongs; beyond it only
// the latest payload is answered (RFC 6455 §5.5.3 allows that), so a ping
// flood cannot grow memory.
constexpr size_t kMaxPendingPongs = 16;

using Clock = std::chrono::steady_clock;

inline std::chrono::microseconds until(Clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::microseconds>(when - Clock::now());
}

template <void (Connection::*Method)()>
void Connection::fire(void *connection) {
  // The timers are members: a destroyed connection has none armed. The
  // reference keeps it alive while Method runs.
  if (auto self = static_cast<Connection *>(connection)->weak_from_this().lock()) {
    (self.get()->*Method)();
  }
}

template <class F>
void Connection::emit(F &&f) {
  if (detached_.load()) return;
  std::lock_guard<std::mutex> lock(callback_mutex_);
  if (detached_.load()) return;
  // A C++ user callback that throws must not unwind into lws.
  try {
    f();
  } catch (...) {
  }
}

}  // namespace wsc::detail
