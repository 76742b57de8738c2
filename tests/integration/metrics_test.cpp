// Loop metrics and logging against the in-process echo server: counters
// that add up to what was sent and echoed (and stay after a connection is
// gone), connections by state, errors by status, RTT and handshake
// histograms, pool gauges; wsc_loop_metrics_text's buffer contract; log
// lines at their levels, with no secret in any of them.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <wsc/log.hpp>
#include <wsc/pool.hpp>

#include "echo_server.hpp"
#include "fixtures.hpp"
#include "wsc.h"

namespace wsc::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The value of the sample whose name and labels are exactly `series`
// (e.g. wsc_opens_total{endpoint="127.0.0.1:1"}); -1 when absent.
double sample(const std::string &text, const std::string &series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, series.size() + 1, series + " ") == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

std::string endpoint_of(const server::EchoServer &s) {
  return "endpoint=\"127.0.0.1:" + std::to_string(s.port()) + "\"";
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

std::string echo(Client &c, const std::string &text) {
  c.send_text(text);
  auto m = c.recv(5000ms);
  return m ? m->data : std::string();
}

TEST(Metrics, CountersAddUpAndOutliveTheConnection) {
  server::EchoServer server;
  Loop loop;
  const std::string ep = endpoint_of(server);
  {
    Client c(loop, server.url() + "/");
    ASSERT_EQ(c.wait(State::Open, 5000ms), Status::WSC_OK);
    for (int i = 0; i < 10; ++i)
      ASSERT_EQ(echo(c, "message " + std::to_string(i)), "message " + std::to_string(i));
    const std::string live = loop.metrics_text();
    EXPECT_EQ(sample(live, "wsc_connections{" + ep + ",state=\"open\"}"), 1) << live;
    EXPECT_EQ(sample(live, "wsc_connections{" + ep + ",state=\"connecting\"}"), 0);
    EXPECT_EQ(sample(live, "wsc_messages_sent_total{" + ep + "}"), 10);
    EXPECT_EQ(sample(live, "wsc_messages_received_total{" + ep + "}"), 10);
    EXPECT_EQ(sample(live, "wsc_bytes_sent_total{" + ep + "}"), 10 * 9);
    EXPECT_EQ(sample(live, "wsc_wire_bytes_received_total{" + ep + "}"), 10 * 9);
    EXPECT_EQ(sample(live, "wsc_opens_total{" + ep + "}"), 1);
    EXPECT_EQ(sample(live, "wsc_connect_attempts_total{" + ep + "}"), 1);
    EXPECT_EQ(sample(live, "wsc_handshake_seconds_count{" + ep + "}"), 1);
    EXPECT_EQ(sample(live, "wsc_handshake_seconds_bucket{" + ep + ",le=\"+Inf\"}"), 1);
    EXPECT_GT(sample(live, "wsc_handshake_seconds_sum{" + ep + "}"), 0);
    EXPECT_EQ(sample(live, "wsc_send_queue_bytes{" + ep + "}"), 0);
    c.close();
    ASSERT_EQ(c.wait(State::Closed, 5000ms), Status::WSC_OK);
  }
  // Retired: the totals stay (counters never go down), the gauges are 0.
  ASSERT_TRUE(eventually([&] {
    return sample(loop.metrics_text(), "wsc_connections{" + ep + ",state=\"closed\"}") == 0;
  }));
  const std::string after = loop.metrics_text();
  EXPECT_EQ(sample(after, "wsc_messages_sent_total{" + ep + "}"), 10) << after;
  EXPECT_EQ(sample(after, "wsc_messages_received_total{" + ep + "}"), 10);
  EXPECT_EQ(sample(after, "wsc_connect_attempts_total{" + ep + "}"), 1);
  EXPECT_EQ(sample(after, "wsc_connections{" + ep + ",state=\"open\"}"), 0);
}

TEST(Metrics, ReceiveQueueDepthInPullMode) {
  server::EchoServer server;
  Loop loop;
  const std::string ep = endpoint_of(server);
  Client c(loop, server.url() + "/");
  ASSERT_EQ(c.wait(State::Open, 5000ms), Status::WSC_OK);
  c.send_text(std::string(1000, 'x'));
  EXPECT_TRUE(eventually(
      [&] { return sample(loop.metrics_text(), "wsc_recv_queue_bytes{" + ep + "}") >= 1000; }));
  ASSERT_TRUE(c.recv(5000ms));
  EXPECT_EQ(sample(loop.metrics_text(), "wsc_recv_queue_bytes{" + ep + "}"), 0);
}

TEST(Metrics, ErrorsByStatusAndReconnecting) {
  int port;
  {
    server::EchoServer gone;
    port = gone.port();
  }
  Loop loop;
  Options o;
  o.reconnect = true;
  o.reconnect_min = 20ms;
  o.reconnect_max = 40ms;
  Client c(loop, ws_url(port), o);
  const std::string ep = "endpoint=\"127.0.0.1:" + std::to_string(port) + "\"";
  ASSERT_TRUE(eventually([&] {
    return sample(loop.metrics_text(), "wsc_errors_total{" + ep + ",status=\"WSC_ECONNECT\"}") >= 2;
  })) << loop.metrics_text();
  const std::string text = loop.metrics_text();
  EXPECT_GE(sample(text, "wsc_connect_attempts_total{" + ep + "}"), 2);
  EXPECT_EQ(sample(text, "wsc_opens_total{" + ep + "}"), 0);
}

TEST(Metrics, RttHistogramFromHeartbeats) {
  server::EchoServer server;
  Loop loop;
  Options o;
  o.ping_interval = 20ms;
  Client c(loop, server.url() + "/", o);
  ASSERT_EQ(c.wait(State::Open, 5000ms), Status::WSC_OK);
  const std::string ep = endpoint_of(server);
  ASSERT_TRUE(eventually(
      [&] { return sample(loop.metrics_text(), "wsc_rtt_seconds_count{" + ep + "}") >= 3; }));
  const std::string text = loop.metrics_text();
  const double count = sample(text, "wsc_rtt_seconds_count{" + ep + "}");
  EXPECT_EQ(sample(text, "wsc_rtt_seconds_bucket{" + ep + ",le=\"+Inf\"}"), count);
  // Loopback: every pong within a second; buckets are cumulative.
  EXPECT_EQ(sample(text, "wsc_rtt_seconds_bucket{" + ep + ",le=\"1\"}"), count);
  EXPECT_LE(sample(text, "wsc_rtt_seconds_bucket{" + ep + ",le=\"0.0001\"}"), count);
  EXPECT_GT(sample(text, "wsc_rtt_seconds_sum{" + ep + "}"), 0);
}

TEST(Metrics, PoolGaugesAndTotals) {
  server::EchoServer server;
  Loop loop;
  const std::string ep = endpoint_of(server);
  {
    PoolOptions po;
    po.max_conns = 3;
    po.min_idle = 2;
    Pool pool(loop, server.url() + "/", {}, po);
    ASSERT_TRUE(eventually([&] {
      return sample(loop.metrics_text(), "wsc_pool_connections{" + ep + ",phase=\"idle\"}") == 2;
    })) << loop.metrics_text();
    {
      auto lease = pool.acquire(5000ms);
      const std::string text = loop.metrics_text();
      EXPECT_EQ(sample(text, "wsc_pool_connections{" + ep + ",phase=\"busy\"}"), 1) << text;
      EXPECT_EQ(sample(text, "wsc_pool_acquired_total{" + ep + "}"), 1);
      EXPECT_EQ(sample(text, "wsc_pool_breaker{" + ep + ",state=\"closed\"}"), 1);
    }
  }
  // The pool is gone: its totals stay, its gauges do not.
  const std::string text = loop.metrics_text();
  EXPECT_EQ(sample(text, "wsc_pool_acquired_total{" + ep + "}"), 1) << text;
  EXPECT_GE(sample(text, "wsc_pool_opened_total{" + ep + "}"), 2);
  EXPECT_EQ(sample(text, "wsc_pool_connections{" + ep + ",phase=\"idle\"}"), 0);
  EXPECT_EQ(sample(text, "wsc_pool_breaker{" + ep + ",state=\"closed\"}"), 0);
}

TEST(Metrics, CApiBufferContract) {
  server::EchoServer server;
  wsc_loop *loop = wsc_loop_new();
  ASSERT_NE(loop, nullptr);
  wsc_conn *c = nullptr;
  ASSERT_EQ(wsc_connect(loop, (server.url() + "/").c_str(), nullptr, nullptr, nullptr, &c), WSC_OK);
  ASSERT_EQ(wsc_wait(c, WSC_OPEN, 5000), WSC_OK);
  size_t needed = 0;
  EXPECT_EQ(wsc_loop_metrics_text(loop, nullptr, 0, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_loop_metrics_text(loop, nullptr, 10, &needed), WSC_EINVAL);
  EXPECT_EQ(wsc_loop_metrics_text(loop, nullptr, 0, &needed), WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("buffer too small"), std::string::npos);
  ASSERT_GT(needed, 100u);
  std::vector<char> small(needed / 2);
  size_t again = 0;
  EXPECT_EQ(wsc_loop_metrics_text(loop, small.data(), small.size(), &again), WSC_EINVAL);
  EXPECT_EQ(again, needed);
  std::vector<char> buf(needed + 256);
  ASSERT_EQ(wsc_loop_metrics_text(loop, buf.data(), buf.size(), &again), WSC_OK);
  const std::string text(buf.data());
  EXPECT_EQ(text.size() + 1, again);
  EXPECT_EQ(sample(text, "wsc_connections{" + endpoint_of(server) + ",state=\"open\"}"), 1);
  wsc_conn_free(c);
  wsc_loop_free(loop);
}

struct LogLine {
  LogLevel level;
  std::string origin, message;
};

// Collects what the handler gets; unset at the end of the test.
struct Captured {
  std::mutex mutex;
  std::vector<LogLine> lines;
  explicit Captured(LogLevel level) {
    set_log_handler(level, [this](LogLevel l, std::string_view origin, std::string_view message) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.push_back({l, std::string(origin), std::string(message)});
    });
  }
  ~Captured() { set_log_handler(LogLevel::Off, nullptr); }
  bool has(LogLevel level, const std::string &words) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto &l : lines)
      if (l.level == level && l.origin == "wsc" && l.message.find(words) != std::string::npos)
        return true;
    return false;
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    for (auto &l : lines)
      out += std::to_string(int(l.level)) + " " + l.origin + " " + l.message + "\n";
    return out;
  }
};

