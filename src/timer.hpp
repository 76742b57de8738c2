// A one-shot timer on the loop thread, over lws's sorted-usec-list (sul)
// scheduler. All calls must happen on the loop thread; cancel() before the
// lws_context goes away (the owner's retire step does this).
#pragma once

#include <libwebsockets.h>

#include <chrono>
#include <functional>

namespace wsc::detail {

class Timer {
 public:
  Timer() = default;
  Timer(const Timer &) = delete;
  Timer &operator=(const Timer &) = delete;
  ~Timer() { cancel(); }

  // Replaces any earlier schedule.
  void start(lws_context *ctx, std::chrono::microseconds delay, std::function<void()> fn) {
    fn_ = std::move(fn);
    ctx_ = ctx;
    armed_ = true;
    node_.owner = this;
    lws_sul_schedule(ctx, 0, &node_.sul, &Timer::fire, delay.count() > 0 ? delay.count() : 1);
  }

  void cancel() {
    if (!armed_) return;
    armed_ = false;
    lws_sul_schedule(ctx_, 0, &node_.sul, &Timer::fire, LWS_SET_TIMER_USEC_CANCEL);
  }

  bool armed() const { return armed_; }

 private:
  static void fire(lws_sorted_usec_list_t *sul) {
    Timer *self = lws_container_of(sul, Node, sul)->owner;
    self->armed_ = false;
    // The callback may restart or destroy the timer's owner; move it out first.
    auto fn = std::move(self->fn_);
    fn();
  }

  // Standard layout, so lws_container_of (offsetof) is well defined.
  struct Node {
    lws_sorted_usec_list_t sul;
    Timer *owner;
  };
  Node node_{};
  lws_context *ctx_ = nullptr;
  bool armed_ = false;
  std::function<void()> fn_;
};

}  // namespace wsc::detail
