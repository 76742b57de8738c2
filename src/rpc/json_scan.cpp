#include "json_scan.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace wsc::detail {

namespace {

// nlohmann rejects a number that overflows a double: a longer number, or
// one with a 3-digit exponent, is "not sure" rather than computed here.
constexpr size_t kMaxNumberChars = 100;
constexpr size_t kMaxExponentDigits = 2;
// The scanner recurses per level: its own bound, whatever max_depth says.
constexpr size_t kMaxScanDepth = 512;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

// A byte a string cannot simply run on over: '"', '\\', a control or a
// non-ASCII byte.
bool string_special(unsigned char c) { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80; }

// Whether any of the 8 bytes of w is string_special (the "has zero byte"
// and "has byte less than" tricks; exact about whether there is one).
bool any_string_special(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  const uint64_t quote = has_zero(w ^ (kOnes * '"'));
  const uint64_t backslash = has_zero(w ^ (kOnes * '\\'));
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHighs;
  return (quote | backslash | control | (w & kHighs)) != 0;
}

// Every method returns false for "malformed or not sure", and then the
// position is meaningless.
class Scanner {
 public:
  Scanner(std::string_view text, size_t max_depth)
      : t_(text), max_depth_(std::min(max_depth, kMaxScanDepth)) {}

  size_t pos() const { return p_; }
  char peek() const { return p_ < t_.size() ? t_[p_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || p_ == t_.size()) return false;
    ++p_;
    return true;
  }
  void skip_space() {
    while (p_ < t_.size() && is_space(t_[p_])) ++p_;
  }
  bool at_end() {
    skip_space();
    return p_ == t_.size();
  }
  bool key_value_separator() {
    skip_space();
    if (!eat(':')) return false;
    skip_space();
    return true;
  }

  // The value at the position; depth = containers open around it.
  bool value(size_t depth) {
    skip_space();
    switch (peek()) {
      case '{':
        return container(depth + 1, '}', true);
      case '[':
        return container(depth + 1, ']', false);
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number(nullptr);
    }
  }

  // A string; *escaped is set if it holds an escape.
  bool string(bool *escaped) {
    if (!eat('"')) return false;
    for (;;) {
      skip_plain_string_bytes();
      if (p_ >= t_.size()) return false;
      const auto c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (escaped) *escaped = true;
        if (!escape()) return false;
      } else if (!utf8_sequence()) {  // c >= 0x80
        return false;
      }
    }
  }

  // A number; *uint its value if it is an unsigned integer that fits.
  bool number(uint64_t *uint) {
    const size_t start = p_;
    const bool negative = eat('-');
    if (!is_digit(peek())) return false;
    if (!eat('0')) digits();
    bool integral = true;
    if (eat('.')) {
      integral = false;
      if (!is_digit(peek())) return false;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++p_;
      if (peek() == '+' || peek() == '-') ++p_;
      const size_t exponent = p_;
      if (!is_digit(peek())) return false;
      digits();
      if (p_ - exponent > kMaxExponentDigits) return false;
    }
    if (p_ - start > kMaxNumberChars) return false;
    if (!uint) return true;
    if (negative || !integral) return false;
    uint64_t v = 0;
    for (size_t i = start; i < p_; ++i) {
      const auto d = static_cast<uint64_t>(t_[i] - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
      v = v * 10 + d;
    }
    *uint = v;
    return true;
  }

 private:
  bool container(size_t depth, char close, bool object) {
    if (depth > max_depth_) return false;
    ++p_;  // the opening bracket
    skip_space();
    if (eat(close)) return true;
    for (;;) {
      if (object) {
        skip_space();
        if (!string(nullptr) || !key_value_separator()) return false;
      }
      if (!value(depth)) return false;
      skip_space();
      if (eat(close)) return true;
      if (!eat(',')) return false;
    }
  }

  bool literal(std::string_view word) {
    if (t_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  // Strings are most of a payload: 8 bytes a step while none is special.
  void skip_plain_string_bytes() {
    while (p_ + 8 <= t_.size()) {
      uint64_t w;
      std::memcpy(&w, t_.data() + p_, sizeof w);
      if (any_string_special(w)) break;
      p_ += 8;
    }
    while (p_ < t_.size() && !string_special(static_cast<unsigned char>(t_[p_]))) ++p_;
  }

  void digits() {
    while (is_digit(peek())) ++p_;
  }

  // At a backslash.
  bool escape() {
    if (p_ + 1 >= t_.size()) return false;
    switch (t_[p_ + 1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        p_ += 2;
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    if (p_ + 6 > t_.size()) return false;
    unsigned code = 0;
    for (size_t i = p_ + 2; i < p_ + 6; ++i) {
      if (!is_hex(t_[i])) return false;
      code = code * 16 + static_cast<unsigned>(hex_value(t_[i]));
    }
    // Surrogate pairs have rules of their own: leave them to nlohmann.
    if (code >= 0xD800 && code <= 0xDFFF) return false;
    p_ += 6;
    return true;
  }

  // At a byte >= 0x80: one well-formed UTF-8 sequence (RFC 3629, table 3-7
  // of Unicode: no overlong forms, no surrogates, nothing past U+10FFFF).
  bool utf8_sequence() {
    const auto c = static_cast<unsigned char>(t_[p_]);
    size_t trailing = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the first trailing byte
    if (c >= 0xC2 && c <= 0xDF) {
      trailing = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      trailing = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      trailing = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (p_ + trailing >= t_.size()) return false;
    for (size_t i = 1; i <= trailing; ++i) {
      const auto b = static_cast<unsigned char>(t_[p_ + i]);
      if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return false;
    }
    p_ += trailing + 1;
    return true;
  }

  const std::string_view t_;
  const size_t max_depth_;
  size_t p_ = 0;
};

}  // namespace

bool json_surely_valid(std::string_view text) noexcept {
  Scanner s(text, kMaxScanDepth);
  return s.value(0) && s.at_end();
}

bool scan_json_rpc_result(std::string_view frame, size_t max_depth, JsonRpcResult &out) noexcept {
  Scanner s(frame, max_depth);
  s.skip_space();
  if (max_depth < 1 || !s.eat('{')) return false;
  bool have_id = false, have_result = false;
  for (;;) {
    s.skip_space();
    const size_t key_start = s.pos();
    bool escaped = false;
    if (!s.string(&escaped) || escaped) return false;
    const std::string_view key = frame.substr(key_start + 1, s.pos() - key_start - 2);
    if (!s.key_value_separator()) return false;
    if (key == "id") {
      if (have_id || !s.number(&out.id) || out.id == 0) return false;
      have_id = true;
    } else if (key == "result") {
      const size_t value_start = s.pos();
      if (have_result || !s.value(1)) return false;
      out.result = frame.substr(value_start, s.pos() - value_start);
      have_result = true;
    } else if (key == "method" || key == "notification" || key == "error") {
      return false;  // a request, an event or an error: the DOM decoder's
    } else if (!s.value(1)) {
      return false;  // "jsonrpc" and any other member: only well-formed
    }
    s.skip_space();
    if (s.eat('}')) break;
    if (!s.eat(',')) return false;
  }
  return have_id && have_result && s.at_end();
}

}  // namespace wsc::detail
