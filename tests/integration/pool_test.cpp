// The connection pool against real servers on loopback: exclusive hand-out
// under 16 threads, a server restart, the circuit breaker, try_acquire,
// min_idle, lifetime and idle limits, health checks, cascading deadlines;
// and Client::ping, which the health check uses.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <wsc/pool.hpp>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

PoolOptions sized(size_t max_conns, size_t min_idle = 0) {
  PoolOptions po;
  po.max_conns = max_conns;
  po.min_idle = min_idle;
  return po;
}

server::EchoServerOptions scripted_if(bool scripted) {
  server::EchoServerOptions o;
  o.scripted = scripted;
  return o;
}

// The in-process echo server (scripted when the path is not "/"), a loop,
// and a pool of connections to the path.
struct EchoPool {
  explicit EchoPool(const PoolOptions &po, const std::string &path = "/")
      : server(scripted_if(path != "/")), pool(loop, server.url() + path, {}, po) {}
  server::EchoServer server;
  Loop loop;
  Pool pool;
};

// Polls pred every 5 ms until it holds or timeout passes.
template <class Pred>
bool eventually(Pred pred, milliseconds timeout = seconds(10)) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return pred();
}

// A port nothing listens on (a server bound it, then went away).
int refusing_port() {
  server::EchoServer s;
  return s.port();
}

// One owner tag per pooled connection: a hand-out to a second user while
// the first still holds it shows up as a failed compare-exchange.
class Owners {
 public:
  bool claim(const Client *c, int who) {
    int free = 0;
    return tag(c).compare_exchange_strong(free, who);
  }
  bool give_back(const Client *c, int who) {
    int expected = who;
    return tag(c).compare_exchange_strong(expected, 0);
  }
  size_t distinct() {
    std::lock_guard<std::mutex> lock(mutex_);
    return tags_.size();
  }

 private:
  std::atomic<int> &tag(const Client *c) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto &slot = tags_[c];
    if (!slot) slot = std::make_unique<std::atomic<int>>(0);
    return *slot;
  }
  std::mutex mutex_;
  std::map<const Client *, std::unique_ptr<std::atomic<int>>> tags_;
};

// Sends a message of its own and checks the echo is that message.
bool echo_once(Client &c, const std::string &text) {
  if (c.try_send(MessageType::Text, text) != Status::WSC_OK) return false;
  Message m;
  return c.try_recv(seconds(5), m) == Status::WSC_OK && m.data == text;
}

TEST(Pool, SixteenThreadsGetExclusiveConnectionsAndTheirOwnEchoes) {
  PoolOptions po = sized(6);
  EchoPool env(po);
  Pool &pool = env.pool;
  server::EchoServer &server = env.server;
  Owners owners;
  std::atomic<uint64_t> rounds{0}, failures{0}, double_holds{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 1; t <= 16; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; !stop.load(); ++n) {
        Pool::Lease lease;
        if (pool.acquire(seconds(10), lease) != Status::WSC_OK) {
          ++failures;
          continue;
        }
        if (!owners.claim(lease.client(), t)) ++double_holds;
        if (lease->state() != State::Open) ++failures;
        if (!echo_once(*lease, "t" + std::to_string(t) + "-" + std::to_string(n))) ++failures;
        if (!owners.give_back(lease.client(), t)) ++double_holds;
        ++rounds;
      }
    });
  }
  std::this_thread::sleep_for(seconds(3));
  stop = true;
  for (auto &th : threads) th.join();

  const PoolStats s = pool.stats();
  EXPECT_EQ(double_holds.load(), 0u);
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(rounds.load(), 1000u);
  EXPECT_EQ(s.acquired, rounds.load());
  EXPECT_EQ(s.busy, 0u);
  EXPECT_EQ(s.waiting, 0u);
  EXPECT_LE(s.opened, 6u);
  EXPECT_EQ(s.idle, s.opened);
  EXPECT_EQ(owners.distinct(), s.opened);
  EXPECT_EQ(s.open_failures + s.replaced + s.acquire_timeouts, 0u);
  EXPECT_EQ(server.messages_echoed(), rounds.load());
}

