#include "url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <wsc/client.hpp>

namespace {

using wsc::detail::parse_url;
using wsc::detail::quote_url;
using wsc::detail::Url;

// Runs parse_url expecting WSC_EINVAL and returns the message for checking.
std::string error_for(std::string_view url) {
  try {
    Url u = parse_url(url);
    ADD_FAILURE() << "accepted bad URL '" << std::string(url) << "' as host '" << u.host << "'";
    return {};
  } catch (const wsc::Error &e) {
    EXPECT_EQ(e.status(), wsc::Status::WSC_EINVAL) << e.what();
    return e.what();
  }
}

#define EXPECT_REJECTED(url, needle)                                                     \
  do {                                                                                   \
    std::string msg_ = error_for(url);                                                   \
    EXPECT_NE(msg_.find(needle), std::string::npos) << "message for " #url ": " << msg_; \
  } while (0)

TEST(UrlParse, PlainWs) {
  Url u = parse_url("ws://example.com");
  EXPECT_FALSE(u.secure);
  EXPECT_EQ(u.host, "example.com");
  EXPECT_FALSE(u.host_is_ip);
  EXPECT_FALSE(u.host_is_ipv6);
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.host_header(), "example.com");
}

TEST(UrlParse, SecureWithPortPathQuery) {
  Url u = parse_url("wss://Echo.Example.COM:8443/a/b?c=d&e=%2F");
  EXPECT_TRUE(u.secure);
  EXPECT_EQ(u.host, "echo.example.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path, "/a/b?c=d&e=%2F");
  EXPECT_EQ(u.host_header(), "echo.example.com:8443");
}

TEST(UrlParse, SchemeIsCaseInsensitive) {
  EXPECT_FALSE(parse_url("WS://h").secure);
  EXPECT_TRUE(parse_url("WsS://h").secure);
}

TEST(UrlParse, DefaultPortsOmittedFromHostHeader) {
  EXPECT_EQ(parse_url("wss://h:443/").host_header(), "h");
  EXPECT_EQ(parse_url("ws://h:80/").host_header(), "h");
  EXPECT_EQ(parse_url("ws://h:443/").host_header(), "h:443");
  EXPECT_EQ(parse_url("wss://h:80/").host_header(), "h:80");
  EXPECT_EQ(parse_url("wss://h").port, 443);
}

TEST(UrlParse, PortBounds) {
  EXPECT_EQ(parse_url("ws://h:1").port, 1);
  EXPECT_EQ(parse_url("ws://h:65535").port, 65535);
  EXPECT_EQ(parse_url("ws://h:08080").port, 8080);
}

TEST(UrlParse, Ipv4) {
  Url u = parse_url("ws://127.0.0.1:9001/x");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_TRUE(u.host_is_ip);
  EXPECT_FALSE(u.host_is_ipv6);
  EXPECT_EQ(u.port, 9001);
  EXPECT_EQ(u.host_header(), "127.0.0.1:9001");
}

TEST(UrlParse, Ipv6) {
  Url u = parse_url("ws://[::1]:8080/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_TRUE(u.host_is_ip);
  EXPECT_TRUE(u.host_is_ipv6);
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.host_header(), "[::1]:8080");

  Url d = parse_url("wss://[2001:db8::a:1]");
  EXPECT_EQ(d.host, "2001:db8::a:1");
  EXPECT_EQ(d.port, 443);
  EXPECT_EQ(d.path, "/");
  EXPECT_EQ(d.host_header(), "[2001:db8::a:1]");

  EXPECT_TRUE(parse_url("ws://[::ffff:192.0.2.1]/").host_is_ipv6);
}

TEST(UrlParse, QueryWithoutPath) {
  EXPECT_EQ(parse_url("ws://h?x=1").path, "/?x=1");
  EXPECT_EQ(parse_url("ws://h:81?x=1").path, "/?x=1");
  EXPECT_EQ(parse_url("ws://h/").path, "/");
  EXPECT_EQ(parse_url("ws://h/?").path, "/?");
}

TEST(UrlParse, AllPcharsAllowedInPath) {
  const char *path = "/AZaz09-._~!$&'()*+,;=:@/%41%6a?q=/?:@";
  EXPECT_EQ(parse_url(std::string("ws://h") + path).path, path);
}

TEST(UrlParse, HostNameLimits) {
  std::string label63(63, 'a');
  EXPECT_EQ(parse_url("ws://" + label63 + ".com").host, label63 + ".com");
  // 4 labels of 63 plus 3 dots = 255; trim to exactly 253.
  std::string name = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name.size(), 253u);
  EXPECT_EQ(parse_url("ws://" + name).host, name);
  EXPECT_EQ(parse_url("ws://a-b.c0-1.x").host, "a-b.c0-1.x");
  EXPECT_EQ(parse_url("ws://localhost:1").host, "localhost");
  EXPECT_EQ(parse_url("ws://1e100.net").host, "1e100.net");
}

