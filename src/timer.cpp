#include "timer.hpp"

#include <algorithm>

#include "loop_core.hpp"

namespace wsc::detail {

void Timer::start(TimerQueue &queue, std::chrono::microseconds delay, std::function<void()> fn) {
  start_at(queue, TimerQueue::Clock::now() + delay, std::move(fn));
}

void Timer::start_coarse(TimerQueue &queue, std::chrono::microseconds delay,
                         std::function<void()> fn) {
  using std::chrono::microseconds;
  const int64_t grain = std::max<int64_t>(1000, std::min<int64_t>(100000, delay.count() / 50));
  const int64_t due = std::chrono::duration_cast<microseconds>(
                          (TimerQueue::Clock::now() + delay).time_since_epoch())
                          .count();
  const int64_t aligned = (due + grain - 1) / grain * grain;
  start_at(queue, TimerQueue::Clock::time_point(microseconds(aligned)), std::move(fn));
}

void Timer::start_at(TimerQueue &queue, TimerQueue::Clock::time_point when,
                     std::function<void()> fn) {
  cancel();
  fn_ = std::move(fn);
  queue_ = &queue;
  it_ = queue.add(when, this);
  armed_ = true;
}

void Timer::cancel() {
  if (!armed_) return;
  armed_ = false;
  queue_->remove(it_);
}

TimerQueue::Entries::iterator TimerQueue::add(Clock::time_point when, Timer *timer) {
  auto it = entries_.emplace(when, timer);
  if (it == entries_.begin()) arm();
  return it;
}

void TimerQueue::remove(Entries::iterator it) {
  const bool was_first = it == entries_.begin();
  entries_.erase(it);
  // A later sul firing early is harmless (fire() re-arms), so only an empty
  // queue needs the sul cancelled.
  if (was_first && entries_.empty()) arm();
}

void TimerQueue::arm() {
  if (!ctx_) return;
  node_.owner = this;
  if (entries_.empty()) {
    if (armed_) lws_sul_schedule(ctx_, 0, &node_.sul, &TimerQueue::fire, LWS_SET_TIMER_USEC_CANCEL);
    armed_ = false;
    return;
  }
  const auto when = entries_.begin()->first;
  if (armed_ && armed_for_ == when) return;
  const auto delay = std::chrono::duration_cast<std::chrono::microseconds>(when - Clock::now());
  lws_sul_schedule(ctx_, 0, &node_.sul, &TimerQueue::fire, delay.count() > 0 ? delay.count() : 1);
  armed_ = true;
  armed_for_ = when;
}

void TimerQueue::fire(lws_sorted_usec_list_t *sul) {
  TimerQueue *self = lws_container_of(sul, Node, sul)->owner;
  self->armed_ = false;
  // Timers due within the sul's own lateness run in this pass.
  const auto now = Clock::now() + std::chrono::microseconds(200);
  while (!self->entries_.empty() && self->entries_.begin()->first <= now) {
    Timer *timer = self->entries_.begin()->second;
    self->entries_.erase(self->entries_.begin());
    timer->armed_ = false;
    // The callback may restart this timer or destroy its owner.
    auto fn = std::move(timer->fn_);
    self->firing_ = true;
    run_guarded(fn);
    self->firing_ = false;
  }
  self->arm();
}

void TimerQueue::clear() {
  for (auto &[when, timer] : entries_) timer->armed_ = false;
  entries_.clear();
  if (armed_ && ctx_) {
    lws_sul_schedule(ctx_, 0, &node_.sul, &TimerQueue::fire, LWS_SET_TIMER_USEC_CANCEL);
  }
  armed_ = false;
}

}  // namespace wsc::detail
