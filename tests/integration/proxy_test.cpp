// HTTP CONNECT proxies: ws:// and wss:// tunnelled through Debian's
// tinyproxy (a real proxy started by the test on loopback), basic auth, a
// refused password, and proxy settings from the environment.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

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

TEST_F(Proxy, UnreachableProxyIsEconnect) {
  Options o;
  o.proxy = "http://127.0.0.1:1";
  Loop loop;
  Client c(loop, ws_url(server_->port()), o);
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ECONNECT);
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
