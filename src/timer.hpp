// Timers on the loop thread. lws keeps its timers (sul) in a sorted linked
// list, so every schedule walks the list: with a few timers per connection
// and thousands of connections that is quadratic (measured: opening 4,000
// connections took 3.5 s, heartbeats cost ~200 µs each). wsc therefore keeps
// its own ordered queue and arms a single libev timer per loop (the loop's
// event loop, see loop_core.hpp) for the earliest deadline. Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

struct ev_loop;
struct ev_timer;

namespace wsc::detail {

class Timer;

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  TimerQueue();
  ~TimerQueue();
  TimerQueue(const TimerQueue &) = delete;
  TimerQueue &operator=(const TimerQueue &) = delete;

  // The libev loop the timer runs on (nullptr: none, timers wait).
  void bind(struct ev_loop *loop);
  // Forget every timer and stop the libev timer.
  void clear();
  // True while a timer's callback runs (inside lws_service, before it polls).
  bool firing() const { return firing_; }

 private:
  friend class Timer;
  // A binary min-heap in a vector, each timer knowing its index: adding and
  // cancelling allocate nothing (a std::multimap node per start was a
  // malloc, a free and a rebalance per heartbeat). Ties go in start order.
  struct Entry {
    Clock::time_point when;
    uint64_t order;
    Timer *timer;
    bool before(const Entry &other) const {
      return when < other.when || (when == other.when && order < other.order);
    }
  };
  void add(Clock::time_point when, Timer *timer);
  void remove(size_t index);
  void place(size_t index, const Entry &entry);
  void sift_up(size_t index);
  void sift_down(size_t index);
  void arm();
  static void fire(struct ev_loop *loop, ev_timer *watcher, int revents);

  std::unique_ptr<ev_timer> watcher_;  // its data points back here
  struct ev_loop *loop_ = nullptr;
  std::vector<Entry> heap_;
  uint64_t next_order_ = 0;
  Clock::time_point armed_for_{};
  bool armed_ = false;
  bool firing_ = false;
};

// A one-shot timer in a TimerQueue. It is 32 bytes: a connection has nine
// (connect, close, reconnect, stable, ping, pong, idle, write, rate), so
// the callback is a function pointer and its context, not a std::function.
class Timer {
 public:
  using Fire = void (*)(void *context);
  Timer() = default;
  Timer(const Timer &) = delete;
  Timer &operator=(const Timer &) = delete;
  ~Timer() { cancel(); }

  // Replaces any earlier schedule. context must outlive the schedule.
  void start(TimerQueue &queue, std::chrono::microseconds delay, Fire fire, void *context);
  // Any callable, kept on the heap until the next start, cancel or
  // destruction (for timers that are not per connection, whose callback
  // holds a weak_ptr to their owner).
  void start(TimerQueue &queue, std::chrono::microseconds delay, std::function<void()> fn);
  // The same, but the deadline is rounded up to a shared grid of delay/50
  // (at most 100 ms), so that thousands of heartbeat timers fire together in
  // a few wake-ups: fewer wake-ups, fewer pongs to read one at a time.
  void start_coarse(TimerQueue &queue, std::chrono::microseconds delay, Fire fire, void *context);
  void cancel();
  bool armed() const { return queue_ != nullptr; }

 private:
  void start_at(TimerQueue &queue, TimerQueue::Clock::time_point when, Fire fire, void *context);
  // Frees the callback if it is an owned std::function.
  static void release(Fire fire, void *context);
  friend class TimerQueue;
  TimerQueue *queue_ = nullptr;  // set while armed
  size_t index_ = 0;             // in queue_'s heap
  Fire fire_ = nullptr;
  void *context_ = nullptr;
};

}  // namespace wsc::detail
