// Client WebSocket frames built by wsc instead of lws (RFC 6455 §5.2).
//
// lws 4.1.6 masks outgoing payload one byte per loop iteration, reads
// /dev/urandom once per frame for the mask key, masks the caller's buffer in
// place and issues one send() per lws_write. Profiles put a third of a bulk
// sender's CPU in that loop (docs/BENCHMARKS.md). A FrameBatch instead packs
// whole frames — header, a key from a buffered CSPRNG, payload masked a word
// at a time while it is copied — into one buffer that the connection hands to
// lws as a single raw write. The message's own bytes are never modified, so a
// message cut off by a dropped connection can be sent again as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsc::detail {

// Mask keys drawn from OpenSSL's CSPRNG a few thousand at a time: RFC 6455
// §5.3 wants keys the application cannot predict, not one syscall per frame.
class MaskKeySource {
 public:
  // Returns false only if the CSPRNG fails (it then has no entropy to give).
  bool next(uint8_t key[4]);

 private:
  std::vector<uint8_t> pool_;
  size_t used_ = 0;
};

// Large messages go out in fragments of this size, so neither lws nor a
// batch ever buffers a whole large message; a batch holds one full fragment.
// 256 KiB, with lws's send cap (tx_packet_size) and read size
// (pt_serv_buf_size) to match: 1 MiB echo 1.22x and 4 KiB 1.27x faster
// than with 64 KiB (docs/PERFORMANCE.md). The buffers are per loop.
constexpr size_t kFragmentBytes = 256 * 1024;

enum class FrameOpcode : uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

class FrameBatch {
 public:
  // The largest header: 2 bytes, 8 of extended length, 4 of mask key.
  static constexpr size_t kMaxHeader = 14;

  explicit FrameBatch(size_t capacity);

  static size_t header_size(size_t payload);
  // Whether a frame carrying `payload` bytes still fits behind what is here.
  bool fits(size_t payload) const { return size_ + header_size(payload) + payload <= capacity(); }
  // Appends one masked frame; the caller checked fits(). False when no mask
  // key could be drawn (nothing is appended then).
  // rsv1: permessage-deflate's "compressed" bit (first frame of a message).
  bool append(FrameOpcode opcode, bool fin, const uint8_t *payload, size_t len, bool rsv1 = false);

  uint8_t *data() { return buffer_.data(); }
  size_t size() const { return size_; }
  size_t capacity() const { return buffer_.size(); }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

 private:
  std::vector<uint8_t> buffer_;
  size_t size_ = 0;
  MaskKeySource keys_;
};

// dst[i] = src[i] ^ key[i % 4], eight bytes per step. dst and src may be the
// same buffer but must not otherwise overlap.
void mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4]);

}  // namespace wsc::detail
