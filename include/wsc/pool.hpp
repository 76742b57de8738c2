// wsc C++ API: a pool of connections to one endpoint, on one Loop.
//
// acquire() hands out an open, healthy connection that no one else holds
// until it is released (a Lease releases on destruction). Connections are
// ordinary Clients in pull mode (recv), opened lazily up to max_conns and
// replaced when they die, fail a health check or are closed by their user.
//
// Threads: a Pool and its stats() may be used from any thread; a Lease
// belongs to one thread at a time. acquire() blocks, so never call it with
// a timeout on the loop's own thread (a callback): it returns WSC_ESTATE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <wsc/client.hpp>

namespace wsc {

// Zero durations turn a feature off.
struct PoolOptions {
  size_t max_conns = 8;  // >= 1
  size_t min_idle = 0;   // kept open and warm (<= max_conns)
  // An idle connection that sat in the pool longer than this is pinged
  // before it is handed out; no pong within ping_timeout = replaced.
  Millis check_after_idle{30000};
  Millis ping_timeout{2000};
  Millis max_idle_time{0};  // idle connections beyond min_idle close after this
  Millis max_lifetime{0};   // older connections are closed at release/while idle
  // After breaker_threshold consecutive failed opens (0 = no breaker) the
  // pool stops dialing for breaker_cooldown; then one probe open decides.
  uint32_t breaker_threshold = 5;
  Millis breaker_cooldown{5000};
};

// Throws Error(WSC_EINVAL) naming the first bad field.
WSC_CXX_API void validate(const PoolOptions &options);

enum class BreakerState : int { Closed = 0, Open = 1, HalfOpen = 2 };

struct PoolStats {
  // Now. open = idle + checking + busy.
  size_t open = 0, idle = 0, busy = 0, opening = 0, checking = 0, waiting = 0;
  // Totals since the pool was made.
  uint64_t opened = 0;                 // opens that succeeded
  uint64_t open_failures = 0;          // opens that failed
  uint64_t replaced = 0;               // dead, failed a check, or closed by the user
  uint64_t health_checks = 0;          // pings before a hand-out
  uint64_t health_check_failures = 0;  // of which failed (replaced too)
  uint64_t rotated = 0;                // closed at max_lifetime
  uint64_t idle_closed = 0;            // closed at max_idle_time
  uint64_t discarded_messages = 0;     // unread at release, dropped
  uint64_t acquired = 0;
  uint64_t acquire_timeouts = 0;  // acquires that returned WSC_EWAIT
  uint64_t breaker_trips = 0, breaker_rejections = 0;
  BreakerState breaker = BreakerState::Closed;
};

// For bindings: how a pooled connection is made. The factory builds a
// Client with exactly these callbacks (it may add on_readable) and returns
// it with the object that owns it (the Client itself, or a handle holding
// it); the pool drops `owner` to close the connection.
struct PoolMember {
  Client *client = nullptr;
  std::shared_ptr<void> owner;
};
using PoolMemberFactory =
    std::function<PoolMember(Loop &, std::string_view url, const Options &, Callbacks)>;

namespace detail {
class Pool;
}

class WSC_CXX_API Pool {
 public:
  // One connection held exclusively. Destroying it (or release()) gives
  // the connection back: messages still unread are discarded, and a
  // connection that is no longer open (or that was closed) is replaced.
  class WSC_CXX_API Lease {
   public:
    Lease() = default;
    ~Lease();
    Lease(Lease &&other) noexcept;
    Lease &operator=(Lease &&other) noexcept;
    Lease(const Lease &) = delete;
    Lease &operator=(const Lease &) = delete;

    explicit operator bool() const noexcept { return client_ != nullptr; }
    Client &operator*() const noexcept { return *client_; }
    Client *operator->() const noexcept { return client_; }
    Client *client() const noexcept { return client_; }
    // What the member factory returned as owner (bindings find their handle).
    void *owner() const noexcept { return owner_; }
    void release() noexcept;

   private:
    friend class Pool;
    std::shared_ptr<detail::Pool> pool_;
    uint64_t id_ = 0;
    Client *client_ = nullptr;
    void *owner_ = nullptr;
  };

  // Throws Error(WSC_EINVAL) for a bad URL or options. Opens min_idle
  // connections at once; reconnect is always off for pooled connections
  // (the pool replaces them instead).
  Pool(Loop &loop, std::string_view url, const Options &options = {},
       const PoolOptions &pool_options = {}, PoolMemberFactory factory = {});
  // close(). No other thread may still be inside a call on this Pool.
  ~Pool();
  Pool(const Pool &) = delete;
  Pool &operator=(const Pool &) = delete;

  // Waits up to timeout (negative = forever). WSC_OK, WSC_EWAIT (the
  // timeout ran out with every connection busy, as for wsc_wait),
  // WSC_EBREAKER (the circuit breaker is open: the server kept refusing),
  // WSC_ECLOSED (pool closed), WSC_ESTATE (a wait on the loop thread). An
  // open this triggers gets at most what is left of timeout.
  Status acquire(Millis timeout, Lease &out) noexcept;
  // An idle, healthy connection now, or WSC_EAGAIN (or WSC_EBREAKER /
  // WSC_ECLOSED); never dials, never waits.
  Status try_acquire(Lease &out) noexcept;
  // Throwing form: Error with the status.
  Lease acquire(Millis timeout = Millis{-1});

  PoolStats stats() const;

  // Closes idle connections and wakes waiters (WSC_ECLOSED); later
  // acquires fail with WSC_ECLOSED. Leases still out stay usable and are
  // closed when released. Idempotent.
  void close();

 private:
  Status lease(std::optional<std::chrono::steady_clock::time_point> deadline, bool wait,
               Lease &out) noexcept;
  std::shared_ptr<detail::Pool> core_;
};

}  // namespace wsc
