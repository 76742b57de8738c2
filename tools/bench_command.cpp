// `wsc bench [URL]`: echo round trips as fast as each connection allows (one
// message in flight per connection, the next sent from the echo's callback),
// with a live progress line (rate, RTT percentiles, errors) on a terminal and
// one plain line per interval otherwise. Without a URL it benchmarks the
// in-process echo server. A quick look, not a replacement for bench/.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <wsc/client.hpp>

#include "bench_meter.hpp"
#include "cli_args.hpp"
#include "commands.hpp"
#include "echo_server.hpp"
#include "signals.hpp"

namespace wsc::cli {
namespace {

using Clock = std::chrono::steady_clock;

// One benchmark connection. sent_at is written by the main thread before the
// first send, then only on the loop thread, after the echo of the last one.
struct BenchConn {
  std::unique_ptr<wsc::Client> client;
  Clock::time_point sent_at;
};

struct Shared {
  BenchMeter meter;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> open{0};
  std::string payload;
};

wsc::Callbacks bench_callbacks(BenchConn *conn, Shared &sh) {
  wsc::Callbacks cb;
  cb.on_state = [&sh](wsc::State from, wsc::State to) {
    if (to == wsc::State::Open) ++sh.open;
    if (from == wsc::State::Open) --sh.open;
  };
  cb.on_message = [conn, &sh](wsc::MessageType, std::string_view) {
    const auto now = Clock::now();
    sh.meter.record(std::chrono::duration_cast<std::chrono::microseconds>(now - conn->sent_at));
    if (sh.stopping.load()) return;
    conn->sent_at = now;
    if (conn->client->try_send(wsc::MessageType::Text, sh.payload) != wsc::Status::WSC_OK)
      sh.meter.error();
  };
  cb.on_error = [&sh](wsc::Status, std::string_view) { sh.meter.error(); };
  return cb;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int run_bench(const std::vector<std::string> &args) {
  const BenchArgs a = parse_bench_args(args);
  std::unique_ptr<wsc::server::EchoServer> server;
  std::string url = a.url;
  if (url.empty()) {
    try {
      server = std::make_unique<wsc::server::EchoServer>();
    } catch (const std::exception &e) {
      std::fprintf(stderr, "wsc bench: could not start the echo server: %s\n", e.what());
      return 1;
    }
    url = server->url() + "/";
  }
  std::printf("bench: %s, %llu connection%s, %llu-byte text messages, %.1f s\n", url.c_str(),
              static_cast<unsigned long long>(a.connections), a.connections == 1 ? "" : "s",
              static_cast<unsigned long long>(a.size), seconds(a.duration));
  std::fflush(stdout);

  std::mutex m;
  std::condition_variable wake;
  bool interrupted = false;
  SignalWatcher watcher([&](int, int) {
    std::lock_guard<std::mutex> lock(m);
    interrupted = true;
    wake.notify_all();
  });

  wsc::Loop loop;
  Shared sh;
  sh.payload.assign(a.size, 'x');
  std::vector<std::unique_ptr<BenchConn>> conns;
  for (uint64_t i = 0; i < a.connections; ++i) {
    auto c = std::make_unique<BenchConn>();
    try {
      c->client = std::make_unique<wsc::Client>(loop, url, a.options, bench_callbacks(c.get(), sh));
    } catch (const wsc::Error &e) {
      if (e.status() == wsc::Status::WSC_EINVAL) throw UsageError(e.what());
      std::fprintf(stderr, "wsc bench: %s\n", e.what());
      return 1;
    }
    conns.push_back(std::move(c));
  }
  size_t started = 0;
  for (auto &c : conns) {
    const wsc::Status st = c->client->wait(wsc::State::Open, a.options.connect_timeout);
    if (st != wsc::Status::WSC_OK) {
      std::string detail;
      c->client->last_error(detail);
      std::fprintf(stderr, "wsc bench: a connection did not open: %s%s%s\n", wsc::status_text(st),
                   detail.empty() ? "" : ": ", detail.c_str());
      continue;
    }
    c->sent_at = Clock::now();
    if (c->client->try_send(wsc::MessageType::Text, sh.payload) == wsc::Status::WSC_OK) ++started;
  }
  if (started == 0) {
    std::fprintf(stderr, "wsc bench: no connection opened\n");
    return 1;
  }

  ProgressLine progress(isatty(STDOUT_FILENO) == 1);
  const auto start = Clock::now();
  const auto end = start + a.duration;
  auto period_start = start;
  for (;;) {
    const auto next = std::min(period_start + a.interval, end);
    {
      std::unique_lock<std::mutex> lock(m);
      wake.wait_until(lock, next, [&] { return interrupted; });
    }
    const auto now = Clock::now();
    progress.show(seconds(now - start), seconds(now - period_start),
                  summarize(sh.meter.take_period()), sh.meter.errors(), sh.open.load(),
                  conns.size());
    period_start = now;
    std::lock_guard<std::mutex> lock(m);
    if (interrupted || now >= end) break;
  }
  const double elapsed = seconds(Clock::now() - start);
  sh.stopping = true;
  progress.finish();
  for (auto &c : conns) c->client->try_close(1000, "bench done");
  for (auto &c : conns) c->client->wait(wsc::State::Closed, wsc::Millis{2000});

  const RttSummary total = summarize(sh.meter.all());
  const uint64_t errors = sh.meter.errors();
  std::printf(
      "bench: %llu round trips in %.1f s: %.0f msg/s, rtt p50 %.3f ms, p99 %.3f ms, max %.3f ms, "
      "errors %llu\n",
      static_cast<unsigned long long>(total.count), elapsed,
      elapsed > 0 ? static_cast<double>(total.count) / elapsed : 0.0, total.p50_ms, total.p99_ms,
      total.max_ms, static_cast<unsigned long long>(errors));
  return errors == 0 && total.count > 0 ? 0 : 1;
}

}  // namespace wsc::cli
