// The C ABI's error vocabulary: a wait that ran out (WSC_EWAIT) is never
// confused with a connection that ended by a timeout (WSC_ETIMEDOUT), a call
// that reports how a connection ended hands out why in
// wsc_last_error_detail(), details never repeat the status words, and
// wsc_options_add_header refuses what cannot go into the upgrade request.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "capi_handles.hpp"
#include "fixtures.hpp"
#include "wsc.h"

namespace {

using namespace wsc::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string detail() { return wsc_last_error_detail(); }

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

// A pull-mode connection to a listener that accepts and never answers, with
// a short connect timeout.
ConnPtr connect_to_silent(const SilentListener &silent, int connect_timeout_ms) {
  OptionsPtr o(wsc_options_new());
  EXPECT_EQ(wsc_options_set_int(o.get(), WSC_OPT_CONNECT_TIMEOUT_MS, connect_timeout_ms), WSC_OK);
  wsc_conn *c = nullptr;
  EXPECT_EQ(wsc_connect(nullptr, ws_url(silent.port()).c_str(), o.get(), nullptr, nullptr, &c),
            WSC_OK)
      << detail();
  return ConnPtr(c);
}

TEST(CapiWait, WaitThatRunsOutIsEwaitAndEndsNothing) {
  SilentListener silent;
  ConnPtr c = connect_to_silent(silent, 10000);
  ASSERT_NE(c, nullptr);
  const auto start = Clock::now();
  EXPECT_EQ(wsc_wait(c.get(), WSC_OPEN, 100), WSC_EWAIT);
  EXPECT_GE(Clock::now() - start, 90ms) << "the wait must block for its timeout";
  EXPECT_TRUE(contains(detail(), "within timeout_ms")) << detail();
  EXPECT_EQ(wsc_wait(c.get(), WSC_CLOSED, 0), WSC_EWAIT);
  wsc_message *m = nullptr;
  EXPECT_EQ(wsc_recv(c.get(), 0, &m), WSC_EWAIT);
  EXPECT_EQ(wsc_conn_state(c.get()), WSC_CONNECTING) << "a wait that ran out ends nothing";
}

// The Python binding used to loop forever on this: every wsc_wait said
// WSC_ETIMEDOUT at once, and it took that for "the wait ran out".
TEST(CapiWait, ConnectionEndedByConnectTimeoutIsEtimedoutAtOnce) {
  SilentListener silent;
  ConnPtr c = connect_to_silent(silent, 300);
  ASSERT_NE(c, nullptr);
  const auto start = Clock::now();
  EXPECT_EQ(wsc_wait(c.get(), WSC_OPEN, 10000), WSC_ETIMEDOUT);
  EXPECT_LT(Clock::now() - start, 5s);
  // The detail is the connection's own words for why it ended.
  const std::string why = detail();
  EXPECT_TRUE(contains(why, std::to_string(silent.port()))) << why;
  EXPECT_NE(why, wsc_strerror(WSC_ETIMEDOUT)) << "says more than the status words";
  // Ended: every later wait answers at once with the same status.
  const auto later = Clock::now();
  EXPECT_EQ(wsc_wait(c.get(), WSC_OPEN, 5000), WSC_ETIMEDOUT);
  EXPECT_EQ(wsc_wait(c.get(), WSC_CLOSED, 5000), WSC_ETIMEDOUT);
  wsc_message *m = nullptr;
  EXPECT_EQ(wsc_recv(c.get(), 5000, &m), WSC_ECLOSED);
  EXPECT_TRUE(contains(detail(), "timed out")) << "recv says why it ended: " << detail();
  EXPECT_LT(Clock::now() - later, 1s) << "nothing may block once the connection has ended";
}

TEST(CapiWait, RefusedConnectionSaysWhyThroughTheDetail) {
  int port = 0;
  {
    SilentListener closed_again;  // a free loopback port, then nothing listens on it
    port = closed_again.port();
  }
  wsc_conn *raw = nullptr;
  ASSERT_EQ(wsc_connect(nullptr, ws_url(port).c_str(), nullptr, nullptr, nullptr, &raw), WSC_OK);
  ConnPtr c(raw);
  EXPECT_EQ(wsc_wait(c.get(), WSC_OPEN, 10000), WSC_ECONNECT);
  EXPECT_TRUE(contains(detail(), "127.0.0.1:" + std::to_string(port))) << detail();
}

// ---- one vocabulary ------------------------------------------------------------

TEST(CapiVocabulary, DetailsNeverRepeatTheStatusWords) {
  wsc_conn *c = nullptr;
  ASSERT_EQ(wsc_connect(nullptr, "http://x/", nullptr, nullptr, nullptr, &c), WSC_EINVAL);
  EXPECT_FALSE(detail().empty());
  EXPECT_NE(detail().rfind(wsc_strerror(WSC_EINVAL), 0), 0u) << detail();
  OptionsPtr o(wsc_options_new());
  ASSERT_EQ(wsc_options_set_int(o.get(), WSC_OPT_RECONNECT_MIN_MS, 2000), WSC_OK);
  ASSERT_EQ(wsc_options_set_int(o.get(), WSC_OPT_RECONNECT_MAX_MS, 1000), WSC_OK);
  ASSERT_EQ(wsc_connect(nullptr, "ws://127.0.0.1:1/", o.get(), nullptr, nullptr, &c), WSC_EINVAL);
  EXPECT_TRUE(contains(detail(), "RECONNECT_MAX_MS")) << detail();
  EXPECT_NE(detail().rfind(wsc_strerror(WSC_EINVAL), 0), 0u) << detail();
}

TEST(CapiVocabulary, AddHeaderRefusesBadNamesForbiddenHeadersAndBadValues) {
  OptionsPtr o(wsc_options_new());
  ASSERT_NE(o, nullptr);
  for (const char *name : {"", "X A", "X:A", "X-\xc3\xa9", "(x)", "a/b", "X\tA"}) {
    SCOPED_TRACE(std::string("name '") + name + "'");
    EXPECT_EQ(wsc_options_add_header(o.get(), name, "v"), WSC_EINVAL);
    EXPECT_TRUE(contains(detail(), "not a valid token")) << detail();
  }
  for (const char *name : {"Host", "host", "Upgrade", "CONNECTION", "Origin", "Content-Length",
                           "Transfer-Encoding", "Sec-WebSocket-Key", "sec-websocket-protocol",
                           "Sec-WebSocket-Extensions", "Sec-WebSocket-Anything"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(wsc_options_add_header(o.get(), name, "v"), WSC_EINVAL);
    EXPECT_TRUE(contains(detail(), "set by wsc itself")) << detail();
  }
  for (const char *value : {"a\r\nX-Injected: 1", "a\nb", "a\rb", "\x01", "a\x7f"}) {
    SCOPED_TRACE("bad value");
    EXPECT_EQ(wsc_options_add_header(o.get(), "X-Ok", value), WSC_EINVAL);
    EXPECT_TRUE(contains(detail(), "control character")) << detail();
  }
  // Ordinary headers, including a tab and an empty value, are fine.
  EXPECT_EQ(wsc_options_add_header(o.get(), "Authorization", "Bearer a.b\tc"), WSC_OK) << detail();
  EXPECT_EQ(wsc_options_add_header(o.get(), "X-Empty", ""), WSC_OK) << detail();
  EXPECT_EQ(wsc_options_add_header(o.get(), "Sec-Fetch-Mode", "websocket"), WSC_OK) << detail();
}

TEST(CapiVocabulary, VersionMacrosMatchTheProjectAndTheLibrary) {
  char expected[32];
  std::snprintf(expected, sizeof expected, "%d.%d.%d", WSC_VERSION_MAJOR, WSC_VERSION_MINOR,
                WSC_VERSION_PATCH);
  EXPECT_STREQ(expected, WSC_TEST_PROJECT_VERSION) << "update the macros in capi/wsc.h";
  EXPECT_STREQ(wsc_version(), WSC_TEST_PROJECT_VERSION);
  EXPECT_EQ(WSC_VERSION_NUM,
            WSC_VERSION_MAJOR * 10000 + WSC_VERSION_MINOR * 100 + WSC_VERSION_PATCH);
}

}  // namespace