// Python websockets as the peer, killed and restarted on the same port
// while 8 threads keep working. Failures are allowed only for work that
// overlapped the outage; a connection handed out after the restart always
// works.
TEST(Pool, ServerRestartIsSurvivedWithoutHandingOutDeadConnections) {
  auto peer = start_python_echo();
  const int port = peer->port();
  Loop loop;
  PoolOptions po;
  po.max_conns = 4;
  po.breaker_threshold = 0;  // keep dialing through the outage
  Pool pool(loop, ws_url(port), {}, po);
  std::atomic<int64_t> outage_begin{INT64_MAX}, outage_end{INT64_MAX};
  std::atomic<uint64_t> late_failures{0}, rounds_after{0};
  std::atomic<bool> stop{false};
  auto now_ns = [] { return Clock::now().time_since_epoch().count(); };
  std::vector<std::thread> threads;
  for (int t = 1; t <= 8; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; !stop.load(); ++n) {
        const int64_t started = now_ns();
        Pool::Lease lease;
        bool ok = pool.acquire(seconds(5), lease) == Status::WSC_OK;
        ok = ok && echo_once(*lease, std::to_string(t) + ":" + std::to_string(n));
        if (!ok && lease) lease->try_close(1000, "");  // do not return it as healthy
        const int64_t ended = now_ns();
        const bool overlapped = ended >= outage_begin.load() && started <= outage_end.load();
        if (!ok && !overlapped) ++late_failures;
        if (started > outage_end.load()) ++rounds_after;
        if (!ok) std::this_thread::sleep_for(milliseconds(10));
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(800));
  outage_begin = now_ns();
  peer->kill_now();
  std::this_thread::sleep_for(milliseconds(300));
  peer = start_python_echo({"--port", std::to_string(port)});
  outage_end = now_ns();
  std::this_thread::sleep_for(seconds(2));
  stop = true;
  for (auto &th : threads) th.join();

  EXPECT_EQ(late_failures.load(), 0u);
  EXPECT_GT(rounds_after.load(), 100u);
  const PoolStats s = pool.stats();
  EXPECT_GE(s.opened, 2u);
  EXPECT_GE(s.replaced, 1u);
  EXPECT_EQ(s.busy, 0u);
}

TEST(Pool, BreakerOpensAgainstARefusingServerAndClosesWhenItComesBack) {
  const int port = refusing_port();
  Loop loop;
  PoolOptions po;
  po.max_conns = 2;
  po.breaker_threshold = 3;
  po.breaker_cooldown = milliseconds(400);
  Pool pool(loop, ws_url(port), {}, po);

  Pool::Lease lease;
  EXPECT_EQ(pool.acquire(seconds(5), lease), Status::WSC_EBREAKER);
  PoolStats s = pool.stats();
  EXPECT_EQ(s.breaker, BreakerState::Open);
  EXPECT_EQ(s.breaker_trips, 1u);
  EXPECT_EQ(s.open_failures, 3u);

  // Open: fail fast, no dialing.
  const auto t0 = Clock::now();
  EXPECT_EQ(pool.acquire(seconds(5), lease), Status::WSC_EBREAKER);
  EXPECT_EQ(pool.try_acquire(lease), Status::WSC_EBREAKER);
  EXPECT_LT(Clock::now() - t0, milliseconds(100));
  EXPECT_EQ(pool.stats().open_failures, 3u);

  // After the cool-down one probe fails against the still-dead server and
  // the breaker opens again.
  std::this_thread::sleep_for(milliseconds(450));
  EXPECT_EQ(pool.acquire(seconds(5), lease), Status::WSC_EBREAKER);
  s = pool.stats();
  EXPECT_EQ(s.open_failures, 4u);
  EXPECT_EQ(s.breaker_trips, 2u);
  EXPECT_EQ(s.breaker, BreakerState::Open);

  server::EchoServerOptions so;
  so.port = port;
  server::EchoServer server(so);
  std::this_thread::sleep_for(milliseconds(450));
  ASSERT_EQ(pool.acquire(seconds(5), lease), Status::WSC_OK);
  EXPECT_TRUE(echo_once(*lease, "back"));
  s = pool.stats();
  EXPECT_EQ(s.breaker, BreakerState::Closed);
  EXPECT_EQ(s.breaker_rejections, 4u);
}

