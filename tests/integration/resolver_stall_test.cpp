// Issue 12 item 2: the proxy's host name is resolved on wsc's resolver
// thread, like every other host. This binary interposes getaddrinfo (the
// executable's definition wins over libc's for libwsc and lws too) so that
// one name takes 1.5 s to resolve, and checks that another connection on
// the same loop keeps its echo round trip meanwhile.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace {
constexpr const char *kSlowName = "slow-proxy.test";
constexpr auto kLookupTime = std::chrono::milliseconds(1500);
}  // namespace

extern "C" int getaddrinfo(const char *node, const char *service, const addrinfo *hints,
                           addrinfo **res) {
  using Real = int (*)(const char *, const char *, const addrinfo *, addrinfo **);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (node && std::strcmp(node, kSlowName) == 0) {
    std::this_thread::sleep_for(kLookupTime);
    node = "127.0.0.1";
  }
  return real(node, service, hints, res);
}

namespace wsc::testing {
namespace {

using std::chrono::seconds;

TEST(ResolverStall, SlowProxyLookupDoesNotStallTheLoop) {
  if (system("command -v tinyproxy >/dev/null") != 0) GTEST_SKIP() << "tinyproxy not installed";
  const char *build = std::getenv("WSC_BUILD_DIR");
  const std::string dir =
      std::string(build ? build : "/tmp") + "/proxy-stall-" + std::to_string(getpid());
  PeerProcess proxy({"bash", source_dir() + "/tests/peers/tinyproxy.sh", dir});
  server::EchoServer server;
  Loop loop;
  Client direct(loop, ws_url(server.port()));
  ASSERT_EQ(direct.wait(State::Open, seconds(10)), Status::WSC_OK);

  Options o;
  o.proxy = std::string("http://") + kSlowName + ":" + std::to_string(proxy.port());
  const auto started = std::chrono::steady_clock::now();
  Client proxied(loop, ws_url(server.port()), o);
  // While the proxy's name resolves, the loop serves the other connection.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto sent = std::chrono::steady_clock::now();
  direct.send_text("meanwhile");
  ASSERT_TRUE(direct.recv(seconds(10)).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::milliseconds(500))
      << "the echo waited for the proxy's DNS lookup";
  // And the proxied connection opens once the name has resolved.
  ASSERT_EQ(proxied.wait(State::Open, seconds(10)), Status::WSC_OK);
  EXPECT_GE(std::chrono::steady_clock::now() - started, kLookupTime);
}

}  // namespace
}  // namespace wsc::testing
