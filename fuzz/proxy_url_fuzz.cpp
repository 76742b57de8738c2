// libFuzzer target for the proxy URL parser (parse_proxy_url): accepted or
// refused with WSC_EINVAL; decoded credentials re-encoded parse back to the
// same proxy; the CONNECT request stays one line per header whatever the
// credentials hold; redacted() and refusals never show the credentials.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <wsc/client.hpp>

#include "fuzz_support.hpp"
#include "proxy.hpp"

using wsc::detail::ProxyUrl;
using wsc::fuzz::check;
using wsc::fuzz::check_no_userinfo;

namespace {

std::string percent_encode(const std::string &s) {
  std::string out;
  for (unsigned char c : s) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    out += buf;
  }
  return out;
}

size_t count(const std::string &s, std::string_view what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  ProxyUrl proxy;
  try {
    proxy = wsc::detail::parse_proxy_url(text);
  } catch (const wsc::Error &e) {
    check(e.status() == wsc::Status::WSC_EINVAL);
    check_no_userinfo(text, e.what());
    return 0;
  }
  check(proxy.port >= 1 && proxy.port <= 65535 && !proxy.host.empty());
  const std::string request = wsc::detail::connect_request("example.com:443", proxy);
  check(count(request, "\r\n") == (proxy.has_credentials ? 4u : 3u));
  check(count(request, "\n") == count(request, "\r\n"));
  check(request.find('\0') == std::string::npos);
  if (proxy.has_credentials) {
    check(proxy.user.find(':') == std::string::npos);
    const std::string redacted = proxy.redacted();
    check(redacted.compare(0, 11, "http://***@") == 0);
    check(redacted.find('@', 11) == std::string::npos);
  }
  // Encoded afresh, the credentials decode to the same bytes.
  const std::string rebuilt = "http://" +
                              (proxy.has_credentials ? percent_encode(proxy.user) + ":" +
                                                           percent_encode(proxy.password) + "@"
                                                     : std::string()) +
                              proxy.host + ":" + std::to_string(proxy.port);
  const ProxyUrl again = wsc::detail::parse_proxy_url(rebuilt);
  check(again.has_credentials == proxy.has_credentials && again.user == proxy.user &&
        again.password == proxy.password && again.host == proxy.host && again.port == proxy.port);
  return 0;
}
