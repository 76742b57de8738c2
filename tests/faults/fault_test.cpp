// Echo traffic with reconnect on, through faults on a real network path:
// 5% packet loss, 200 ms +- 50 ms latency, a link down for 10 s, and a
// server frozen with SIGSTOP. Run by netns_run.sh inside a network namespace
// of its own, so the nftables rules here drop only this test's packets.
//
// Each test checks the guarantee of echo_ledger.hpp (nothing duplicated,
// reordered or corrupted; messages go missing only where a connection
// broke; every accepted message written or counted discarded), and how
// fast the heartbeat notices a dead path or peer.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "delay_relay.hpp"
#include "echo_ledger.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The heartbeat every test uses: a dead path must be noticed within
// kPing + kPong, plus scheduling slack.
constexpr milliseconds kPing{1000};
constexpr milliseconds kPong{2000};
constexpr milliseconds kSlack{1000};
constexpr milliseconds kConnectTimeout{2000};
constexpr milliseconds kReconnectMax{1000};

double ms_since(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t - t0).count();
}

// The namespace's firewall: one table whose output chain sees every packet
// on lo (both directions of every connection pass "output" once).
class Firewall {
 public:
  Firewall() {
    run("add table inet wsc_faults");
    run("add chain inet wsc_faults out { type filter hook output priority 0 ; }");
  }
  ~Firewall() { run("delete table inet wsc_faults"); }
  void drop_percent(int percent) {
    run("add rule inet wsc_faults out numgen random mod 100 < " + std::to_string(percent) +
        " drop");
  }
  void drop_all() { run("add rule inet wsc_faults out drop"); }
  void clear() { run("flush chain inet wsc_faults out"); }

 private:
  static void run(const std::string &args) {
    const std::string nft = access("/usr/sbin/nft", X_OK) == 0 ? "/usr/sbin/nft" : "nft";
    const std::string cmd = nft + " '" + args + "'";
    const int rc = std::system(cmd.c_str());
    ASSERT_EQ(rc, 0) << cmd << " failed (the nftables package provides nft)";
  }
};

// One client sending sequence-numbered messages of random sizes at a fixed
// rate from its own thread, recording errors and opens with their times.
class EchoRun {
 public:
  EchoRun(const std::string &url, const Options &options, int msgs_per_s, size_t max_size)
      : ledger_(1) {
    Callbacks cb;
    cb.on_open = [this] {
      ledger_.opened();
      std::lock_guard<std::mutex> lock(mu_);
      opens_.push_back(Clock::now());
    };
    cb.on_message = [this](MessageType, std::string_view data) { ledger_.echoed(data); };
    cb.on_error = [this](Status s, std::string_view detail) {
      std::lock_guard<std::mutex> lock(mu_);
      errors_.push_back({Clock::now(), s, std::string(detail)});
    };
    client_ = std::make_unique<Client>(loop_, url, options, cb);
    sender_ = std::thread([this, msgs_per_s, max_size] { send_loop(msgs_per_s, max_size); });
  }
  ~EchoRun() { stop_sending(); }

  void stop_sending() {
    stop_ = true;
    if (sender_.joinable()) sender_.join();
  }

  // Waits until the newest accepted message came back.
  bool wait_caught_up(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!ledger_.caught_up()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return true;
  }

