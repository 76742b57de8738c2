// Benchmark client on the wsc C++ API (include/wsc/client.hpp). Protocol: bench_common.h.
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <wsc/client.hpp>

#include "bench_common.h"

namespace {

// The options every mode starts from: the bench certificate for wss, compression, resumption.
wsc::Options base_options(const bench_args &a) {
  wsc::Options o;
  if (a.ca) o.tls.ca_file = a.ca;
  o.tls.session_resumption = a.resume != 0;
  o.compression = a.deflate != 0;
  return o;
}

struct Run {
  const bench_args *a = nullptr;
  unsigned char *pattern = nullptr;
  std::vector<unsigned char> out;  // scratch for the next message
  std::vector<uint64_t> t_send, rtt;
  wsc::Client *client = nullptr;
  std::mutex mu;  // serialises "assign a sequence number + send" between the two threads
  std::condition_variable cv;
  uint64_t sent = 0, received = 0;
  uint64_t t_end = 0;
  bool done = false, failed = false;

  // Called with mu held.
  void send_more() {
    while (sent < static_cast<uint64_t>(a->count) &&
           sent - received < static_cast<uint64_t>(a->window)) {
      bench_set_seq(out.data(), sent);
      t_send[sent] = bench_now_ns();
      if (client->try_send(wsc::MessageType::Binary,
                           std::string_view(reinterpret_cast<char *>(out.data()), out.size())) !=
          wsc::Status::WSC_OK) {
        fprintf(stderr, "try_send failed\n");
        failed = true;
        done = true;
        cv.notify_all();
        return;
      }
      sent++;
    }
  }

  void on_message(std::string_view data) {
    const uint64_t now = bench_now_ns();
    std::lock_guard<std::mutex> lock(mu);
    if (done) return;
    if (!bench_verify(data.data(), data.size(), a->size, received, pattern)) {
      failed = true;
      done = true;
      cv.notify_all();
      return;
    }
    rtt[received] = now - t_send[received];
    received++;
    if (received == static_cast<uint64_t>(a->count)) {
      t_end = now;
      done = true;
      cv.notify_all();
      return;
    }
    send_more();
  }
};

// WSC_BENCH_SCRAPE_MS=N: another thread reads the loop's metrics every N ms
// during the run, as a Prometheus scrape would (README.md "Metrics and
// logging" has the measurement).
struct Scraper {
  explicit Scraper(wsc::Loop &loop) {
    const char *env = std::getenv("WSC_BENCH_SCRAPE_MS");
    const int ms = env ? std::atoi(env) : 0;
    if (ms <= 0) return;
    thread = std::thread([this, &loop, ms] {
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop; })) {
        lock.unlock();
        bytes += loop.metrics_text().size();
        ++scrapes;
        lock.lock();
      }
    });
  }
  ~Scraper() {
    if (!thread.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    thread.join();
    fprintf(stderr, "scrapes: %lu (%lu bytes)\n", scrapes, bytes);
  }
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  unsigned long scrapes = 0, bytes = 0;
  std::thread thread;
};

