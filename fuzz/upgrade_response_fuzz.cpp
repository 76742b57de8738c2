// libFuzzer target for the checks on the server's answer to the WebSocket
// upgrade (UpgradeResponse): whole and in pieces alike, Accepted only for a
// 101 with the expected accept hash and an offered subprotocol (or none),
// and never anything taken past the head.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "ws_handshake.hpp"

using wsc::detail::UpgradeResponse;
using wsc::fuzz::check;
using wsc::fuzz::feed_in_pieces;

namespace {

const std::vector<std::string> kOffered = {"chat", "superchat"};

const std::string &accept_hash() {
  static const std::string accept = wsc::detail::websocket_accept("dGhlIHNhbXBsZSBub25jZQ==");
  return accept;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const auto in = wsc::fuzz::split_input(data, size);
  if (in.piece == 0) return 0;
  UpgradeResponse whole(accept_hash(), kOffered), pieces(accept_hash(), kOffered);
  const auto fed_whole = feed_in_pieces(whole, in.data, in.size, std::max<size_t>(in.size, 1));
  const auto fed_pieces = feed_in_pieces(pieces, in.data, in.size, in.piece);
  const auto a = fed_whole.result;
  const size_t used_whole = fed_whole.used, used_pieces = fed_pieces.used;
  check(a == fed_pieces.result);
  check(whole.error() == pieces.error());
  check(whole.subprotocol() == pieces.subprotocol());
  if (a == UpgradeResponse::Result::Accepted) {
    check(used_whole == used_pieces);
    check(whole.status() == 101);
    check(whole.error().empty());
    check(whole.subprotocol().empty() ||
          std::find(kOffered.begin(), kOffered.end(), whole.subprotocol()) != kOffered.end());
    // The head ends in a blank line: its last byte is a LF.
    check(used_whole >= 2 && in.data[used_whole - 1] == '\n');
  } else if (a == UpgradeResponse::Result::Rejected) {
    check(whole.error().compare(0, 4, "HS: ") == 0);
    check(whole.subprotocol().empty());
  }
  return 0;
}
