// Timers on a real libev loop: due order, cancel, a restart from inside the
// callback, and the std::function form freeing its callable when cancelled,
// restarted or fired.
#include "timer.hpp"

#include <ev.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

namespace wsc::detail {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

class TimerTest : public ::testing::Test {
 protected:
  TimerTest() : loop_(ev_loop_new(EVFLAG_AUTO)) { queue_.bind(loop_); }
  ~TimerTest() override {
    queue_.clear();
    queue_.bind(nullptr);
    ev_loop_destroy(loop_);
  }
  // Runs the loop until nothing is armed (or a second passed).
  void run() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (ev_run(loop_, EVRUN_ONCE) && std::chrono::steady_clock::now() < until) {
    }
  }

  struct ev_loop *loop_;
  TimerQueue queue_;
};

struct Log {
  std::vector<int> fired;
};

template <int N>
void record(void *log) {
  static_cast<Log *>(log)->fired.push_back(N);
}

TEST_F(TimerTest, FireInDueOrderAndCancelledOnesNever) {
  Log log;
  Timer late, early, cancelled;
  late.start(queue_, milliseconds(30), &record<3>, &log);
  early.start(queue_, milliseconds(5), &record<1>, &log);
  cancelled.start(queue_, milliseconds(10), &record<2>, &log);
  EXPECT_TRUE(cancelled.armed());
  cancelled.cancel();
  EXPECT_FALSE(cancelled.armed());
  run();
  EXPECT_EQ(log.fired, (std::vector<int>{1, 3}));
  EXPECT_FALSE(late.armed());
  EXPECT_FALSE(early.armed());
}

// Many timers started, restarted and cancelled in a random order (the heap
// moves entries on every change): each one left fires once, in deadline
// order.
struct Numbered {
  std::vector<int> *fired;
  int id;
  static void fire(void *self) {
    auto *n = static_cast<Numbered *>(self);
    n->fired->push_back(n->id);
  }
};

TEST_F(TimerTest, ManyTimersFireInDeadlineOrderAfterRandomChanges) {
  constexpr int kTimers = 2000;
  std::vector<int> fired;
  std::vector<Numbered> contexts(kTimers);
  std::vector<Timer> timers(kTimers);
  // Deadlines on a 1 ms grid up to 40 ms, many equal.
  std::vector<TimerQueue::Clock::time_point> due(kTimers);
  std::vector<bool> live(kTimers, false);
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
  const auto base = TimerQueue::Clock::now() + milliseconds(20);
  for (int round = 0; round < 3 * kTimers; ++round) {
    const int i = static_cast<int>(next() % kTimers);
    contexts[i] = {&fired, i};
    if (next() % 4 == 0) {
      timers[i].cancel();
      live[i] = false;
      continue;
    }
    // start() measures from now: give it the delay that lands on the grid.
    due[i] = base + milliseconds(next() % 40);
    timers[i].start(queue_,
                    std::chrono::duration_cast<microseconds>(due[i] - TimerQueue::Clock::now()),
                    &Numbered::fire, &contexts[i]);
    live[i] = true;
  }
  std::vector<int> order;
  for (int i = 0; i < kTimers; ++i)
    if (live[i]) order.push_back(i);
  run();
  // start() measures from its own clock read, a few microseconds after the
  // delay was computed: compare deadlines on the millisecond grid.
  ASSERT_EQ(fired.size(), order.size());
  for (size_t k = 1; k < fired.size(); ++k) {
    const auto prev = std::chrono::duration_cast<milliseconds>(due[fired[k - 1]] - base).count();
    const auto cur = std::chrono::duration_cast<milliseconds>(due[fired[k]] - base).count();
    ASSERT_LE(prev, cur) << "timer " << fired[k] << " fired after a later one";
  }
  std::vector<int> sorted_fired = fired;
  std::sort(sorted_fired.begin(), sorted_fired.end());
  EXPECT_EQ(sorted_fired, order);
  for (const Timer &t : timers) EXPECT_FALSE(t.armed());
}

TEST_F(TimerTest, RestartReplacesTheEarlierSchedule) {
  Log log;
  Timer t;
  t.start(queue_, milliseconds(5), &record<1>, &log);
  t.start_coarse(queue_, milliseconds(20), &record<2>, &log);
  run();
  EXPECT_EQ(log.fired, (std::vector<int>{2}));
}

struct Repeater {
  TimerQueue *queue;
  Timer timer;
  int left = 3;
  static void fire(void *self) {
    auto *r = static_cast<Repeater *>(self);
    if (--r->left > 0) r->timer.start(*r->queue, microseconds(100), &Repeater::fire, r);
  }
};

TEST_F(TimerTest, CallbackMayRestartItsOwnTimer) {
  Repeater r{&queue_};
  r.timer.start(queue_, microseconds(100), &Repeater::fire, &r);
  run();
  EXPECT_EQ(r.left, 0);
  EXPECT_FALSE(r.timer.armed());
}

TEST_F(TimerTest, OwnedFunctionIsFreedWhenCancelledRestartedOrFired) {
  auto token = std::make_shared<int>(0);
  Timer t;
  t.start(queue_, milliseconds(50), [token] { ++*token; });
  EXPECT_EQ(token.use_count(), 2);
  t.cancel();
  EXPECT_EQ(token.use_count(), 1);

  Log log;
  t.start(queue_, milliseconds(50), [token] { ++*token; });
  t.start(queue_, milliseconds(1), &record<1>, &log);
  EXPECT_EQ(token.use_count(), 1);
  run();
  EXPECT_EQ(log.fired, (std::vector<int>{1}));

  t.start(queue_, milliseconds(1), [token] { ++*token; });
  run();
  EXPECT_EQ(*token, 1);
  EXPECT_EQ(token.use_count(), 1);
}

TEST_F(TimerTest, ClearedTimerIsDisarmedAndFreesItsFunctionLater) {
  auto token = std::make_shared<int>(0);
  auto t = std::make_unique<Timer>();
  t->start(queue_, milliseconds(1), [token] { ++*token; });
  queue_.clear();
  EXPECT_FALSE(t->armed());
  run();
  EXPECT_EQ(*token, 0);
  t.reset();
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
}  // namespace wsc::detail