int run_messages(const bench_args &a) {
  wsc::Loop loop;
  Scraper scraper(loop);
  Run r;
  r.a = &a;
  r.pattern = bench_payload(&a);
  r.out.assign(r.pattern, r.pattern + a.size);
  r.t_send.assign(a.count, 0);
  r.rtt.assign(a.count, 0);
  wsc::Callbacks cb;
  cb.on_message = [&r](wsc::MessageType, std::string_view d) { r.on_message(d); };
  cb.on_close = [&r](int code, std::string_view) {
    std::lock_guard<std::mutex> lock(r.mu);
    if (!r.done) {
      fprintf(stderr, "closed early (code %d)\n", code);
      r.failed = r.done = true;
      r.cv.notify_all();
    }
  };
  wsc::Options o = base_options(a);
  o.max_message_bytes = std::max<size_t>(o.max_message_bytes, a.size + 1024);
  wsc::Client client(loop, a.url, o, cb);
  if (client.wait(wsc::State::Open, wsc::Millis{10000}) != wsc::Status::WSC_OK) {
    fprintf(stderr, "open failed\n");
    return 1;
  }
  uint64_t t0;
  {
    std::unique_lock<std::mutex> lock(r.mu);
    r.client = &client;
    t0 = bench_now_ns();
    r.send_more();
    r.cv.wait(lock, [&] { return r.done; });
  }
  if (r.failed) return 1;
  if (a.deflate) {
    // The compression ratio each way (payload bytes on the wire / before).
    const wsc::Stats s = client.stats();
    fprintf(stderr, "wire: sent %llu of %llu payload bytes (%.3f), received %llu of %llu (%.3f)\n",
            static_cast<unsigned long long>(s.wire_bytes_sent),
            static_cast<unsigned long long>(s.bytes_sent),
            s.bytes_sent ? static_cast<double>(s.wire_bytes_sent) / s.bytes_sent : 0.0,
            static_cast<unsigned long long>(s.wire_bytes_received),
            static_cast<unsigned long long>(s.bytes_received),
            s.bytes_received ? static_cast<double>(s.wire_bytes_received) / s.bytes_received : 0.0);
  }
  client.close();
  client.wait(wsc::State::Closed, wsc::Millis{5000});
  bench_result_msgs("wsc_cpp", &a, (r.t_end - t0) / 1e9, r.rtt.data(), r.rtt.size(),
                    static_cast<long>(r.received));
  free(r.pattern);
  return 0;
}

// Sequential open + clean close, each next connection started from the
// previous one's on_close: event-driven on the loop thread, like the raw lws
// and Beast clients (a thread blocking in wait() adds two thread hand-offs
// per step; docs/BENCHMARKS.md gives both figures).
struct ConnectChain {
  wsc::Loop *loop = nullptr;
  const bench_args *a = nullptr;
  std::vector<uint64_t> lat;
  std::unique_ptr<wsc::Client> current;
  uint64_t started = 0;
  long done = 0, resumed = 0;  // resumed: wss handshakes that resumed a TLS session
  bool finished = false, failed = false;
  std::mutex mu;  // the first connect starts on main; callbacks may run before it returns
  std::condition_variable cv;

  void finish(bool ok) {
    failed = !ok;
    finished = true;
    cv.notify_all();
  }

  // Called with mu held.
  void start_next() {
    started = bench_now_ns();
    wsc::Callbacks cb;
    cb.on_open = [this] {
      std::lock_guard<std::mutex> lock(mu);
      resumed += current->tls_info().resumed;
      current->close();
    };
    cb.on_error = [this](wsc::Status, std::string_view detail) {
      std::lock_guard<std::mutex> lock(mu);
      fprintf(stderr, "connect %ld: %.*s\n", done, static_cast<int>(detail.size()), detail.data());
      finish(false);
    };
    cb.on_close = [this](int code, std::string_view) {
      std::lock_guard<std::mutex> lock(mu);
      if (finished) return;
      if (code != 1000) {
        fprintf(stderr, "close %ld not clean: %d\n", done, code);
        return finish(false);
      }
      lat[done++] = bench_now_ns() - started;
      if (done == a->count) return finish(true);
      start_next();  // frees the previous Client, inside its own on_close
    };
    current = std::make_unique<wsc::Client>(*loop, a->url, base_options(*a), cb);
  }
};

int run_connect(const bench_args &a) {
  wsc::Loop loop;
  ConnectChain chain;
  chain.loop = &loop;
  chain.a = &a;
  chain.lat.resize(a.count);
  const uint64_t t0 = bench_now_ns();
  std::unique_lock<std::mutex> lock(chain.mu);
  chain.start_next();
  chain.cv.wait(lock, [&] { return chain.finished; });
  const double secs = (bench_now_ns() - t0) / 1e9;
  // Freed without mu held: a callback running now may be waiting for it.
  auto last = std::move(chain.current);
  lock.unlock();
  last.reset();
  if (chain.failed) return 1;
  // Resumption on, wss: every handshake after the first must have resumed, or the cell lies.
  if (a.resume && std::string_view(a.url).substr(0, 4) == "wss:" && chain.resumed < a.count - 1) {
    fprintf(stderr, "only %ld of %ld handshakes resumed\n", chain.resumed, a.count);
    return 1;
  }
  bench_result_msgs("wsc_cpp", &a, secs, chain.lat.data(), chain.lat.size(), a.count);
  return 0;
}

