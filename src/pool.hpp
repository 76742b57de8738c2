// The connection pool behind wsc::Pool: slots of pooled Clients, the
// waiters, health checks, rotation and the circuit breaker.
//
// Threads: acquire/release/stats/shutdown run on any thread and take
// mutex_; the on_* handlers run on the loop thread (Client callbacks and
// the maintenance tick) and take it too. Clients are made under mutex_
// (their constructor only posts to the loop) but always destroyed after
// it is released: destroying one off the loop thread waits for its running
// callback, which may be waiting for mutex_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <wsc/pool.hpp>

#include "timer.hpp"

namespace wsc::detail {

class LoopCore;

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  using Clock = std::chrono::steady_clock;

  // Throws Error(WSC_EINVAL) for a bad URL or options.
  static std::shared_ptr<Pool> create(Loop &loop, std::string_view url, const Options &options,
                                      const PoolOptions &pool_options, PoolMemberFactory factory);
  ~Pool();
  Pool(const Pool &) = delete;
  Pool &operator=(const Pool &) = delete;

  struct Grant {
    uint64_t id = 0;
    Client *client = nullptr;
    void *owner = nullptr;
  };
  // deadline nullopt = wait forever; wait false = try_acquire.
  Status acquire(std::optional<Clock::time_point> deadline, bool wait, Grant &out);
  void release(uint64_t id);
  PoolStats stats() const;
  // Closes idle connections, wakes waiters; later acquires get WSC_ECLOSED.
  void shutdown();

 private:
  struct Slot {
    enum class Phase { Opening, Idle, Checking, Busy };
    Phase phase = Phase::Opening;
    PoolMember member;
    Clock::time_point opened_at{}, idle_since{};
    bool dead = false;   // its connection ended while it was busy
    bool probe = false;  // the breaker's half-open probe
  };
  using Lock = std::unique_lock<std::mutex>;
  using Graveyard = std::vector<PoolMember>;

  Pool(Loop &loop, std::string url, Options options, PoolOptions pool_options,
       PoolMemberFactory factory);
  void start_ticking();

  // Under mutex_.
  bool dial_allowed(Clock::time_point now, bool &probe);
  void open_slot(std::optional<Clock::time_point> deadline, bool probe);
  void top_up(Clock::time_point now);
  void start_check(uint64_t id, Slot &slot, Graveyard &graveyard);
  void remove(uint64_t id, Graveyard &graveyard);
  void forget_idle(uint64_t id);
  void trip(Clock::time_point now);
  size_t count(Slot::Phase phase) const;

  // Loop thread.
  void on_open(uint64_t id);
  void on_lost(uint64_t id);
  void on_checked(uint64_t id, Status status);
  void on_tick();

  Loop &loop_;
  const std::shared_ptr<LoopCore> core_;
  const std::string url_;
  const Options options_;
  const PoolOptions pool_options_;
  const PoolMemberFactory factory_;
  const std::chrono::microseconds tick_period_;
  // Loop thread only (made here, destroyed there: see ~Pool).
  std::shared_ptr<Timer> tick_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<uint64_t, Slot> slots_;
  std::vector<uint64_t> idle_;  // most recently returned last
  uint64_t next_id_ = 0;
  size_t waiting_ = 0;
  bool closed_ = false;
  uint32_t consecutive_failures_ = 0;
  BreakerState breaker_ = BreakerState::Closed;
  Clock::time_point breaker_until_{};
  bool probe_in_flight_ = false;
  PoolStats totals_;
};

}  // namespace wsc::detail
