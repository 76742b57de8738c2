// The HTTP/1.1 upgrade of RFC 6455 §4.1, for connections on which wsc reads
// and writes the WebSocket protocol itself (no extension; see
// frame_parser.hpp for why). lws still connects, tunnels through a proxy
// and runs TLS; the request and the checks on the answer are here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "http_head.hpp"
#include "permessage_deflate.hpp"

namespace wsc::detail {

struct UpgradeRequest {
  std::string text;    // the whole request, ready to write
  std::string accept;  // the Sec-WebSocket-Accept the server must answer
};

// Headers are (name, value) pairs already checked by validate_options: no
// control characters, names are tokens. False only if the CSPRNG fails.
bool make_upgrade_request(const std::string &host, const std::string &path,
                          const std::vector<std::string> &subprotocols,
                          const std::vector<std::pair<std::string, std::string>> &headers,
                          UpgradeRequest &out);

// Sec-WebSocket-Accept for a key: base64(SHA-1(key + RFC 6455 GUID)).
std::string websocket_accept(const std::string &key);

class UpgradeResponse {
 public:
  enum class Result { NeedMore, Accepted, Rejected };

  // `deflate`: what permessage-deflate was offered with, if it was
  // (deflate.enabled); the answer is then checked against it.
  UpgradeResponse(std::string expected_accept, std::vector<std::string> offered,
                  DeflateOptions deflate = {})
      : accept_(std::move(expected_accept)),
        offered_(std::move(offered)),
        deflate_offered_(deflate) {}

  // Takes bytes up to the end of the response head. `used` tells how many
  // were the head's: the rest already belong to the WebSocket stream.
  Result feed(const uint8_t *in, size_t len, size_t &used);

  int status() const { return head_.status(); }  // 0 until a status line was read
  const std::string &subprotocol() const { return subprotocol_; }
  // The response's header fields by lowercase name (see HttpResponseHead).
  const std::map<std::string, std::string> &headers() const { return head_.fields(); }
  // What the server accepted of the permessage-deflate offer (enabled false
  // when it accepted no extension).
  const DeflateParams &deflate() const { return deflate_; }
  // Why it was rejected, starting with "HS: " like lws's own texts.
  const std::string &error() const { return error_; }

 private:
  Result check_head();
  Result reject(std::string why);

  const std::string accept_;
  const std::vector<std::string> offered_;
  const DeflateOptions deflate_offered_;
  DeflateParams deflate_;
  HttpResponseHead head_;
  std::string subprotocol_;
  std::string error_;
};

}  // namespace wsc::detail
