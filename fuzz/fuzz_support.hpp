// Shared by the fuzz targets: input splitting and invariant checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "url.hpp"

namespace wsc::fuzz {

struct Split {
  size_t piece = 0;  // 0: no input left to fuzz
  const uint8_t *data = nullptr;
  size_t size = 0;
};

// The first input byte picks the read size, so every input is also tried
// cut into pieces (1 to 64 bytes), the way a socket may deliver it.
inline Split split_input(const uint8_t *data, size_t size) {
  if (size < 1) return {};
  return {1 + static_cast<size_t>(data[0] % 64), data + 1, size - 1};
}

// A broken invariant must crash, in any build type.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// What a head parser (HttpResponseHead, UpgradeResponse) made of an input
// fed in pieces of `piece` bytes, stopping at the first decision.
template <class Result>
struct Fed {
  Result result = Result::NeedMore;
  size_t used = 0;  // over all the calls
};

template <class Parser>
auto feed_in_pieces(Parser &parser, const uint8_t *data, size_t size, size_t piece) {
  using Result = decltype(parser.feed(data, size, std::declval<size_t &>()));
  Fed<Result> out;
  for (size_t pos = 0; pos < size && out.result == Result::NeedMore;) {
    const size_t n = size - pos < piece ? size - pos : piece;
    size_t used = 0;
    out.result = parser.feed(data + pos, n, used);
    check(used <= n);
    // NeedMore takes everything it is given.
    check(out.result != Result::NeedMore || used == n);
    out.used += used;
    pos += n;
  }
  return out;
}

// An error message about a (proxy or WebSocket) URL never quotes what came
// before its last '@' (after a scheme): credentials show as "***@".
inline void check_no_userinfo(std::string_view text, const std::string &message) {
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos) return;
  const std::string_view before = text.substr(0, at);
  const std::string userinfo =
      std::string(before.substr(wsc::detail::scheme_prefix_length(before))) + "@";
  // The message's only '@' is the one after "***" (the parsers quote no
  // other part that may hold one), so only an empty userinfo or one ending
  // in '*' can match, by chance.
  if (userinfo.size() >= 2 && userinfo[userinfo.size() - 2] != '*') {
    check(message.find(userinfo) == std::string::npos);
  }
}

}  // namespace wsc::fuzz
