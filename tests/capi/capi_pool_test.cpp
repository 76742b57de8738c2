// The pool and wsc_ping through the C ABI: argument checks, exclusive
// hand-out to 16 threads with their own echoes, release rules (double
// release, wsc_conn_free of a pooled connection), try_acquire, the breaker
// status, stats struct sizes; against the in-process lws echo server.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capi_handles.hpp"
#include "echo_server.hpp"
#include "wsc.h"

namespace {

using namespace wsc::testing;
using namespace std::chrono_literals;

std::string url_of(const wsc::server::EchoServer &s) { return s.url() + "/"; }

PoolPtr make_pool(wsc_loop *loop, const std::string &url, size_t max_conns,
                  const wsc_pool_options *po = nullptr) {
  wsc_pool *p = nullptr;
  EXPECT_EQ(wsc_pool_new(loop, url.c_str(), nullptr, max_conns, po, &p), WSC_OK)
      << wsc_last_error_detail();
  return PoolPtr(p);
}

wsc_pool_snapshot snapshot(wsc_pool *p) {
  wsc_pool_snapshot s{};
  s.struct_size = sizeof s;
  EXPECT_EQ(wsc_pool_stats(p, &s), WSC_OK);
  return s;
}

bool echo_once(wsc_conn *c, const std::string &text) {
  if (wsc_send(c, WSC_TEXT, text.data(), text.size()) != WSC_OK) return false;
  wsc_message *m = nullptr;
  if (wsc_recv(c, 5000, &m) != WSC_OK) return false;
  const bool same = std::string(reinterpret_cast<const char *>(m->data), m->len) == text;
  wsc_message_free(m);
  return same;
}

TEST(CapiPool, ChecksItsArguments) {
  wsc_pool *p = reinterpret_cast<wsc_pool *>(1);
  EXPECT_EQ(wsc_pool_new(nullptr, nullptr, nullptr, 1, nullptr, &p), WSC_EINVAL);
  EXPECT_EQ(p, nullptr);
  EXPECT_EQ(wsc_pool_new(nullptr, "ws://127.0.0.1:1/", nullptr, 1, nullptr, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_pool_new(nullptr, "ws://127.0.0.1:1/", nullptr, 0, nullptr, &p), WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("max_conns"), std::string::npos);
  EXPECT_EQ(wsc_pool_new(nullptr, "http://x/", nullptr, 1, nullptr, &p), WSC_EINVAL);
  wsc_pool_options po{};
  EXPECT_EQ(wsc_pool_new(nullptr, "ws://127.0.0.1:1/", nullptr, 1, &po, &p), WSC_EINVAL);
  EXPECT_EQ(wsc_pool_options_init(nullptr), WSC_EINVAL);
  ASSERT_EQ(wsc_pool_options_init(&po), WSC_OK);
  EXPECT_EQ(po.struct_size, sizeof po);
  EXPECT_EQ(po.breaker_threshold, 5u);
  po.min_idle = 3;
  EXPECT_EQ(wsc_pool_new(nullptr, "ws://127.0.0.1:1/", nullptr, 2, &po, &p), WSC_EINVAL);
  po.min_idle = 0;
  po.max_lifetime_ms = -1;
  EXPECT_EQ(wsc_pool_new(nullptr, "ws://127.0.0.1:1/", nullptr, 2, &po, &p), WSC_EINVAL);

  wsc_conn *c = reinterpret_cast<wsc_conn *>(1);
  EXPECT_EQ(wsc_pool_acquire(nullptr, 10, &c), WSC_EINVAL);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(wsc_pool_try_acquire(nullptr, &c), WSC_EINVAL);
  EXPECT_EQ(wsc_pool_release(nullptr, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_pool_stats(nullptr, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_pool_close(nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_ping(nullptr, 100, nullptr, nullptr), WSC_EINVAL);
  wsc_pool_free(nullptr);
  EXPECT_STREQ(wsc_strerror(WSC_EBREAKER),
               "circuit breaker open: opens to this endpoint kept failing");
  EXPECT_EQ(wsc_status_is_fatal(WSC_EBREAKER), 0);
}

TEST(CapiPool, SixteenThreadsEchoOnExclusiveConnections) {
  wsc::server::EchoServer server;
  LoopPtr loop(wsc_loop_new());
  PoolPtr pool = make_pool(loop.get(), url_of(server), 4);
  wsc_conn *c = nullptr;
  EXPECT_EQ(wsc_pool_acquire(pool.get(), -2, &c), WSC_EINVAL);
  std::mutex m;
  std::vector<wsc_conn *> held;
  std::atomic<uint64_t> rounds{0}, errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; !stop.load(); ++n) {
        wsc_conn *conn = nullptr;
        if (wsc_pool_acquire(pool.get(), 10000, &conn) != WSC_OK) {
          ++errors;
          continue;
        }
        {
          std::lock_guard<std::mutex> lock(m);
          for (wsc_conn *h : held) errors += h == conn;  // held by two
          held.push_back(conn);
        }
        if (!echo_once(conn, std::to_string(t) + "/" + std::to_string(n))) ++errors;
        {
          std::lock_guard<std::mutex> lock(m);
          held.erase(std::find(held.begin(), held.end(), conn));
        }
        if (wsc_pool_release(pool.get(), conn) != WSC_OK) ++errors;
        ++rounds;
      }
    });
  }
  std::this_thread::sleep_for(2s);
  stop = true;
  for (auto &th : threads) th.join();
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_GT(rounds.load(), 500u);
  const wsc_pool_snapshot s = snapshot(pool.get());
  EXPECT_EQ(s.acquired, rounds.load());
  EXPECT_LE(s.opened, 4u);
  EXPECT_EQ(s.busy, 0u);
  EXPECT_EQ(server.messages_echoed(), rounds.load());
}

TEST(CapiPool, ReleaseRulesTryAcquireAndConnFree) {
  wsc::server::EchoServer server;
  LoopPtr loop(wsc_loop_new());
  PoolPtr pool = make_pool(loop.get(), url_of(server), 1);
  wsc_conn *a = nullptr, *b = nullptr;
  EXPECT_EQ(wsc_pool_try_acquire(pool.get(), &a), WSC_EAGAIN);  // nothing idle yet
  ASSERT_EQ(wsc_pool_acquire(pool.get(), 5000, &a), WSC_OK);
  EXPECT_EQ(wsc_conn_state(a), WSC_OPEN);
  EXPECT_EQ(wsc_pool_try_acquire(pool.get(), &b), WSC_EAGAIN);
  EXPECT_EQ(wsc_pool_acquire(pool.get(), 50, &b), WSC_EWAIT);  // a wait that expired
  EXPECT_STREQ(wsc_last_error_detail(), "no connection free within timeout_ms");
  ASSERT_EQ(wsc_pool_release(pool.get(), a), WSC_OK);
  EXPECT_EQ(wsc_pool_release(pool.get(), a), WSC_EINVAL);  // twice
  ASSERT_EQ(wsc_pool_try_acquire(pool.get(), &b), WSC_OK);
  EXPECT_EQ(b, a);
  wsc_conn_free(b);  // a pooled connection: released, not freed
  ASSERT_EQ(wsc_pool_acquire(pool.get(), 5000, &a), WSC_OK);
  EXPECT_TRUE(echo_once(a, "still alive"));
  wsc_pool_snapshot small{};
  small.struct_size = offsetof(wsc_pool_snapshot, busy);  // an older, shorter struct
  ASSERT_EQ(wsc_pool_stats(pool.get(), &small), WSC_OK);
  EXPECT_EQ(small.open, 1u);
  EXPECT_EQ(small.idle, 0u);
  small.struct_size = sizeof(wsc_pool_snapshot) + 1;
  EXPECT_EQ(wsc_pool_stats(pool.get(), &small), WSC_EINVAL);
  // Freed while a connection is out: it is closed with the pool.
  pool.reset();
  EXPECT_TRUE([&] {
    for (int i = 0; i < 1000 && server.connections_open() != 0; ++i)
      std::this_thread::sleep_for(5ms);
    return server.connections_open() == 0;
  }());
}

TEST(CapiPool, BreakerFailsFastWithItsOwnStatus) {
  int port;
  {
    wsc::server::EchoServer gone;
    port = gone.port();
  }
  wsc_pool_options po;
  wsc_pool_options_init(&po);
  po.breaker_threshold = 2;
  po.breaker_cooldown_ms = 60000;
  LoopPtr loop(wsc_loop_new());
  PoolPtr pool = make_pool(loop.get(), "ws://127.0.0.1:" + std::to_string(port) + "/", 2, &po);
  wsc_conn *c = nullptr;
  EXPECT_EQ(wsc_pool_acquire(pool.get(), 5000, &c), WSC_EBREAKER);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wsc_pool_acquire(pool.get(), 5000, &c), WSC_EBREAKER);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
  const wsc_pool_snapshot s = snapshot(pool.get());
  EXPECT_EQ(s.breaker_state, WSC_BREAKER_OPEN);
  EXPECT_EQ(s.open_failures, 2u);
  EXPECT_EQ(s.breaker_trips, 1u);
}

