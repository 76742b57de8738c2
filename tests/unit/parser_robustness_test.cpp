// Hostile bytes through the two parsers that read what a server sends:
// valid streams with a few bytes changed, and plain noise, fed in random
// pieces. Under ASan (the CI's sanitizer job) this is a small fuzzer with a
// fixed seed; the invariants are the parsers' contracts.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "frame_parser.hpp"
#include "ws_handshake.hpp"

namespace wsc::detail {
namespace {

using Bytes = std::vector<uint8_t>;

// A server stream: a few frames of every length form, fragments and controls.
Bytes valid_stream(std::mt19937 &rng) {
  Bytes out;
  auto frame = [&](uint8_t b0, size_t len) {
    out.push_back(b0);
    if (len < 126) {
      out.push_back(static_cast<uint8_t>(len));
    } else if (len <= 0xffff) {
      out.push_back(126);
      out.push_back(static_cast<uint8_t>(len >> 8));
      out.push_back(static_cast<uint8_t>(len));
    } else {
      out.push_back(127);
      for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<uint8_t>(len >> shift));
    }
    for (size_t i = 0; i < len; ++i) out.push_back(static_cast<uint8_t>('a' + i % 26));
  };
  const size_t sizes[] = {0, 1, 125, 126, 300, 65535, 65536, 70000};
  for (int i = 0; i < 4; ++i) {
    const size_t n = sizes[rng() % 8];
    switch (rng() % 4) {
      case 0:
        frame(0x82, n);
        break;
      case 1:
        frame(0x01, n / 2);
        frame(0x89, 5);  // a ping between the fragments
        frame(0x80, n - n / 2);
        break;
      case 2:
        frame(0x8A, rng() % 126);
        break;
      default:
        frame(0x81, n % 200);
        break;
    }
  }
  return out;
}

// Feeds `stream` in random pieces and checks next()'s contract throughout.
void feed_checked(const Bytes &stream, std::mt19937 &rng) {
  FrameParser parser;
  size_t pos = 0;
  bool failed = false;
  int error_code = 0;
  while (pos < stream.size()) {
    const size_t piece = std::min<size_t>(stream.size() - pos, 1 + rng() % 5000);
    const uint8_t *in = stream.data() + pos;
    size_t left = piece;
    while (left) {
      FrameEvent event;
      const size_t used = parser.next(in, left, event);
      ASSERT_LE(used, left);
      if (failed) {
        // Sticky: the same error, nothing taken.
        ASSERT_EQ(event.kind, FrameEvent::Kind::Error);
        ASSERT_EQ(event.close_code, error_code);
        ASSERT_EQ(used, 0u);
        return;
      }
      switch (event.kind) {
        case FrameEvent::Kind::Error:
          ASSERT_TRUE(event.close_code == 1002 || event.close_code == 1007) << event.close_code;
          ASSERT_NE(std::string(event.detail), "");
          failed = true;
          error_code = event.close_code;
          break;
        case FrameEvent::Kind::Data:
          // A view into what was given, ending where the parser stopped.
          ASSERT_EQ(event.data + event.len, in + used);
          break;
        case FrameEvent::Kind::Control:
          ASSERT_LE(event.len, 125u);
          break;
        case FrameEvent::Kind::NeedMore:
          ASSERT_EQ(used, left);  // NeedMore means everything went into state
          break;
      }
      if (!failed) {
        ASSERT_TRUE(used > 0 || event.kind != FrameEvent::Kind::NeedMore);
      }
      in += used;
      left -= used;
    }
    pos += piece;
  }
}

TEST(ParserRobustness, MutatedFrameStreams) {
  std::mt19937 rng(20261126);
  for (int round = 0; round < 3000; ++round) {
    Bytes stream = valid_stream(rng);
    const int flips = static_cast<int>(rng() % 4);
    for (int f = 0; f < flips && !stream.empty(); ++f) stream[rng() % stream.size()] = rng();
    feed_checked(stream, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(ParserRobustness, NoiseFrameStreams) {
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    Bytes noise(rng() % 2048);
    for (auto &b : noise) b = static_cast<uint8_t>(rng());
    feed_checked(noise, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(ParserRobustness, MutatedUpgradeResponses) {
  std::mt19937 rng(11);
  const std::string accept = websocket_accept("dGhlIHNhbXBsZSBub25jZQ==");
  const std::string good =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      accept + "\r\nSec-WebSocket-Protocol: chat\r\n\r\n\x82\x02hi";
  for (int round = 0; round < 20000; ++round) {
    std::string text = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) text[rng() % text.size()] = static_cast<char>(rng());
    UpgradeResponse response(accept, {"chat"});
    size_t pos = 0;
    auto result = UpgradeResponse::Result::NeedMore;
    while (pos < text.size() && result == UpgradeResponse::Result::NeedMore) {
      const size_t piece = std::min<size_t>(text.size() - pos, 1 + rng() % 40);
      size_t used = 0;
      result = response.feed(reinterpret_cast<const uint8_t *>(text.data()) + pos, piece, used);
      ASSERT_LE(used, piece);
      if (result == UpgradeResponse::Result::NeedMore) {
        ASSERT_EQ(used, piece);
      }
      pos += used;
    }
    if (result == UpgradeResponse::Result::Rejected) {
      ASSERT_EQ(response.error().rfind("HS: ", 0), 0u) << response.error();
    }
    if (result == UpgradeResponse::Result::Accepted) {
      ASSERT_EQ(response.status(), 101);
      ASSERT_LE(pos, text.size());
    }
  }
}

}  // namespace
}  // namespace wsc::detail
