#include "timer.hpp"

#include <ev.h>

#include <algorithm>
#include <utility>

#include "loop_core.hpp"

namespace wsc::detail {

namespace {

using Function = std::function<void()>;

// The Fire of start(std::function): context is a Function the timer owns.
void run_function(void *fn) { (*static_cast<Function *>(fn))(); }

}  // namespace

void Timer::release(Fire fire, void *context) {
  if (fire == &run_function) delete static_cast<Function *>(context);
}

void Timer::start(TimerQueue &queue, std::chrono::microseconds delay, Fire fire, void *context) {
  start_at(queue, TimerQueue::Clock::now() + delay, fire, context);
}

void Timer::start(TimerQueue &queue, std::chrono::microseconds delay, std::function<void()> fn) {
  auto owned = std::make_unique<Function>(std::move(fn));
  start(queue, delay, &run_function, owned.get());
  owned.release();  // the schedule owns it now
}

void Timer::start_coarse(TimerQueue &queue, std::chrono::microseconds delay, Fire fire,
                         void *context) {
  using std::chrono::microseconds;
  const int64_t grain = std::max<int64_t>(1000, std::min<int64_t>(100000, delay.count() / 50));
  const int64_t due = std::chrono::duration_cast<microseconds>(
                          (TimerQueue::Clock::now() + delay).time_since_epoch())
                          .count();
  const int64_t aligned = (due + grain - 1) / grain * grain;
  start_at(queue, TimerQueue::Clock::time_point(microseconds(aligned)), fire, context);
}

void Timer::start_at(TimerQueue &queue, TimerQueue::Clock::time_point when, Fire fire,
                     void *context) {
  cancel();
  queue.add(when, this);  // may throw: nothing is set yet
  queue_ = &queue;
  fire_ = fire;
  context_ = context;
}

void Timer::cancel() {
  if (queue_) queue_->remove(index_);
  queue_ = nullptr;
  release(std::exchange(fire_, nullptr), std::exchange(context_, nullptr));
}

void TimerQueue::add(Clock::time_point when, Timer *timer) {
  heap_.push_back({when, next_order_++, timer});
  timer->index_ = heap_.size() - 1;
  sift_up(heap_.size() - 1);
  if (timer->index_ == 0) arm();
}

void TimerQueue::remove(size_t index) {
  const Entry last = heap_.back();
  heap_.pop_back();
  if (index < heap_.size()) {
    place(index, last);
    sift_up(index);
    sift_down(last.timer->index_);
  }
  // The watcher firing early for a later entry is harmless (fire() re-arms),
  // so only an empty queue needs it stopped.
  if (heap_.empty()) arm();
}

void TimerQueue::place(size_t index, const Entry &entry) {
  heap_[index] = entry;
  entry.timer->index_ = index;
}

void TimerQueue::sift_up(size_t index) {
  const Entry moving = heap_[index];
  while (index > 0) {
    const size_t parent = (index - 1) / 2;
    if (!moving.before(heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, moving);
}

void TimerQueue::sift_down(size_t index) {
  const Entry moving = heap_[index];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1].before(heap_[child])) ++child;
    if (!heap_[child].before(moving)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, moving);
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
  if (heap_.empty()) {
    if (armed_) ev_timer_stop(loop_, watcher_.get());
    armed_ = false;
    return;
  }
  const auto when = heap_.front().when;
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
  while (!self->heap_.empty() && self->heap_.front().when <= now) {
    Timer *timer = self->heap_.front().timer;
    self->remove(0);
    // The callback may restart this timer or destroy its owner.
    const Timer::Fire fire = std::exchange(timer->fire_, nullptr);
    void *context = std::exchange(timer->context_, nullptr);
    timer->queue_ = nullptr;
    self->firing_ = true;
    run_guarded([fire, context] { fire(context); });
    Timer::release(fire, context);
    self->firing_ = false;
  }
  self->arm();
}

void TimerQueue::clear() {
  // Each timer frees an owned callback itself, when next started, cancelled
  // or destroyed: freeing one here could destroy the owner of another timer.
  for (const Entry &entry : heap_) entry.timer->queue_ = nullptr;
  std::vector<Entry>().swap(heap_);
  if (armed_ && loop_) ev_timer_stop(loop_, watcher_.get());
  armed_ = false;
}

}  // namespace wsc::detail
