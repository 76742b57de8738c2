// The C ABI's argument checking and contract, exercised through the shared
// libwsc only (no C++ API): every class of bad input gets the documented
// status and a non-empty, meaningful wsc_last_error_detail(). A few live
// checks (echo, send queue limits, freeing from callbacks and freeing a loop
// under open connections) run against the in-process lws echo server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capi_handles.hpp"
#include "echo_server.hpp"
#include "wsc.h"

namespace {

using namespace wsc::testing;

using namespace std::chrono_literals;

constexpr int kWaitMs = 10000;

// A successful call clears the thread's detail, so each check below sees only
// the detail of the call under test.
void clear_detail() {
  wsc_options *o = wsc_options_new();
  ASSERT_NE(o, nullptr);
  ASSERT_EQ(wsc_options_set_int(o, WSC_OPT_RECONNECT, 0), WSC_OK);
  wsc_options_free(o);
  ASSERT_STREQ(wsc_last_error_detail(), "") << "a successful call must clear the detail";
}

// Runs `call` after clearing the detail; checks the status and that the
// detail is non-empty and contains `needle` (case-sensitive).
#define EXPECT_FAILS(call, status, needle)                                                      \
  do {                                                                                          \
    clear_detail();                                                                             \
    const int rc_ = (call);                                                                     \
    const std::string detail_ = wsc_last_error_detail();                                        \
    EXPECT_EQ(rc_, (status)) << #call << " -> " << wsc_strerror(rc_) << " (" << detail_ << ")"; \
    EXPECT_FALSE(detail_.empty()) << #call << ": empty wsc_last_error_detail()";                \
    EXPECT_NE(detail_.find(needle), std::string::npos)                                          \
        << #call << ": detail '" << detail_ << "' does not mention '" << (needle) << "'";       \
  } while (0)

std::string ws_url(int port, const char *path = "/") {
  return "ws://127.0.0.1:" + std::to_string(port) + path;
}

// A loopback port with nothing listening (bound, read back, released).
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class CapiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new wsc::server::EchoServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    loop_.reset(wsc_loop_new());
    ASSERT_NE(loop_, nullptr) << wsc_last_error_detail();
  }
  void TearDown() override { loop_.reset(); }

  std::string url() const { return ws_url(server_->port()); }

  // A pull-mode connection to the echo server, waited until open.
  ConnPtr open_pull(const wsc_options *opts = nullptr) {
    wsc_conn *c = nullptr;
    EXPECT_EQ(wsc_connect(loop_.get(), url().c_str(), opts, nullptr, nullptr, &c), WSC_OK)
        << wsc_last_error_detail();
    ConnPtr conn(c);
    if (c) {
      EXPECT_EQ(wsc_wait(c, WSC_OPEN, kWaitMs), WSC_OK) << wsc_last_error_detail();
    }
    return conn;
  }

  static wsc::server::EchoServer *server_;
  LoopPtr loop_;
};

wsc::server::EchoServer *CapiTest::server_ = nullptr;

// ---- handles ---------------------------------------------------------------

TEST_F(CapiTest, NullConnectionHandlesAreRejected) {
  char buf[16] = "untouched";
  wsc_stats st{};
  st.struct_size = sizeof st;
  wsc_message *m = reinterpret_cast<wsc_message *>(0x1);

  EXPECT_FAILS(wsc_send(nullptr, WSC_TEXT, "x", 1), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_send(nullptr, WSC_BINARY, nullptr, 0), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_recv(nullptr, 0, &m), WSC_EINVAL, "NULL");
  EXPECT_EQ(m, nullptr) << "wsc_recv must set *out to NULL on failure";
  EXPECT_FAILS(wsc_close(nullptr, 1000, "bye"), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_wait(nullptr, WSC_OPEN, 0), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_state(nullptr), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_stats(nullptr, &st), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_subprotocol(nullptr, buf, sizeof buf), WSC_EINVAL, "NULL");
  EXPECT_STREQ(buf, "untouched");
  wsc_tls_info tls{};
  tls.struct_size = sizeof tls;
  EXPECT_FAILS(wsc_conn_tls_info(nullptr, &tls), WSC_EINVAL, "NULL");
}

TEST_F(CapiTest, NullOptionsHandlesAreRejected) {
  EXPECT_FAILS(wsc_options_set_int(nullptr, WSC_OPT_RECONNECT, 1), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_options_set_str(nullptr, WSC_OPT_ORIGIN, "http://x"), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_options_add_header(nullptr, "X-A", "b"), WSC_EINVAL, "NULL");

  OptionsPtr o(wsc_options_new());
  ASSERT_NE(o, nullptr);
  EXPECT_FAILS(wsc_options_set_str(o.get(), WSC_OPT_ORIGIN, nullptr), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_options_add_header(o.get(), nullptr, "b"), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_options_add_header(o.get(), "X-A", nullptr), WSC_EINVAL, "NULL");
}

TEST_F(CapiTest, NullOutParametersAreRejected) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  EXPECT_FAILS(wsc_recv(c.get(), 0, nullptr), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_stats(c.get(), nullptr), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_subprotocol(c.get(), nullptr, 16), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_tls_info(c.get(), nullptr), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_last_error(c.get(), nullptr, 16), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_last_error(nullptr, nullptr, 0), WSC_EINVAL, "NULL");
}

TEST_F(CapiTest, LastErrorCarriesTheDetailInPullMode) {
  wsc_conn *raw = nullptr;
  ASSERT_EQ(wsc_connect(nullptr, "ws://127.0.0.1:1/", nullptr, nullptr, nullptr, &raw), WSC_OK);
  ConnPtr c(raw);
  EXPECT_EQ(wsc_wait(c.get(), WSC_CLOSED, 10000), WSC_ECONNECT);
  char detail[256];
  EXPECT_EQ(wsc_conn_last_error(c.get(), detail, sizeof detail), WSC_ECONNECT);
  EXPECT_NE(std::string(detail).find("127.0.0.1:1"), std::string::npos) << detail;
  // The errno's words, not lws's "Unable to connect".
  EXPECT_NE(std::string(detail).find("connection refused"), std::string::npos) << detail;
  char tiny[4];
  EXPECT_EQ(wsc_conn_last_error(c.get(), tiny, sizeof tiny), WSC_ECONNECT);
  EXPECT_EQ(std::strlen(tiny), 3u);  // truncated, NUL-terminated
  EXPECT_EQ(wsc_conn_last_error(c.get(), nullptr, 0), WSC_ECONNECT);
}

