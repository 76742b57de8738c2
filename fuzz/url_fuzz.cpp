// libFuzzer target for the WebSocket URL parser (parse_url): anything is
// accepted or refused with WSC_EINVAL, never anything else; an accepted URL
// rebuilt from its parts parses to the same parts, its Host header and
// request target hold only what a request line may carry, and a refusal
// never quotes credentials.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <wsc/client.hpp>

#include "fuzz_support.hpp"
#include "url.hpp"

using wsc::fuzz::check;
using wsc::fuzz::check_no_userinfo;

namespace {

bool printable(const std::string &s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  wsc::detail::Url url;
  try {
    url = wsc::detail::parse_url(text);
  } catch (const wsc::Error &e) {
    check(e.status() == wsc::Status::WSC_EINVAL);
    check_no_userinfo(text, e.what());
    return 0;
  }
  check(!url.host.empty() && url.port != 0);
  check(!url.path.empty() && url.path[0] == '/');
  check(printable(url.host_header()) && printable(url.path));
  const std::string rebuilt = (url.secure ? "wss://" : "ws://") + url.host_header() + url.path;
  const wsc::detail::Url again = wsc::detail::parse_url(rebuilt);
  check(again.secure == url.secure && again.host == url.host && again.port == url.port &&
        again.path == url.path && again.host_is_ip == url.host_is_ip &&
        again.host_is_ipv6 == url.host_is_ipv6);
  return 0;
}
