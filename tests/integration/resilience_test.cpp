// Staying connected: reconnect after a server restart with nothing lost,
// backoff bounds, heartbeats without false timeouts, pong timeouts, and the
// fatal/recoverable classification, all against real servers on loopback.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

server::EchoServerOptions scripted() {
  server::EchoServerOptions o;
  o.scripted = true;
  return o;
}

Options reconnecting(int min_ms = 50, int max_ms = 400) {
  Options o;
  o.reconnect = true;
  o.reconnect_min = milliseconds(min_ms);
  o.reconnect_max = milliseconds(max_ms);
  o.reconnect_seed = 42;
  return o;
}

TEST(Resilience, ServerRestartLosesNothingSentDuringTheOutage) {
  auto peer = start_python_echo();
  const int port = peer->port();
  Loop loop;
  Recorder rec;
  Client c(loop, ws_url(port), reconnecting(), rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  for (int i = 0; i < 100; ++i) c.send_text(std::to_string(i));
  ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() == 100; }));

  peer->kill_now();
  ASSERT_EQ(c.wait(State::Reconnecting, seconds(10)), Status::WSC_OK);
  for (int i = 100; i < 600; ++i) c.send_text(std::to_string(i));  // queued during the outage
  peer = start_python_echo({"--port", std::to_string(port)});

  ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() >= 600; }, seconds(20)))
      << rec.messages.size();
  std::this_thread::sleep_for(milliseconds(200));  // a duplicate would show up by now
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_EQ(rec.messages.size(), 600u);
  for (int i = 0; i < 600; ++i) ASSERT_EQ(rec.messages[i].data, std::to_string(i)) << i;
  EXPECT_EQ(rec.opens, 2);
  EXPECT_EQ(c.stats().reconnects, 1u);
  EXPECT_EQ(c.stats().send_discarded, 0u);
}

TEST(Resilience, ConnectTimeoutRetriesFollowTheBackoffBounds) {
  SilentListener silent;
  Options o = reconnecting(100, 400);
  o.connect_timeout = milliseconds(150);
  o.reconnect_max_attempts = 5;
  Loop loop;
  std::mutex mutex;
  std::vector<Clock::time_point> waits, attempts;
  Callbacks cb;
  cb.on_state = [&](State, State to) {
    std::lock_guard<std::mutex> lock(mutex);
    if (to == State::Reconnecting) waits.push_back(Clock::now());
    if (to == State::Connecting) attempts.push_back(Clock::now());
  };
  Client c(loop, ws_url(silent.port()), o, cb);
  EXPECT_EQ(c.wait(State::Closed, seconds(20)), Status::WSC_ETIMEDOUT);
  EXPECT_EQ(c.stats().connect_attempts, 5u);
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(waits.size(), 4u);
  ASSERT_EQ(attempts.size(), 4u);
  for (size_t i = 0; i < waits.size(); ++i) {
    const auto delay = std::chrono::duration_cast<milliseconds>(attempts[i] - waits[i]).count();
    const int64_t cap = std::min<int64_t>(100LL << i, 400);
    EXPECT_GE(delay, 100 - 5) << "retry " << i;
    EXPECT_LE(delay, cap + 50) << "retry " << i;
  }
}

TEST(Resilience, BlockingCallbackDoesNotCauseAFalsePongTimeout) {
  auto peer = start_python_echo();
  Options o;
  o.ping_interval = milliseconds(500);
  o.pong_timeout = milliseconds(1000);
  Loop loop;
  std::atomic<int> messages{0};
  std::atomic<int> errors{0};
  Callbacks cb;
  cb.on_message = [&](MessageType, std::string_view) {
    if (++messages == 1) std::this_thread::sleep_for(seconds(3));  // a slow consumer
  };
  cb.on_error = [&](Status, std::string_view) { ++errors; };
  Client c(loop, ws_url(peer->port()), o, cb);
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  // Keep traffic and pings interleaved while the loop is blocked.
  std::this_thread::sleep_for(milliseconds(450));
  for (int i = 0; i < 40; ++i) {
    c.send_text("tick");
    std::this_thread::sleep_for(milliseconds(100));
  }
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(c.state(), State::Open);
  EXPECT_EQ(c.stats().connect_attempts, 1u);
  EXPECT_EQ(messages.load(), 40);
  EXPECT_GE(c.stats().rtt_us_last, 0);
}

