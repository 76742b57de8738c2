// HTTP CONNECT proxies: ws:// and wss:// tunnelled through Debian's
// tinyproxy (a real proxy started by the test on loopback), basic auth, a
// refused password, and proxy settings from the environment.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::seconds;

std::string work_dir(const std::string &name) {
  const char *build = std::getenv("WSC_BUILD_DIR");
  return std::string(build ? build : "/tmp") + "/proxy-" + name + "-" + std::to_string(getpid());
}

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Proxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (system("command -v tinyproxy >/dev/null") != 0) GTEST_SKIP() << "tinyproxy not installed";
    open_dir_ = work_dir("open");
    auth_dir_ = work_dir("auth");
    open_ = std::make_unique<PeerProcess>(
        std::vector<std::string>{"bash", source_dir() + "/tests/peers/tinyproxy.sh", open_dir_});
    auth_ = std::make_unique<PeerProcess>(std::vector<std::string>{
        "bash", source_dir() + "/tests/peers/tinyproxy.sh", auth_dir_, "wscuser", "s3cret"});
    server_ = std::make_unique<server::EchoServer>();
  }
  static void TearDownTestSuite() {
    open_.reset();
    auth_.reset();
    server_.reset();
  }
  static std::string proxy(int port, const std::string &creds = "") {
    return "http://" + creds + "127.0.0.1:" + std::to_string(port);
  }
  static void echo_through(const std::string &url, Options o) {
    Loop loop;
    Client c(loop, url, o);
    ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
    c.send_text("through the tunnel");
    auto m = c.recv(seconds(10));
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->data, "through the tunnel");
  }
  static inline std::string open_dir_, auth_dir_;
  static inline std::unique_ptr<PeerProcess> open_, auth_;
  static inline std::unique_ptr<server::EchoServer> server_;
};

TEST_F(Proxy, WsThroughConnectTunnel) {
  Options o;
  o.proxy = proxy(open_->port());
  echo_through(ws_url(server_->port()), o);
  const std::string log = read_file(open_dir_ + "/tinyproxy.log");
  EXPECT_NE(log.find("CONNECT 127.0.0.1:" + std::to_string(server_->port())), std::string::npos)
      << log;
}

TEST_F(Proxy, WssThroughConnectTunnel) {
  const std::string certs =
      std::string(std::getenv("WSC_BUILD_DIR") ? std::getenv("WSC_BUILD_DIR") : "/tmp") +
      "/test-certs";
  ASSERT_EQ(
      system(("bash '" + source_dir() + "/tests/support/make_certs.sh' '" + certs + "'").c_str()),
      0);
  auto tls =
      start_python_echo({"--tls-cert", certs + "/server.pem", "--tls-key", certs + "/server.key"});
  Options o;
  o.proxy = proxy(open_->port());
  o.tls.ca_file = certs + "/ca.pem";
  echo_through("wss://localhost:" + std::to_string(tls->port()) + "/", o);
  const std::string log = read_file(open_dir_ + "/tinyproxy.log");
  EXPECT_NE(log.find("CONNECT localhost:" + std::to_string(tls->port())), std::string::npos) << log;
}

TEST_F(Proxy, BasicAuth) {
  Options o;
  o.proxy = proxy(auth_->port(), "wscuser:s3cret@");
  echo_through(ws_url(server_->port()), o);
}

TEST_F(Proxy, WrongPasswordIsAFatalHandshakeError) {
  Options o;
  o.proxy = proxy(auth_->port(), "wscuser:wrong@");
  o.reconnect = true;  // fatal: must not be retried
  Loop loop;
  Recorder rec;
  Client c(loop, ws_url(server_->port()), o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_EHANDSHAKE);
  EXPECT_EQ(c.stats().connect_attempts, 1u);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("proxy"), std::string::npos);
}

TEST_F(Proxy, UnreachableProxyIsEconnectBlamingTheProxy) {
  Options o;
  o.proxy = "http://127.0.0.1:1";
  Recorder rec;
  Loop loop;
  Client c(loop, ws_url(server_->port()), o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ECONNECT);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_EQ(rec.errors[0].second,
            "cannot connect to the HTTP proxy http://127.0.0.1:1: connection refused");
}