TEST(Pool, TryAcquireRefusesAtOnceWhenAllAreBusy) {
  PoolOptions po = sized(2, 2);
  EchoPool env(po);
  Pool &pool = env.pool;
  ASSERT_TRUE(eventually([&] { return pool.stats().idle == 2; }));
  Pool::Lease a, b, c;
  ASSERT_EQ(pool.try_acquire(a), Status::WSC_OK);
  ASSERT_EQ(pool.try_acquire(b), Status::WSC_OK);
  EXPECT_NE(a.client(), b.client());
  const auto t0 = Clock::now();
  EXPECT_EQ(pool.try_acquire(c), Status::WSC_EAGAIN);
  EXPECT_EQ(pool.acquire(milliseconds(100), c), Status::WSC_EWAIT);
  EXPECT_LT(Clock::now() - t0, milliseconds(500));
  EXPECT_FALSE(c);
  const Client *first = a.client();
  a.release();
  ASSERT_EQ(pool.try_acquire(c), Status::WSC_OK);
  EXPECT_EQ(c.client(), first);
  EXPECT_EQ(pool.stats().acquire_timeouts, 1u);
}

TEST(Pool, MinIdleConnectionsAreOpenedAndKeptWarm) {
  PoolOptions po = sized(5, 3);
  EchoPool env(po);
  Pool &pool = env.pool;
  server::EchoServer &server = env.server;
  ASSERT_TRUE(eventually([&] { return pool.stats().idle == 3; }));
  EXPECT_TRUE(eventually([&] { return server.connections_open() == 3; }));
  Pool::Lease lease = pool.acquire(seconds(5));
  // One taken: another is opened to keep three idle.
  ASSERT_TRUE(eventually([&] { return pool.stats().idle == 3; }));
  EXPECT_EQ(pool.stats().open, 4u);
  EXPECT_TRUE(eventually([&] { return server.connections_open() == 4; }));
}

TEST(Pool, MaxLifetimeRotatesIdleConnectionsButNeverAnAcquiredOne) {
  PoolOptions po = sized(2, 1);
  po.max_lifetime = milliseconds(300);
  EchoPool env(po);
  Pool &pool = env.pool;
  Pool::Lease lease = pool.acquire(seconds(5));
  const Client *held = lease.client();
  std::this_thread::sleep_for(milliseconds(700));
  // Past its lifetime but acquired: still open and working.
  EXPECT_EQ(lease->state(), State::Open);
  EXPECT_TRUE(echo_once(*lease, "still mine"));
  const uint64_t rotated_idle = pool.stats().rotated;
  EXPECT_GE(rotated_idle, 1u);  // the min_idle one, while idle
  lease.release();
  EXPECT_EQ(pool.stats().rotated, rotated_idle + 1);
  ASSERT_TRUE(eventually([&] { return pool.stats().idle == 1; }));
  lease = pool.acquire(seconds(5));
  EXPECT_NE(lease.client(), held);
  EXPECT_TRUE(echo_once(*lease, "fresh"));
}

TEST(Pool, MaxIdleTimeClosesSurplusIdleConnections) {
  PoolOptions po = sized(4, 1);
  po.max_idle_time = milliseconds(200);
  EchoPool env(po);
  Pool &pool = env.pool;
  server::EchoServer &server = env.server;
  {
    Pool::Lease a = pool.acquire(seconds(5)), b = pool.acquire(seconds(5)),
                c = pool.acquire(seconds(5));
  }
  EXPECT_GE(pool.stats().idle, 3u);
  ASSERT_TRUE(eventually([&] { return pool.stats().idle == 1; }, seconds(5)));
  EXPECT_GE(pool.stats().idle_closed, 2u);
  EXPECT_TRUE(eventually([&] { return server.connections_open() == 1; }));
}

