// Proxy URLs and curl's environment rules (http_proxy, https_proxy, no_proxy).
#include "proxy.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <wsc/client.hpp>

namespace wsc::detail {
namespace {

TEST(ProxyUrl, ParsesCredentialsHostAndPort) {
  const ProxyUrl p = parse_proxy_url("http://user:pa%3Ass@proxy.local:3128/");
  EXPECT_EQ(p.userinfo, "user:pa%3Ass");
  EXPECT_EQ(p.host, "proxy.local");
  EXPECT_EQ(p.port, 3128u);
  EXPECT_EQ(p.redacted(), "http://user:***@proxy.local:3128");
  EXPECT_EQ(parse_proxy_url("http://10.0.0.1:8080").redacted(), "http://10.0.0.1:8080");
}

TEST(ProxyUrl, RejectsWhatLwsCannotUse) {
  for (const char *bad : {"https://p:1", "socks5://p:1", "http://p", "http://p:", "http://p:0",
                          "http://p:70000", "http://user@p:1", "http://p q:1"}) {
    EXPECT_THROW(parse_proxy_url(bad), Error) << bad;
  }
}

TEST(NoProxy, CurlRules) {
  EXPECT_TRUE(no_proxy_matches("*", "anything"));
  EXPECT_TRUE(no_proxy_matches("example.com", "example.com"));
  EXPECT_TRUE(no_proxy_matches("example.com", "api.example.com"));
  EXPECT_TRUE(no_proxy_matches(".example.com", "api.example.com"));
  EXPECT_TRUE(no_proxy_matches("foo, Example.COM ", "example.com"));
  EXPECT_FALSE(no_proxy_matches("example.com", "badexample.com"));
  EXPECT_FALSE(no_proxy_matches("", "example.com"));
  EXPECT_TRUE(no_proxy_matches("localhost,127.0.0.1", "127.0.0.1"));
}

TEST(ProxyFromEnv, PicksTheVariableForTheScheme) {
  setenv("http_proxy", "proxy-a:3128", 1);
  setenv("https_proxy", "http://proxy-b:3129", 1);
  setenv("no_proxy", "internal.test", 1);
  EXPECT_EQ(proxy_from_env(false, "example.com"), "http://proxy-a:3128");
  EXPECT_EQ(proxy_from_env(true, "example.com"), "http://proxy-b:3129");
  EXPECT_EQ(proxy_from_env(true, "db.internal.test"), "");
  unsetenv("http_proxy");
  unsetenv("https_proxy");
  unsetenv("no_proxy");
  EXPECT_EQ(proxy_from_env(false, "example.com"), "");
}

TEST(ConnectRequest, ExactBytesWithAndWithoutCredentials) {
  EXPECT_EQ(connect_request("example.com:443", parse_proxy_url("http://proxy:3128")),
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
  // "Aladdin:open sesame" is RFC 7617's example: QWxhZGRpbjpvcGVuIHNlc2FtZQ==
  ProxyUrl with_auth = parse_proxy_url("http://u:p@proxy:3128");
  with_auth.userinfo = "Aladdin:open sesame";
  EXPECT_EQ(connect_request("[::1]:8080", with_auth),
            "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n"
            "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
}

TEST(ProxyUrl, SocketHostDropsIpv6Brackets) {
  EXPECT_EQ(parse_proxy_url("http://[::1]:3128").socket_host(), "::1");
  EXPECT_EQ(parse_proxy_url("http://proxy.test:3128").socket_host(), "proxy.test");
}

}  // namespace
}  // namespace wsc::detail
