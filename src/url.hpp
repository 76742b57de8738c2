// WebSocket URL parsing (RFC 6455 section 3), strict enough that whatever
// passes can go into the Host header and request line without escaping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsc::detail {

struct Url {
  bool secure = false;      // wss
  std::string host;         // as written, without IPv6 brackets, lowercased for names
  bool host_is_ip = false;  // IPv4 or IPv6 literal
  bool host_is_ipv6 = false;
  uint16_t port = 0;                // explicit or default 80/443
  std::string path;                 // path plus "?query"; "/" when empty
  std::string host_header() const;  // "host" or "host:port" when not default; IPv6 in brackets
};

// Longest URL accepted; far above any real endpoint, low enough that a
// caller-supplied string cannot balloon the handshake request.
inline constexpr size_t kMaxUrlBytes = 8192;

// Throws wsc::Error(Status::WSC_EINVAL, detail) where detail names the
// problem and quotes the URL (credentials redacted, control bytes escaped).
Url parse_url(std::string_view text);

// A URL (WebSocket or proxy, valid or not) in single quotes for an error
// message or log: userinfo ("user:pass@", with or without a scheme) becomes
// "***@", control bytes and quotes are escaped, and it is cut at 200 bytes.
std::string quote_url(std::string_view text);

// The length of a leading "scheme://" (RFC 3986 scheme characters), or 0.
size_t scheme_prefix_length(std::string_view text);

}  // namespace wsc::detail
