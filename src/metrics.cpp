#include "metrics.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "connection.hpp"

namespace wsc::detail {

namespace {

// Loopback answers in tens of microseconds, a far server in hundreds of ms.
const std::vector<double> kRttBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
// TCP + TLS + upgrade, possibly through a proxy.
const std::vector<double> kHandshakeBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};

constexpr std::array<const char *, 5> kStateNames = {"connecting", "open", "closing", "closed",
                                                     "reconnecting"};
constexpr std::array<const char *, 3> kBreakerNames = {"closed", "open", "half_open"};

const char *status_name(Status s) {
  switch (static_cast<int>(s)) {
#define WSC_METRICS_STATUS_NAME(name, value, fatal, text) \
  case value:                                             \
    return #name;
    WSC_STATUS_MAP(WSC_METRICS_STATUS_NAME)
#undef WSC_METRICS_STATUS_NAME
  }
  return "unknown";
}

// The counters of Stats (not its gauges), summed.
void add_counters(Stats &into, const Stats &s) {
  into.msgs_sent += s.msgs_sent;
  into.msgs_received += s.msgs_received;
  into.bytes_sent += s.bytes_sent;
  into.bytes_received += s.bytes_received;
  into.wire_bytes_sent += s.wire_bytes_sent;
  into.wire_bytes_received += s.wire_bytes_received;
  into.reconnects += s.reconnects;
  into.send_discarded += s.send_discarded;
  into.recv_discarded += s.recv_discarded;
  into.connect_attempts += s.connect_attempts;
}

void add_pool_stats(PoolStats &into, const PoolStats &s) {
  into.open += s.open;
  into.idle += s.idle;
  into.busy += s.busy;
  into.opening += s.opening;
  into.checking += s.checking;
  into.waiting += s.waiting;
  into.opened += s.opened;
  into.open_failures += s.open_failures;
  into.replaced += s.replaced;
  into.health_checks += s.health_checks;
  into.health_check_failures += s.health_check_failures;
  into.rotated += s.rotated;
  into.idle_closed += s.idle_closed;
  into.discarded_messages += s.discarded_messages;
  into.acquired += s.acquired;
  into.acquire_timeouts += s.acquire_timeouts;
  into.breaker_trips += s.breaker_trips;
  into.breaker_rejections += s.breaker_rejections;
}

std::string escape_label(const std::string &value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest form that reads back as v: "0.00025", not 0.00025000000000000001.
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// One metric family after another, each with all its samples (the format
// wants a family's samples together, after its HELP and TYPE).
class Writer {
 public:
  void family(const std::string &name, const char *type, const char *help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string &name, const std::string &labels, const std::string &value) {
    out_ += name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += " " + value + "\n";
  }
  void sample(const std::string &name, const std::string &labels, uint64_t value) {
    sample(name, labels, std::to_string(value));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string endpoint_label(const Url &url) {
  const std::string host = url.host_is_ipv6 ? "[" + url.host + "]" : url.host;
  return host + ":" + std::to_string(url.port);
}

Histogram::Histogram(const std::vector<double> &bounds)
    : bounds_(&bounds), counts_(bounds.size() + 1) {}

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < bounds_->size() && seconds > (*bounds_)[i]) ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

// What an endpoint has seen: events as they came, and the counters of the
// connections that have left the loop.
struct LoopMetrics::Endpoint {
  Stats retired;
  uint64_t opens = 0;
  std::map<Status, uint64_t> errors;
  std::map<Status, uint64_t> rpc_calls;  // by how they ended
  Histogram rtt{kRttBounds};
  Histogram handshake{kHandshakeBounds};
  PoolStats removed_pools;  // totals of pools already gone
};

LoopMetrics::LoopMetrics() = default;
LoopMetrics::~LoopMetrics() = default;

LoopMetrics::Endpoint &LoopMetrics::endpoint(const std::string &label) {
  auto &slot = endpoints_[label];
  if (!slot) slot = std::make_unique<Endpoint>();
  return *slot;
}

void LoopMetrics::adopt(const std::shared_ptr<Connection> &conn) {
  std::string label = endpoint_label(conn->url());
  std::lock_guard<std::mutex> lock(mutex_);
  endpoint(label);
  live_[conn.get()] = Live{std::move(label), conn};
}

void LoopMetrics::retire(Connection *conn) {
  // Read before taking mutex_: stats() takes the connection's own lock.
  const Stats s = conn->stats();
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = live_.find(conn);
  if (found == live_.end()) return;
  add_counters(endpoint(found->second.endpoint).retired, s);
  live_.erase(found);
}

void LoopMetrics::opened(const Url &url, std::chrono::steady_clock::duration handshake) {
  const std::string label = endpoint_label(url);
  std::lock_guard<std::mutex> lock(mutex_);
  Endpoint &e = endpoint(label);
  ++e.opens;
  e.handshake.observe(std::chrono::duration<double>(handshake).count());
}

void LoopMetrics::failed(const Url &url, Status status) {
  const std::string label = endpoint_label(url);
  std::lock_guard<std::mutex> lock(mutex_);
  ++endpoint(label).errors[status];
}

void LoopMetrics::rtt(const Url &url, std::chrono::microseconds rtt) {
  const std::string label = endpoint_label(url);
  std::lock_guard<std::mutex> lock(mutex_);
  endpoint(label).rtt.observe(std::chrono::duration<double>(rtt).count());
}

void LoopMetrics::rpc_done(const std::string &endpoint_label, Status status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++endpoint(endpoint_label).rpc_calls[status];
}

void LoopMetrics::add_pool(const void *key, const std::string &url,
                           std::function<PoolStats()> stats) {
  std::string label = endpoint_label(parse_url(url));
  std::lock_guard<std::mutex> lock(mutex_);
  endpoint(label);
  pools_[key] = PoolEntry{std::move(label), std::move(stats)};
}

void LoopMetrics::remove_pool(const void *key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = pools_.find(key);
  if (found == pools_.end()) return;
  PoolStats last = found->second.stats();
  // Only the totals stay; what was open is gone with the pool.
  last.open = last.idle = last.busy = last.opening = last.checking = last.waiting = 0;
  add_pool_stats(endpoint(found->second.endpoint).removed_pools, last);
  pools_.erase(found);
}

std::string LoopMetrics::text() const {
  // The snapshot: per endpoint, totals plus what the live connections say.
  struct Row {
    Stats counters;
    size_t send_queue = 0, recv_queue = 0;
    std::array<uint64_t, kStateNames.size()> states{};
    PoolStats pool;
    std::array<uint64_t, kBreakerNames.size()> breakers{};
    bool has_pool = false;
  };
  std::map<std::string, Row> rows;
  std::vector<std::pair<std::string, std::weak_ptr<Connection>>> live;
  std::unique_lock<std::mutex> lock(mutex_);
  for (auto &[label, e] : endpoints_) {
    Row &row = rows[label];
    row.counters = e->retired;
    row.pool = e->removed_pools;
  }
  for (auto &[key, pool] : pools_) {
    Row &row = rows[pool.endpoint];
    const PoolStats s = pool.stats();
    add_pool_stats(row.pool, s);
    ++row.breakers[static_cast<size_t>(s.breaker)];
    row.has_pool = true;
  }
  live.reserve(live_.size());
  for (auto &[raw, entry] : live_) live.emplace_back(entry.endpoint, entry.conn);
  // Histograms and event counters are copied under the lock; connection
  // stats are read after it (each under its connection's lock), so a
  // scrape over many connections never holds up the loop's events.
  std::map<std::string, Endpoint> events;
  for (auto &[label, e] : endpoints_) events.emplace(label, *e);
  lock.unlock();
  for (auto &[label, weak] : live) {
    auto conn = weak.lock();
    if (!conn) continue;
    Row &row = rows[label];
    const Stats s = conn->stats();
    add_counters(row.counters, s);
    row.send_queue += s.send_queue_bytes;
    row.recv_queue += s.recv_queue_bytes;
    ++row.states[static_cast<size_t>(conn->state())];
  }

  Writer w;
  auto labels = [](const std::string &endpoint) {
    return "endpoint=\"" + escape_label(endpoint) + "\"";
  };
  w.family("wsc_connections", "gauge", "Connections on this loop by state.");
  for (auto &[label, row] : rows) {
    for (size_t i = 0; i < kStateNames.size(); ++i) {
      w.sample("wsc_connections", labels(label) + ",state=\"" + kStateNames[i] + "\"",
               row.states[i]);
    }
  }
  auto counter = [&](const char *name, const char *help, auto get) {
    w.family(name, "counter", help);
    for (auto &[label, row] : rows) w.sample(name, labels(label), get(row));
  };
  auto gauge = [&](const char *name, const char *help, auto get) {
    w.family(name, "gauge", help);
    for (auto &[label, row] : rows) w.sample(name, labels(label), get(row));
  };
  counter("wsc_connect_attempts_total", "Connection attempts started (each reconnect is one).",
          [](const Row &r) { return r.counters.connect_attempts; });
  w.family("wsc_opens_total", "counter", "Attempts that reached OPEN.");
  for (auto &[label, e] : events) w.sample("wsc_opens_total", labels(label), e.opens);
  auto by_status = [&](const char *name, const char *help,
                       const std::map<Status, uint64_t> Endpoint::*member) {
    w.family(name, "counter", help);
    for (auto &[label, e] : events) {
      for (auto &[status, n] : e.*member) {
        w.sample(name, labels(label) + ",status=\"" + status_name(status) + "\"", n);
      }
    }
  };
  by_status("wsc_errors_total",
            "Errors reported to connections (failed attempts, lost connections), by status.",
            &Endpoint::errors);
  by_status("wsc_rpc_calls_total",
            "RPC calls ended, by status (WSC_OK, WSC_EREMOTE, WSC_ETIMEDOUT, WSC_ECLOSED...).",
            &Endpoint::rpc_calls);
  counter("wsc_reconnects_total", "Reopens after a connection was lost.",
          [](const Row &r) { return r.counters.reconnects; });
  counter("wsc_messages_sent_total", "Messages written.",
          [](const Row &r) { return r.counters.msgs_sent; });
  counter("wsc_messages_received_total", "Messages received.",
          [](const Row &r) { return r.counters.msgs_received; });
  counter("wsc_bytes_sent_total", "Message payload bytes written, before compression.",
          [](const Row &r) { return r.counters.bytes_sent; });
  counter("wsc_bytes_received_total", "Message payload bytes received, after decompression.",
          [](const Row &r) { return r.counters.bytes_received; });
  counter("wsc_wire_bytes_sent_total", "Message payload bytes as framed on the wire.",
          [](const Row &r) { return r.counters.wire_bytes_sent; });
  counter("wsc_wire_bytes_received_total", "Message payload bytes as received on the wire.",
          [](const Row &r) { return r.counters.wire_bytes_received; });
  counter("wsc_send_discarded_total", "Queued messages never sent (the connection ended).",
          [](const Row &r) { return r.counters.send_discarded; });
  counter("wsc_recv_discarded_total", "Received messages dropped unread after our Close.",
          [](const Row &r) { return r.counters.recv_discarded; });
  gauge("wsc_send_queue_bytes", "Bytes waiting in send queues.",
        [](const Row &r) { return uint64_t(r.send_queue); });
  gauge("wsc_recv_queue_bytes", "Bytes waiting in pull-mode receive queues.",
        [](const Row &r) { return uint64_t(r.recv_queue); });

  auto histogram = [&](const char *name, const char *help, const Histogram Endpoint::*member) {
    w.family(name, "histogram", help);
    for (auto &[label, e] : events) {
      const Histogram &h = e.*member;
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h.bounds().size(); ++i) {
        cumulative += h.counts()[i];
        const double le = i < h.bounds().size() ? h.bounds()[i] : INFINITY;
        w.sample(std::string(name) + "_bucket", labels(label) + ",le=\"" + format_double(le) + "\"",
                 cumulative);
      }
      w.sample(std::string(name) + "_sum", labels(label), format_double(h.sum()));
      w.sample(std::string(name) + "_count", labels(label), h.count());
    }
  };
  histogram("wsc_rtt_seconds", "Heartbeat ping to pong round trips.", &Endpoint::rtt);
  histogram("wsc_handshake_seconds", "From the start of an attempt to OPEN (TCP, TLS, upgrade).",
            &Endpoint::handshake);

  // Pools: only endpoints that have (or had) one.
  std::map<std::string, Row> pooled;
  for (auto &[label, row] : rows) {
    if (row.has_pool || row.pool.opened || row.pool.open_failures) pooled.emplace(label, row);
  }
  w.family("wsc_pool_connections", "gauge", "Pooled connections by phase.");
  for (auto &[label, row] : pooled) {
    const std::pair<const char *, size_t> phases[] = {{"idle", row.pool.idle},
                                                      {"busy", row.pool.busy},
                                                      {"opening", row.pool.opening},
                                                      {"checking", row.pool.checking}};
    for (auto &[phase, n] : phases) {
      w.sample("wsc_pool_connections", labels(label) + ",phase=\"" + phase + "\"", uint64_t(n));
    }
  }
  w.family("wsc_pool_waiting", "gauge", "Acquires waiting for a connection.");
  for (auto &[label, row] : pooled)
    w.sample("wsc_pool_waiting", labels(label), uint64_t(row.pool.waiting));
  w.family("wsc_pool_breaker", "gauge", "Pools whose circuit breaker is in each state.");
  for (auto &[label, row] : pooled) {
    for (size_t i = 0; i < kBreakerNames.size(); ++i) {
      w.sample("wsc_pool_breaker", labels(label) + ",state=\"" + kBreakerNames[i] + "\"",
               row.breakers[i]);
    }
  }
  auto pool_counter = [&](const char *name, const char *help, uint64_t PoolStats::*member) {
    w.family(name, "counter", help);
    for (auto &[label, row] : pooled) w.sample(name, labels(label), row.pool.*member);
  };
  pool_counter("wsc_pool_opened_total", "Pool opens that succeeded.", &PoolStats::opened);
  pool_counter("wsc_pool_open_failures_total", "Pool opens that failed.",
               &PoolStats::open_failures);
  pool_counter("wsc_pool_replaced_total", "Pooled connections replaced (dead, failed, closed).",
               &PoolStats::replaced);
  pool_counter("wsc_pool_health_check_failures_total", "Health-check pings that failed.",
               &PoolStats::health_check_failures);
  pool_counter("wsc_pool_acquired_total", "Connections handed out.", &PoolStats::acquired);
  pool_counter("wsc_pool_acquire_timeouts_total", "Acquires whose wait ran out.",
               &PoolStats::acquire_timeouts);
  pool_counter("wsc_pool_discarded_messages_total", "Unread messages dropped at release.",
               &PoolStats::discarded_messages);
  pool_counter("wsc_pool_breaker_trips_total", "Times a breaker opened.",
               &PoolStats::breaker_trips);
  pool_counter("wsc_pool_breaker_rejections_total", "Acquires refused by an open breaker.",
               &PoolStats::breaker_rejections);
  return w.take();
}

}  // namespace wsc::detail