TEST(UrlReject, Scheme) {
  EXPECT_REJECTED("http://x", "unsupported scheme 'http'");
  EXPECT_REJECTED("http://x", "ws:// or wss://");
  EXPECT_REJECTED("https://x/", "scheme");
  EXPECT_REJECTED("wsx://x/", "scheme");
  EXPECT_REJECTED("example.com", "missing scheme");
  EXPECT_REJECTED("example.com/path", "missing scheme");
  EXPECT_REJECTED("localhost:8080", "missing scheme");
  EXPECT_REJECTED("//host/", "missing scheme");
  EXPECT_REJECTED("://host/", "missing scheme");
  EXPECT_REJECTED("", "empty URL");
  EXPECT_REJECTED("ws:/host", "'//'");
  EXPECT_REJECTED("ws:host", "'//'");
}

TEST(UrlReject, MessageQuotesUrl) {
  std::string msg = error_for("http://x");
  EXPECT_NE(msg.find("'http://x'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid argument"), std::string::npos) << msg;
}

TEST(UrlReject, MissingHost) {
  EXPECT_REJECTED("ws://", "missing host");
  EXPECT_REJECTED("ws:///path", "missing host");
  EXPECT_REJECTED("ws://?q", "missing host");
  EXPECT_REJECTED("ws://:80/", "missing host");
  EXPECT_REJECTED("ws://[]/", "empty IPv6");
}

TEST(UrlReject, Port) {
  EXPECT_REJECTED("ws://h:0", "port 0 out of range");
  EXPECT_REJECTED("ws://h:00", "out of range");
  EXPECT_REJECTED("ws://h:65536", "port 65536 out of range");
  EXPECT_REJECTED("ws://h:99999999999999999999999/", "out of range");
  EXPECT_REJECTED("ws://h:8a", "non-numeric port");
  EXPECT_REJECTED("ws://h:-1", "non-numeric port");
  EXPECT_REJECTED("ws://h:+80", "non-numeric port");
  EXPECT_REJECTED("ws://h:80:90", "non-numeric port");
  EXPECT_REJECTED("ws://h:", "empty port");
  EXPECT_REJECTED("ws://h:/x", "empty port");
  EXPECT_REJECTED("ws://[::1]:", "empty port");
  EXPECT_REJECTED("ws://[::1]:70000", "out of range");
}

TEST(UrlReject, WhitespaceAndControl) {
  EXPECT_REJECTED("ws://ho st/", "whitespace");
  EXPECT_REJECTED(" ws://h/", "whitespace");
  EXPECT_REJECTED("ws://h/ ", "whitespace");
  EXPECT_REJECTED("ws://h/a\tb", "whitespace");
  EXPECT_REJECTED("ws://h/\r\nX-Injected: 1", "whitespace");
  EXPECT_REJECTED("ws://h/\n", "offset 7");
  EXPECT_REJECTED("ws://h/\x01", "control character");
  EXPECT_REJECTED("ws://h/\x1b[0m", "control character");
  EXPECT_REJECTED("ws://h/\x7f", "control character 0x7f");
  // Escaped, so the message itself cannot carry the raw byte into a log.
  std::string msg = error_for("ws://h/\x01");
  EXPECT_EQ(msg.find('\x01'), std::string::npos);
  EXPECT_NE(msg.find("\\x01"), std::string::npos) << msg;
}

TEST(UrlReject, EmbeddedNul) {
  using namespace std::string_literals;
  EXPECT_REJECTED("ws://h\0.evil.com/"s, "NUL");
  EXPECT_REJECTED("ws://h/\0"s, "NUL");
}

TEST(UrlReject, Userinfo) {
  EXPECT_REJECTED("ws://user@host/", "userinfo");
  EXPECT_REJECTED("ws://@host/", "userinfo");
  EXPECT_REJECTED("wss://user:secret@host:443/", "userinfo");
  std::string msg = error_for("wss://user:secret@host:443/");
  EXPECT_EQ(msg.find("secret"), std::string::npos) << "credentials leaked: " << msg;
  EXPECT_NE(msg.find("***@host"), std::string::npos) << msg;
  // '@' after the authority is a legal path character, not userinfo.
  EXPECT_EQ(parse_url("ws://host/u@x").path, "/u@x");
}

TEST(UrlReject, CredentialsAreHiddenWhateverElseIsWrong) {
  // A password with a raw '/', '?' or '#', or a URL without a scheme, must
  // not show up in the message either.
  for (const char *url :
       {"wss://user:se/cret@host/", "ws://user:se?cret@host/", "ws://user:se#cret@host/",
        "user:secret@host/", "ws://user:secret@ho st/"}) {
    const std::string msg = error_for(url);
    EXPECT_EQ(msg.find("cret"), std::string::npos) << "credentials leaked: " << msg;
    EXPECT_NE(msg.find("***@"), std::string::npos) << msg;
  }
}

