// 1,000 concurrent connections on one loop to a real peer (Python
// websockets), all echoing, then all closed cleanly.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>

#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::seconds;

TEST(Scale, ThousandConnectionsOnOneLoop) {
  // lws sizes its fd table from the limit when the loop is created, and the
  // peer inherits it: raise it first.
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 8192);
  setrlimit(RLIMIT_NOFILE, &lim);
  ASSERT_GE(lim.rlim_cur, 2200u) << "needs ulimit -n above 2200";

  constexpr int kConns = 1000;
  auto peer = start_python_echo();
  Loop loop;
  std::atomic<int> opened{0}, echoed{0}, closed_clean{0};
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConns; ++i) {
    Callbacks cb;
    const std::string expect = "hello from " + std::to_string(i);
    cb.on_open = [&opened] { ++opened; };
    cb.on_message = [&echoed, expect](MessageType, std::string_view data) {
      if (data == expect) ++echoed;
    };
    cb.on_close = [&closed_clean](int code, std::string_view) {
      if (code == 1000) ++closed_clean;
    };
    clients.push_back(std::make_unique<Client>(loop, ws_url(peer->port()), Options{}, cb));
    clients.back()->send_text(expect);  // queued until open
  }
  for (auto &c : clients) ASSERT_EQ(c->wait(State::Open, seconds(60)), Status::WSC_OK);
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (echoed < kConns && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(opened.load(), kConns);
  EXPECT_EQ(echoed.load(), kConns);
  for (auto &c : clients) c->close(1000, "done");
  for (auto &c : clients) EXPECT_EQ(c->wait(State::Closed, seconds(60)), Status::WSC_OK);
  EXPECT_EQ(closed_clean.load(), kConns);
}

}  // namespace
}  // namespace wsc::testing
