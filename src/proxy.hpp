// HTTP CONNECT proxy URLs: http://[user:pass@]host:port. lws takes the
// proxy per vhost as "[user:pass@]host" plus a port (permessage-deflate
// connections); wsc sends the CONNECT itself on all others.
#pragma once

#include <string>
#include <string_view>

namespace wsc::detail {

struct ProxyUrl {
  // Percent-decoded (as curl and Python websockets do), so credentials
  // holding ": @ / ? #" or spaces can be written as %3A %40 %2F %3F %23 %20.
  bool has_credentials = false;
  std::string user;
  std::string password;
  std::string host;
  unsigned port = 0;
  // Basic auth's user-pass (RFC 7617 section 2): "user:password".
  std::string credentials() const { return user + ":" + password; }
  // The host to open a TCP connection to (IPv6 without its brackets).
  std::string socket_host() const;
  // "http://host:port", or "http://***@host:port" with credentials: the
  // proxy as error messages and logs may show it.
  std::string redacted() const;
};

// The CONNECT request (RFC 9110 §9.3.6) for a tunnel to `authority`
// ("host:port", IPv6 in brackets), with Basic credentials when the URL had
// them.
std::string connect_request(const std::string &authority, const ProxyUrl &proxy);

// Throws Error(WSC_EINVAL) saying what is wrong (a bad %-escape in the
// credentials included), quoting the URL with its credentials redacted.
ProxyUrl parse_proxy_url(std::string_view text);

// The proxy curl would use for this host from the environment: https_proxy
// (or HTTPS_PROXY) for wss, http_proxy for ws (lowercase only, as curl),
// unless no_proxy/NO_PROXY matches the host. A value without a scheme is
// taken as http://. Empty when no proxy applies.
std::string proxy_from_env(bool secure, const std::string &host);

// curl's no_proxy rule: "*" matches all; otherwise a comma-separated list of
// names (a leading dot is optional) matching the host or any subdomain.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

}  // namespace wsc::detail