  struct Error {
    Clock::time_point at;
    Status status;
    std::string detail;
  };
  // The first error reported at or after t, if any.
  std::optional<Error> first_error_after(Clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto &e : errors_) {
      if (e.at >= t) return e;
    }
    return std::nullopt;
  }
  // Waits for an open at or after t; its time, or nullopt on timeout.
  std::optional<Clock::time_point> wait_open_after(Clock::time_point t, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto at : opens_) {
          if (at >= t) return at;
        }
      }
      if (Clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  size_t error_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_.size();
  }
  std::string errors_text() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string s;
    for (const auto &e : errors_) s += std::string(status_text(e.status)) + ": " + e.detail + "\n";
    return s;
  }

  // Stops sending, waits for the last echo, closes, and checks the ledger.
  void finish_and_check(milliseconds settle) {
    stop_sending();
    EXPECT_TRUE(wait_caught_up(settle)) << "the newest message never came back\n" << errors_text();
    client_->close(1000, "done");
    EXPECT_EQ(client_->wait(State::Closed, seconds(10)), Status::WSC_OK);
    stats_ = client_->stats();
    ledger_.check_closed(stats_);
    for (const auto &v : ledger_.violations()) ADD_FAILURE() << v;
    const auto s = ledger_.summary();
    std::printf(
        "accepted %llu, echoed %llu, lost at connection breaks %llu, opens %llu, "
        "reconnects %llu, discarded %llu\n",
        static_cast<unsigned long long>(s.accepted), static_cast<unsigned long long>(s.echoed),
        static_cast<unsigned long long>(s.lost_at_breaks), static_cast<unsigned long long>(s.opens),
        static_cast<unsigned long long>(stats_.reconnects),
        static_cast<unsigned long long>(stats_.send_discarded));
  }

  EchoLedger &ledger() { return ledger_; }
  Client &client() { return *client_; }
  const Stats &final_stats() const { return stats_; }

 private:
  void send_loop(int msgs_per_s, size_t max_size) {
    std::mt19937 rng(12);
    // Log-uniform sizes: mostly small, some spanning many TCP segments.
    std::uniform_real_distribution<double> log_size(std::log(double(EchoLedger::kHeaderBytes)),
                                                    std::log(double(max_size)));
    const auto period = microseconds_per(msgs_per_s);
    auto next = Clock::now();
    while (!stop_) {
      const uint64_t seq = ledger_.next_seq();
      const auto size = static_cast<size_t>(std::exp(log_size(rng)));
      ledger_.accepted(seq);
      if (client_->try_send(MessageType::Binary, ledger_.payload(seq, size)) != Status::WSC_OK) {
        ledger_.refused(seq);
      }
      next += period;
      std::this_thread::sleep_until(next);
    }
  }
  static std::chrono::microseconds microseconds_per(int per_s) {
    return std::chrono::microseconds(1000000 / per_s);
  }

  Loop loop_;
  EchoLedger ledger_;
  std::unique_ptr<Client> client_;
  std::thread sender_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Clock::time_point> opens_;
  std::vector<Error> errors_;
  Stats stats_;
};

Options fault_options() {
  Options o;
  o.reconnect = true;
  o.reconnect_min = milliseconds(100);
  o.reconnect_max = kReconnectMax;
  o.reconnect_seed = 7;
  o.connect_timeout = kConnectTimeout;
  o.ping_interval = kPing;
  o.pong_timeout = kPong;
  return o;
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("WSC_NETNS")) {
      GTEST_SKIP() << "changes the firewall: run through tests/faults/netns_run.sh";
    }
    firewall_ = std::make_unique<Firewall>();
    server_ = start_python_echo();
    port_ = server_->port();
  }
  void restart_server() {
    server_->kill_now();
    server_.reset();
    server_ = start_python_echo({"--port", std::to_string(port_)});
  }

  std::unique_ptr<Firewall> firewall_;
  std::unique_ptr<PeerProcess> server_;
  int port_ = 0;
};

// TCP repairs the losses: the connection may slow down but messages are
// never duplicated or reordered, and any reconnect the heartbeat decides on
// loses only what was in flight.
TEST_F(Faults, FivePercentPacketLoss) {
  firewall_->drop_percent(5);
  Options o = fault_options();
  o.pong_timeout = seconds(3);  // a lost SYN alone costs 1 s
  EchoRun run(ws_url(port_), o, 50, 32 * 1024);
  std::this_thread::sleep_for(seconds(20));
  firewall_->clear();
  run.finish_and_check(seconds(30));
  const auto s = run.ledger().summary();
  EXPECT_GT(s.accepted, 800u);
  // Losses only at breaks; with one open there can be none.
  if (s.opens == 1) {
    EXPECT_EQ(s.lost_at_breaks, 0u);
  }
  EXPECT_LE(s.lost_at_breaks, s.accepted / 10) << run.errors_text();
}

