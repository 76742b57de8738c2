#include "proxy.hpp"

#include <wsc/client.hpp>

namespace wsc::detail {

ProxyUrl parse_proxy_url(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::string_view rest = text;
  constexpr std::string_view scheme = "http://";
  if (rest.substr(0, scheme.size()) != scheme) {
    throw Error(Status::WSC_EINVAL, "proxy " + quoted + " must start with http://");
  }
  rest.remove_prefix(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  ProxyUrl proxy;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    proxy.userinfo = std::string(rest.substr(0, at));
    rest.remove_prefix(at + 1);
    if (proxy.userinfo.find(':') == std::string::npos) {
      throw Error(Status::WSC_EINVAL, "proxy credentials in " + quoted + " must be user:password");
    }
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    throw Error(Status::WSC_EINVAL, "proxy " + quoted + " needs host:port");
  }
  proxy.host = std::string(rest.substr(0, colon));
  unsigned port = 0;
  for (char c : rest.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) {
      throw Error(Status::WSC_EINVAL, "bad proxy port in " + quoted);
    }
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) throw Error(Status::WSC_EINVAL, "bad proxy port in " + quoted);
  for (char c : proxy.host + proxy.userinfo) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '?' || c == '#') {
      throw Error(Status::WSC_EINVAL, "bad character in proxy " + quoted);
    }
  }
  proxy.port = port;
  return proxy;
}

}  // namespace wsc::detail