TEST_F(CapiTest, TlsInfoStructSizeAndPlainConnection) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  wsc_tls_info tls{};
  tls.struct_size = 0;
  EXPECT_FAILS(wsc_conn_tls_info(c.get(), &tls), WSC_EINVAL, "struct_size");
  tls.struct_size = sizeof tls + 1;
  EXPECT_FAILS(wsc_conn_tls_info(c.get(), &tls), WSC_EINVAL, "struct_size");
  tls.struct_size = sizeof tls;
  EXPECT_FAILS(wsc_conn_tls_info(c.get(), &tls), WSC_ESTATE, "TLS");  // ws://, not wss://
}

TEST(CapiFree, FreeFunctionsAcceptNull) {
  wsc_loop_free(nullptr);
  wsc_options_free(nullptr);
  wsc_message_free(nullptr);
  wsc_conn_free(nullptr);
  SUCCEED();
}

// ---- options -----------------------------------------------------------------

TEST(CapiOptions, UnknownOptionKeys) {
  OptionsPtr o(wsc_options_new());
  ASSERT_NE(o, nullptr);
  for (int key : {0, -1, 27, 50, 99, INT_MIN}) {
    SCOPED_TRACE("int key " + std::to_string(key));
    EXPECT_FAILS(wsc_options_set_int(o.get(), key, 1), WSC_EINVAL, "unknown option");
    EXPECT_FAILS(wsc_options_set_int(o.get(), key, 1), WSC_EINVAL, std::to_string(key));
  }
  for (int key : {0, -1, 110, 200, INT_MAX, INT_MIN}) {
    SCOPED_TRACE("str key " + std::to_string(key));
    EXPECT_FAILS(wsc_options_set_str(o.get(), key, "x"), WSC_EINVAL, "unknown option");
    EXPECT_FAILS(wsc_options_set_str(o.get(), key, "x"), WSC_EINVAL, std::to_string(key));
  }
  // A key in neither range is unknown to both setters: never "takes a string".
  for (int key : {110, 999, 1000, INT_MAX}) {
    SCOPED_TRACE("int key " + std::to_string(key));
    EXPECT_FAILS(wsc_options_set_int(o.get(), key, 1), WSC_EINVAL,
                 "unknown option " + std::to_string(key));
  }
  for (int key : {21, 50, 99}) {
    SCOPED_TRACE("str key " + std::to_string(key));
    EXPECT_FAILS(wsc_options_set_str(o.get(), key, "x"), WSC_EINVAL,
                 "unknown option " + std::to_string(key));
  }
}

TEST(CapiOptions, IntOptionThroughSetStrAndViceVersa) {
  OptionsPtr o(wsc_options_new());
  ASSERT_NE(o, nullptr);
  for (int key : {WSC_OPT_CONNECT_TIMEOUT_MS, WSC_OPT_RECONNECT, WSC_OPT_TLS_MIN_VERSION,
                  WSC_OPT_RECONNECT_SEED}) {
    SCOPED_TRACE("key " + std::to_string(key));
    EXPECT_FAILS(wsc_options_set_str(o.get(), key, "5"), WSC_EINVAL, "integer");
  }
  for (int key : {WSC_OPT_SUBPROTOCOLS, WSC_OPT_ORIGIN, WSC_OPT_TLS_CA_FILE, WSC_OPT_PROXY}) {
    SCOPED_TRACE("key " + std::to_string(key));
    EXPECT_FAILS(wsc_options_set_int(o.get(), key, 5), WSC_EINVAL, "string");
  }
  // The right setter works.
  EXPECT_EQ(wsc_options_set_int(o.get(), WSC_OPT_CONNECT_TIMEOUT_MS, 5), WSC_OK);
  EXPECT_EQ(wsc_options_set_str(o.get(), WSC_OPT_ORIGIN, "http://example.com"), WSC_OK);
}

