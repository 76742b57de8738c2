#include "http_head.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
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
  // Look for the blank line from a little before the new bytes, in case
  // "\r\n\r\n" straddles two reads.
  const size_t from = head_.size() < 3 ? 0 : head_.size() - 3;
  const size_t take = std::min(len, kMaxResponseHead - head_.size());
  head_.append(reinterpret_cast<const char *>(in), take);
  // Something that does not start like an HTTP response is refused at once,
  // not after 16 KiB or a timeout.
  const size_t prefix = std::min<size_t>(head_.size(), 5);
  if (head_.compare(0, prefix, "HTTP/", prefix) != 0) {
    used = take;
    return invalid("the answer is not an HTTP response");
  }
  const size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    used = take;
    if (head_.size() >= kMaxResponseHead) {
      return invalid("the response headers are longer than " + std::to_string(kMaxResponseHead) +
                     " bytes");
    }
    return Result::NeedMore;
  }
  used = end + 4 - (head_.size() - take);
  head_.resize(end + 2);  // keep the last header's CRLF
  return parse();
}

HttpResponseHead::Result HttpResponseHead::parse() {
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  const size_t line_end = head_.find("\r\n");
  const std::string_view line(head_.data(), line_end);
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !digit(line[7]) || line[8] != ' ' ||
      !digit(line[9]) || !digit(line[10]) || !digit(line[11]) ||
      (line.size() > 12 && line[12] != ' ')) {
    return invalid("the answer is not an HTTP response");
  }
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  size_t pos = line_end + 2;
  while (pos < head_.size()) {
    const size_t eol = head_.find("\r\n", pos);
    const std::string_view header(head_.data() + pos, eol - pos);
    pos = eol + 2;
    const size_t colon = header.find(':');
    // A leading space would be obsolete line folding (RFC 9112 §5.2).
    if (colon == std::string_view::npos || colon == 0 || header.front() == ' ' ||
        header.front() == '\t') {
      return invalid("malformed response header line");
    }
    std::string &value = fields_[lower(header.substr(0, colon))];
    const std::string_view part = trim(header.substr(colon + 1));
    value += value.empty() ? std::string(part) : ", " + std::string(part);
  }
  return Result::Complete;
}

}  // namespace wsc::detail