TEST(Pool, HealthCheckPingsAConnectionIdleTooLongAndKeepsAHealthyOne) {
  PoolOptions po = sized(2);
  po.check_after_idle = milliseconds(50);
  EchoPool env(po);
  Pool &pool = env.pool;
  const Client *first = pool.acquire(seconds(5)).client();
  std::this_thread::sleep_for(milliseconds(100));
  Pool::Lease lease = pool.acquire(seconds(5));
  EXPECT_EQ(lease.client(), first);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.health_checks, 1u);
  EXPECT_EQ(s.health_check_failures, 0u);
  EXPECT_EQ(s.opened, 1u);
  EXPECT_GE(lease->stats().rtt_us_last, 0);
}

TEST(Pool, AConnectionThatFailsItsHealthCheckIsReplaced) {
  PoolOptions po = sized(1);
  po.check_after_idle = milliseconds(50);
  po.ping_timeout = milliseconds(200);
  EchoPool env(po, "/no-pong");
  Pool &pool = env.pool;
  server::EchoServer &server = env.server;
  pool.acquire(seconds(5)).release();
  std::this_thread::sleep_for(milliseconds(100));
  Pool::Lease lease;
  ASSERT_EQ(pool.acquire(seconds(5), lease), Status::WSC_OK);
  EXPECT_EQ(lease->state(), State::Open);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.health_checks, 1u);
  EXPECT_EQ(s.health_check_failures, 1u);
  EXPECT_EQ(s.replaced, 1u);
  EXPECT_EQ(s.opened, 2u);
  EXPECT_TRUE(eventually([&] { return server.connections_accepted() == 2; }));
}

TEST(Pool, AConnectionClosedByItsUserIsReplacedOnRelease) {
  PoolOptions po = sized(1);
  EchoPool env(po);
  Pool &pool = env.pool;
  Pool::Lease lease = pool.acquire(seconds(5));
  lease->close();
  lease.release();
  EXPECT_EQ(pool.stats().replaced, 1u);
  lease = pool.acquire(seconds(5));
  EXPECT_TRUE(echo_once(*lease, "new one"));
  EXPECT_EQ(pool.stats().opened, 2u);
}

