// HTTP CONNECT proxy URLs: http://[user:pass@]host:port. lws takes the
// proxy per vhost as "[user:pass@]host" plus a port.
#pragma once

#include <string>
#include <string_view>

namespace wsc::detail {

struct ProxyUrl {
  std::string userinfo;  // "user:pass" or empty
  std::string host;
  unsigned port = 0;
  std::string lws_address() const { return userinfo.empty() ? host : userinfo + "@" + host; }
};

// Throws Error(WSC_EINVAL) saying what is wrong.
ProxyUrl parse_proxy_url(std::string_view text);

}  // namespace wsc::detail
