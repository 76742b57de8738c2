#include "proxy.hpp"

#include <cctype>
#include <cstdlib>
#include <wsc/client.hpp>

#include "http_head.hpp"
#include "url.hpp"

namespace wsc::detail {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX-decodes one part of the userinfo. The message names the part, never
// its bytes.
std::string decode_credential(std::string_view raw, const char *part, const std::string &quoted) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    const int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
    const int lo = hi < 0 ? -1 : hex_value(raw[i + 2]);
    if (lo < 0) {
      throw Error(Status::WSC_EINVAL, std::string("bad percent-escape in the proxy ") + part +
                                          " of " + quoted +
                                          " ('%' must be followed by two hex digits)");
    }
    const auto byte = static_cast<unsigned char>(hi * 16 + lo);
    // Basic auth carries text: a control byte (a NUL above all) is a mistake.
    if (byte < 0x20 || byte == 0x7f) {
      throw Error(Status::WSC_EINVAL, std::string("the proxy ") + part + " of " + quoted +
                                          " decodes to a control character");
    }
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

}  // namespace

ProxyUrl parse_proxy_url(std::string_view text) {
  const std::string quoted = quote_url(text);
  std::string_view rest = text;
  constexpr std::string_view scheme = "http://";
  if (rest.substr(0, scheme.size()) != scheme) {
    throw Error(Status::WSC_EINVAL, "proxy " + quoted + " must start with http://");
  }
  rest.remove_prefix(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  ProxyUrl proxy;
  std::string_view userinfo;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      throw Error(Status::WSC_EINVAL, "proxy credentials in " + quoted + " must be user:password");
    }
    proxy.has_credentials = true;
    proxy.user = decode_credential(userinfo.substr(0, colon), "user name", quoted);
    proxy.password = decode_credential(userinfo.substr(colon + 1), "password", quoted);
    // RFC 7617: the user-id ends at the first colon of user-pass.
    if (proxy.user.find(':') != std::string::npos) {
      throw Error(Status::WSC_EINVAL, "the proxy user name of " + quoted +
                                          " contains ':' (%3A), which Basic auth cannot carry");
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
  // Raw (not yet decoded) text: these must be %-escaped to be credentials.
  for (char c : proxy.host + std::string(userinfo)) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '/' || c == '?' || c == '#') {
      throw Error(Status::WSC_EINVAL, "bad character in proxy " + quoted);
    }
  }
  proxy.port = port;
  return proxy;
}

std::string ProxyUrl::redacted() const {
  return std::string("http://") + (has_credentials ? "***@" : "") + host + ":" +
         std::to_string(port);
}

std::string ProxyUrl::socket_host() const {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

std::string connect_request(const std::string &authority, const ProxyUrl &proxy) {
  std::string r = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (proxy.has_credentials) {
    const std::string user_pass = proxy.credentials();
    r +=
        "Proxy-Authorization: Basic " +
        base64_encode(reinterpret_cast<const unsigned char *>(user_pass.data()), user_pass.size()) +
        "\r\n";
  }
  return r + "\r\n";
}

bool no_proxy_matches(std::string_view list, std::string_view host) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (!item.empty() && item.front() == '.') item.remove_prefix(1);
    if (item.empty() || item.size() > host.size()) continue;
    const std::string_view tail = host.substr(host.size() - item.size());
    bool same = true;
    for (size_t i = 0; i < item.size(); ++i) {
      same = same && std::tolower(static_cast<unsigned char>(item[i])) ==
                         std::tolower(static_cast<unsigned char>(tail[i]));
    }
    if (same && (host.size() == item.size() || host[host.size() - item.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

std::string proxy_from_env(bool secure, const std::string &host) {
  auto env = [](const char *name) -> std::string {
    const char *v = std::getenv(name);
    return v ? v : "";
  };
  std::string no_proxy = env("no_proxy");
  if (no_proxy.empty()) no_proxy = env("NO_PROXY");
  if (!no_proxy.empty() && no_proxy_matches(no_proxy, host)) return "";
  std::string proxy = secure ? env("https_proxy") : env("http_proxy");
  if (proxy.empty() && secure) proxy = env("HTTPS_PROXY");
  if (!proxy.empty() && proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
  return proxy;
}

}  // namespace wsc::detail
