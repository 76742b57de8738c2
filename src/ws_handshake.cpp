#include "ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>

namespace wsc::detail {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char *data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view item = trim(value.substr(0, comma));
    if (lower(item) == token) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string websocket_accept(const std::string &key) {
  const std::string input = key + std::string(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char *>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

bool make_upgrade_request(const std::string &host, const std::string &path,
                          const std::vector<std::string> &subprotocols,
                          const std::vector<std::pair<std::string, std::string>> &headers,
                          UpgradeRequest &out) {
  unsigned char nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return false;
  const std::string key = base64(nonce, sizeof nonce);
  std::string &r = out.text;
  r = "GET " + path + " HTTP/1.1\r\nHost: " + host +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
      "\r\nSec-WebSocket-Version: 13\r\n";
  if (!subprotocols.empty()) {
    r += "Sec-WebSocket-Protocol: ";
    for (size_t i = 0; i < subprotocols.size(); ++i) r += (i ? ", " : "") + subprotocols[i];
    r += "\r\n";
  }
  for (const auto &[name, value] : headers) r += name + ": " + value + "\r\n";
  r += "\r\n";
  out.accept = websocket_accept(key);
  return true;
}

UpgradeResponse::Result UpgradeResponse::reject(std::string why) {
  error_ = "HS: " + std::move(why);
  return Result::Rejected;
}

UpgradeResponse::Result UpgradeResponse::feed(const uint8_t *in, size_t len, size_t &used) {
  used = 0;
  if (!error_.empty()) return Result::Rejected;
  // Look for the blank line from a little before the new bytes, in case
  // "\r\n\r\n" straddles two reads.
  const size_t from = head_.size() < 3 ? 0 : head_.size() - 3;
  const size_t room = kMaxResponseHead - head_.size();
  head_.append(reinterpret_cast<const char *>(in), std::min(len, room));
  // Something that does not start like an HTTP response is refused at once,
  // not after 16 KiB or the connect timeout.
  const size_t prefix = std::min<size_t>(head_.size(), 5);
  if (head_.compare(0, prefix, "HTTP/", prefix) != 0) {
    used = std::min(len, room);
    return reject("the server's answer is not an HTTP response");
  }
  const size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    used = std::min(len, room);
    if (head_.size() >= kMaxResponseHead) {
      return reject("the response headers are longer than " + std::to_string(kMaxResponseHead) +
                    " bytes");
    }
    return Result::NeedMore;
  }
  const size_t old_size = head_.size() - std::min(len, room);
  used = end + 4 - old_size;
  head_.resize(end + 2);  // keep the last header's CRLF
  return check_head();
}

UpgradeResponse::Result UpgradeResponse::check_head() {
  // Status line: HTTP/1.1 SP 3DIGIT SP reason
  const size_t line_end = head_.find("\r\n");
  const std::string_view status_line(head_.data(), line_end);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(status_line[7])) || status_line[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(status_line[9])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[10])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[11])) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return reject("the server's answer is not an HTTP response");
  }
  status_ = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  if (status_ != 101) return reject("ws upgrade response not 101");

  // Repeated headers combine into one comma-separated list (RFC 9110 §5.3).
  std::map<std::string, std::string> fields;
  size_t pos = line_end + 2;
  while (pos < head_.size()) {
    const size_t eol = head_.find("\r\n", pos);
    const std::string_view line(head_.data() + pos, eol - pos);
    pos = eol + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' ||
        line.front() == '\t') {
      return reject("malformed response header line");
    }
    std::string &field = fields[lower(line.substr(0, colon))];
    const std::string_view value = trim(line.substr(colon + 1));
    field += field.empty() ? std::string(value) : ", " + std::string(value);
  }
  auto field = [&](const char *name) -> const std::string * {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  };
  const std::string *upgrade = field("upgrade");
  if (!upgrade || !lists_token(*upgrade, "websocket")) return reject("no 'Upgrade: websocket'");
  const std::string *connection = field("connection");
  if (!connection || !lists_token(*connection, "upgrade")) {
    return reject("no 'Connection: Upgrade'");
  }
  const std::string *accept = field("sec-websocket-accept");
  if (!accept || *accept != accept_) return reject("Accept hash wrong");
  if (const std::string *ext = field("sec-websocket-extensions"); ext && !ext->empty()) {
    return reject("the server chose an extension that was not offered (" + *ext + ")");
  }
  if (const std::string *proto = field("sec-websocket-protocol"); proto && !proto->empty()) {
    if (std::find(offered_.begin(), offered_.end(), *proto) == offered_.end()) {
      return reject("the server chose subprotocol '" + *proto + "', which was not offered");
    }
    subprotocol_ = *proto;
  }
  return Result::Accepted;
}

}  // namespace wsc::detail