TEST(Logging, EventsAtTheirLevelsWithoutSecrets) {
  server::EchoServer server;
  const std::string where = "127.0.0.1:" + std::to_string(server.port());
  Captured log(LogLevel::Debug);
  {
    Loop loop;
    Options o;
    o.headers.push_back({"Authorization", "Bearer s3cr3t-token"});
    o.headers.push_back({"Cookie", "session=c00kie"});
    Client c(loop, server.url() + "/path?token=qu3ry", o);
    ASSERT_EQ(c.wait(State::Open, 5000ms), Status::WSC_OK);
    c.close(1000, "bye");
    ASSERT_EQ(c.wait(State::Closed, 5000ms), Status::WSC_OK);
  }
  EXPECT_TRUE(log.has(LogLevel::Debug, "connecting to " + where)) << log.all();
  EXPECT_TRUE(log.has(LogLevel::Info, "open " + where + " in ")) << log.all();
  EXPECT_TRUE(log.has(LogLevel::Info, "closed " + where + ": code 1000 (bye)")) << log.all();
  const std::string all = log.all();
  for (const char *secret : {"s3cr3t", "c00kie", "qu3ry", "Authorization"})
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in:\n" << all;
}

TEST(Logging, ReconnectWithDelayAndReasonAndLevelFilter) {
  int port;
  {
    server::EchoServer gone;
    port = gone.port();
  }
  const std::string where = "127.0.0.1:" + std::to_string(port);
  Loop loop;
  Options o;
  o.reconnect = true;
  o.reconnect_min = 20ms;
  o.reconnect_max = 40ms;
  {
    Captured log(LogLevel::Info);
    Client c(loop, ws_url(port), o);
    ASSERT_TRUE(eventually([&] {
      return log.has(LogLevel::Info, "reconnecting to " + where + " in ");
    })) << log.all();
    EXPECT_TRUE(log.has(LogLevel::Warn, where + ": could not connect")) << log.all();
    EXPECT_FALSE(log.has(LogLevel::Debug, "connecting to")) << "Debug passed an Info filter";
  }
  {
    Captured log(LogLevel::Error);
    Client c(loop, ws_url(port), o);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(log.all(), "") << "nothing at Error for a refused connect";
  }
}