// 200 ms +- 50 ms each way: the heartbeat measures it and stays quiet,
// nothing is lost, and the handshake pays the latency once.
TEST_F(Faults, LatencyOf200msWithJitter) {
  DelayRelay relay(port_, milliseconds(200), milliseconds(50), 3);
  Options o = fault_options();
  o.ping_interval = milliseconds(500);
  const auto t0 = Clock::now();
  EchoRun run(ws_url(relay.port()), o, 50, 16 * 1024);
  const auto opened = run.wait_open_after(t0, seconds(10));
  ASSERT_TRUE(opened);
  EXPECT_GE(ms_since(t0, *opened), 300) << "the upgrade did not cross the relay";
  std::this_thread::sleep_for(seconds(10));
  run.stop_sending();
  ASSERT_TRUE(run.wait_caught_up(seconds(10)));
  // Received frames count as liveness, so pings (and RTT samples) come
  // only once the line is quiet.
  std::this_thread::sleep_for(o.ping_interval * 4);
  const int64_t rtt_us = run.client().stats().rtt_us_smoothed;
  // Two one-way delays of 150..250 ms each.
  EXPECT_GE(rtt_us, 300000);
  EXPECT_LE(rtt_us, 600000);
  std::printf("latency: upgrade took %.0f ms, ping rtt %.1f ms\n", ms_since(t0, *opened),
              rtt_us / 1000.0);
  run.finish_and_check(seconds(10));
  const auto s = run.ledger().summary();
  EXPECT_EQ(s.opens, 1u);
  EXPECT_EQ(s.lost_at_breaks, 0u);
  EXPECT_EQ(s.echoed, s.accepted);
  EXPECT_EQ(run.error_count(), 0u) << run.errors_text();
}

// Traffic for 3 s, then `cause` breaks the path for `outage`: the heartbeat
// must notice (WSC_ETIMEDOUT) within ping + pong; then `end` repairs it,
// and wsc must reopen within connect timeout + backoff maximum; 3 s more
// traffic, and the ledger's checks.
void outage(EchoRun &run, const char *what, const std::function<void()> &cause, milliseconds length,
            const std::function<void()> &end) {
  ASSERT_TRUE(run.wait_open_after(Clock::time_point{}, seconds(10)));
  std::this_thread::sleep_for(seconds(3));
  const auto broken = Clock::now();
  cause();
  std::this_thread::sleep_for(length);
  const auto repaired = Clock::now();
  end();
  const auto noticed = run.first_error_after(broken);
  ASSERT_TRUE(noticed) << what << ": nothing noticed";
  EXPECT_EQ(noticed->status, Status::WSC_ETIMEDOUT) << noticed->detail;
  EXPECT_LE(ms_since(broken, noticed->at), (kPing + kPong + kSlack).count()) << noticed->detail;
  const auto reopened = run.wait_open_after(repaired, kConnectTimeout + kReconnectMax + seconds(3));
  ASSERT_TRUE(reopened) << what << ": no reconnect after the repair\n" << run.errors_text();
  std::printf("%s: noticed after %.0f ms (%s), reopened %.0f ms after the repair\n", what,
              ms_since(broken, noticed->at), noticed->detail.c_str(),
              ms_since(repaired, *reopened));
  std::this_thread::sleep_for(seconds(3));
  run.finish_and_check(seconds(15));
  EXPECT_GE(run.final_stats().reconnects, 1u);
}

// Every packet dropped for 10 s; reconnect attempts fail until the link is
// back.
TEST_F(Faults, LinkDownForTenSeconds) {
  EchoRun run(ws_url(port_), fault_options(), 50, 8 * 1024);
  outage(
      run, "link down", [this] { firewall_->drop_all(); }, seconds(10),
      [this] { firewall_->clear(); });
}

// The server process stops (SIGSTOP) mid-stream: its kernel still ACKs, so
// only the heartbeat can tell. Reconnect attempts then time out until the
// server runs again (SIGCONT) or a new one listens on the port.
constexpr milliseconds kFrozenFor = kPing + kPong + kSlack + seconds(2);

TEST_F(Faults, FrozenServerResumed) {
  EchoRun run(ws_url(port_), fault_options(), 50, 8 * 1024);
  const pid_t pid = server_->pid();
  outage(
      run, "frozen server, resumed", [pid] { ::kill(pid, SIGSTOP); }, kFrozenFor,
      [pid] { ::kill(pid, SIGCONT); });
}

TEST_F(Faults, FrozenServerKilledAndRestarted) {
  EchoRun run(ws_url(port_), fault_options(), 50, 8 * 1024);
  const pid_t pid = server_->pid();
  outage(
      run, "frozen server, restarted", [pid] { ::kill(pid, SIGSTOP); }, kFrozenFor,
      [this] { restart_server(); });
}

}  // namespace
}  // namespace wsc::testing
