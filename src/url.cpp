#include "url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <string>
#include <utility>
#include <wsc/client.hpp>

namespace wsc::detail {

namespace {

constexpr size_t kMaxHostBytes = 253;
constexpr size_t kMaxLabelBytes = 63;
// Error messages echo the URL; a cap keeps an 8 KiB input from producing an
// 8 KiB log line.
constexpr size_t kMaxShownBytes = 200;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

// RFC 3986 pchar (unreserved, sub-delims, ':' and '@') plus '/' and '?';
// pct-encoded is checked by the caller. NUL never gets here.
bool is_path_char(char c) {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("-._~!$&'()*+,;=:@/?").find(c) != std::string_view::npos;
}

std::string byte_text(unsigned char c) {
  char buf[8];
  if (c >= 0x21 && c < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "0x%02x", c);
  }
  return buf;
}

}  // namespace

size_t scheme_prefix_length(std::string_view text) {
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return 0;
  for (size_t i = 0; i < sep; ++i) {
    const char c = text[i];
    if (!is_alpha(c) && !(i > 0 && (is_digit(c) || c == '+' || c == '-' || c == '.'))) return 0;
  }
  return sep + 3;
}

// A rejected URL may still carry a password, and messages end up in logs,
// so userinfo is replaced before quoting. Everything up to the last '@' goes,
// not just up to the authority's end: a malformed password may hold a raw
// '/', '?' or '#' (too much hidden in a message about an odd path beats a
// password in a log).
std::string quote_url(std::string_view text) {
  std::string redacted;
  const size_t at = text.rfind('@');
  if (at != std::string_view::npos) {
    const size_t auth = scheme_prefix_length(text.substr(0, at));
    redacted.append(text.substr(0, auth)).append("***").append(text.substr(at));
    text = redacted;
  }
  std::string out = "'";
  size_t shown = text.size() < kMaxShownBytes ? text.size() : kMaxShownBytes;
  for (size_t i = 0; i < shown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < text.size()) out += "...";
  out += '\'';
  return out;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Url parse() {
    check_bytes();
    size_t pos = parse_scheme();
    size_t auth_end = text_.find_first_of("/?", pos);
    if (auth_end == std::string_view::npos) auth_end = text_.size();
    parse_authority(text_.substr(pos, auth_end - pos));
    parse_path(auth_end);
    return std::move(url_);
  }

 private:
  [[noreturn]] void fail(const std::string &problem, const char *hint = nullptr) const {
    std::string detail = problem + " in " + quote_url(text_);
    if (hint) detail.append(" (").append(hint).append(")");
    throw Error(Status::WSC_EINVAL, detail);
  }

  // Whole-string checks first, so later stages can assume printable ASCII
  // framing and the messages blame the real culprit (a stray space would
  // otherwise surface as a "bad port" or "bad host").
  void check_bytes() const {
    if (text_.size() > kMaxUrlBytes) {
      fail("URL is too long (" + std::to_string(text_.size()) + " bytes, limit " +
           std::to_string(kMaxUrlBytes) + ")");
    }
    if (text_.empty()) fail("empty URL", "expected ws://host[:port][/path]");
    for (size_t i = 0; i < text_.size(); ++i) {
      auto c = static_cast<unsigned char>(text_[i]);
      if (c == 0) fail("embedded NUL byte at offset " + std::to_string(i));
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
        fail("whitespace " + byte_text(c) + " at offset " + std::to_string(i));
      if (c < 0x20 || c == 0x7f)
        fail("control character " + byte_text(c) + " at offset " + std::to_string(i));
    }
    size_t hash = text_.find('#');
    if (hash != std::string_view::npos)
      fail("fragment '#' at offset " + std::to_string(hash) + " not allowed",
           "RFC 6455 forbids fragments in WebSocket URLs");
  }

  size_t parse_scheme() {
    static const char kHint[] = "use ws:// or wss://";
    // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
    size_t i = 0;
    if (!text_.empty() && is_alpha(text_[0])) {
      while (i < text_.size() && (is_alpha(text_[i]) || is_digit(text_[i]) || text_[i] == '+' ||
                                  text_[i] == '-' || text_[i] == '.'))
        ++i;
    }
    bool has_scheme = i > 0 && i < text_.size() && text_[i] == ':';
    std::string_view scheme = text_.substr(0, has_scheme ? i : 0);
    bool is_ws = equals_nocase(scheme, "ws"), is_wss = equals_nocase(scheme, "wss");
    bool has_slashes = has_scheme && text_.substr(i + 1, 2) == "//";
    // "host:8080/x" parses as scheme "host"; without "//" that is far more
    // likely a forgotten scheme than an exotic one.
    if (!has_scheme || (!has_slashes && !is_ws && !is_wss)) fail("missing scheme", kHint);
    if (!is_ws && !is_wss) fail("unsupported scheme '" + std::string(scheme) + "'", kHint);
    if (!has_slashes) fail("expected '//' after '" + std::string(scheme) + ":'", kHint);
    url_.secure = is_wss;
    url_.port = is_wss ? 443 : 80;
    return i + 3;
  }

  void parse_authority(std::string_view auth) {
    if (auth.find('@') != std::string_view::npos)
      fail("userinfo (credentials before the host) not allowed",
           "send credentials in a header such as Authorization instead");
    if (auth.empty()) fail("missing host");

    std::string_view host, port;
    bool has_port = false;
    if (auth[0] == '[') {
      size_t close = auth.find(']');
      if (close == std::string_view::npos) fail("unclosed '[' bracket around the host");
      host = auth.substr(1, close - 1);
      std::string_view rest = auth.substr(close + 1);
      if (!rest.empty()) {
        if (rest[0] != ':') fail("unexpected characters after the host's closing ']' bracket");
        has_port = true;
        port = rest.substr(1);
      }
      parse_ipv6(host);
    } else {
      if (auth.find(']') != std::string_view::npos) fail("']' bracket without '[' in host");
      if (auth.find('[') != std::string_view::npos)
        fail("'[' bracket is allowed only at the start of the host");
      size_t colon = auth.find(':');
      if (colon != std::string_view::npos && auth.find(':', colon + 1) != std::string_view::npos &&
          looks_like_ipv6(auth))
        fail("unbracketed IPv6 address", "write IPv6 hosts in brackets, e.g. ws://[::1]:8080/");
      host = auth.substr(0, colon);
      if (colon != std::string_view::npos) {
        has_port = true;
        port = auth.substr(colon + 1);
      }
      if (host.empty()) fail("missing host");
      parse_name_or_ipv4(host);
    }
    if (has_port) parse_port(port);
  }

  static bool looks_like_ipv6(std::string_view s) {
    for (char c : s)
      if (!is_hex(c) && c != ':' && c != '.') return false;
    return true;
  }

  void parse_ipv6(std::string_view host) {
    if (host.empty()) fail("empty IPv6 address in brackets");
    if (host.find('%') != std::string_view::npos) fail("IPv6 zone identifier ('%') not supported");
    // The NUL-terminated copy inet_pton needs; length is bounded by kMaxUrlBytes.
    std::string copy(host);
    in6_addr addr;
    if (inet_pton(AF_INET6, copy.c_str(), &addr) != 1) fail("invalid IPv6 address '" + copy + "'");
    url_.host = std::move(copy);
    url_.host_is_ip = url_.host_is_ipv6 = true;
  }

  void parse_name_or_ipv4(std::string_view host) {
    bool numeric = true;
    for (char c : host)
      if (!is_digit(c) && c != '.') numeric = false;
    // All-numeric dotted names are never valid DNS names in practice, and
    // resolvers would read "1.2.3" as an address; treat them as IPv4 only.
    if (numeric) {
      std::string copy(host);
      in_addr addr;
      if (inet_pton(AF_INET, copy.c_str(), &addr) != 1) fail("invalid IPv4 address '" + copy + "'");
      url_.host = std::move(copy);
      url_.host_is_ip = true;
      return;
    }
    if (host.size() > kMaxHostBytes)
      fail("host name is too long (" + std::to_string(host.size()) + " bytes, limit " +
           std::to_string(kMaxHostBytes) + ")");
    std::string name;
    name.reserve(host.size());
    size_t label_start = 0;
    for (size_t i = 0; i <= host.size(); ++i) {
      if (i == host.size() || host[i] == '.') {
        size_t len = i - label_start;
        if (len == 0) fail("empty label in host name '" + std::string(host) + "'");
        if (len > kMaxLabelBytes)
          fail("host name label longer than " + std::to_string(kMaxLabelBytes) + " bytes");
        if (host[label_start] == '-' || host[i - 1] == '-')
          fail("host name label starts or ends with '-' in '" + std::string(host) + "'");
        label_start = i + 1;
        if (i < host.size()) name += '.';
        continue;
      }
      char c = host[i];
      if (!is_alpha(c) && !is_digit(c) && c != '-') {
        fail("invalid character " + byte_text(static_cast<unsigned char>(c)) + " in host name",
             static_cast<unsigned char>(c) >= 0x80
                 ? "internationalized names must be given in punycode (xn--...)"
                 : "host names may contain letters, digits, '-' and '.'");
      }
      name += to_lower(c);
    }
    url_.host = std::move(name);
  }

  void parse_port(std::string_view port) {
    if (port.empty()) fail("empty port after ':'");
    unsigned long value = 0;
    for (char c : port) {
      if (!is_digit(c)) fail("non-numeric port '" + std::string(port) + "'");
      // Saturate instead of overflowing on absurdly long digit strings.
      if (value <= 65535) value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value == 0 || value > 65535) fail("port " + std::string(port) + " out of range (1..65535)");
    url_.port = static_cast<uint16_t>(value);
  }

  void parse_path(size_t pos) {
    std::string_view rest = text_.substr(pos);
    for (size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      if (c == '%') {
        if (i + 2 >= rest.size() || !is_hex(rest[i + 1]) || !is_hex(rest[i + 2]))
          fail("malformed percent-escape at offset " + std::to_string(pos + i),
               "'%' must be followed by two hex digits");
        i += 2;
        continue;
      }
      if (!is_path_char(c))
        fail("invalid character " + byte_text(static_cast<unsigned char>(c)) +
                 " in path at offset " + std::to_string(pos + i),
             "percent-encode it");
    }
    if (rest.empty() || rest[0] == '?') url_.path = "/";
    url_.path.append(rest);
  }

  std::string_view text_;
  Url url_;
};

}  // namespace

std::string Url::host_header() const {
  std::string out;
  if (host_is_ipv6) {
    out.append("[").append(host).append("]");
  } else {
    out = host;
  }
  if (port != (secure ? 443 : 80)) out.append(":").append(std::to_string(port));
  return out;
}

Url parse_url(std::string_view text) { return Parser(text).parse(); }

}  // namespace wsc::detail
