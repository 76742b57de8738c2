// Benchmark client on the wsc C++ API (include/wsc/client.hpp). Protocol: bench_common.h.
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <wsc/client.hpp>

#include "bench_common.h"
#include "rpc_params.hpp"

namespace {

// The options every mode starts from: the bench certificate for wss, compression, resumption.
wsc::Options base_options(const bench_args &a) {
  wsc::Options o;
  if (a.ca) o.tls.ca_file = a.ca;
  o.tls.session_resumption = a.resume != 0;
  o.compression = a.deflate != 0;
  return o;
}

// WSC_BENCH_JSONRPC=1 (throughput): the fair baseline of the RPC layer (bench/rpc_run, row
// raw_json_wsc_cpp). Instead of the binary pattern, each message is the JSON-RPC request text
// bench-rpc-wsc-cpp sends for call seq, to wsc-bench-echo-beast --jsonrpc, and each answer
// must be its expected text byte for byte: {"id":N,"jsonrpc":"2.0","result":PARAMS}
// (nlohmann::json's dump sorts the keys). Both are encoded before the clock starts, so this
// client and the RPC one differ only by wsc's RPC layer (ids, correlation, deadlines, scanning
// the answers, completions), and the server does the same JSON work for both.
struct JsonRpcTexts {
  std::vector<std::string> requests, answers;

  explicit JsonRpcTexts(const bench_args &a) {
    for (uint64_t seq = 0; seq < static_cast<uint64_t>(a.count); ++seq) {
      const std::string id = std::to_string(seq + 1), params = rpc_params_of(seq, a.size);
      requests.push_back(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"echo","params":)" +
                         params + "}");
      answers.push_back(R"({"id":)" + id + R"(,"jsonrpc":"2.0","result":)" + params + "}");
    }
  }
};

// Payloads of 64 KiB and more go out with Client::send_shared, as a user
// sending large messages would: written from the bench's own buffers, not
// copied. Each message carries its sequence number, so a buffer is reused
// only once the library released it: it comes back here, and the one that
// came back last (the warmest) goes out next.
class SharedPayloads {
 public:
  static constexpr size_t kMinBytes = 64 * 1024;

  std::shared_ptr<const std::string> take(const std::vector<unsigned char> &pattern, uint64_t seq) {
    std::string *buffer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (free_.empty()) {
        all_.push_back(std::make_unique<std::string>(pattern.begin(), pattern.end()));
        free_.push_back(all_.back().get());
      }
      buffer = free_.back();
      free_.pop_back();
    }
    bench_set_seq(reinterpret_cast<unsigned char *>(buffer->data()), seq);
    return std::shared_ptr<const std::string>(buffer, [this](const std::string *done) {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(const_cast<std::string *>(done));
    });
  }

 private:
  std::mutex mu_;  // the library gives buffers back on its loop thread
  std::vector<std::unique_ptr<std::string>> all_;
  std::vector<std::string *> free_;
};

