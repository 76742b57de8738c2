// The loop's pool of large message buffers: reuse, the size bounds, and
// that what is not reused is freed after at most two trims (an idle loop
// keeps nothing).
#include "buffer_pool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsc::detail {
namespace {

constexpr size_t kMiB = 1024 * 1024;

TEST(BufferPool, ReusesASentBufferForTheNextLargeMessage) {
  TimerQueue timers;  // unbound: the trim timer is queued, never fires
  BufferPool pool;
  std::string first = pool.take(kMiB);
  EXPECT_TRUE(first.empty());
  ASSERT_GE(first.capacity(), kMiB);
  first.assign(kMiB, 'x');
  const char *address = first.data();
  pool.give_on_loop(std::move(first), timers);
  EXPECT_GE(pool.kept_bytes(), kMiB);
  std::string second = pool.take(kMiB - 100);
  EXPECT_EQ(second.data(), address);
  EXPECT_TRUE(second.empty());  // the capacity comes back, not the bytes
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

TEST(BufferPool, TakesTheSmallestKeptBufferThatFits) {
  TimerQueue timers;
  BufferPool pool;
  std::string a = pool.take(4 * kMiB), b = pool.take(kMiB), c = pool.take(2 * kMiB);
  const char *middle = c.data();
  pool.give_on_loop(std::move(a), timers);
  pool.give_on_loop(std::move(b), timers);
  pool.give_on_loop(std::move(c), timers);
  EXPECT_EQ(pool.take(kMiB + 1).data(), middle);
  // At most twice the size: a 100 KiB message gets a new buffer, not the
  // kept 1 MiB one (which a receive, knowing only its first frame, may take).
  EXPECT_LT(pool.take(100 * 1024).capacity(), 200 * 1024);
  EXPECT_GE(pool.take_kept(100 * 1024).capacity(), kMiB);
  EXPECT_TRUE(pool.take_kept(5 * kMiB).empty());  // none fits: nothing allocated
  EXPECT_EQ(pool.take_kept(5 * kMiB).capacity(), std::string().capacity());
  EXPECT_GE(pool.take(5 * kMiB).capacity(), 5 * kMiB);  // a new one
  EXPECT_GE(pool.kept_bytes(), 4 * kMiB);
}

TEST(BufferPool, OfEqualBuffersTakesTheOneGivenBackLast) {
  // The last one given back is the likeliest still in cache.
  TimerQueue timers;
  BufferPool pool;
  std::string a = pool.take(kMiB), b = pool.take(kMiB), c = pool.take(kMiB);
  const char *first = a.data(), *last = c.data();
  pool.give_on_loop(std::move(a), timers);
  pool.give_on_loop(std::move(b), timers);
  pool.give_on_loop(std::move(c), timers);
  std::string taken = pool.take(kMiB);
  EXPECT_EQ(taken.data(), last);
  pool.give_on_loop(std::move(taken), timers);
  EXPECT_EQ(pool.take(kMiB).data(), last);
  EXPECT_NE(pool.take(kMiB).data(), first);  // b: given back after a
}

TEST(BufferPool, KeepsNoSmallBuffersAndNoMoreThanItsBound) {
  TimerQueue timers;
  BufferPool pool;
  pool.give_on_loop(pool.take(BufferPool::kMinKept / 2), timers);
  EXPECT_EQ(pool.kept_bytes(), 0u);
  // Four 3 MiB buffers back at once: the pool keeps what fits in its bound.
  std::vector<std::string> sent;
  for (int i = 0; i < 4; ++i) sent.push_back(pool.take(3 * kMiB));
  for (auto &buffer : sent) pool.give_on_loop(std::move(buffer), timers);
  EXPECT_LE(pool.kept_bytes(), BufferPool::kMaxKeptBytes);
  EXPECT_GE(pool.kept_bytes(), 6 * kMiB);
}

TEST(BufferPool, FreesWhatIsNotReusedWithinATrimInterval) {
  TimerQueue timers;
  BufferPool pool;
  std::string a = pool.take(kMiB), b = pool.take(2 * kMiB);
  pool.give_on_loop(std::move(a), timers);
  pool.give_on_loop(std::move(b), timers);
  const size_t both = pool.kept_bytes();
  EXPECT_EQ(pool.trim(), both);  // given back since the last trim: kept
  // One is reused (taken and given back) during the next interval.
  std::string again = pool.take(kMiB);
  const size_t one = again.capacity();
  pool.give_on_loop(std::move(again), timers);
  EXPECT_EQ(pool.trim(), one);
  EXPECT_EQ(pool.trim(), 0u);  // idle for a whole interval: freed
}

TEST(BufferPool, OtherThreadsKeepNothingWhileNoTrimTimerRuns) {
  TimerQueue timers;
  BufferPool pool;
  // give() (a send refused with EAGAIN, from any thread) keeps a buffer
  // only while the loop's trim timer runs to free it later.
  EXPECT_FALSE(pool.give(pool.take(kMiB)));
  pool.give_on_loop(pool.take(kMiB), timers);
  EXPECT_TRUE(pool.give(pool.take(2 * kMiB)));
  pool.trim();
  EXPECT_EQ(pool.trim(), 0u);
  EXPECT_FALSE(pool.give(pool.take(kMiB)));
}

}  // namespace
}  // namespace wsc::detail
