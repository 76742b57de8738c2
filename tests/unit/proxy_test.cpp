// Proxy URLs and curl's environment rules (http_proxy, https_proxy, no_proxy).
#include "proxy.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <wsc/client.hpp>

namespace wsc::detail {
namespace {

TEST(ProxyUrl, ParsesCredentialsHostAndPort) {
  const ProxyUrl p = parse_proxy_url("http://user:pass@proxy.local:3128/");
  EXPECT_TRUE(p.has_credentials);
  EXPECT_EQ(p.user, "user");
  EXPECT_EQ(p.password, "pass");
  EXPECT_EQ(p.host, "proxy.local");
  EXPECT_EQ(p.port, 3128u);
  EXPECT_EQ(p.redacted(), "http://***@proxy.local:3128");
  const ProxyUrl bare = parse_proxy_url("http://10.0.0.1:8080");
  EXPECT_FALSE(bare.has_credentials);
  EXPECT_EQ(bare.redacted(), "http://10.0.0.1:8080");
  // An empty user or password is still a credential (curl sends it too).
  const ProxyUrl empty = parse_proxy_url("http://:@p:1");
  EXPECT_TRUE(empty.has_credentials);
  EXPECT_EQ(empty.credentials(), ":");
}

TEST(ProxyUrl, CredentialsArePercentDecoded) {
  // Every character that would otherwise end the user name, the password or
  // the authority, plus a space, a '%' and UTF-8.
  const ProxyUrl p =
      parse_proxy_url("http://us%40er%2f%20x:p%3A%40%2F%3F%23%20%25%c3%A9w@proxy.local:3128");
  EXPECT_EQ(p.user, "us@er/ x");
  EXPECT_EQ(p.password, "p:@/?# %\xc3\xa9w");
  EXPECT_EQ(p.host, "proxy.local");
  EXPECT_EQ(p.credentials(), "us@er/ x:p:@/?# %\xc3\xa9w");
  // A raw '@' in the password (RFC 3986 wants %40) still splits at the last '@'.
  EXPECT_EQ(parse_proxy_url("http://u:p@ss@proxy:1").password, "p@ss");
  // The Basic credentials are the decoded ones:
  // printf 'a b:c@d' | base64 -> YSBiOmNAZA==
  EXPECT_EQ(
      connect_request("h:80", parse_proxy_url("http://a%20b:c%40d@proxy:3128")),
      "CONNECT h:80 HTTP/1.1\r\nHost: h:80\r\nProxy-Authorization: Basic YSBiOmNAZA==\r\n\r\n");
}

std::string error_of(const std::string &proxy) {
  try {
    parse_proxy_url(proxy);
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), Status::WSC_EINVAL) << proxy;
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << proxy;
  return "";
}

TEST(ProxyUrl, BadEscapesAreRefusedNamingThePart) {
  for (const char *bad : {"%", "%4", "%zz", "%g0", "%0g", "ab%", "a%2"}) {
    SCOPED_TRACE(bad);
    const std::string in_password = error_of("http://user:" + std::string(bad) + "@p:1");
    EXPECT_NE(in_password.find("percent-escape in the proxy password"), std::string::npos)
        << in_password;
    const std::string in_user = error_of("http://" + std::string(bad) + ":pw@p:1");
    EXPECT_NE(in_user.find("percent-escape in the proxy user name"), std::string::npos) << in_user;
  }
  // Decoded control bytes, and a ':' Basic auth would read as the end of the user.
  EXPECT_NE(error_of("http://u:a%00b@p:1").find("control character"), std::string::npos);
  EXPECT_NE(error_of("http://u:a%0Ab@p:1").find("control character"), std::string::npos);
  EXPECT_NE(error_of("http://u%0d:x@p:1").find("control character"), std::string::npos);
  EXPECT_NE(error_of("http://a%3Ab:x@p:1").find("':'"), std::string::npos);
}

TEST(ProxyUrl, ErrorsNeverShowTheCredentials) {
  for (const char *bad :
       {"https://alice:s3cret@p:1", "http://alice:s3cret@p", "http://alice:s3cret@p:0",
        "http://alice:s3cret@p:x", "http://alice:s3/cret@p:1", "http://alice:s3cret%zz@p:1",
        "http://alice:s3cret%00@p:1", "alice:s3cret@p:1", "http://alice:s3 cret@p:1",
        "http://alice:s3cret@p:1/path?q#f", "http://alice%3Ax:s3cret@p:1"}) {
    const std::string message = error_of(bad);
    EXPECT_EQ(message.find("s3"), std::string::npos) << message;
    EXPECT_EQ(message.find("alice"), std::string::npos) << message;
    EXPECT_NE(message.find("***@"), std::string::npos) << message;
  }
}

TEST(ProxyUrl, RedactedHidesCredentialsOnly) {
  EXPECT_EQ(parse_proxy_url("http://u:secret@proxy.local:3128/").redacted(),
            "http://***@proxy.local:3128");
  EXPECT_EQ(parse_proxy_url("http://proxy.local:3128").redacted(), "http://proxy.local:3128");
  EXPECT_EQ(parse_proxy_url("http://u:p@[::1]:8080").redacted(), "http://***@[::1]:8080");
}

TEST(ProxyUrl, OptionsAndEnvironmentErrorsAreRedacted) {
  // The two ways a proxy reaches wsc: Options::proxy (checked by validate,
  // which wsc_connect and Client call) and http_proxy (checked the same way).
  Options o;
  o.proxy = "http://alice:s3cret@proxy:99999";
  try {
    validate(o);
    ADD_FAILURE() << "accepted";
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
  }
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
  const ProxyUrl with_auth = parse_proxy_url("http://Aladdin:open%20sesame@proxy:3128");
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