TEST(CapiPool, CloseWakesAWaiter) {
  wsc::server::EchoServer server;
  LoopPtr loop(wsc_loop_new());
  PoolPtr pool = make_pool(loop.get(), url_of(server), 1);
  wsc_conn *a = nullptr;
  ASSERT_EQ(wsc_pool_acquire(pool.get(), 5000, &a), WSC_OK);
  std::atomic<int> status{1};
  std::thread waiter([&] {
    wsc_conn *b = nullptr;
    status = wsc_pool_acquire(pool.get(), -1, &b);
  });
  for (int i = 0; i < 1000 && snapshot(pool.get()).waiting == 0; ++i)
    std::this_thread::sleep_for(2ms);
  ASSERT_EQ(wsc_pool_close(pool.get()), WSC_OK);
  waiter.join();
  EXPECT_EQ(status.load(), WSC_ECLOSED);
  EXPECT_EQ(wsc_pool_release(pool.get(), a), WSC_OK);
}

struct PingResult {
  std::mutex m;
  std::condition_variable cv;
  int status = 1;
  int64_t rtt = -1;
  wsc_conn *conn = nullptr;
};

TEST(CapiPing, ReportsTheRoundTripOnTheLoopThread) {
  wsc::server::EchoServer server;
  wsc_conn *raw = nullptr;
  ASSERT_EQ(wsc_connect(nullptr, url_of(server).c_str(), nullptr, nullptr, nullptr, &raw), WSC_OK);
  ConnPtr c(raw);
  ASSERT_EQ(wsc_wait(c.get(), WSC_OPEN, 5000), WSC_OK);
  EXPECT_EQ(wsc_ping(c.get(), 0, nullptr, nullptr), WSC_EINVAL);
  PingResult r;
  auto cb = [](wsc_conn *conn, int status, int64_t rtt_us, void *user) {
    auto *res = static_cast<PingResult *>(user);
    std::lock_guard<std::mutex> lock(res->m);
    res->status = status;
    res->rtt = rtt_us;
    res->conn = conn;
    res->cv.notify_all();
  };
  ASSERT_EQ(wsc_ping(c.get(), 2000, cb, &r), WSC_OK);
  std::unique_lock<std::mutex> lock(r.m);
  ASSERT_TRUE(r.cv.wait_for(lock, 5s, [&] { return r.status != 1; }));
  EXPECT_EQ(r.status, WSC_OK);
  EXPECT_GT(r.rtt, 0);
  EXPECT_EQ(r.conn, c.get());
}

}  // namespace
