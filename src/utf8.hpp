// Incremental UTF-8 validation for WebSocket text messages (RFC 6455 section
// 8.1 requires failing the connection on invalid UTF-8, and a fragmented
// message may split a code point between frames).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsc::detail {

// Strict RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF. Feeding stops accepting after the first error until reset().
class Utf8Validator {
 public:
  // False as soon as the bytes so far cannot begin a valid string.
  bool feed(const unsigned char *data, size_t len) noexcept;
  // True if no sequence is left open and nothing failed; check at the end of
  // a message, since feed() alone cannot tell a truncated tail.
  bool complete() const noexcept { return !failed_ && need_ == 0; }
  void reset() noexcept { *this = Utf8Validator(); }

 private:
  uint8_t need_ = 0;  // continuation bytes still expected
  // Range allowed for the next continuation byte; narrower than 80..BF only
  // right after lead bytes E0, ED, F0 and F4, which is where overlongs,
  // surrogates and > U+10FFFF are excluded.
  uint8_t lo_ = 0x80;
  uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

bool is_valid_utf8(const void *data, size_t len) noexcept;

}  // namespace wsc::detail