std::vector<std::string> split_urls(const char *list) {
  std::vector<std::string> urls;
  std::string_view rest(list);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    urls.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return urls;
}

// Scale: a.conns idle connections spread round-robin over the URLs of a.url
// (comma-separated: several server ports give the 4-tuple space beyond one
// port's ~28,000 ephemeral ports) and over a.loops loops (one lws context and
// thread each, so no poll() covers every socket of the process).
int run_scale(const bench_args &a) {
  bench_raise_nofile(a.conns);
  const std::vector<std::string> urls = split_urls(a.url);
  std::vector<std::unique_ptr<wsc::Loop>> loops;
  for (int i = 0; i < a.loops; i++) loops.push_back(std::make_unique<wsc::Loop>());
  std::atomic<long> opened{0};
  std::atomic<long> closed{0};
  std::atomic<long> failed{0};
  std::atomic<bool> closing{false};
  wsc::Options o = base_options(a);
  o.ping_interval = wsc::Millis{a.ping_ms};
  o.connect_timeout = wsc::Millis{30000};
  o.reconnect = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const long rss0 = bench_rss_kb();
  std::mutex mu;  // declared before clients: their callbacks use it until they are destroyed
  std::condition_variable cv;
  std::string first_error;
  std::vector<std::unique_ptr<wsc::Client>> clients;
  clients.reserve(a.conns);
  uint64_t t_all = 0;
  const uint64_t t0 = bench_now_ns();
  for (int i = 0; i < a.conns; i++) {
    wsc::Callbacks cb;
    cb.on_open = [&] {
      if (opened.fetch_add(1) + 1 == a.conns) {
        std::lock_guard<std::mutex> lock(mu);
        t_all = bench_now_ns();
        cv.notify_all();
      }
    };
    cb.on_error = [&](wsc::Status, std::string_view detail) {
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.empty()) first_error = std::string(detail);
    };
    cb.on_close = [&](int, std::string_view) {
      if (!closing) failed.fetch_add(1);
      closed.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    };
    clients.push_back(std::make_unique<wsc::Client>(*loops[i % a.loops], urls[i % urls.size()], o,
                                                    std::move(cb)));
  }
  auto report_failure = [&](const char *what) {
    std::lock_guard<std::mutex> lock(mu);
    fprintf(stderr, "scale: %s: %ld of %d opened, %ld failed (first error: %s)\n", what,
            opened.load(), a.conns, failed.load(), first_error.c_str());
    return 1;
  };
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return t_all != 0 || failed > 0; });
  }
  if (t_all == 0 || failed > 0) return report_failure("open");
  const double open_s = (t_all - t0) / 1e9;
  const long rss1 = bench_rss_kb();
  if (getenv("WSC_BENCH_HEAP")) {
    const struct mallinfo2 mi = mallinfo2();
    fprintf(stderr, "heap in use %.1f MiB (%.0f B per connection), arena %.1f MiB, mmap %.1f MiB\n",
            mi.uordblks / 1048576.0, double(mi.uordblks) / a.conns, mi.arena / 1048576.0,
            mi.hblkhd / 1048576.0);
  }
  const double c0 = bench_cpu_s();
  const uint64_t w0 = bench_now_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(a.idle_ms));
  const double cpu = bench_cpu_s() - c0;
  const double wall = (bench_now_ns() - w0) / 1e9;
  if (failed > 0) return report_failure("idle");
  // Close every connection with the closing handshake, then wait for all.
  closing = true;
  const uint64_t tc = bench_now_ns();
  for (auto &c : clients) c->try_close(1000, "");
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return closed.load() == a.conns; });
  }
  const double close_s = (bench_now_ns() - tc) / 1e9;
  if (closed.load() != a.conns) return report_failure("close");
  bench_result_scale("wsc_cpp", &a, open_s, rss0, rss1, cpu, wall, opened.load(), close_s);
  clients.clear();
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  bench_args a;
  bench_parse(argc, argv, &a);
  try {
    switch (a.mode) {
      case BENCH_CONNECT:
        return run_connect(a);
      case BENCH_SCALE:
        return run_scale(a);
      default:
        return run_messages(a);
    }
  } catch (const std::exception &e) {
    fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
