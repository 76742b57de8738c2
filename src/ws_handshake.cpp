#include "ws_handshake.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <string_view>

namespace wsc::detail {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

}  // namespace

std::string websocket_accept(const std::string &key) {
  const std::string input = key + std::string(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char *>(input.data()), input.size(), digest);
  return base64_encode(digest, sizeof digest);
}

bool make_upgrade_request(const std::string &host, const std::string &path,
                          const std::vector<std::string> &subprotocols,
                          const std::vector<std::pair<std::string, std::string>> &headers,
                          UpgradeRequest &out) {
  unsigned char nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return false;
  const std::string key = base64_encode(nonce, sizeof nonce);
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
  switch (head_.feed(in, len, used)) {
    case HttpResponseHead::Result::NeedMore:
      return Result::NeedMore;
    case HttpResponseHead::Result::Invalid:
      return reject(head_.error());
    case HttpResponseHead::Result::Complete:
      break;
  }
  return check_head();
}

UpgradeResponse::Result UpgradeResponse::check_head() {
  if (head_.status() != 101) return reject("ws upgrade response not 101");
  const std::string *upgrade = head_.field("upgrade");
  if (!upgrade || !lists_token(*upgrade, "websocket")) return reject("no 'Upgrade: websocket'");
  const std::string *connection = head_.field("connection");
  if (!connection || !lists_token(*connection, "upgrade")) {
    return reject("no 'Connection: Upgrade'");
  }
  const std::string *accept = head_.field("sec-websocket-accept");
  if (!accept || *accept != accept_) return reject("Accept hash wrong");
  const std::string *ext = head_.field("sec-websocket-extensions");
  if (deflate_offered_.enabled) {
    std::string why;
    if (!negotiate_deflate(ext ? *ext : std::string(), deflate_offered_, deflate_, why)) {
      return reject("permessage-deflate answer refused: " + why);
    }
  } else if (ext && !ext->empty()) {
    return reject("the server chose an extension that was not offered (" + *ext + ")");
  }
  if (const std::string *proto = head_.field("sec-websocket-protocol"); proto && !proto->empty()) {
    if (std::find(offered_.begin(), offered_.end(), *proto) == offered_.end()) {
      return reject("the server chose subprotocol '" + *proto + "', which was not offered");
    }
    subprotocol_ = *proto;
  }
  return Result::Accepted;
}

}  // namespace wsc::detail