// A proxy that reads each CONNECT request and then either answers with
// `answer` or, when it is empty, hangs up without a word.
class ScriptedProxy {
 public:
  explicit ScriptedProxy(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr *>(&a), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        ++connects_;
        std::string head;
        char buf[1024];
        while (head.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          head.append(buf, static_cast<size_t>(n));
        }
        if (!answer_.empty()) (void)!::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~ScriptedProxy() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int connects() const { return connects_.load(); }

 private:
  std::string answer_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connects_{0};
  std::thread thread_;
};

// Issue 12 item 9: a proxy's 5xx, or a proxy that hangs up before
// answering, is recoverable (retried), and the proxy's status is recorded
// as the proxy's.
TEST_F(Proxy, ProxyFailuresAreRetried) {
  struct Case {
    const char *answer;
    Status status;
    int http_status;
  };
  for (const Case &k : {Case{"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
                             Status::WSC_ESERVER, 503},
                        Case{"", Status::WSC_ECONNECT, 0}}) {
    ScriptedProxy proxy(k.answer);
    Options o;
    o.proxy = "http://user:hunter2@127.0.0.1:" + std::to_string(proxy.port());
    o.reconnect = true;
    o.reconnect_min = std::chrono::milliseconds(10);
    o.reconnect_max = std::chrono::milliseconds(20);
    o.reconnect_max_attempts = 3;
    Recorder rec;
    Loop loop;
    Client c(loop, ws_url(server_->port()), o, rec.callbacks());
    EXPECT_EQ(c.wait(State::Closed, seconds(10)), k.status) << k.answer;
    EXPECT_EQ(c.stats().connect_attempts, 3u) << k.answer;
    EXPECT_EQ(proxy.connects(), 3) << k.answer;
    EXPECT_EQ(c.stats().last_http_status, k.http_status);
    if (k.http_status) EXPECT_TRUE(c.stats().http_status_from_proxy);
    std::lock_guard<std::mutex> lock(rec.mutex);
    ASSERT_FALSE(rec.errors.empty());
    for (const auto &e : rec.errors) {
      EXPECT_NE(e.second.find("proxy"), std::string::npos) << e.second;
      // Issue 12 item 10: the password never appears in a message.
      EXPECT_EQ(e.second.find("hunter2"), std::string::npos) << e.second;
    }
  }
}

// Issue 12 items 1 and 2: a proxy name that does not resolve is resolved
// off the loop thread and fails cleanly, naming the proxy.
TEST_F(Proxy, UnresolvableProxyNameIsEconnectNamingTheProxy) {
  Options o;
  o.proxy = "http://no-such-proxy.invalid:3128";
  o.connect_timeout = std::chrono::milliseconds(2000);
  Recorder rec;
  Loop loop;
  Client c(loop, "ws://example.invalid/", o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ECONNECT);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("no-such-proxy.invalid"), std::string::npos)
      << rec.errors[0].second;
}

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(Proxy, FromEnvironmentWhenAskedAndNotForNoProxyHosts) {
  setenv("http_proxy", ("127.0.0.1:" + std::to_string(open_->port())).c_str(), 1);
  Options o;
  o.proxy_from_env = true;
  // Any CONNECT counts: without a proxy wsc hands lws the resolved address,
  // so a tunnel lws opened on its own would show 127.0.0.1, not localhost.
  const std::string tunnel = "): CONNECT ";  // "Request (file descriptor N): CONNECT host:port"
  const size_t before = count(read_file(open_dir_ + "/tinyproxy.log"), tunnel);
  echo_through("ws://localhost:" + std::to_string(server_->port()) + "/", o);
  EXPECT_EQ(count(read_file(open_dir_ + "/tinyproxy.log"), tunnel), before + 1)
      << "the tunnel was not used";
  EXPECT_EQ(count(read_file(open_dir_ + "/tinyproxy.log"),
                  "CONNECT localhost:" + std::to_string(server_->port())),
            1u);

  setenv("no_proxy", "localhost", 1);
  echo_through("ws://localhost:" + std::to_string(server_->port()) + "/", o);
  EXPECT_EQ(count(read_file(open_dir_ + "/tinyproxy.log"), tunnel), before + 1)
      << "no_proxy was ignored";
  unsetenv("no_proxy");
  unsetenv("http_proxy");

  // Without the option the environment is not read at all.
  setenv("http_proxy", ("127.0.0.1:" + std::to_string(open_->port())).c_str(), 1);
  echo_through("ws://localhost:" + std::to_string(server_->port()) + "/", Options{});
  EXPECT_EQ(count(read_file(open_dir_ + "/tinyproxy.log"), tunnel), before + 1);
  unsetenv("http_proxy");
}

}  // namespace
}  // namespace wsc::testing
