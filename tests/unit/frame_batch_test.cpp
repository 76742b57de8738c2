// wsc-built client frames: every header length form, the mask bit, masked
// payloads decoded by a byte-at-a-time reference parser, fresh keys, and
// word-wide masking at every alignment and tail length.
#include "frame_batch.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace wsc::detail {
namespace {

struct Frame {
  bool fin = false;
  int opcode = -1;
  bool masked = false;
  uint32_t key = 0;
  std::vector<uint8_t> payload;  // unmasked
};

// RFC 6455 §5.2, one byte at a time; returns the bytes consumed (0: short).
size_t parse(const uint8_t *p, size_t n, Frame &f) {
  if (n < 2) return 0;
  f.fin = p[0] & 0x80;
  f.opcode = p[0] & 0x0f;
  f.masked = p[1] & 0x80;
  uint64_t len = p[1] & 0x7f;
  size_t at = 2;
  const size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
  if (ext) {
    len = 0;
    for (size_t i = 0; i < ext; ++i) len = (len << 8) | p[at++];
  }
  uint8_t key[4] = {0, 0, 0, 0};
  if (f.masked)
    for (int i = 0; i < 4; ++i) key[i] = p[at++];
  f.key = uint32_t{key[0]} << 24 | uint32_t{key[1]} << 16 | uint32_t{key[2]} << 8 | key[3];
  if (at + len > n) return 0;
  f.payload.resize(len);
  for (size_t i = 0; i < len; ++i) f.payload[i] = p[at + i] ^ key[i % 4];
  return at + len;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

TEST(FrameBatch, EveryLengthFormRoundTrips) {
  for (size_t len : {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536}) {
    FrameBatch batch(kFragmentBytes + FrameBatch::kMaxHeader);
    const auto data = pattern(len, static_cast<uint8_t>(len));
    ASSERT_TRUE(batch.fits(len));
    ASSERT_TRUE(batch.append(FrameOpcode::Binary, true, data.data(), len));
    EXPECT_EQ(batch.size(), FrameBatch::header_size(len) + len) << len;
    Frame f;
    ASSERT_EQ(parse(batch.data(), batch.size(), f), batch.size()) << len;
    EXPECT_TRUE(f.fin);
    EXPECT_EQ(f.opcode, 2);
    EXPECT_TRUE(f.masked) << "client frames must be masked";
    EXPECT_EQ(f.payload, data) << len;
  }
}

TEST(FrameBatch, HeaderUsesTheShortestLengthForm) {
  EXPECT_EQ(FrameBatch::header_size(125), 6u);
  EXPECT_EQ(FrameBatch::header_size(126), 8u);
  EXPECT_EQ(FrameBatch::header_size(65535), 8u);
  EXPECT_EQ(FrameBatch::header_size(65536), 14u);
}

TEST(FrameBatch, PacksSeveralFramesWithOpcodesAndFin) {
  FrameBatch batch(4096);
  const auto a = pattern(100, 1), b = pattern(300, 2), c = pattern(5, 3);
  ASSERT_TRUE(batch.append(FrameOpcode::Text, true, a.data(), a.size()));
  ASSERT_TRUE(batch.append(FrameOpcode::Binary, false, b.data(), b.size()));
  ASSERT_TRUE(batch.append(FrameOpcode::Continuation, true, c.data(), c.size()));
  std::vector<Frame> frames;
  size_t at = 0;
  while (at < batch.size()) {
    Frame f;
    const size_t used = parse(batch.data() + at, batch.size() - at, f);
    ASSERT_GT(used, 0u);
    at += used;
    frames.push_back(f);
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].opcode, 1);
  EXPECT_TRUE(frames[0].fin);
  EXPECT_EQ(frames[0].payload, a);
  EXPECT_EQ(frames[1].opcode, 2);
  EXPECT_FALSE(frames[1].fin);
  EXPECT_EQ(frames[1].payload, b);
  EXPECT_EQ(frames[2].opcode, 0);
  EXPECT_TRUE(frames[2].fin);
  EXPECT_EQ(frames[2].payload, c);
}

TEST(FrameBatch, FitsCountsHeaderAndPayload) {
  FrameBatch batch(100);
  EXPECT_TRUE(batch.fits(94));   // 6 + 94
  EXPECT_FALSE(batch.fits(95));  // 6 + 95
  const auto d = pattern(50, 0);
  ASSERT_TRUE(batch.append(FrameOpcode::Binary, true, d.data(), d.size()));
  EXPECT_TRUE(batch.fits(38));
  EXPECT_FALSE(batch.fits(39));
  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(batch.fits(94));
}

TEST(FrameBatch, SourceBytesAreLeftUnmasked) {
  FrameBatch batch(1024);
  auto data = pattern(200, 9);
  const auto copy = data;
  ASSERT_TRUE(batch.append(FrameOpcode::Binary, true, data.data(), data.size()));
  EXPECT_EQ(data, copy) << "a message must stay sendable again after a dropped connection";
}

TEST(FrameBatch, EveryFrameGetsAFreshKey) {
  FrameBatch batch(64 * 1024);
  std::set<uint32_t> keys;
  const uint8_t byte = 0;
  for (int i = 0; i < 3000; ++i) {  // crosses the key pool refill
    batch.clear();
    ASSERT_TRUE(batch.append(FrameOpcode::Binary, true, &byte, 1));
    Frame f;
    ASSERT_GT(parse(batch.data(), batch.size(), f), 0u);
    keys.insert(f.key);
  }
  // 3000 random 32-bit keys collide with probability ~0.1%; allow two.
  EXPECT_GE(keys.size(), 2998u);
}

TEST(MaskCopy, MatchesBytewiseMaskingAtEveryAlignmentAndTail) {
  const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  // Up to several steps of the widest (AVX-512, 64-byte) loop and its tails.
  const auto src = pattern(400, 5);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len + offset <= 320; ++len) {
      std::vector<uint8_t> dst(400, 0xee);
      mask_copy(dst.data() + offset, src.data() + offset, len, key);
      for (size_t i = 0; i < len; ++i)
        ASSERT_EQ(dst[offset + i], src[offset + i] ^ key[i % 4]) << offset << " " << len;
      ASSERT_EQ(dst[offset + len], 0xee) << "wrote past the end";
    }
  }
}

TEST(MaskCopy, InPlaceMaskingTwiceRestoresTheData) {
  const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
  auto data = pattern(1001, 3);
  const auto orig = data;
  mask_copy(data.data(), data.data(), data.size(), key);
  EXPECT_NE(data, orig);
  mask_copy(data.data(), data.data(), data.size(), key);
  EXPECT_EQ(data, orig);
}

}  // namespace
}  // namespace wsc::detail