TEST(CapiOptions, OutOfRangeValues) {
  OptionsPtr o(wsc_options_new());
  ASSERT_NE(o, nullptr);
  struct Case {
    int key;
    int64_t value;
    const char *needle;
  };
  const Case cases[] = {
      {WSC_OPT_CONNECT_TIMEOUT_MS, -1, "CONNECT_TIMEOUT_MS"},
      {WSC_OPT_CONNECT_TIMEOUT_MS, 0, "CONNECT_TIMEOUT_MS"},
      {WSC_OPT_PING_INTERVAL_MS, -1, "PING_INTERVAL_MS"},
      {WSC_OPT_PONG_TIMEOUT_MS, -1000, "PONG_TIMEOUT_MS"},
      {WSC_OPT_IDLE_TIMEOUT_MS, -1, "IDLE_TIMEOUT_MS"},
      {WSC_OPT_WRITE_TIMEOUT_MS, INT64_MIN, "WRITE_TIMEOUT_MS"},
      {WSC_OPT_RECONNECT_MIN_MS, -1, "RECONNECT_MIN_MS"},
      {WSC_OPT_RECONNECT_MAX_MS, -1, "RECONNECT_MAX_MS"},
      {WSC_OPT_RECONNECT_MAX_ATTEMPTS, -1, "RECONNECT_MAX_ATTEMPTS"},
      {WSC_OPT_TLS_MIN_VERSION, 11, "12 or 13"},
      {WSC_OPT_TLS_MIN_VERSION, 14, "12 or 13"},
      {WSC_OPT_TLS_MIN_VERSION, 0, "12 or 13"},
      {WSC_OPT_RECONNECT, 2, "0 or 1"},
      {WSC_OPT_RECONNECT, -1, "0 or 1"},
      {WSC_OPT_RECONNECT_ON_NORMAL_CLOSE, 2, "0 or 1"},
      {WSC_OPT_COMPRESSION, 2, "0 or 1"},
      {WSC_OPT_TLS_VERIFY, 2, "0 or 1"},
      {WSC_OPT_PROXY_FROM_ENV, 2, "0 or 1"},
      {WSC_OPT_MAX_MESSAGE_BYTES, 0, "MAX_MESSAGE_BYTES"},
      {WSC_OPT_MAX_MESSAGE_BYTES, -1, "MAX_MESSAGE_BYTES"},
      {WSC_OPT_SEND_QUEUE_BYTES, 0, "SEND_QUEUE_BYTES"},
      {WSC_OPT_RECV_QUEUE_BYTES, 0, "RECV_QUEUE_BYTES"},
      {WSC_OPT_SEND_RATE_PER_S, -1, "SEND_RATE_PER_S"},
      {WSC_OPT_SEND_BURST, -1, "SEND_BURST"},
      {WSC_OPT_RECONNECT_SEED, -1, "RECONNECT_SEED"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE("key " + std::to_string(c.key) + " value " + std::to_string(c.value));
    EXPECT_FAILS(wsc_options_set_int(o.get(), c.key, c.value), WSC_EINVAL, c.needle);
  }
  // The boundaries that are allowed.
  EXPECT_EQ(wsc_options_set_int(o.get(), WSC_OPT_TLS_MIN_VERSION, 12), WSC_OK);
  EXPECT_EQ(wsc_options_set_int(o.get(), WSC_OPT_TLS_MIN_VERSION, 13), WSC_OK);
  EXPECT_EQ(wsc_options_set_int(o.get(), WSC_OPT_RECONNECT, 1), WSC_OK);
  EXPECT_EQ(wsc_options_set_int(o.get(), WSC_OPT_MAX_MESSAGE_BYTES, 1), WSC_OK);
  EXPECT_EQ(wsc_options_set_int(o.get(), WSC_OPT_PING_INTERVAL_MS, 0), WSC_OK);
  EXPECT_STREQ(wsc_last_error_detail(), "");
}

TEST_F(CapiTest, NegativeTimeoutsAndUnknownStatesAreRejected) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  wsc_message *m = nullptr;
  EXPECT_FAILS(wsc_recv(c.get(), -2, &m), WSC_EINVAL, "timeout_ms");
  EXPECT_EQ(m, nullptr);
  EXPECT_FAILS(wsc_recv(c.get(), INT_MIN, &m), WSC_EINVAL, "timeout_ms");
  EXPECT_FAILS(wsc_wait(c.get(), WSC_OPEN, -2), WSC_EINVAL, "timeout_ms");
  EXPECT_FAILS(wsc_wait(c.get(), -1, 0), WSC_EINVAL, "state");
  EXPECT_FAILS(wsc_wait(c.get(), 5, 0), WSC_EINVAL, "state");
  EXPECT_EQ(wsc_conn_state(c.get()), WSC_OPEN);
}

// ---- send / close arguments ----------------------------------------------------

TEST_F(CapiTest, NullDataWithNonzeroLength) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  EXPECT_FAILS(wsc_send(c.get(), WSC_TEXT, nullptr, 1), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_send(c.get(), WSC_BINARY, nullptr, 100), WSC_EINVAL, "NULL");
  // NULL with len 0 is an empty message.
  EXPECT_EQ(wsc_send(c.get(), WSC_BINARY, nullptr, 0), WSC_OK) << wsc_last_error_detail();
  wsc_message *m = nullptr;
  ASSERT_EQ(wsc_recv(c.get(), kWaitMs, &m), WSC_OK) << wsc_last_error_detail();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, WSC_BINARY);
  EXPECT_EQ(m->len, 0u);
  wsc_message_free(m);
}

TEST_F(CapiTest, BadMessageType) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  for (int type : {0, 3, -1, 8, 9, 10}) {
    SCOPED_TRACE("type " + std::to_string(type));
    EXPECT_FAILS(wsc_send(c.get(), type, "x", 1), WSC_EINVAL, "type");
  }
  wsc_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(wsc_conn_stats(c.get(), &st), WSC_OK);
  EXPECT_EQ(st.send_queue_bytes, 0u) << "a rejected message must not be queued";
  EXPECT_EQ(wsc_conn_state(c.get()), WSC_OPEN);
}

// wsc_send_nocopy: release runs exactly once, also for every refused call,
// and a sent payload is read from the caller's bytes until release.
void count_release(void *user) { static_cast<std::atomic<int> *>(user)->fetch_add(1); }

TEST_F(CapiTest, SendNocopyReleasesExactlyOnceWhetherItSucceedsOrNot) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  std::atomic<int> released{0};
  EXPECT_FAILS(wsc_send_nocopy(nullptr, WSC_BINARY, "x", 1, count_release, &released), WSC_EINVAL,
               "NULL");
  EXPECT_EQ(released.load(), 1) << "a refused call must release before it returns";
  EXPECT_FAILS(wsc_send_nocopy(c.get(), 7, "x", 1, count_release, &released), WSC_EINVAL, "type");
  EXPECT_FAILS(wsc_send_nocopy(c.get(), WSC_TEXT, nullptr, 3, count_release, &released), WSC_EINVAL,
               "NULL");
  EXPECT_FAILS(wsc_send_nocopy(c.get(), WSC_TEXT, "\xff", 1, count_release, &released), WSC_EINVAL,
               "UTF-8");
  EXPECT_EQ(released.load(), 4);

  // 1 MiB sent from the caller's buffer: echoed byte for byte, released once.
  std::vector<unsigned char> big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<unsigned char>(i * 7 + (i >> 12));
  released = 0;
  ASSERT_EQ(wsc_send_nocopy(c.get(), WSC_BINARY, big.data(), big.size(), count_release, &released),
            WSC_OK)
      << wsc_last_error_detail();
  // NULL release: data that outlives the connection.
  static const char kStatic[] = "static bytes";
  ASSERT_EQ(wsc_send_nocopy(c.get(), WSC_TEXT, kStatic, sizeof kStatic - 1, nullptr, nullptr),
            WSC_OK)
      << wsc_last_error_detail();
  wsc_message *m = nullptr;
  ASSERT_EQ(wsc_recv(c.get(), kWaitMs, &m), WSC_OK) << wsc_last_error_detail();
  ASSERT_EQ(m->len, big.size());
  EXPECT_EQ(std::memcmp(m->data, big.data(), big.size()), 0);
  wsc_message_free(m);
  ASSERT_EQ(wsc_recv(c.get(), kWaitMs, &m), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(m->data), m->len), kStatic);
  wsc_message_free(m);
  EXPECT_EQ(released.load(), 1) << "written: released once";

  // Closed: refused, released at once.
  ASSERT_EQ(wsc_close(c.get(), 1000, ""), WSC_OK);
  released = 0;
  EXPECT_FAILS(wsc_send_nocopy(c.get(), WSC_BINARY, "x", 1, count_release, &released), WSC_ECLOSED,
               "clos");
  EXPECT_EQ(released.load(), 1);
}

