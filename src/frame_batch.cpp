#include "frame_batch.hpp"

#include <openssl/rand.h>

#include <cstring>

namespace wsc::detail {

namespace {

// 1024 keys per refill: one CSPRNG call per thousand frames.
constexpr size_t kKeyPoolBytes = 4096;

}  // namespace

bool MaskKeySource::next(uint8_t key[4]) {
  if (used_ + 4 > pool_.size()) {
    pool_.resize(kKeyPoolBytes);
    if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) {
      pool_.clear();
      used_ = 0;
      return false;
    }
    used_ = 0;
  }
  std::memcpy(key, pool_.data() + used_, 4);
  used_ += 4;
  return true;
}

// Built for the baseline (16-byte SSE2 vectors) and for AVX2 and AVX-512,
// picked when the library loads (GCC's ifunc): the wider loops move 32 or
// 64 bytes per step, and masking is a pass over every payload byte sent.
// Not under ThreadSanitizer: the ifunc resolver runs while the dynamic
// linker relocates, before TSan's runtime is up, and GCC instruments it
// (every TSan binary died with SIGSEGV before main).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4]) {
  uint8_t key8[8];
  std::memcpy(key8, key, 4);
  std::memcpy(key8 + 4, key, 4);
  uint64_t word_key;
  std::memcpy(&word_key, key8, 8);
  size_t i = 0;
  // memcpy in and out keeps this free of alignment and aliasing assumptions;
  // compilers turn it into plain (and vectorised) 64-bit loads and stores.
  for (; i + 8 <= len; i += 8) {
    uint64_t word;
    std::memcpy(&word, src + i, 8);
    word ^= word_key;
    std::memcpy(dst + i, &word, 8);
  }
  // i is a multiple of 8, so the tail starts at key byte 0 again.
  for (size_t k = 0; i < len; ++i, ++k) dst[i] = src[i] ^ key[k & 3];
}

FrameBatch::FrameBatch(size_t capacity) : buffer_(capacity) {}

size_t FrameBatch::header_size(size_t payload) {
  if (payload < 126) return 2 + 4;
  if (payload <= 0xffff) return 4 + 4;
  return 10 + 4;
}

bool FrameBatch::append(FrameOpcode opcode, bool fin, const uint8_t *payload, size_t len,
                        bool rsv1) {
  uint8_t key[4];
  if (!keys_.next(key)) return false;
  uint8_t *out = buffer_.data() + size_;
  *out++ = static_cast<uint8_t>((fin ? 0x80 : 0x00) | (rsv1 ? 0x40 : 0x00) |
                                static_cast<uint8_t>(opcode));
  constexpr uint8_t kMaskBit = 0x80;
  if (len < 126) {
    *out++ = static_cast<uint8_t>(kMaskBit | len);
  } else if (len <= 0xffff) {
    *out++ = kMaskBit | 126;
    *out++ = static_cast<uint8_t>(len >> 8);
    *out++ = static_cast<uint8_t>(len);
  } else {
    *out++ = kMaskBit | 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      *out++ = static_cast<uint8_t>(uint64_t{len} >> shift);
  }
  std::memcpy(out, key, 4);
  out += 4;
  if (len) mask_copy(out, payload, len, key);
  size_ = static_cast<size_t>(out - buffer_.data()) + len;
  return true;
}

}  // namespace wsc::detail
