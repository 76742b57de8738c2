// The echo ledger must catch each fault it exists to find, or the fault
// and soak tests that rely on it could not fail.
#include "echo_ledger.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace wsc::testing {
namespace {

// A ledger with messages 0..n-1 accepted on one open connection.
std::unique_ptr<EchoLedger> sent(uint64_t n) {
  auto l = std::make_unique<EchoLedger>(7);
  l->opened();
  for (uint64_t seq = 0; seq < n; ++seq) l->accepted(seq);
  return l;
}

TEST(EchoLedger, InOrderEchoesPass) {
  auto l = sent(3);
  for (uint64_t seq = 0; seq < 3; ++seq) l->echoed(l->payload(seq, 40));
  EXPECT_TRUE(l->violations().empty());
  EXPECT_TRUE(l->caught_up());
}

TEST(EchoLedger, CatchesDuplicatesReorderingAndGapsInsideAConnection) {
  auto dup = sent(2);
  dup->echoed(dup->payload(0, 20));
  dup->echoed(dup->payload(0, 20));
  EXPECT_EQ(dup->violations().size(), 1u);

  auto gap = sent(3);
  gap->echoed(gap->payload(0, 20));
  gap->echoed(gap->payload(2, 20));  // 1 missing, no reconnect in between
  EXPECT_EQ(gap->violations().size(), 1u);

  auto reordered = sent(3);
  reordered->echoed(reordered->payload(1, 20));
  reordered->opened();
  reordered->echoed(reordered->payload(0, 20));
  EXPECT_EQ(reordered->violations().size(), 1u);
}

TEST(EchoLedger, AllowsLossOnlyAcrossABreak) {
  auto l = sent(4);
  l->echoed(l->payload(0, 20));
  l->opened();
  l->echoed(l->payload(3, 20));
  EXPECT_TRUE(l->violations().empty());
  EXPECT_EQ(l->summary().lost_at_breaks, 2u);
}

TEST(EchoLedger, CatchesCorruptionForeignAndUnsentEchoes) {
  auto l = sent(2);
  std::string bad = l->payload(0, 64);
  bad[40] ^= 1;
  l->echoed(bad);
  l->echoed(EchoLedger(8).payload(0, 64));
  l->echoed(l->payload(5, 64));
  l->echoed(l->payload(1, 64).substr(0, 30));
  EXPECT_EQ(l->violations().size(), 4u);
}

TEST(EchoLedger, CatchesUncountedMessagesAtClose) {
  auto l = sent(5);
  Stats stats;
  stats.msgs_sent = 3;
  stats.send_discarded = 1;  // one of the five neither written nor counted
  l->check_closed(stats);
  EXPECT_EQ(l->violations().size(), 1u);
}

}  // namespace
}  // namespace wsc::testing