TEST(Pool, UnreadMessagesAreDiscardedAtRelease) {
  PoolOptions po = sized(1);
  EchoPool env(po);
  Pool &pool = env.pool;
  server::EchoServer &server = env.server;
  {
    Pool::Lease lease = pool.acquire(seconds(5));
    for (int i = 0; i < 3; ++i) lease->send_text("left behind");
    ASSERT_TRUE(eventually([&] { return server.messages_echoed() == 3; }));
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(pool.stats().discarded_messages, 3u);
  Pool::Lease lease = pool.acquire(seconds(5));
  EXPECT_FALSE(lease->recv(milliseconds(100)).has_value());
  EXPECT_TRUE(echo_once(*lease, "clean"));
}

TEST(Pool, AcquireDeadlineBoundsTheOpenItTriggers) {
  SilentListener silent;  // TCP connects, the upgrade never answers
  Loop loop;
  Options o;
  o.connect_timeout = seconds(20);
  PoolOptions po;
  po.breaker_threshold = 0;
  Pool pool(loop, ws_url(silent.port()), o, po);
  const auto t0 = Clock::now();
  Pool::Lease lease;
  EXPECT_EQ(pool.acquire(milliseconds(300), lease), Status::WSC_EWAIT);
  EXPECT_GE(Clock::now() - t0, milliseconds(290));
  // The open it started ends with it, not 20 s later.
  EXPECT_TRUE(eventually(
      [&] {
        const PoolStats s = pool.stats();
        return s.opening == 0 && s.open_failures >= 1;
      },
      seconds(2)));
}

TEST(Pool, ClosingThePoolWakesWaitersAndRefusesNewAcquires) {
  PoolOptions po = sized(1);
  EchoPool env(po);
  Pool &pool = env.pool;
  server::EchoServer &server = env.server;
  Pool::Lease held = pool.acquire(seconds(5));
  std::atomic<int> waiter_status{1};
  std::thread waiter([&] {
    Pool::Lease l;
    waiter_status = static_cast<int>(pool.acquire(seconds(10), l));
  });
  ASSERT_TRUE(eventually([&] { return pool.stats().waiting == 1; }));
  pool.close();
  waiter.join();
  EXPECT_EQ(waiter_status.load(), static_cast<int>(Status::WSC_ECLOSED));
  Pool::Lease late;
  EXPECT_EQ(pool.try_acquire(late), Status::WSC_ECLOSED);
  EXPECT_TRUE(echo_once(*held, "after close"));  // still usable until released
  held.release();
  EXPECT_TRUE(eventually([&] { return server.connections_open() == 0; }));
}

TEST(Pool, RejectsBadOptions) {
  Loop loop;
  PoolOptions po;
  po.max_conns = 0;
  EXPECT_THROW(Pool(loop, "ws://127.0.0.1:1/", {}, po), Error);
  po.max_conns = 2;
  po.min_idle = 3;
  EXPECT_THROW(Pool(loop, "ws://127.0.0.1:1/", {}, po), Error);
  EXPECT_THROW(Pool(loop, "http://x/", {}, PoolOptions{}), Error);
}

TEST(Ping, PongGivesTheRoundTripTimeAndSilenceTimesOut) {
  server::EchoServer server(scripted_if(true));
  Loop loop;
  Client ok(loop, server.url() + "/");
  Client mute(loop, server.url() + "/no-pong");
  ASSERT_EQ(ok.wait(State::Open, seconds(5)), Status::WSC_OK);
  ASSERT_EQ(mute.wait(State::Open, seconds(5)), Status::WSC_OK);
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<Status, int64_t>> results;
  auto record = [&](Status s, std::chrono::microseconds rtt) {
    std::lock_guard<std::mutex> lock(m);
    results.emplace_back(s, rtt.count());
    cv.notify_all();
  };
  ASSERT_EQ(ok.ping(seconds(2), record), Status::WSC_OK);
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, seconds(5), [&] { return results.size() == 1; }));
  }
  EXPECT_EQ(results[0].first, Status::WSC_OK);
  EXPECT_GT(results[0].second, 0);
  EXPECT_EQ(ok.stats().rtt_us_last, results[0].second);

  ASSERT_EQ(mute.ping(milliseconds(200), record), Status::WSC_OK);
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, seconds(5), [&] { return results.size() == 2; }));
  }
  EXPECT_EQ(results[1].first, Status::WSC_ETIMEDOUT);
  EXPECT_EQ(ok.ping(milliseconds(0), record), Status::WSC_EINVAL);
  EXPECT_EQ(ok.ping(seconds(1), nullptr), Status::WSC_EINVAL);
}

TEST(Ping, EndsWithClosedWhenTheConnectionEndsFirst) {
  server::EchoServer server(scripted_if(true));
  Loop loop;
  Client mute(loop, server.url() + "/no-pong");
  ASSERT_EQ(mute.wait(State::Open, seconds(5)), Status::WSC_OK);
  std::promise<Status> done;
  ASSERT_EQ(mute.ping(seconds(10), [&](Status s, std::chrono::microseconds) { done.set_value(s); }),
            Status::WSC_OK);
  std::this_thread::sleep_for(milliseconds(50));
  mute.close();  // the server never reads it: the close times out and ends the socket
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(seconds(8)), std::future_status::ready);
  EXPECT_EQ(f.get(), Status::WSC_ECLOSED);
  EXPECT_EQ(mute.ping(seconds(1), [](Status, std::chrono::microseconds) {}), Status::WSC_ECLOSED);
}

}  // namespace
}  // namespace wsc::testing
