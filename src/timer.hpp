// Timers on the loop thread. lws keeps its timers (sul) in a sorted linked
// list, so every schedule walks the list: with a few timers per connection
// and thousands of connections that is quadratic (measured: opening 4,000
// connections took 3.5 s, heartbeats cost ~200 µs each). wsc therefore keeps
// its own ordered queue and gives lws a single sul per loop, set to the
// earliest deadline. Loop thread only.
#pragma once

#include <libwebsockets.h>

#include <chrono>
#include <functional>
#include <map>

namespace wsc::detail {

class Timer;

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  TimerQueue() = default;
  TimerQueue(const TimerQueue &) = delete;
  TimerQueue &operator=(const TimerQueue &) = delete;

  void bind(lws_context *ctx) { ctx_ = ctx; }
  // Before the lws_context goes away: forget every timer, cancel the sul.
  void clear();
  // True while a timer's callback runs (inside lws_service, before it polls).
  bool firing() const { return firing_; }

 private:
  friend class Timer;
  using Entries = std::multimap<Clock::time_point, Timer *>;
  Entries::iterator add(Clock::time_point when, Timer *timer);
  void remove(Entries::iterator it);
  void arm();
  static void fire(lws_sorted_usec_list_t *sul);

  // Standard layout, so lws_container_of (offsetof) is well defined.
  struct Node {
    lws_sorted_usec_list_t sul;
    TimerQueue *owner;
  };
  Node node_{};
  lws_context *ctx_ = nullptr;
  Entries entries_;
  Clock::time_point armed_for_{};
  bool armed_ = false;
  bool firing_ = false;
};

// A one-shot timer in a TimerQueue.
class Timer {
 public:
  Timer() = default;
  Timer(const Timer &) = delete;
  Timer &operator=(const Timer &) = delete;
  ~Timer() { cancel(); }

  // Replaces any earlier schedule.
  void start(TimerQueue &queue, std::chrono::microseconds delay, std::function<void()> fn);
  // The same, but the deadline is rounded up to a shared grid of delay/50
  // (at most 100 ms), so that thousands of heartbeat timers fire together in
  // a few wake-ups: lws polls every socket on each wake-up.
  void start_coarse(TimerQueue &queue, std::chrono::microseconds delay, std::function<void()> fn);
  void cancel();
  bool armed() const { return armed_; }

 private:
  void start_at(TimerQueue &queue, TimerQueue::Clock::time_point when, std::function<void()> fn);
  friend class TimerQueue;
  TimerQueue *queue_ = nullptr;
  TimerQueue::Entries::iterator it_{};
  bool armed_ = false;
  std::function<void()> fn_;
};

}  // namespace wsc::detail
