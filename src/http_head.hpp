// The head of an HTTP/1.x response (status line and header fields), read
// incrementally from a byte stream that continues after it: the answer to a
// WebSocket upgrade or to a proxy's CONNECT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace wsc::detail {

// A head longer than this is refused: a peer that never ends its headers
// must not grow client memory.
inline constexpr size_t kMaxResponseHead = 16 * 1024;

class HttpResponseHead {
 public:
  enum class Result { NeedMore, Complete, Invalid };

  // Takes bytes up to the end of the head. `used` tells how many were the
  // head's: the rest already belong to whatever follows it.
  Result feed(const uint8_t *in, size_t len, size_t &used);

  int status() const { return status_; }  // 0 until a status line was read
  // A header field by lowercase name; repeated fields are joined with ", "
  // (RFC 9110 §5.3). Null when absent.
  const std::string *field(const std::string &lowercase_name) const;
  // Why the head is Invalid.
  const std::string &error() const { return error_; }

 private:
  Result parse();
  Result invalid(std::string why);

  std::string head_;
  int status_ = 0;
  std::map<std::string, std::string> fields_;
  std::string error_;
};

// Standard base64 with padding (RFC 4648 §4), for header values.
std::string base64_encode(const unsigned char *data, size_t len);

// Whether a comma-separated header value lists `token` (case-insensitive).
bool lists_token(const std::string &value, const std::string &lowercase_token);

}  // namespace wsc::detail