struct Run {
  const bench_args *a = nullptr;
  SharedPayloads *shared = nullptr;       // set for payloads of SharedPayloads::kMinBytes and more
  const JsonRpcTexts *jsonrpc = nullptr;  // WSC_BENCH_JSONRPC=1, else the binary pattern
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
      t_send[sent] = bench_now_ns();
      if (try_send_next() != wsc::Status::WSC_OK) {
        fprintf(stderr, "try_send failed\n");
        failed = true;
        done = true;
        cv.notify_all();
        return;
      }
      sent++;
    }
  }

  wsc::Status try_send_next() {
    if (jsonrpc) return client->try_send(wsc::MessageType::Text, jsonrpc->requests[sent]);
    if (shared) return client->try_send_shared(wsc::MessageType::Binary, shared->take(out, sent));
    bench_set_seq(out.data(), sent);
    return client->try_send(wsc::MessageType::Binary,
                            std::string_view(reinterpret_cast<char *>(out.data()), out.size()));
  }

  bool verify(std::string_view data) const {
    if (jsonrpc) return data == jsonrpc->answers[received];
    return bench_verify(data.data(), data.size(), a->size, received, pattern);
  }

  void on_message(std::string_view data) {
    const uint64_t now = bench_now_ns();
    std::lock_guard<std::mutex> lock(mu);
    if (done) return;
    if (!verify(data)) {
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
  SharedPayloads shared;  // outlives the loop: the library gives buffers back until it ends
  wsc::Loop loop;
  Scraper scraper(loop);
  Run r;
  r.a = &a;
  if (static_cast<size_t>(a.size) >= SharedPayloads::kMinBytes) r.shared = &shared;
  const char *jsonrpc_env = std::getenv("WSC_BENCH_JSONRPC");
  std::unique_ptr<JsonRpcTexts> jsonrpc;
  if (jsonrpc_env && std::atoi(jsonrpc_env) == 1) jsonrpc = std::make_unique<JsonRpcTexts>(a);
  r.jsonrpc = jsonrpc.get();
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
    const double cpu0 = bench_cpu_s();
    r.send_more();
    r.cv.wait(lock, [&] { return r.done; });
    bench_timed_cpu_s = bench_cpu_s() - cpu0;
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
  bench_result_msgs(jsonrpc ? "raw_json_wsc_cpp" : "wsc_cpp", &a, (r.t_end - t0) / 1e9,
                    r.rtt.data(), r.rtt.size(), static_cast<long>(r.received));
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

// --private-fds: gives the loop thread of `loop` a descriptor table of its
// own (Linux unshare(CLONE_FILES) on that thread), so that one process can
// hold more sockets than RLIMIT_NOFILE allows in one table: this sandbox's
// hard limit is 20,000 and raising it needs CAP_SYS_RESOURCE. Still one
// process (one PID, one address space). Safe here because no descriptor
// made after the split crosses threads in scale mode: the loop makes its
// sockets itself, and other threads reach it only through lws's wake-up
// pipe, made before (no pull-mode notify fd, no RPC queue). The thread runs
// the unshare in a callback of a connection refused at once, which holds no
// socket by then.
bool give_loop_its_own_descriptors(wsc::Loop &loop) {
  const int refuser = socket(AF_INET, SOCK_STREAM, 0);  // bound, never listening
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (refuser < 0 || bind(refuser, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 ||
      getsockname(refuser, reinterpret_cast<sockaddr *>(&sa), &len) != 0) {
    perror("private-fds: a port that refuses");
    if (refuser >= 0) close(refuser);
    return false;
  }
  std::promise<int> split;
  wsc::Options o;
  o.reconnect = false;
  wsc::Callbacks cb;
  cb.on_close = [&](int, std::string_view) {
    split.set_value(unshare(CLONE_FILES) == 0 ? 0 : errno);
  };
  const std::string url = "ws://127.0.0.1:" + std::to_string(ntohs(sa.sin_port)) + "/";
  int err = 0;
  {
    wsc::Client refused(loop, url, o, std::move(cb));
    err = split.get_future().get();
  }
  close(refuser);
  if (err) fprintf(stderr, "private-fds: unshare(CLONE_FILES): %s\n", strerror(err));
  return err == 0;
}

// Scale: a.conns idle connections spread round-robin over the URLs of a.url
// (comma-separated: several server ports give the 4-tuple space beyond one
// port's ~28,000 ephemeral ports) and over a.loops loops (one lws context and
// thread each, so no poll() covers every socket of the process).
int run_scale(const bench_args &a) {
  // With a table per loop, each holds its share (lws sizes each loop's fd
  // table from the soft limit when the loop starts).
  bench_raise_nofile(a.private_fds ? (a.conns + a.loops - 1) / a.loops : a.conns);
  const std::vector<std::string> urls = split_urls(a.url);
  std::vector<std::unique_ptr<wsc::Loop>> loops;
  for (int i = 0; i < a.loops; i++) {
    loops.push_back(std::make_unique<wsc::Loop>());
    if (a.private_fds && !give_loop_its_own_descriptors(*loops.back())) return 1;
  }
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
