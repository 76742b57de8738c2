// Soak: 1,000 connections on one loop, echoing sequence-numbered messages
// of random sizes sent from several threads, while the server drops random
// connections (TCP drop or Close 1011), is killed and restarted, and
// callbacks free their own connections (which the main thread replaces).
// At the end: the guarantee of echo_ledger.hpp held on every connection,
// RSS grew less than a fixed bound, and descriptors and threads are back to
// where they were. Run in the ASan build in CI (zero sanitizer reports).
//
// WSC_SOAK_SECONDS (default 60) sets the length of the chaos phase,
// WSC_SOAK_CONNS (default 1000) the number of connections, WSC_SOAK_RATE
// (default 1000) the messages per second over all of them.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "echo_ledger.hpp"
#include "fixtures.hpp"

// ASan keeps 256 MiB of freed memory in quarantine by default, which would
// read as RSS growth; a small quarantine still catches use-after-free of
// recent blocks, and the environment's ASAN_OPTIONS still win.
extern "C" const char *__asan_default_options() { return "quarantine_size_mb=16"; }

namespace wsc::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

long env_or(const char *name, long fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

size_t count_entries(const char *dir) {
  size_t n = 0;
  if (DIR *d = ::opendir(dir)) {
    while (const dirent *e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}
size_t open_fds() { return count_entries("/proc/self/fd") - 1; }  // less opendir's own
size_t threads() { return count_entries("/proc/self/task"); }

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// How many messages each connection may have unanswered since its latest
// open; a break then loses at most 2 windows (the old one still queued
// plus the new one).
constexpr uint64_t kWindow = 3;
constexpr size_t kSenders = 4;
// Every kBulkEvery-th connection also sends messages of several fragments.
constexpr size_t kBulkEvery = 20;
// RSS may grow this much between the end of the ramp-up and the end of the
// chaos (measured: see docs/RELIABILITY.md).
constexpr long kRssGrowthBoundKiB = 64 * 1024;

struct Slot {
  std::mutex mu;  // guards client and ledger
  std::unique_ptr<Client> client;
  std::shared_ptr<EchoLedger> ledger;
};

class Soak {
 public:
  Soak(int conns, int port) : port_(port), slots_(conns) {
    for (auto &s : slots_) s = std::make_unique<Slot>();
    options_.reconnect = true;
    options_.reconnect_min = milliseconds(100);
    options_.reconnect_max = milliseconds(2000);
    options_.connect_timeout = seconds(10);
    options_.ping_interval = seconds(2);
    options_.pong_timeout = seconds(10);  // two busy cores under ASan
  }

  // Opens every slot without a client (all at first; then those freed).
  void fill_slots() {
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot &s = *slots_[i];
      std::lock_guard<std::mutex> lock(s.mu);
      if (s.client) continue;
      s.ledger = std::make_shared<EchoLedger>(next_stream_++);
      s.client = std::make_unique<Client>(*loop_, ws_url(port_), options_, callbacks(i, s.ledger));
    }
  }

  void start_senders(int msgs_per_s) {
    for (size_t k = 0; k < kSenders; ++k) {
      senders_.emplace_back([this, k, msgs_per_s] { send_loop(k, msgs_per_s); });
    }
  }
  void stop_senders() {
    stop_ = true;
    for (auto &t : senders_) t.join();
    senders_.clear();
  }

  // With the senders stopped: waits until every connection is open and has
  // its newest message back. Where the newest ones went down with the last
  // connection (nothing unanswered since the open), a probe message proves
  // the new one works.
  size_t wait_settled(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      fill_slots();
      size_t pending = 0;
      for (auto &s : slots_) {
        std::lock_guard<std::mutex> lock(s->mu);
        if (!s->client || s->client->state() != State::Open) {
          ++pending;
        } else if (!s->ledger->caught_up()) {
          ++pending;
          if (s->ledger->outstanding() == 0) send_one(*s, 16);
        }
      }
      if (pending == 0) return 0;
      if (Clock::now() > deadline) {
        describe_unsettled();
        return pending;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  // What the first few connections that did not settle are doing.
  void describe_unsettled() {
    int shown = 0;
    for (auto &s : slots_) {
      std::lock_guard<std::mutex> lock(s->mu);
      if (!s->client) continue;
      const State st = s->client->state();
      if (st == State::Open && s->ledger->caught_up()) continue;
      if (shown++ == 5) break;
      const auto sum = s->ledger->summary();
      const Stats stats = s->client->stats();
      std::string detail;
      const Status last = s->client->last_error(detail);
      std::fprintf(stderr,
                   "unsettled: state %d, accepted %llu, echoed %llu, opens %llu, written %llu, "
                   "queued %zu bytes, attempts %llu, last error %s: %s\n",
                   static_cast<int>(st), static_cast<unsigned long long>(sum.accepted),
                   static_cast<unsigned long long>(sum.echoed),
                   static_cast<unsigned long long>(sum.opens),
                   static_cast<unsigned long long>(stats.msgs_sent), stats.send_queue_bytes,
                   static_cast<unsigned long long>(stats.connect_attempts), status_text(last),
                   detail.c_str());
    }
  }

  // Closes every connection cleanly and checks each ledger against the
  // final stats; then frees them all and the loop.
  void close_and_check() {
    closing_ = true;
    // A barrier: a free that took its slot's lock before closing_ was set
    // has finished; later ones see closing_ and leave the client alone.
    for (auto &s : slots_) {
      std::lock_guard<std::mutex> barrier(s->mu);
    }
    for (auto &s : slots_) s->client->close(1000, "soak done");
    size_t unclean = 0;
    for (auto &s : slots_) {
      const Status st = s->client->wait(State::Closed, seconds(30));
      if (st != Status::WSC_OK && unclean++ < 5) {
        ADD_FAILURE() << "close ended with " << status_text(st);
      }
      const Stats stats = s->client->stats();
      s->ledger->check_closed(stats);
      if (stats.send_discarded) ADD_FAILURE() << "settled, yet discarded at close";
      retire(s->ledger);
      s->client.reset();
    }
    EXPECT_EQ(unclean, 0u);
    loop_.reset();
  }

  // Every ledger's violations, plus the bound on losses per break.
  void check_ledgers() {
    std::lock_guard<std::mutex> lock(retired_mu_);
    size_t reported = 0;
    for (const auto &l : retired_) {
      auto v = l->violations();
      const auto s = l->summary();
      if (s.opens > 1 && s.lost_at_breaks > 2 * kWindow * (s.opens - 1)) {
        v.push_back("lost " + std::to_string(s.lost_at_breaks) + " over " +
                    std::to_string(s.opens - 1) + " breaks, more than 2 windows each");
      } else if (s.opens <= 1 && s.lost_at_breaks) {
        v.push_back("lost messages without a break");
      }
      for (const auto &what : v) {
        if (reported++ < 30) ADD_FAILURE() << what;
      }
      totals_.accepted += s.accepted;
      totals_.echoed += s.echoed;
      totals_.lost_at_breaks += s.lost_at_breaks;
      totals_.opens += s.opens;
    }
    EXPECT_EQ(reported, 0u) << "violations in total";
  }

  std::string report() const {
    std::string errors;
    {
      std::lock_guard<std::mutex> lock(retired_mu_);
      for (const auto &[status, n] : errors_) {
        errors += std::string(" ") + status_text(status) + "=" + std::to_string(n);
      }
    }
    return "connections " + std::to_string(retired_.size()) + " (freed in callbacks " +
           std::to_string(frees_.load()) + "), accepted " + std::to_string(totals_.accepted) +
           ", echoed " + std::to_string(totals_.echoed) + ", lost at breaks " +
           std::to_string(totals_.lost_at_breaks) + ", opens " + std::to_string(totals_.opens) +
           ", errors:" + errors;
  }
  uint64_t early_closes() const { return early_closes_; }
  ~Soak() {
    if (!senders_.empty()) stop_senders();
  }

 private:
  Callbacks callbacks(size_t index, const std::shared_ptr<EchoLedger> &ledger) {
    Callbacks cb;
    std::weak_ptr<EchoLedger> weak = ledger;
    cb.on_open = [ledger] { ledger->opened(); };
    cb.on_message = [this, index, ledger](MessageType, std::string_view data) {
      ledger->echoed(data);
      if (loop_rng_() % 1000 == 0) free_in_callback(index, ledger);
    };
    cb.on_error = [this, index, ledger](Status st, std::string_view) {
      {
        std::lock_guard<std::mutex> lock(retired_mu_);
        ++errors_[st];
      }
      // Also free while reconnecting, not only while open.
      if (loop_rng_() % 20 == 0) free_in_callback(index, ledger);
    };
    cb.on_close = [this](int code, std::string_view reason) {
      if (!closing_ && early_closes_++ < 5) {
        std::fprintf(stderr, "soak: a connection ended for good: %d %.*s\n", code,
                     static_cast<int>(reason.size()), reason.data());
      }
    };
    return cb;
  }

  // Runs on the loop thread, inside the connection's own callback.
  void free_in_callback(size_t index, const std::shared_ptr<EchoLedger> &ledger) {
    std::unique_ptr<Client> doomed;
    {
      Slot &s = *slots_[index];
      std::lock_guard<std::mutex> lock(s.mu);
      if (s.ledger != ledger || closing_) return;  // replaced, or the end has begun
      doomed = std::move(s.client);
    }
    retire(ledger);
    ++frees_;
    doomed.reset();  // the API promises this is safe here
  }

  void retire(const std::shared_ptr<EchoLedger> &ledger) {
    std::lock_guard<std::mutex> lock(retired_mu_);
    retired_.push_back(ledger);
  }

  // The slot's lock held; one sending thread at a time per slot.
  static bool send_one(Slot &s, size_t size) {
    const uint64_t seq = s.ledger->next_seq();
    s.ledger->accepted(seq);
    if (s.client->try_send(MessageType::Binary, s.ledger->payload(seq, size)) == Status::WSC_OK) {
      return true;
    }
    s.ledger->refused(seq);
    return false;
  }

  void send_loop(size_t k, int msgs_per_s) {
    std::mt19937 rng(static_cast<uint32_t>(100 + k));
    std::uniform_real_distribution<double> log_size(std::log(16.0), std::log(64.0 * 1024));
    std::uniform_int_distribution<size_t> big(256 * 1024, 600 * 1024);  // > one fragment
    const auto period = std::chrono::microseconds(1000000 * kSenders / msgs_per_s);
    auto next = Clock::now();
    while (!stop_) {
      for (size_t i = k; i < slots_.size() && !stop_; i += kSenders) {
        Slot &s = *slots_[i];
        std::lock_guard<std::mutex> lock(s.mu);
        if (!s.client || s.ledger->outstanding() >= kWindow) continue;
        // Multi-fragment messages only on the bulk connections: a
        // connection keeps up to 1 MiB of receive buffer by design, and on
        // all 1,000 that would hide a leak in RSS.
        const bool bulk = i % kBulkEvery == 0 && rng() % 10 == 0;
        const size_t size = bulk ? big(rng) : size_t(std::exp(log_size(rng)));
        if (!send_one(s, size)) continue;
        next += period;
        std::this_thread::sleep_until(next);
      }
      // Everyone at their window: wait for echoes instead of spinning.
      if (Clock::now() > next) {
        std::this_thread::sleep_for(milliseconds(5));
        next = Clock::now();
      }
    }
  }

  const int port_;
  Options options_;
  std::unique_ptr<Loop> loop_ = std::make_unique<Loop>();
  std::vector<std::unique_ptr<Slot>> slots_;
  uint32_t next_stream_ = 0;
  std::mt19937 loop_rng_{5};  // loop thread only
  std::vector<std::thread> senders_;
  std::atomic<bool> stop_{false}, closing_{false};
  std::atomic<uint64_t> frees_{0}, early_closes_{0};
  mutable std::mutex retired_mu_;
  std::vector<std::shared_ptr<EchoLedger>> retired_;
  std::map<Status, uint64_t> errors_;
  EchoLedger::Summary totals_;
};

// Waits (up to 10 s) for threads that are still finishing to go.
size_t threads_settled(size_t want) {
  for (int i = 0; i < 100 && threads() > want; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  return threads();
}

TEST(Soak, ThousandConnectionsUnderDropsRestartsAndFrees) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 8192);
  setrlimit(RLIMIT_NOFILE, &lim);
  const int conns = static_cast<int>(env_or("WSC_SOAK_CONNS", 1000));
  const auto chaos = seconds(env_or("WSC_SOAK_SECONDS", 60));
  const int rate = static_cast<int>(env_or("WSC_SOAK_RATE", 1000));
  ASSERT_GE(lim.rlim_cur, static_cast<rlim_t>(2 * conns + 200)) << "raise ulimit -n";

  // Baseline after one whole client life, so process-wide singletons that
  // the first use creates are already there.
  {
    auto peer = start_python_echo();
    Loop loop;
    Recorder rec;
    Client c(loop, ws_url(peer->port()), Options{}, rec.callbacks());
    c.send_text("warm-up");
    ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
    c.close();
    ASSERT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  }
  std::this_thread::sleep_for(milliseconds(500));  // for exiting threads to go
  const size_t fds0 = open_fds(), threads0 = threads();

  std::mt19937 rng(42);
  auto drops = [&] {
    return std::vector<std::string>{"--random-drops", "0.002", "--seed", std::to_string(rng())};
  };
  auto server = start_python_echo(drops());
  const int port = server->port();
  auto restart = [&](std::vector<std::string> args) {
    server->kill_now();
    server.reset();
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<>(100, 1500)(rng)));
    args.insert(args.begin(), {"--port", std::to_string(port)});
    server = start_python_echo(args);
  };

  int restarts = 0;
  long rss_ramped = 0, rss_peak = 0;
  {
    Soak soak(conns, port);
    soak.fill_slots();
    soak.start_senders(rate);
    const auto t0 = Clock::now();
    auto next_restart = t0 + seconds(std::uniform_int_distribution<>(10, 20)(rng));
    // RSS is measured from here: connections open, buffers warmed up.
    const auto ramped = t0 + chaos / 4;
    auto next_sample = t0;
    std::string rss_timeline;  // MiB every 5 s, for the report
    while (Clock::now() - t0 < chaos) {
      std::this_thread::sleep_for(milliseconds(50));
      soak.fill_slots();
      if (!rss_ramped && Clock::now() >= ramped) rss_ramped = rss_kib();
      rss_peak = std::max(rss_peak, rss_kib());
      if (Clock::now() >= next_sample) {
        rss_timeline += " " + std::to_string(rss_kib() / 1024);
        next_sample += seconds(5);
      }
      if (Clock::now() >= next_restart && Clock::now() - t0 < chaos - seconds(10)) {
        restart(drops());
        ++restarts;
        next_restart = Clock::now() + seconds(std::uniform_int_distribution<>(10, 20)(rng));
      }
    }
    soak.stop_senders();
    const long rss_end = rss_kib();
    // Settle without drops: every connection must come back and catch up.
    restart({});
    ++restarts;
    EXPECT_EQ(soak.wait_settled(seconds(60)), 0u) << "connections not open and caught up";
    soak.close_and_check();
    soak.check_ledgers();
    EXPECT_EQ(soak.early_closes(), 0u) << "connections ended for good despite reconnect";
    std::printf("soak %llds: %s; server restarts %d\n", static_cast<long long>(chaos.count()),
                soak.report().c_str(), restarts);
    std::printf(
        "RSS: %ld KiB after ramp-up, %ld KiB at end of chaos, peak %ld KiB; MiB every 5 s:%s\n",
        rss_ramped, rss_end, rss_peak, rss_timeline.c_str());
    EXPECT_LE(rss_end - rss_ramped, kRssGrowthBoundKiB);
  }
  server.reset();
  EXPECT_EQ(open_fds(), fds0) << "descriptors leaked";
  EXPECT_EQ(threads_settled(threads0), threads0) << "threads left running";
}

}  // namespace
}  // namespace wsc::testing
