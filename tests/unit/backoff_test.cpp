// Reconnect backoff: exponential caps, full jitter within [min, cap], and a
// seed that makes the sequence reproducible.
#include "backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace wsc::detail {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CapsDoubleUpToTheMaximum) {
  Backoff b(milliseconds(100), milliseconds(1000), 7);
  const int64_t caps[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t cap : caps) {
    EXPECT_EQ(b.cap().count(), cap);
    const auto d = b.next().count();
    EXPECT_GE(d, 100);
    EXPECT_LE(d, cap);
  }
  b.reset();
  EXPECT_EQ(b.cap().count(), 100);
}

TEST(Backoff, SameSeedSameSequenceDifferentSeedDiffers) {
  Backoff a(milliseconds(10), milliseconds(100000), 42),
      b(milliseconds(10), milliseconds(100000), 42), c(milliseconds(10), milliseconds(100000), 43);
  bool any_difference = false;
  for (int i = 0; i < 12; ++i) {
    const auto x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x, y);
    any_difference = any_difference || x != z;
  }
  EXPECT_TRUE(any_difference);
}

TEST(Backoff, JitterSpreadsDelays) {
  Backoff b(milliseconds(1), milliseconds(1 << 20), 1);
  for (int i = 0; i < 20; ++i) b.next();
  // At the cap, 100 draws from [1, 2^20] ms are not all equal.
  std::set<int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(b.next().count());
  EXPECT_GT(seen.size(), 90u);
}

}  // namespace
}  // namespace wsc::detail