TEST_F(CapiTest, SendNocopyQueuedOnAConnectionThatNeverOpensIsReleasedWhenItIsFreed) {
  // Port 1 on 127.0.0.1: refused; messages wait for a reconnect that never succeeds.
  wsc_options *o = wsc_options_new();
  ASSERT_NE(o, nullptr);
  ASSERT_EQ(wsc_options_set_int(o, WSC_OPT_RECONNECT, 1), WSC_OK);
  wsc_conn *raw = nullptr;
  const int rc = wsc_connect(loop_.get(), "ws://127.0.0.1:1/", o, nullptr, nullptr, &raw);
  wsc_options_free(o);
  ASSERT_EQ(rc, WSC_OK) << wsc_last_error_detail();
  ConnPtr c(raw);
  std::atomic<int> released{0};
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(wsc_send_nocopy(c.get(), WSC_BINARY, "queued", 6, count_release, &released), WSC_OK)
        << wsc_last_error_detail();
  }
  c.reset();  // wsc_conn_free
  loop_.reset();
  EXPECT_EQ(released.load(), 3);
}

TEST_F(CapiTest, BadCloseCodesAndReasons) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  for (int code : {999, 1004, 1005, 1006, 1015, 2999, 5000, -1, 1, 1016, 1100}) {
    SCOPED_TRACE("code " + std::to_string(code));
    EXPECT_FAILS(wsc_close(c.get(), code, "bye"), WSC_EINVAL, "close code");
    EXPECT_FAILS(wsc_close(c.get(), code, "bye"), WSC_EINVAL, std::to_string(code));
  }
  const std::string long_reason(124, 'r');
  EXPECT_FAILS(wsc_close(c.get(), 1000, long_reason.c_str()), WSC_EINVAL, "123");
  EXPECT_FAILS(wsc_close(c.get(), 4000, "\xff\xfe"), WSC_EINVAL, "UTF-8");
  // None of that touched the connection.
  EXPECT_EQ(wsc_conn_state(c.get()), WSC_OPEN);
  ASSERT_EQ(wsc_send(c.get(), WSC_TEXT, "still", 5), WSC_OK) << wsc_last_error_detail();
  wsc_message *m = nullptr;
  ASSERT_EQ(wsc_recv(c.get(), kWaitMs, &m), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(m->data), m->len), "still");
  wsc_message_free(m);
  // 123 bytes is the limit and is fine.
  const std::string max_reason(123, 'r');
  EXPECT_EQ(wsc_close(c.get(), 4999, max_reason.c_str()), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(wsc_wait(c.get(), WSC_CLOSED, kWaitMs), WSC_OK) << wsc_last_error_detail();
}

TEST_F(CapiTest, InvalidUtf8TextIsRejected) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  const std::string bad[] = {
      "\xff",                 // never valid
      "abc\xc3",              // truncated sequence
      "\xc0\xaf",             // overlong '/'
      "\xed\xa0\x80",         // UTF-16 surrogate
      "\xf4\x90\x80\x80",     // above U+10FFFF
      std::string("a\x80z"),  // stray continuation byte
  };
  for (const std::string &s : bad) {
    SCOPED_TRACE("bytes of length " + std::to_string(s.size()));
    EXPECT_FAILS(wsc_send(c.get(), WSC_TEXT, s.data(), s.size()), WSC_EINVAL, "UTF-8");
  }
  // The same bytes are fine as binary; valid multi-byte text is fine as text.
  EXPECT_EQ(wsc_send(c.get(), WSC_BINARY, "\xff", 1), WSC_OK) << wsc_last_error_detail();
  const std::string text = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
  EXPECT_EQ(wsc_send(c.get(), WSC_TEXT, text.data(), text.size()), WSC_OK)
      << wsc_last_error_detail();
  wsc_message *m = nullptr;
  ASSERT_EQ(wsc_recv(c.get(), kWaitMs, &m), WSC_OK);
  EXPECT_EQ(m->type, WSC_BINARY);
  wsc_message_free(m);
  ASSERT_EQ(wsc_recv(c.get(), kWaitMs, &m), WSC_OK);
  EXPECT_EQ(m->type, WSC_TEXT);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(m->data), m->len), text);
  wsc_message_free(m);
}

// ---- connect arguments ---------------------------------------------------------

TEST_F(CapiTest, BadUrlsFailSynchronously) {
  const std::string port = std::to_string(server_->port());
  struct Case {
    std::string url;
    const char *needle;
  };
  const Case cases[] = {
      {"http://127.0.0.1:" + port + "/", "scheme"},
      {"https://127.0.0.1:" + port + "/", "scheme"},
      {"ws://", "host"},
      {"ws:///path", "host"},
      {"ws://:" + port + "/", "host"},
      {"ws://127.0.0.1:70000/", "70000"},
      {"ws://127.0.0.1:0/", "port"},
      {"ws://127.0.0.1:" + port + "/a b", "whitespace"},
      {"ws://local host:" + port + "/", "whitespace"},
      {"ws://user:pass@127.0.0.1:" + port + "/", "userinfo"},
      {"ws://user@127.0.0.1:" + port + "/", "userinfo"},
      {"", "empty"},
      {"127.0.0.1:" + port, "scheme"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE("url '" + c.url + "'");
    wsc_conn *out = reinterpret_cast<wsc_conn *>(0x1);
    EXPECT_FAILS(wsc_connect(loop_.get(), c.url.c_str(), nullptr, nullptr, nullptr, &out),
                 WSC_EINVAL, c.needle);
    EXPECT_EQ(out, nullptr) << "*out must be NULL after a failed wsc_connect";
    if (out != nullptr && out != reinterpret_cast<wsc_conn *>(0x1)) wsc_conn_free(out);
  }
  wsc_conn *out = reinterpret_cast<wsc_conn *>(0x1);
  EXPECT_FAILS(wsc_connect(loop_.get(), nullptr, nullptr, nullptr, nullptr, &out), WSC_EINVAL,
               "url");
  EXPECT_EQ(out, nullptr);
}

TEST_F(CapiTest, ConnectWithNullOut) {
  EXPECT_FAILS(wsc_connect(loop_.get(), url().c_str(), nullptr, nullptr, nullptr, nullptr),
               WSC_EINVAL, "out");
  // Nothing was started: the server sees no new connection.
  const uint64_t before = server_->connections_accepted();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server_->connections_accepted(), before);
}