TEST(Resilience, PingsMeasureRoundTripTime) {
  auto peer = start_python_echo();
  Options o;
  o.ping_interval = milliseconds(100);
  Loop loop;
  Client c(loop, ws_url(peer->port()), o);
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  std::this_thread::sleep_for(milliseconds(450));
  const Stats s = c.stats();
  EXPECT_GT(s.rtt_us_last, 0);
  EXPECT_LT(s.rtt_us_last, 1000000);
  EXPECT_GT(s.rtt_us_smoothed, 0);
}

TEST(Resilience, UnansweredPingsTimeOutAndReconnect) {
  server::EchoServer server(scripted());
  Options o = reconnecting();
  o.ping_interval = milliseconds(300);
  o.pong_timeout = milliseconds(500);
  Loop loop;
  Recorder rec;
  const auto start = Clock::now();
  Client c(loop, ws_url(server.port(), "/no-pong"), o, rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return !rec.errors.empty(); }, seconds(10)));
  const auto elapsed = Clock::now() - start;
  {
    std::lock_guard<std::mutex> lock(rec.mutex);
    EXPECT_EQ(rec.errors[0].first, Status::WSC_ETIMEDOUT);
    EXPECT_NE(rec.errors[0].second.find("pong timeout"), std::string::npos);
  }
  EXPECT_GE(elapsed, milliseconds(750));
  EXPECT_LT(elapsed, milliseconds(1500));
  ASSERT_TRUE(rec.wait_for([&] { return rec.opens >= 2; }, seconds(10)));
}

TEST(Resilience, IdleTimeout) {
  server::EchoServer server(scripted());
  Options o;
  o.idle_timeout = milliseconds(300);
  Loop loop;
  Recorder rec;
  Client c(loop, ws_url(server.port(), "/silent"), o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETIMEDOUT);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("idle timeout"), std::string::npos);
}

TEST(Resilience, WriteTimeoutWhenThePeerStopsReading) {
  server::EchoServer server(scripted());
  Options o;
  o.write_timeout = milliseconds(500);
  Loop loop;
  Recorder rec;
  // /no-pong stops reading the socket: our writes back up in the kernel.
  Client c(loop, ws_url(server.port(), "/no-pong"), o, rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  const std::string chunk(256 * 1024, 'x');
  for (int i = 0; i < 100; ++i) {
    if (c.try_send(MessageType::Binary, chunk) != Status::WSC_OK) break;
  }
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETIMEDOUT);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("write timeout"), std::string::npos) << rec.errors[0].second;
}

struct Classification {
  const char *path;
  Status final_status;
  bool retried;
};

class Classify : public ::testing::TestWithParam<Classification> {};

TEST_P(Classify, FatalOnceRecoverableRetried) {
  const Classification k = GetParam();
  server::EchoServer server(scripted());
  Options o = reconnecting(20, 50);
  o.reconnect_max_attempts = 3;
  Loop loop;
  Client c(loop, ws_url(server.port(), k.path), o);
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), k.final_status) << k.path;
  EXPECT_EQ(c.stats().connect_attempts, k.retried ? 3u : 1u) << k.path;
}

INSTANTIATE_TEST_SUITE_P(
    Paths, Classify,
    ::testing::Values(Classification{"/reject/401", Status::WSC_EHANDSHAKE, false},
                      Classification{"/reject/403", Status::WSC_EHANDSHAKE, false},
                      Classification{"/reject/503", Status::WSC_ESERVER, true},
                      Classification{"/drop", Status::WSC_ELOST, true},
                      Classification{"/close/1000", Status::WSC_OK, false},
                      Classification{"/close/1001", Status::WSC_ECLOSED, true},
                      Classification{"/close/1011", Status::WSC_ECLOSED, true},
                      Classification{"/close/4000", Status::WSC_OK, false}),
    [](const ::testing::TestParamInfo<Classification> &info) {
      std::string name = info.param.path + 1;
      for (char &ch : name) ch = ch == '/' ? '_' : ch;
      return name;
    });

