// Control frames through the C ABI: wsc_options_set_on_control reports the
// server's ping and its unsolicited pong, and wsc_ping_data sends a payload
// that the pong must echo; the argument checks. Against Python websockets.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "capi_handles.hpp"
#include "fixtures.hpp"
#include "wsc.h"

namespace {

using namespace wsc::testing;

struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<int, std::string>> frames;
  std::vector<int> ping_results;

  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), pred);
  }
};

void on_control(wsc_conn *, int kind, const void *payload, size_t len, void *user) {
  auto *seen = static_cast<Seen *>(user);
  std::lock_guard<std::mutex> lock(seen->mutex);
  seen->frames.emplace_back(kind, std::string(static_cast<const char *>(payload), len));
  seen->changed.notify_all();
}

void on_ping_done(wsc_conn *, int status, int64_t, void *user) {
  auto *seen = static_cast<Seen *>(user);
  std::lock_guard<std::mutex> lock(seen->mutex);
  seen->ping_results.push_back(status);
  seen->changed.notify_all();
}

TEST(CapiControl, ArgumentChecks) {
  EXPECT_EQ(wsc_options_set_on_control(nullptr, on_control, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_ping_data(nullptr, "x", 1, 100, nullptr, nullptr), WSC_EINVAL);
}

TEST(CapiControl, ServerControlFramesAndPayloadPing) {
  auto peer = start_python_echo();
  Seen seen;
  OptionsPtr opts(wsc_options_new());
  ASSERT_EQ(wsc_options_set_on_control(opts.get(), on_control, &seen), WSC_OK);
  wsc_conn *raw = nullptr;
  ASSERT_EQ(wsc_connect(nullptr, ws_url(peer->port(), "/control").c_str(), opts.get(), nullptr,
                        nullptr, &raw),
            WSC_OK);
  ConnPtr conn(raw);
  ASSERT_TRUE(seen.wait([&] { return seen.frames.size() >= 2; }));
  {
    std::lock_guard<std::mutex> lock(seen.mutex);
    EXPECT_EQ(seen.frames[0], std::make_pair(int(WSC_CONTROL_PING), std::string("server-ping")));
    EXPECT_EQ(seen.frames[1], std::make_pair(int(WSC_CONTROL_PONG), std::string("server-pong")));
  }

  const std::string too_long(126, 'x');
  EXPECT_EQ(wsc_ping_data(conn.get(), too_long.data(), too_long.size(), 1000, on_ping_done, &seen),
            WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("at most 125 bytes"), std::string::npos);
  EXPECT_EQ(wsc_ping_data(conn.get(), nullptr, 3, 1000, on_ping_done, &seen), WSC_EINVAL);
  ASSERT_EQ(wsc_ping_data(conn.get(), "c-ping", 6, 5000, on_ping_done, &seen), WSC_OK);
  ASSERT_TRUE(seen.wait([&] { return !seen.ping_results.empty(); }));
  std::lock_guard<std::mutex> lock(seen.mutex);
  EXPECT_EQ(seen.ping_results[0], WSC_OK);
  EXPECT_EQ(seen.frames.size(), 2u);  // the echo of our ping is not reported
}

}  // namespace
