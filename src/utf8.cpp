#include "utf8.hpp"

#include <cstring>

namespace wsc::detail {

namespace {
constexpr uint64_t kHighBits = 0x8080808080808080ull;
}

bool Utf8Validator::feed(const unsigned char *p, size_t len) noexcept {
  if (failed_) return false;
  if (len == 0) return true;
  const unsigned char *const end = p + len;
  unsigned need = need_, lo = lo_, hi = hi_;
  while (p < end) {
    if (need == 0) {
      // Most text payloads (JSON etc.) are ASCII; memcpy keeps the word load
      // legal at any alignment and compiles to a single move.
      while (static_cast<size_t>(end - p) >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        if (word & kHighBits) break;
        p += 8;
      }
      while (p < end && *p < 0x80) ++p;
      if (p == end) break;
      unsigned c = *p++;
      lo = 0x80;
      hi = 0xBF;
      if (c < 0xC2) {
        // Stray continuation byte, or C0/C1 which can only encode overlongs.
        failed_ = true;
        return false;
      } else if (c < 0xE0) {
        need = 1;
      } else if (c < 0xF0) {
        need = 2;
        if (c == 0xE0)
          lo = 0xA0;  // below U+0800 would be overlong
        else if (c == 0xED)
          hi = 0x9F;  // U+D800..U+DFFF are surrogates
      } else if (c < 0xF5) {
        need = 3;
        if (c == 0xF0)
          lo = 0x90;  // below U+10000 would be overlong
        else if (c == 0xF4)
          hi = 0x8F;  // above U+10FFFF
      } else {
        failed_ = true;
        return false;
      }
    } else {
      unsigned c = *p++;
      if (c < lo || c > hi) {
        failed_ = true;
        return false;
      }
      lo = 0x80;
      hi = 0xBF;
      --need;
    }
  }
  need_ = static_cast<uint8_t>(need);
  lo_ = static_cast<uint8_t>(lo);
  hi_ = static_cast<uint8_t>(hi);
  return true;
}

bool is_valid_utf8(const void *data, size_t len) noexcept {
  Utf8Validator v;
  return v.feed(static_cast<const unsigned char *>(data), len) && v.complete();
}

}  // namespace wsc::detail