TEST(QuoteUrl, RedactsEscapesAndCuts) {
  EXPECT_EQ(quote_url("http://u:p@proxy:1"), "'http://***@proxy:1'");
  EXPECT_EQ(quote_url("u:p@proxy:1"), "'***@proxy:1'");
  EXPECT_EQ(quote_url("ws://host/path"), "'ws://host/path'");
  // Only a real scheme is kept: here "://" comes after a first '@' (found by
  // fuzz-proxy-url).
  EXPECT_EQ(quote_url("http:/u:pw@x://v:pw@h"), "'***@h'");
  EXPECT_EQ(quote_url("ws://h/\x01'"), "'ws://h/\\x01\\x27'");
  EXPECT_EQ(quote_url(std::string(300, 'a')), "'" + std::string(200, 'a') + "...'");
}

TEST(UrlReject, Fragment) {
  EXPECT_REJECTED("ws://h/#frag", "fragment");
  EXPECT_REJECTED("ws://h#", "fragment");
  EXPECT_REJECTED("ws://h/p?q#x", "RFC 6455");
}

TEST(UrlReject, Ipv6Forms) {
  EXPECT_REJECTED("ws://::1/", "unbracketed IPv6");
  EXPECT_REJECTED("ws://2001:db8::1:8080/", "unbracketed IPv6");
  EXPECT_REJECTED("ws://fe80::1", "brackets");
  EXPECT_REJECTED("ws://[::1/", "unclosed '['");
  EXPECT_REJECTED("ws://[::1", "unclosed '['");
  EXPECT_REJECTED("ws://::1]/", "bracket");
  EXPECT_REJECTED("ws://h]/", "bracket");
  EXPECT_REJECTED("ws://a[::1]/", "bracket");
  EXPECT_REJECTED("ws://[::1]x/", "after the host's closing ']'");
  EXPECT_REJECTED("ws://[::1]]/", "after the host's closing ']'");
  EXPECT_REJECTED("ws://[zz::1]/", "invalid IPv6 address");
  EXPECT_REJECTED("ws://[1:2:3]/", "invalid IPv6 address");
  EXPECT_REJECTED("ws://[127.0.0.1]/", "invalid IPv6 address");
  EXPECT_REJECTED("ws://[fe80::1%eth0]/", "zone");
  EXPECT_REJECTED("ws://[fe80::1%25eth0]/", "zone");
}

TEST(UrlReject, Ipv4Forms) {
  EXPECT_REJECTED("ws://256.1.1.1/", "invalid IPv4");
  EXPECT_REJECTED("ws://1.2.3/", "invalid IPv4");
  EXPECT_REJECTED("ws://1.2.3.4.5/", "invalid IPv4");
  EXPECT_REJECTED("ws://1.2.3.4./", "invalid IPv4");
  EXPECT_REJECTED("ws://01.2.3.4/", "invalid IPv4");
  EXPECT_REJECTED("ws://12345/", "invalid IPv4");
}

TEST(UrlReject, HostNames) {
  EXPECT_REJECTED("ws://ex..com/", "empty label");
  EXPECT_REJECTED("ws://.com/", "empty label");
  EXPECT_REJECTED("ws://example.com./", "empty label");
  EXPECT_REJECTED("ws://-a.com/", "'-'");
  EXPECT_REJECTED("ws://a-.com/", "'-'");
  EXPECT_REJECTED("ws://a_b.com/", "invalid character '_' in host");
  EXPECT_REJECTED("ws://a!b/", "invalid character '!' in host");
  EXPECT_REJECTED("ws://h%41/", "invalid character '%' in host");
  EXPECT_REJECTED("ws://h\xc3\xa9llo/", "punycode");
  EXPECT_REJECTED("ws://" + std::string(64, 'a') + ".com/", "label longer than 63");
  std::string label63(63, 'a');
  std::string name = label63 + "." + label63 + "." + label63 + "." + std::string(62, 'b');
  ASSERT_EQ(name.size(), 254u);
  EXPECT_REJECTED("ws://" + name + "/", "host name is too long");
}

TEST(UrlReject, Path) {
  EXPECT_REJECTED("ws://h/%", "percent-escape");
  EXPECT_REJECTED("ws://h/%4", "percent-escape");
  EXPECT_REJECTED("ws://h/%4g", "percent-escape");
  EXPECT_REJECTED("ws://h/?q=%zz", "percent-escape");
  EXPECT_REJECTED("ws://h/<script>", "invalid character '<' in path");
  EXPECT_REJECTED("ws://h/a\"b", "in path");
  EXPECT_REJECTED("ws://h/a\\b", "in path");
  EXPECT_REJECTED("ws://h/{x}", "in path");
  EXPECT_REJECTED("ws://h/caf\xc3\xa9", "in path");
}

TEST(UrlReject, TooLong) {
  std::string at_limit = "ws://h/" + std::string(wsc::detail::kMaxUrlBytes - 7, 'a');
  ASSERT_EQ(at_limit.size(), 8192u);
  EXPECT_EQ(parse_url(at_limit).path.size(), 8192u - 6);
  std::string msg = error_for(at_limit + "a");
  EXPECT_NE(msg.find("too long"), std::string::npos) << msg;
  EXPECT_NE(msg.find("8193"), std::string::npos) << msg;
  EXPECT_LT(msg.size(), 400u) << "message should quote a truncated URL";
}

}  // namespace
