#include "timer.hpp"

#include <ev.h>

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
  // The watcher firing early for a later entry is harmless (fire() re-arms),
  // so only an empty queue needs it stopped.
  if (was_first && entries_.empty()) arm();
}

TimerQueue::TimerQueue() : watcher_(std::make_unique<ev_timer>()) {
  ev_init(watcher_.get(), &TimerQueue::fire);
  watcher_->data = this;
}

TimerQueue::~TimerQueue() { clear(); }

void TimerQueue::bind(struct ev_loop *loop) {
  if (loop_ && armed_) ev_timer_stop(loop_, watcher_.get());
  armed_ = false;
  loop_ = loop;
  arm();
}

void TimerQueue::arm() {
  if (!loop_) return;
  if (entries_.empty()) {
    if (armed_) ev_timer_stop(loop_, watcher_.get());
    armed_ = false;
    return;
  }
  const auto when = entries_.begin()->first;
  if (armed_ && armed_for_ == when) return;
  const auto delay = std::chrono::duration<double>(when - Clock::now()).count();
  if (armed_) ev_timer_stop(loop_, watcher_.get());
  // libev measures from its cached loop time, which may be behind.
  ev_now_update(loop_);
  ev_timer_set(watcher_.get(), delay > 0 ? delay : 0.0, 0.0);
  ev_timer_start(loop_, watcher_.get());
  armed_ = true;
  armed_for_ = when;
}

void TimerQueue::fire(struct ev_loop *, ev_timer *watcher, int) {
  auto *self = static_cast<TimerQueue *>(watcher->data);
  self->armed_ = false;
  // Timers due within the watcher's own lateness run in this pass.
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
  if (armed_ && loop_) ev_timer_stop(loop_, watcher_.get());
  armed_ = false;
}

}  // namespace wsc::detail
