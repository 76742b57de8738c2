// libFuzzer target for everything wsc parses from a server: the upgrade
// response head and the frame stream after it. The first input byte picks
// the read size, so the same bytes are also tried split across reads, and
// whether RSV1 (permessage-deflate) is allowed.
#include <cstddef>
#include <cstdint>

#include "frame_parser.hpp"
#include "fuzz_support.hpp"
#include "ws_handshake.hpp"

using namespace wsc::detail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const auto in = wsc::fuzz::split_input(data, size);
  if (in.piece == 0) return 0;
  const size_t piece = in.piece;
  // Bit 6 of the first byte: parse as after permessage-deflate was agreed.
  const bool allow_rsv1 = data[0] & 0x40;
  data = in.data;
  size = in.size;

  static const std::string accept = websocket_accept("dGhlIHNhbXBsZSBub25jZQ==");
  UpgradeResponse response(accept, {"chat"});
  size_t pos = 0;
  auto result = UpgradeResponse::Result::NeedMore;
  while (pos < size && result == UpgradeResponse::Result::NeedMore) {
    size_t used = 0;
    const size_t n = size - pos < piece ? size - pos : piece;
    result = response.feed(data + pos, n, used);
    if (used > n) __builtin_trap();
    pos += used;
  }
  // Whatever follows the head (or all of it, if the head was refused) goes
  // through the frame parser too.
  FrameParser parser;
  parser.set_allow_rsv1(allow_rsv1);
  if (result != UpgradeResponse::Result::Accepted) pos = 0;
  while (pos < size) {
    const size_t n = size - pos < piece ? size - pos : piece;
    FrameEvent event;
    const size_t used = parser.next(data + pos, n, event);
    if (used > n) __builtin_trap();
    if (event.kind == FrameEvent::Kind::Error) break;
    if (event.kind == FrameEvent::Kind::Data && event.len &&
        event.data + event.len != data + pos + used) {
      __builtin_trap();
    }
    if (event.kind == FrameEvent::Kind::NeedMore && used != n) __builtin_trap();
    if (event.compressed && !allow_rsv1) __builtin_trap();
    // An event that takes no bytes would make a caller loop forever.
    if (event.kind != FrameEvent::Kind::NeedMore && used == 0) __builtin_trap();
    pos += used;
  }
  return 0;
}
