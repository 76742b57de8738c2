// The head of an HTTP/1.x response (status line and header fields), read
// incrementally from a byte stream that continues after it: the answer to a
// WebSocket upgrade or to a proxy's CONNECT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsc::detail {

// A head longer than this is refused: a peer that never ends its headers
// must not grow client memory.
inline constexpr size_t kMaxResponseHead = 16 * 1024;
// Nor may it send more header lines than this (Python's http.client allows
// 100 too): every line costs a map entry, not just its bytes.
inline constexpr size_t kMaxResponseHeaderLines = 100;

// RFC 9112 §2-5, as a user agent reads it: lines end in CRLF or a bare LF
// (§2.2 allows a recipient to take LF alone); each line is checked as soon as
// it is complete, so a malformed head is refused without waiting for its end:
// a bare CR, NUL or other control byte, a header name that is not a token
// (whitespace before the colon included: it would hide a header from the
// checks), a line without a colon. obs-fold (a line starting with SP or HTAB)
// continues the previous field's value with one SP, as §5.2 tells a user agent
// to; right after the status line it is refused (§2.2).
class HttpResponseHead {
 public:
  enum class Result { NeedMore, Complete, Invalid };

  // Takes bytes up to the end of the head. `used` tells how many were the
  // head's: the rest already belong to whatever follows it. After Complete or
  // Invalid it takes nothing and returns the same result.
  Result feed(const uint8_t *in, size_t len, size_t &used);

  int status() const { return status_; }  // 0 until a status line was read
  // A header field by lowercase name; repeated fields are joined with ", "
  // (RFC 9110 §5.3). Null when absent.
  const std::string *field(const std::string &lowercase_name) const;
  // Every field, by lowercase name, repeated ones joined as field() gives them.
  const std::map<std::string, std::string> &fields() const { return fields_; }
  // Why the head is Invalid.
  const std::string &error() const { return error_; }

 private:
  Result take_line(std::string_view line);
  Result status_line(std::string_view line);
  Result field_line(std::string_view line);
  Result invalid(std::string why);

  std::string head_;
  size_t line_start_ = 0;  // in head_: where the line not yet ended starts
  size_t lines_ = 0;       // header lines taken, folded ones included
  bool complete_ = false;
  int status_ = 0;
  std::map<std::string, std::string> fields_;
  std::string last_name_;  // of the field an obs-fold line continues
  std::string error_;
};

// Standard base64 with padding (RFC 4648 §4), for header values.
std::string base64_encode(const unsigned char *data, size_t len);

// Whether a comma-separated header value lists `token` (case-insensitive).
bool lists_token(const std::string &value, const std::string &lowercase_token);

// Header fields packed in one string, "name\nvalue\n" each (a complete
// head's names and values hold no line feed): the upgrade's fields, kept
// for the life of a connection, cost one allocation instead of a vector of
// string pairs.
std::string pack_fields(const std::map<std::string, std::string> &fields);
std::vector<std::pair<std::string, std::string>> unpack_fields(std::string_view packed);

}  // namespace wsc::detail
