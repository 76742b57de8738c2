#include "http_head.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>

namespace wsc::detail {

namespace {

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

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The first byte that may not appear in a field value or reason phrase
// (RFC 9110 §5.5: VCHAR, obs-text, SP and HTAB are fine), or null.
const char *first_control(std::string_view s) {
  for (const char &c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return &c;
  }
  return nullptr;
}

// A byte for an error message: NUL and CR by name, other odd bytes in hex.
std::string byte_text(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u == 0) return "a NUL byte";
  if (u == '\r') return "a bare CR";
  if (u == ' ') return "a space";
  if (u == '\t') return "a tab";
  char buf[24];
  if (u > 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof buf, "the character '%c'", u);
  } else {
    std::snprintf(buf, sizeof buf, "the byte 0x%02x", u);
  }
  return buf;
}

}  // namespace

std::string base64_encode(const unsigned char *data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool lists_token(const std::string &value, const std::string &lowercase_token) {
  std::string_view rest(value);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (lower(trim(rest.substr(0, comma))) == lowercase_token) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

HttpResponseHead::Result HttpResponseHead::invalid(std::string why) {
  error_ = std::move(why);
  return Result::Invalid;
}

const std::string *HttpResponseHead::field(const std::string &lowercase_name) const {
  auto it = fields_.find(lowercase_name);
  return it == fields_.end() ? nullptr : &it->second;
}

HttpResponseHead::Result HttpResponseHead::feed(const uint8_t *in, size_t len, size_t &used) {
  used = 0;
  if (!error_.empty()) return Result::Invalid;
  if (complete_) return Result::Complete;
  const size_t before = head_.size();
  const size_t take = std::min(len, kMaxResponseHead - before);
  head_.append(reinterpret_cast<const char *>(in), take);
  used = take;
  // Something that does not start like an HTTP response is refused at once,
  // not after 16 KiB or a timeout.
  const size_t prefix = std::min<size_t>(head_.size(), 5);
  if (head_.compare(0, prefix, "HTTP/", prefix) != 0) {
    return invalid("the answer is not an HTTP response");
  }
  // Only the new bytes can hold a line end not yet seen.
  for (size_t eol = before;
       (eol = head_.find('\n', std::max(eol, line_start_))) != std::string::npos;) {
    std::string_view line(head_.data() + line_start_, eol - line_start_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line_start_ = eol + 1;
    if (line.empty()) {  // the blank line: the head ends here
      used = line_start_ - before;
      complete_ = true;
      std::string().swap(head_);
      return Result::Complete;
    }
    if (take_line(line) == Result::Invalid) return Result::Invalid;
  }
  if (head_.size() >= kMaxResponseHead) {
    return invalid("the response headers are longer than " + std::to_string(kMaxResponseHead) +
                   " bytes");
  }
  return Result::NeedMore;
}

HttpResponseHead::Result HttpResponseHead::take_line(std::string_view line) {
  if (line.find('\r') != std::string_view::npos) {
    return invalid(std::string("malformed response head: a bare CR in ") +
                   (status_ == 0 ? "the status line" : "a header line") +
                   " (RFC 9112 section 2.2)");
  }
  if (status_ == 0) return status_line(line);
  if (++lines_ > kMaxResponseHeaderLines) {
    return invalid("the response has more than " + std::to_string(kMaxResponseHeaderLines) +
                   " header lines");
  }
  return field_line(line);
}

HttpResponseHead::Result HttpResponseHead::status_line(std::string_view line) {
  // HTTP/1.x SP 3DIGIT [SP reason]; the reason is text without controls.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !digit(line[7]) || line[8] != ' ' ||
      !digit(line[9]) || !digit(line[10]) || !digit(line[11]) ||
      (line.size() > 12 && line[12] != ' ')) {
    return invalid("the answer is not an HTTP response");
  }
  if (const char *bad = first_control(line.substr(12))) {
    return invalid("malformed response head: " + byte_text(*bad) + " in the status line");
  }
  const int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  // RFC 9110 section 15: the first digit is the class, 1 to 5 (a 6xx-9xx is
  // still read, as an unknown code of its class would be).
  if (status < 100)
    return invalid("malformed response head: status code " + std::string(line.substr(9, 3)));
  status_ = status;
  return Result::NeedMore;
}

HttpResponseHead::Result HttpResponseHead::field_line(std::string_view line) {
  const std::string malformed = "malformed response header line: ";
  if (line.front() == ' ' || line.front() == '\t') {
    if (last_name_.empty()) {
      return invalid(malformed + "whitespace before the first header (RFC 9112 section 2.2)");
    }
    const std::string_view more = trim(line);
    if (const char *bad = first_control(more)) {
      return invalid(malformed + byte_text(*bad) + " in a folded header value");
    }
    // obs-fold: one SP instead of the line break (RFC 9112 section 5.2).
    if (!more.empty()) fields_[last_name_].append(" ").append(more);
    return Result::NeedMore;
  }
  size_t name_end = 0;
  while (name_end < line.size() && is_tchar(line[name_end])) ++name_end;
  const std::string_view name = line.substr(0, name_end);
  const std::string quoted = "'" + std::string(name.substr(0, 64)) + "'";
  const size_t colon = line.find(':', name_end);
  if (colon == std::string_view::npos) return invalid(malformed + "no colon after " + quoted);
  if (colon != name_end) {
    if (name_end > 0 && trim(line.substr(name_end, colon - name_end)).empty()) {
      return invalid(malformed + "whitespace between the header name " + quoted +
                     " and its colon (RFC 9112 section 5.1)");
    }
    return invalid(malformed + byte_text(line[name_end]) + " in a header name after " + quoted +
                   " (names are RFC 9110 tokens)");
  }
  if (name.empty()) return invalid(malformed + "empty header name");
  const std::string_view value = trim(line.substr(name_end + 1));
  if (const char *bad = first_control(value)) {
    return invalid(malformed + byte_text(*bad) + " in the value of " + quoted);
  }
  last_name_ = lower(name);
  std::string &field = fields_[last_name_];
  if (!field.empty()) field += ", ";
  field.append(value);
  return Result::NeedMore;
}

std::string pack_fields(const std::map<std::string, std::string> &fields) {
  size_t size = 0;
  for (const auto &[name, value] : fields) size += name.size() + value.size() + 2;
  std::string packed;
  packed.reserve(size);
  for (const auto &[name, value] : fields) {
    packed.append(name).append(1, '\n').append(value).append(1, '\n');
  }
  return packed;
}

std::vector<std::pair<std::string, std::string>> unpack_fields(std::string_view packed) {
  std::vector<std::pair<std::string, std::string>> fields;
  while (!packed.empty()) {
    const size_t name_end = packed.find('\n');
    const size_t value_end = packed.find('\n', name_end + 1);
    if (name_end == std::string_view::npos || value_end == std::string_view::npos) break;
    fields.emplace_back(packed.substr(0, name_end),
                        packed.substr(name_end + 1, value_end - name_end - 1));
    packed.remove_prefix(value_end + 1);
  }
  return fields;
}

}  // namespace wsc::detail