TEST_F(CapiTest, CallbacksWithStructSizeZero) {
  wsc_callbacks cbs{};
  cbs.struct_size = 0;
  wsc_conn *out = reinterpret_cast<wsc_conn *>(0x1);
  EXPECT_FAILS(wsc_connect(loop_.get(), url().c_str(), nullptr, &cbs, nullptr, &out), WSC_EINVAL,
               "struct_size");
  EXPECT_EQ(out, nullptr);
}

TEST_F(CapiTest, StatsStructSize) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  wsc_stats st{};
  st.struct_size = 0;
  EXPECT_FAILS(wsc_conn_stats(c.get(), &st), WSC_EINVAL, "struct_size");
  st.struct_size = sizeof(wsc_stats) + 1;
  EXPECT_FAILS(wsc_conn_stats(c.get(), &st), WSC_EINVAL, "struct_size");
  st.struct_size = sizeof(wsc_stats) * 2;
  EXPECT_FAILS(wsc_conn_stats(c.get(), &st), WSC_EINVAL, "struct_size");

  st.struct_size = sizeof st;
  EXPECT_EQ(wsc_conn_stats(c.get(), &st), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(st.struct_size, sizeof st);
  EXPECT_GE(st.connect_attempts, 1u);

  // An older, shorter struct is filled only as far as it goes.
  wsc_stats partial;
  std::memset(&partial, 0xAB, sizeof partial);
  partial.struct_size = offsetof(wsc_stats, msgs_received);
  EXPECT_EQ(wsc_conn_stats(c.get(), &partial), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(partial.struct_size, offsetof(wsc_stats, msgs_received));
  EXPECT_EQ(partial.msgs_sent, 0u);
  unsigned char beyond[sizeof partial.msgs_received];
  std::memcpy(beyond, &partial.msgs_received, sizeof beyond);
  for (unsigned char b : beyond) EXPECT_EQ(b, 0xAB) << "wrote past struct_size";
}

// ---- status words ----------------------------------------------------------------

struct StatusRow {
  int value;
  int fatal;
  const char *name;
};
#define WSC_TEST_ROW(name, value, fatal, text) {value, fatal, #name},
const StatusRow kStatuses[] = {WSC_STATUS_MAP(WSC_TEST_ROW)};
#undef WSC_TEST_ROW

TEST(CapiStatus, StrerrorForEveryStatus) {
  std::set<std::string> seen;
  for (const StatusRow &row : kStatuses) {
    SCOPED_TRACE(row.name);
    const char *text = wsc_strerror(row.value);
    ASSERT_NE(text, nullptr);
    EXPECT_STRNE(text, "");
    EXPECT_STRNE(text, "unknown status");
    EXPECT_TRUE(seen.insert(text).second) << "duplicate text '" << text << "'";
  }
  EXPECT_EQ(seen.size(), sizeof kStatuses / sizeof kStatuses[0]);
  EXPECT_STREQ(wsc_strerror(WSC_OK), "success");
  for (int unknown : {1, 42, -19, -999, -1000, INT_MIN, INT_MAX}) {
    SCOPED_TRACE(unknown);
    ASSERT_NE(wsc_strerror(unknown), nullptr);
    EXPECT_STREQ(wsc_strerror(unknown), "unknown status");
  }
}

TEST(CapiStatus, StatusIsFatal) {
  EXPECT_EQ(wsc_status_is_fatal(WSC_EINVAL), 1);
  EXPECT_EQ(wsc_status_is_fatal(WSC_EHANDSHAKE), 1);
  EXPECT_EQ(wsc_status_is_fatal(WSC_ETLS), 1);
  EXPECT_EQ(wsc_status_is_fatal(WSC_EAGAIN), 0);
  EXPECT_EQ(wsc_status_is_fatal(WSC_ETIMEDOUT), 0);
  EXPECT_EQ(wsc_status_is_fatal(WSC_ECONNECT), 0);
  EXPECT_EQ(wsc_status_is_fatal(WSC_ELOST), 0);
  EXPECT_EQ(wsc_status_is_fatal(WSC_ESERVER), 0);
  for (const StatusRow &row : kStatuses) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(wsc_status_is_fatal(row.value), row.fatal);
  }
}

// ---- state-dependent errors ---------------------------------------------------

TEST_F(CapiTest, SendAfterCloseIsClosed) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(wsc_close(c.get(), 1000, "done"), WSC_OK) << wsc_last_error_detail();
  EXPECT_FAILS(wsc_send(c.get(), WSC_TEXT, "late", 4), WSC_ECLOSED, "closed");
  EXPECT_EQ(wsc_wait(c.get(), WSC_CLOSED, kWaitMs), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(wsc_conn_state(c.get()), WSC_CLOSED);
  EXPECT_FAILS(wsc_send(c.get(), WSC_BINARY, "late", 4), WSC_ECLOSED, "closed");
}

void ignore_message(wsc_conn *, int, const void *, size_t, void *) {}

TEST_F(CapiTest, RecvInCallbackModeIsWrongState) {
  wsc_callbacks cbs{};
  cbs.struct_size = sizeof cbs;
  cbs.on_message = ignore_message;
  wsc_conn *raw = nullptr;
  ASSERT_EQ(wsc_connect(loop_.get(), url().c_str(), nullptr, &cbs, nullptr, &raw), WSC_OK)
      << wsc_last_error_detail();
  ConnPtr c(raw);
  ASSERT_EQ(wsc_wait(c.get(), WSC_OPEN, kWaitMs), WSC_OK) << wsc_last_error_detail();
  wsc_message *m = reinterpret_cast<wsc_message *>(0x1);
  EXPECT_FAILS(wsc_recv(c.get(), 0, &m), WSC_ESTATE, "pull mode");
  EXPECT_EQ(m, nullptr);
  m = reinterpret_cast<wsc_message *>(0x1);
  EXPECT_FAILS(wsc_recv(c.get(), 100, &m), WSC_ESTATE, "pull mode");
  EXPECT_EQ(m, nullptr);
}