TEST(Resilience, ServerPingsAreAnswered) {
  // websockets closes with 1011 when its pings go unanswered for 0.2 s.
  auto peer = start_python_echo({"--ping-interval", "0.1"});
  Loop loop;
  Recorder rec;
  Client c(loop, ws_url(peer->port()), Options{}, rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  std::this_thread::sleep_for(milliseconds(1200));
  EXPECT_EQ(c.state(), State::Open);
  c.send_text("still here");
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_TRUE(rec.errors.empty());
}

TEST(Resilience, CloseGivesUpWhenTheServerNeverAnswers) {
  server::EchoServer server(scripted());
  Loop loop;
  Recorder rec;
  // /no-pong stops reading: our Close frame is never answered.
  Client c(loop, ws_url(server.port(), "/no-pong"), Options{}, rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  const auto start = Clock::now();
  c.close(1000, "bye");
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETIMEDOUT);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(2900));
  EXPECT_LT(elapsed, milliseconds(6000));
}

TEST(Resilience, LoopFreeWithAThousandLiveConnections) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 8192);
  setrlimit(RLIMIT_NOFILE, &lim);
  server::EchoServer server;
  auto loop = std::make_unique<Loop>();
  std::atomic<int> closes{0};
  std::vector<std::unique_ptr<Client>> clients;
  Callbacks cb;
  cb.on_close = [&closes](int, std::string_view) { ++closes; };
  for (int i = 0; i < 1000; ++i) {
    clients.push_back(std::make_unique<Client>(*loop, ws_url(server.port()), Options{}, cb));
  }
  for (auto &c : clients) ASSERT_EQ(c->wait(State::Open, seconds(30)), Status::WSC_OK);
  const auto start = Clock::now();
  loop.reset();
  EXPECT_LT(Clock::now() - start, seconds(5));
  EXPECT_EQ(closes.load(), 1000);
  for (auto &c : clients) EXPECT_EQ(c->state(), State::Closed);
}

TEST(Resilience, FreeWhileReconnecting) {
  Options o = reconnecting(200, 400);
  Loop loop;
  std::atomic<bool> freed{false};
  std::atomic<int> after{0};
  Callbacks cb;
  cb.on_state = [&](State, State) {
    if (freed) ++after;
  };
  auto c = std::make_unique<Client>(loop, "ws://127.0.0.1:1/", o, cb);
  ASSERT_EQ(c->wait(State::Reconnecting, seconds(10)), Status::WSC_OK);
  c.reset();
  freed = true;
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(after.load(), 0);
}

TEST(Resilience, UserCloseIsNeverRetried) {
  server::EchoServer server(scripted());
  Loop loop;
  Client c(loop, ws_url(server.port()), reconnecting());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  c.close();
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  EXPECT_EQ(c.stats().connect_attempts, 1u);
}

}  // namespace
}  // namespace wsc::testing

namespace wsc::testing {
namespace {

// Issue 12 item 1: when lws cannot even create the socket (here: no file
// descriptor left), the attempt fails cleanly with WSC_ECONNECT instead of
// keeping the wsi lws freed. Runs in a child process: the descriptor limit
// would starve the rest of the test binary.
TEST(Resilience, NoDescriptorsLeftIsEconnectNotACrash) {
#if defined(__SANITIZE_THREAD__)
  // TSan reports on the forked child of a threaded process (exit 66); the
  // ASan and plain runs cover this test.
  GTEST_SKIP() << "fork() of a threaded process under ThreadSanitizer";
#endif
  server::EchoServer server;
  const std::string url = ws_url(server.port());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 10;
    {
      Loop loop;
      rlimit lim{};
      getrlimit(RLIMIT_NOFILE, &lim);
      lim.rlim_cur = 64;
      setrlimit(RLIMIT_NOFILE, &lim);
      std::vector<int> hog;  // every descriptor below the limit in use
      for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) hog.push_back(fd);
      Options o;
      o.connect_timeout = std::chrono::milliseconds(2000);
      Client c(loop, url, o);
      const Status s = c.wait(State::Closed, std::chrono::seconds(5));
      code = s == Status::WSC_ECONNECT ? 0 : 20 + static_cast<int>(-static_cast<int>(s));
      for (int fd : hog) ::close(fd);
    }
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child died (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "status was -" << (WEXITSTATUS(status) - 20);
}

}  // namespace
}  // namespace wsc::testing
