// Per-loop metrics, labelled per endpoint (host:port), in the Prometheus
// text exposition format 0.0.4.
//
// Nothing here runs per message. Message and byte counters are the
// connections' own Stats, read when a snapshot is taken (live connections)
// or folded into per-endpoint totals when a connection retires, so the
// data path pays nothing. Only rare events are observed as they happen:
// an open (handshake-duration histogram), an error (by status), a
// heartbeat pong (RTT histogram). Those come from the loop thread and take
// mutex_, which only a scrape contends for.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>
#include <wsc/client.hpp>
#include <wsc/pool.hpp>

#include "url.hpp"

namespace wsc::detail {

class Connection;

// "host:port", IPv6 in brackets: the endpoint label.
std::string endpoint_label(const Url &url);

// Fixed buckets (upper bounds in seconds), cumulative only when rendered.
class Histogram {
 public:
  explicit Histogram(const std::vector<double> &bounds);
  void observe(double seconds);
  const std::vector<double> &bounds() const { return *bounds_; }
  const std::vector<uint64_t> &counts() const { return counts_; }  // per bucket, +Inf last
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  const std::vector<double> *bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

class LoopMetrics {
 public:
  LoopMetrics();
  ~LoopMetrics();
  LoopMetrics(const LoopMetrics &) = delete;
  LoopMetrics &operator=(const LoopMetrics &) = delete;

  // Loop thread: a connection joins the loop, and leaves it for good
  // (its counters move into the endpoint's totals; twice is harmless).
  void adopt(const std::shared_ptr<Connection> &conn);
  void retire(Connection *conn);
  // Loop thread: events.
  void opened(const Url &url, std::chrono::steady_clock::duration handshake);
  void failed(const Url &url, Status status);
  void rtt(const Url &url, std::chrono::microseconds rtt);
  // Any thread: an RPC call ended (WSC_OK, WSC_EREMOTE, WSC_ETIMEDOUT, ...).
  void rpc_done(const std::string &endpoint, Status status);

  // Any thread. A pool's gauges are read at each snapshot until it is
  // removed (its totals are kept). stats must not call into LoopMetrics.
  void add_pool(const void *key, const std::string &url, std::function<PoolStats()> stats);
  void remove_pool(const void *key);

  // Any thread: every metric, now.
  std::string text() const;

 private:
  struct Endpoint;
  struct Live {
    std::string endpoint;
    std::weak_ptr<Connection> conn;
  };
  struct PoolEntry {
    std::string endpoint;
    std::function<PoolStats()> stats;
  };
  Endpoint &endpoint(const std::string &label);  // under mutex_

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints_;
  std::unordered_map<const Connection *, Live> live_;
  std::map<const void *, PoolEntry> pools_;
};

}  // namespace wsc::detail