TEST_F(CapiTest, RecvPollWithNothingQueuedTimesOut) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  wsc_message *m = reinterpret_cast<wsc_message *>(0x1);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FAILS(wsc_recv(c.get(), 0, &m), WSC_EWAIT, "no message within timeout_ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "timeout 0 must not block";
  EXPECT_EQ(m, nullptr);
  m = reinterpret_cast<wsc_message *>(0x1);
  EXPECT_FAILS(wsc_recv(c.get(), 50, &m), WSC_EWAIT, "no message within timeout_ms");
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(wsc_conn_state(c.get()), WSC_OPEN) << "a wait that ran out ends nothing";
}

TEST_F(CapiTest, SubprotocolBufferTooSmall) {
  OptionsPtr o(wsc_options_new());
  ASSERT_EQ(wsc_options_set_str(o.get(), WSC_OPT_SUBPROTOCOLS, "chat.v1"), WSC_OK);
  ConnPtr c = open_pull(o.get());
  ASSERT_NE(c, nullptr);
  char one[1] = {'x'};
  EXPECT_FAILS(wsc_conn_subprotocol(c.get(), one, sizeof one), WSC_EINVAL, "buffer too small");
  char exact[7];  // strlen("chat.v1"): no room for the NUL
  EXPECT_FAILS(wsc_conn_subprotocol(c.get(), exact, sizeof exact), WSC_EINVAL, "needs 8 bytes");
  EXPECT_FAILS(wsc_conn_subprotocol(c.get(), exact, 0), WSC_EINVAL, "buffer too small");
  char enough[8];
  ASSERT_EQ(wsc_conn_subprotocol(c.get(), enough, sizeof enough), WSC_OK)
      << wsc_last_error_detail();
  EXPECT_STREQ(enough, "chat.v1");

  // Without a subprotocol the answer is "" and fits in one byte.
  ConnPtr plain = open_pull();
  ASSERT_NE(plain, nullptr);
  one[0] = 'x';
  EXPECT_EQ(wsc_conn_subprotocol(plain.get(), one, sizeof one), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(one[0], '\0');
}

TEST_F(CapiTest, ResponseHeaderOfTheUpgrade) {
  OptionsPtr o(wsc_options_new());
  ASSERT_EQ(wsc_options_set_str(o.get(), WSC_OPT_SUBPROTOCOLS, "chat.v1"), WSC_OK);
  ConnPtr c = open_pull(o.get());
  ASSERT_NE(c, nullptr);
  char buf[128];
  // Any case; the value as the server sent it.
  ASSERT_EQ(wsc_conn_response_header(c.get(), "SEC-WebSocket-Protocol", buf, sizeof buf), WSC_OK)
      << wsc_last_error_detail();
  EXPECT_STREQ(buf, "chat.v1");
  ASSERT_EQ(wsc_conn_response_header(c.get(), "upgrade", buf, sizeof buf), WSC_OK);
  EXPECT_EQ(strcasecmp(buf, "websocket"), 0) << buf;
  ASSERT_EQ(wsc_conn_response_header(c.get(), "Sec-WebSocket-Accept", buf, sizeof buf), WSC_OK);
  EXPECT_EQ(std::strlen(buf), 28u) << buf;  // base64 of a SHA-1

  char tiny[7] = "intact";
  EXPECT_FAILS(wsc_conn_response_header(c.get(), "sec-websocket-protocol", tiny, sizeof tiny),
               WSC_EINVAL, "needs 8 bytes");
  EXPECT_STREQ(tiny, "intact");
  EXPECT_FAILS(wsc_conn_response_header(c.get(), "X-Not-There", buf, sizeof buf), WSC_ESTATE,
               "no header X-Not-There");
  EXPECT_FAILS(wsc_conn_response_header(c.get(), nullptr, buf, sizeof buf), WSC_EINVAL, "NULL");
  EXPECT_FAILS(wsc_conn_response_header(nullptr, "upgrade", buf, sizeof buf), WSC_EINVAL, "NULL");
}

TEST_F(CapiTest, AllResponseHeadersOfTheUpgrade) {
  OptionsPtr o(wsc_options_new());
  ASSERT_EQ(wsc_options_set_str(o.get(), WSC_OPT_SUBPROTOCOLS, "chat.v1"), WSC_OK);
  ConnPtr c = open_pull(o.get());
  ASSERT_NE(c, nullptr);
  // Ask for the size first, then copy.
  size_t needed = 0;
  EXPECT_FAILS(wsc_conn_response_headers(c.get(), nullptr, 0, &needed), WSC_EINVAL,
               "buffer too small");
  ASSERT_GT(needed, 1u);
  std::string text(needed, 'x');
  char *intact = text.data();
  EXPECT_FAILS(wsc_conn_response_headers(c.get(), intact, needed - 1, nullptr), WSC_EINVAL,
               "need " + std::to_string(needed) + " bytes");
  EXPECT_EQ(text, std::string(needed, 'x'));
  ASSERT_EQ(wsc_conn_response_headers(c.get(), text.data(), text.size(), &needed), WSC_OK)
      << wsc_last_error_detail();
  EXPECT_EQ(text.back(), '\0');
  EXPECT_EQ(std::strlen(text.c_str()) + 1, needed);
  EXPECT_NE(text.find("sec-websocket-protocol: chat.v1\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sec-websocket-accept: "), std::string::npos) << text;
  EXPECT_FAILS(wsc_conn_response_headers(nullptr, text.data(), text.size(), &needed), WSC_EINVAL,
               "NULL");
  EXPECT_FAILS(wsc_conn_response_headers(c.get(), nullptr, 5, &needed), WSC_EINVAL, "NULL");
}

TEST_F(CapiTest, RemoteAddressIsTheTcpPeer) {
  ConnPtr c = open_pull();
  ASSERT_NE(c, nullptr);
  char buf[64];
  int port = 0;
  ASSERT_EQ(wsc_conn_remote_address(c.get(), buf, sizeof buf, &port), WSC_OK)
      << wsc_last_error_detail();
  EXPECT_STREQ(buf, "127.0.0.1");
  EXPECT_EQ(port, server_->port());
  char tiny[4];
  EXPECT_FAILS(wsc_conn_remote_address(c.get(), tiny, sizeof tiny, &port), WSC_EINVAL,
               "needs 10 bytes");
  EXPECT_FAILS(wsc_conn_remote_address(c.get(), buf, sizeof buf, nullptr), WSC_EINVAL, "NULL");

  wsc_conn *raw = nullptr;  // never opens: no peer to name
  ASSERT_EQ(wsc_connect(loop_.get(), "ws://127.0.0.1:1/", nullptr, nullptr, nullptr, &raw), WSC_OK);
  ConnPtr refused(raw);
  EXPECT_EQ(wsc_wait(raw, WSC_CLOSED, kWaitMs), WSC_ECONNECT);
  EXPECT_FAILS(wsc_conn_remote_address(raw, buf, sizeof buf, &port), WSC_ESTATE, "no upgrade");
}

TEST_F(CapiTest, SendQueueFullAndMessageBiggerThanQueue) {
  OptionsPtr o(wsc_options_new());
  ASSERT_EQ(wsc_options_set_int(o.get(), WSC_OPT_SEND_QUEUE_BYTES, 1000), WSC_OK);
  ASSERT_EQ(wsc_options_set_int(o.get(), WSC_OPT_RECONNECT, 1), WSC_OK);
  ASSERT_EQ(wsc_options_set_int(o.get(), WSC_OPT_RECONNECT_MIN_MS, 50), WSC_OK);
  ASSERT_EQ(wsc_options_set_int(o.get(), WSC_OPT_RECONNECT_MAX_MS, 200), WSC_OK);
  const std::string dead = ws_url(unused_port());
  wsc_conn *raw = nullptr;
  ASSERT_EQ(wsc_connect(loop_.get(), dead.c_str(), o.get(), nullptr, nullptr, &raw), WSC_OK)
      << wsc_last_error_detail();
  ConnPtr c(raw);

  const std::string hundred(100, 'q');
  int accepted = 0;
  int rc = WSC_OK;
  for (int i = 0; i < 100; ++i) {
    rc = wsc_send(c.get(), WSC_TEXT, hundred.data(), hundred.size());
    if (rc != WSC_OK) break;
    ++accepted;
  }
  EXPECT_EQ(rc, WSC_EAGAIN) << wsc_strerror(rc) << " (" << wsc_last_error_detail() << ")";
  EXPECT_EQ(accepted, 10) << "1000 bytes hold ten 100-byte messages";
  EXPECT_NE(std::string(wsc_last_error_detail()).find("full"), std::string::npos)
      << wsc_last_error_detail();
  EXPECT_FAILS(wsc_send(c.get(), WSC_BINARY, "z", 1), WSC_EAGAIN, "full");

  // Bigger than the whole queue: never fits, so ETOOBIG rather than EAGAIN.
  const std::string big(1001, 'b');
  EXPECT_FAILS(wsc_send(c.get(), WSC_BINARY, big.data(), big.size()), WSC_ETOOBIG,
               "SEND_QUEUE_BYTES");

  wsc_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(wsc_conn_stats(c.get(), &st), WSC_OK);
  EXPECT_EQ(st.send_queue_bytes, 1000u);
  EXPECT_EQ(st.msgs_sent, 0u);
  const int state = wsc_conn_state(c.get());
  EXPECT_TRUE(state == WSC_CONNECTING || state == WSC_RECONNECTING) << "state " << state;
}

TEST_F(CapiTest, MessageBiggerThanQueueOnEmptyQueue) {
  OptionsPtr o(wsc_options_new());
  ASSERT_EQ(wsc_options_set_int(o.get(), WSC_OPT_SEND_QUEUE_BYTES, 1000), WSC_OK);
  ConnPtr c = open_pull(o.get());
  ASSERT_NE(c, nullptr);
  const std::string big(1001, 'b');
  EXPECT_FAILS(wsc_send(c.get(), WSC_BINARY, big.data(), big.size()), WSC_ETOOBIG,
               "SEND_QUEUE_BYTES");
  const std::string fits(1000, 'f');
  EXPECT_EQ(wsc_send(c.get(), WSC_BINARY, fits.data(), fits.size()), WSC_OK)
      << wsc_last_error_detail();
}

// ---- live C-level behaviour ----------------------------------------------------------

TEST_F(CapiTest, PullModeEcho) {
  wsc_conn *c = nullptr;
  ASSERT_EQ(wsc_connect(loop_.get(), url().c_str(), nullptr, nullptr, nullptr, &c), WSC_OK)
      << wsc_last_error_detail();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(wsc_wait(c, WSC_OPEN, kWaitMs), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(wsc_conn_state(c), WSC_OPEN);
  ASSERT_EQ(wsc_send(c, WSC_TEXT, "hi", 2), WSC_OK) << wsc_last_error_detail();
  wsc_message *m = nullptr;
  ASSERT_EQ(wsc_recv(c, kWaitMs, &m), WSC_OK) << wsc_last_error_detail();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, WSC_TEXT);
  ASSERT_EQ(m->len, 2u);
  EXPECT_EQ(std::memcmp(m->data, "hi", 2), 0);
  wsc_message_free(m);
  ASSERT_EQ(wsc_close(c, 1000, "bye"), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(wsc_wait(c, WSC_CLOSED, kWaitMs), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(wsc_conn_state(c), WSC_CLOSED);
  wsc_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(wsc_conn_stats(c, &st), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(st.msgs_sent, 1u);
  EXPECT_EQ(st.msgs_received, 1u);
  EXPECT_EQ(st.send_queue_bytes, 0u);
  EXPECT_EQ(st.last_http_status, 101);
  // Closed and drained: wsc_recv says so instead of waiting.
  EXPECT_EQ(wsc_recv(c, kWaitMs, &m), WSC_ECLOSED);
  EXPECT_EQ(m, nullptr);
  wsc_conn_free(c);
}

// Shared between the test thread and the loop thread.
struct FreeFromCallback {
  std::atomic<wsc_conn *> conn{nullptr};
  std::atomic<int> messages{0};
  std::atomic<int> callbacks_after_free{0};
  std::atomic<bool> freed{false};
  std::atomic<bool> sending_done{false};
  std::atomic<uint64_t> echoed_at_free{0};
  wsc::server::EchoServer *server = nullptr;
};

void ffc_message(wsc_conn *c, int, const void *, size_t, void *user) {
  auto *s = static_cast<FreeFromCallback *>(user);
  if (s->freed.load()) {
    s->callbacks_after_free.fetch_add(1);
    return;
  }
  if (s->messages.fetch_add(1) == 0) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!s->sending_done.load() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(1ms);
    }
    // Let the server echo the rest, so more messages are in flight (in the
    // socket or already read by lws) when the handle goes away.
    std::this_thread::sleep_for(300ms);
    s->echoed_at_free = s->server->messages_echoed();
    s->freed = true;
    wsc_conn_free(c);
  }
}

void ffc_other(FreeFromCallback *s) {
  if (s->freed.load()) s->callbacks_after_free.fetch_add(1);
}
void ffc_open(wsc_conn *, void *user) { ffc_other(static_cast<FreeFromCallback *>(user)); }
void ffc_error(wsc_conn *, int, const char *, void *user) {
  ffc_other(static_cast<FreeFromCallback *>(user));
}
void ffc_close(wsc_conn *, int, const char *, void *user) {
  ffc_other(static_cast<FreeFromCallback *>(user));
}
void ffc_state(wsc_conn *, int, int, void *user) {
  ffc_other(static_cast<FreeFromCallback *>(user));
}
void ffc_drain(wsc_conn *, void *user) { ffc_other(static_cast<FreeFromCallback *>(user)); }

TEST_F(CapiTest, FreeConnectionInsideItsOwnOnMessage) {
  FreeFromCallback s;
  s.server = server_;
  wsc_callbacks cbs{};
  cbs.struct_size = sizeof cbs;
  cbs.on_open = ffc_open;
  cbs.on_message = ffc_message;
  cbs.on_error = ffc_error;
  cbs.on_close = ffc_close;
  cbs.on_state = ffc_state;
  cbs.on_drain = ffc_drain;
  wsc_conn *c = nullptr;
  const uint64_t echoed_before = server_->messages_echoed();
  ASSERT_EQ(wsc_connect(loop_.get(), url().c_str(), nullptr, &cbs, &s, &c), WSC_OK)
      << wsc_last_error_detail();
  // Queue the whole burst right away, normally before the upgrade completes,
  // so the loop writes it in one go once open. on_message does not free the
  // handle before sending_done, so this thread never races the free.
  constexpr int kBurst = 50;
  for (int i = 0; i < kBurst; ++i) {
    const std::string msg = "m" + std::to_string(i);
    const int rc = wsc_send(c, WSC_TEXT, msg.data(), msg.size());
    EXPECT_EQ(rc, WSC_OK) << i << ": " << wsc_last_error_detail();
    if (rc != WSC_OK) break;
  }
  s.sending_done = true;  // from here on, c belongs to the callback
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!s.freed.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(s.freed.load()) << "no message arrived";
  // Give anything still in flight time to (wrongly) reach a callback.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(s.messages.load(), 1);
  EXPECT_EQ(s.callbacks_after_free.load(), 0) << "a callback ran after wsc_conn_free returned";
  EXPECT_GT(s.echoed_at_free.load() - echoed_before, 1u)
      << "the server had echoed only one message when the handle was freed, so the test "
         "did not have messages in flight";
  // Tearing the loop down must not run callbacks for the freed connection either.
  loop_.reset();
  EXPECT_EQ(s.callbacks_after_free.load(), 0);
}

std::atomic<int> g_loop_free_closes{0};
void count_close(wsc_conn *, int, const char *, void *) { g_loop_free_closes.fetch_add(1); }

TEST_F(CapiTest, FreeLoopWithTwentyOpenConnections) {
  constexpr int kConns = 20;
  std::vector<wsc_conn *> conns;
  wsc_callbacks cbs{};
  cbs.struct_size = sizeof cbs;
  cbs.on_close = count_close;  // no on_message: still pull mode
  g_loop_free_closes = 0;
  for (int i = 0; i < kConns; ++i) {
    wsc_conn *c = nullptr;
    ASSERT_EQ(wsc_connect(loop_.get(), url().c_str(), nullptr, i % 2 ? &cbs : nullptr, nullptr, &c),
              WSC_OK)
        << wsc_last_error_detail();
    conns.push_back(c);
  }
  for (wsc_conn *c : conns) {
    ASSERT_EQ(wsc_wait(c, WSC_OPEN, kWaitMs), WSC_OK) << wsc_last_error_detail();
  }
  // Something queued on each, so freeing the loop has work to abandon.
  for (wsc_conn *c : conns) ASSERT_EQ(wsc_send(c, WSC_TEXT, "x", 1), WSC_OK);

  const auto start = std::chrono::steady_clock::now();
  wsc_loop_free(loop_.release());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "wsc_loop_free took too long";

  for (size_t i = 0; i < conns.size(); ++i) {
    SCOPED_TRACE("conn " + std::to_string(i));
    wsc_conn *c = conns[i];
    EXPECT_FAILS(wsc_send(c, WSC_TEXT, "late", 4), WSC_ECLOSED, "closed");
    EXPECT_EQ(wsc_conn_state(c), WSC_CLOSED);
    const int how = wsc_wait(c, WSC_CLOSED, 1000);
    EXPECT_NE(how, WSC_EWAIT) << "wsc_wait(CLOSED) must not block on a freed loop";
    // A clean 1001 close or "closed by the loop" are both fine; nothing else.
    EXPECT_TRUE(how == WSC_OK || how == WSC_ECLOSED) << wsc_strerror(how);
    // It did open before the loop went away (wsc_wait(OPEN) reports that).
    EXPECT_EQ(wsc_wait(c, WSC_OPEN, 1000), WSC_OK);
    EXPECT_EQ(wsc_wait(c, WSC_RECONNECTING, 1000), WSC_ECLOSED) << "can no longer get there";
    wsc_stats st{};
    st.struct_size = sizeof st;
    EXPECT_EQ(wsc_conn_stats(c, &st), WSC_OK);
    EXPECT_EQ(wsc_close(c, 1000, ""), WSC_ECLOSED);
  }
  EXPECT_EQ(g_loop_free_closes.load(), kConns / 2) << "on_close runs once per callback conn";
  for (wsc_conn *c : conns) wsc_conn_free(c);
}

}  // namespace