TEST(Logging, CApiHandler) {
  EXPECT_EQ(wsc_set_log_handler(7, nullptr, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_set_log_handler(-1, nullptr, nullptr), WSC_EINVAL);
  struct Seen {
    std::mutex mutex;
    std::vector<std::string> lines;
  } seen;
  auto fn = [](int level, const char *origin, const char *message, void *user) {
    auto *s = static_cast<Seen *>(user);
    std::lock_guard<std::mutex> lock(s->mutex);
    s->lines.push_back(std::to_string(level) + " " + origin + " " + message);
  };
  ASSERT_EQ(wsc_set_log_handler(WSC_LOG_INFO, fn, &seen), WSC_OK);
  server::EchoServer server;
  wsc_loop *loop = wsc_loop_new();
  wsc_conn *c = nullptr;
  ASSERT_EQ(wsc_connect(loop, (server.url() + "/").c_str(), nullptr, nullptr, nullptr, &c), WSC_OK);
  ASSERT_EQ(wsc_wait(c, WSC_OPEN, 5000), WSC_OK);
  wsc_conn_free(c);
  wsc_loop_free(loop);
  ASSERT_EQ(wsc_set_log_handler(WSC_LOG_OFF, fn, &seen), WSC_OK);
  std::lock_guard<std::mutex> lock(seen.mutex);
  bool open = false;
  for (auto &l : seen.lines) open |= l.rfind("3 wsc open 127.0.0.1:", 0) == 0;
  EXPECT_TRUE(open);
}

}  // namespace
}  // namespace wsc::testing
