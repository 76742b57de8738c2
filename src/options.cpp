// Option validation: every field is checked at connect, so a bad value is a
// synchronous WSC_EINVAL naming the field, never a failure later.
#include <cctype>
#include <string>
#include <string_view>
#include <wsc/client.hpp>

#include "permessage_deflate.hpp"
#include "proxy.hpp"

namespace wsc {

namespace {

[[noreturn]] void bad(const std::string &what) { throw Error(Status::WSC_EINVAL, what); }

constexpr int64_t kMaxMillis = 24LL * 3600 * 1000;

void check_millis(Millis value, const char *name, bool allow_zero) {
  if (value.count() < 0 || value.count() > kMaxMillis || (!allow_zero && value.count() == 0)) {
    bad(std::string(name) + " must be " + (allow_zero ? "0.." : "1..") +
        std::to_string(kMaxMillis) + " ms, got " + std::to_string(value.count()));
  }
}

// RFC 7230 token characters (header names, subprotocol names).
bool is_token(const std::string &s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) !=
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_header_value(const std::string &s) {
  for (unsigned char c : s) {
    if ((c < 32 && c != '\t') || c == 127) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view bv) {
  if (a.size() != bv.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(bv[i]))) {
      return false;
    }
  }
  return true;
}

bool starts_with_ci(const std::string &s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(std::string_view(s).substr(0, prefix.size()), prefix);
}

}  // namespace

void validate_header(const std::string &name, const std::string &value) {
  if (!is_token(name)) bad("header name '" + name + "' is not a valid token (RFC 9110)");
  if (!is_header_value(value)) {
    bad("value of header '" + name + "' contains a control character (CR, LF, NUL, ...)");
  }
  for (const char *reserved :
       {"Host", "Upgrade", "Connection", "Origin", "Content-Length", "Transfer-Encoding"}) {
    if (iequals(name, reserved)) {
      bad("header '" + name + "' is set by wsc itself (the ORIGIN option sets Origin)");
    }
  }
  if (starts_with_ci(name, "Sec-WebSocket-")) {
    bad("header '" + name +
        "' is set by wsc itself (the SUBPROTOCOLS and COMPRESSION options negotiate)");
  }
}

void validate(const Options &o) {
  check_millis(o.connect_timeout, "CONNECT_TIMEOUT_MS", false);
  check_millis(o.ping_interval, "PING_INTERVAL_MS", true);
  check_millis(o.pong_timeout, "PONG_TIMEOUT_MS", false);
  check_millis(o.idle_timeout, "IDLE_TIMEOUT_MS", true);
  check_millis(o.write_timeout, "WRITE_TIMEOUT_MS", true);
  check_millis(o.reconnect_min, "RECONNECT_MIN_MS", false);
  check_millis(o.reconnect_max, "RECONNECT_MAX_MS", false);
  if (o.reconnect_max < o.reconnect_min) {
    bad("RECONNECT_MAX_MS (" + std::to_string(o.reconnect_max.count()) +
        ") is below RECONNECT_MIN_MS (" + std::to_string(o.reconnect_min.count()) + ")");
  }
  if (o.max_message_bytes == 0) bad("MAX_MESSAGE_BYTES must be at least 1");
  if (o.send_queue_bytes == 0) bad("SEND_QUEUE_BYTES must be at least 1");
  if (o.recv_queue_bytes == 0) bad("RECV_QUEUE_BYTES must be at least 1");
  if (o.tls.min_version != 12 && o.tls.min_version != 13) {
    bad("TLS_MIN_VERSION must be 12 or 13, got " + std::to_string(o.tls.min_version));
  }
  for (const auto &p : o.subprotocols) {
    if (!is_token(p)) bad("subprotocol '" + p + "' is not a valid token");
  }
  if (!is_header_value(o.origin)) bad("ORIGIN contains a control character");
  for (const auto &[name, value] : o.headers) validate_header(name, value);
  if (!is_header_value(o.tls.server_name) || o.tls.server_name.find(' ') != std::string::npos) {
    bad("TLS_SERVER_NAME contains a space or control character");
  }
  if (!o.proxy.empty()) detail::parse_proxy_url(o.proxy);
  if (const std::string why = detail::check_deflate_options(detail::deflate_options(o));
      !why.empty()) {
    bad(why);
  }
}

}  // namespace wsc
