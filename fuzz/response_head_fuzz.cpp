// libFuzzer target for the HTTP response-head reader as the proxy's CONNECT
// reply uses it (HttpResponseHead): fed whole and in pieces it must give the
// same result, take the same bytes and say the same thing, stay within its
// size bound, and stay put once it has decided.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "http_head.hpp"

using wsc::detail::HttpResponseHead;
using wsc::detail::kMaxResponseHead;
using wsc::fuzz::check;
using wsc::fuzz::feed_in_pieces;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const auto in = wsc::fuzz::split_input(data, size);
  if (in.piece == 0) return 0;
  HttpResponseHead whole, pieces;
  const auto a = feed_in_pieces(whole, in.data, in.size, in.size ? in.size : 1);
  const auto b = feed_in_pieces(pieces, in.data, in.size, in.piece);
  check(a.result == b.result);
  check(whole.error() == pieces.error());
  check(whole.status() == pieces.status());
  if (a.result == HttpResponseHead::Result::Complete) {
    check(a.used == b.used);
    check(a.used <= kMaxResponseHead);
    check(whole.status() >= 100 && whole.status() <= 999);
    // Decided is decided: nothing more is taken.
    size_t used = 1;
    check(whole.feed(in.data, in.size, used) == HttpResponseHead::Result::Complete && used == 0);
  }
  if (a.result == HttpResponseHead::Result::Invalid) check(!whole.error().empty());
  return 0;
}
