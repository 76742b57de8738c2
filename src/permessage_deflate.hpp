// permessage-deflate (RFC 7692) spoken by wsc itself, sans-I/O, on zlib.
//
// lws 4.1.6's own permessage-deflate crashes (SIGSEGV in deflate on a 1 MiB
// echo, an assertion in its pm-deflate on 256 KiB), so the connection
// negotiates and transforms message payloads with this module instead. It
// knows nothing of sockets, frames or connections: it is given header values
// and payload bytes and returns header values, payload bytes and verdicts.
//
// How the connection uses it (RFC 7692 §6, §7):
//
//  1. Handshake. Options checked with check_deflate_options() (an error is
//     WSC_EINVAL). When enabled, send "Sec-WebSocket-Extensions:
//     <deflate_offer(options)>". On the 101, call negotiate_deflate() with
//     the values of all Sec-WebSocket-Extensions fields joined with ", "
//     (HttpResponseHead::field already joins them; "" when absent). False:
//     fail the handshake with WSC_EHANDSHAKE and the error text. True with
//     params.enabled: make one Deflater and one Inflater from the params;
//     with !params.enabled the connection runs without extension.
//
//  2. Sending a data message of `len` bytes (only when params.enabled):
//     len < options.min_compress_bytes → send it as today, RSV1 clear.
//     Otherwise Deflater::compress() the whole message and send the result
//     as the payload instead, fragmented as usual, with RSV1 set on the first
//     frame only (never on continuation or control frames). compress() fails
//     only when zlib cannot allocate: fail the connection (1011, WSC_ENOMEM).
//     Messages go through compress() in the order they go on the wire: with
//     context takeover each one refers back to the ones before. So compress
//     on the loop thread when the message is framed, not in wsc_send; keep
//     the queued message uncompressed, and make a new Deflater and Inflater
//     for every connection attempt (a message cut off by a drop is
//     compressed again on the next connection, with its new context).
//
//  3. Receiving: RSV1 on the first frame of a data message means the message
//     is compressed; RSV1 on a continuation or control frame, or RSV1 at all
//     without a negotiated extension, is a protocol error (close 1002). For a
//     compressed message pass every frame's payload, in order and in any
//     pieces, to Inflater::feed() with message_end = true on the last piece of
//     the FIN frame (an empty piece is fine), appending to the message buffer.
//     The size limit then counts inflated bytes (feed enforces it): do not
//     also check the compressed frame lengths against max_message_bytes
//     (incompressible data grows by 5 bytes per 64 KiB, so a message of
//     exactly the limit would be refused). The UTF-8 check of a text message
//     runs over the appended bytes. Results:
//       Ok       keep going; at message_end the message is complete.
//       TooBig   close 1009, WSC_ETOOBIG (more than max_message_bytes would
//                come out; nothing past the limit was appended).
//       Corrupt  close 1007, WSC_EPROTO: the frames were well formed but
//                their payload is not a DEFLATE stream ending at a block
//                boundary. 1007 ("data within a message that was not
//                consistent with the type of the message") as Node's `ws`
//                and undici answer; Python websockets sends 1002. RFC 7692
//                §6.2 only says _Fail the WebSocket Connection_.
//       NoMemory close 1011, WSC_ENOMEM.
//     Uncompressed messages (RSV1 clear) never touch the Inflater.
//     After TooBig, Corrupt or NoMemory the Inflater keeps returning that
//     result: the connection is being failed anyway.
//
// Today's code that must change for it: UpgradeResponse::check_head refuses
// every Sec-WebSocket-Extensions answer, and FrameParser refuses RSV1.
//
// Neither class is thread-safe; each belongs to one connection's loop thread.
// zlib state is allocated at the first message, not at negotiation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <wsc/client.hpp>

struct z_stream_s;  // zlib.h

namespace wsc::detail {

// What the user asks for.
struct DeflateOptions {
  bool enabled = false;
  // The window we compress with, 9..15. Always offered, without a value at
  // 15, so the server may ask for a smaller one (RFC 7692 §7.1.2.2).
  int client_max_window_bits = 15;
  // 0: do not restrict the server; 9..15: ask it to compress with at most
  // this window (memory on both sides: we inflate with a 2^bits window).
  int server_max_window_bits = 0;
  bool client_no_context_takeover = false;  // we reset our context per message
  bool server_no_context_takeover = false;  // ask the server to reset its own
  // Messages shorter than this go out uncompressed. Below 256 B deflate
  // saves a few dozen bytes at most, none without context takeover (64 B
  // of JSON: 65 B), for 1-8 µs a message; from 256 B text shrinks to 30-40%
  // (docs/DEFLATE.md). Between Python websockets (compresses everything)
  // and Node ws (1024, which leaves most small JSON messages uncompressed).
  size_t min_compress_bytes = 256;
};

// The deflate part of a connection's options.
DeflateOptions deflate_options(const Options &options);

// Empty when the options are usable, else what is wrong with them.
std::string check_deflate_options(const DeflateOptions &options);

// The Sec-WebSocket-Extensions value offering what `options` ask for, e.g.
// "permessage-deflate; client_max_window_bits". Options must be checked.
std::string deflate_offer(const DeflateOptions &options);

// What both sides agreed on.
struct DeflateParams {
  bool enabled = false;
  int client_window_bits = 15;  // we compress with this window
  int server_window_bits = 15;  // the server compresses with at most this window
  bool client_no_context_takeover = false;
  bool server_no_context_takeover = false;
};

// Reads the server's Sec-WebSocket-Extensions value (all fields joined with
// ", "; empty = no extension accepted: true with out.enabled = false). False,
// with `error` saying why, when the answer is malformed or is not an
// acceptance of what deflate_offer(options) offered.
bool negotiate_deflate(std::string_view response_extensions, const DeflateOptions &options,
                       DeflateParams &out, std::string &error);

struct DeflateEnd {
  void operator()(z_stream_s *stream) const;
};
struct InflateEnd {
  void operator()(z_stream_s *stream) const;
};

// zlib's speed/size/memory trade-off for compressing (deflateInit2),
// chosen with bench/deflate_bench.cpp --tuning (docs/DEFLATE.md): on JSON
// records level 1 compresses 3.3x faster than zlib's default 6 (139 vs 41
// MB/s) for 26% more bytes (27% vs 21% of the input); memLevel 8 is the
// fastest (4 is 10-20% slower, 1 is 2.5x slower), 9 gains nothing.
// zlib.h: deflate takes 2^(window_bits+2) + 2^(mem_level+9) bytes, 256 KiB
// at 15 and 8; inflate 2^window_bits + ~7 KiB. Per connection, from the
// first compressed message on.
//
// Random-looking payloads (compressed media, encrypted or random bytes) are
// sent uncompressed: zlib spends more on them than on text (20 ms per MiB
// against 6.4, docs/DEFLATE.md) to make them a few bytes larger. A sample of
// the message decides (sample_entropy_bits): above incompressible_bits bits
// per byte of order-0 entropy no Huffman code can save more than a few
// percent. 7.5 keeps base64 (6 bits) and every text compressed; 9 or more
// compresses everything (the corrected estimate stays below 8.75).
struct DeflateTuning {
  int level = 1;      // 1 (fastest) .. 9 (smallest); Z_BEST_SPEED as aiohttp
  int mem_level = 8;  // 1..9: size of the match hash table
  double incompressible_bits = 7.5;
};

// Order-0 entropy in bits per byte (about 0..8; Miller-Madow corrected) of a
// sample of in[0, len): all of it up to kEntropySample bytes, else that many
// in four slices spread over it. A few µs; 0 for an empty input. Random
// bytes measure 7.6 at 256 bytes and 7.9 from 512 on, JSON 4.6, base64 6.
constexpr size_t kEntropySample = 4096;
double sample_entropy_bits(const uint8_t *in, size_t len);

// Compresses whole outgoing messages (RFC 7692 §7.2.1).
class Deflater {
 public:
  explicit Deflater(const DeflateParams &params, DeflateTuning tuning = {})
      : params_(params), tuning_(tuning) {}

  // Replaces `out` with the payload of the compressed message: DEFLATE
  // blocks flushed with Z_SYNC_FLUSH, without the 00 00 ff ff that ends them
  // (an empty message gives the single byte 00, §7.2.3.6). False only when
  // zlib cannot allocate its state; the Deflater is unusable then.
  bool compress(const uint8_t *in, size_t len, std::string &out);
  // Whether a message is worth compress(): false when it looks random
  // (DeflateTuning). Skipping one leaves the compression context as it was,
  // as an uncompressed message never enters it (RFC 7692 §6).
  bool worth_compressing(const uint8_t *in, size_t len) const {
    return sample_entropy_bits(in, len) <= tuning_.incompressible_bits;
  }

 private:
  DeflateParams params_;
  DeflateTuning tuning_;
  std::unique_ptr<z_stream_s, DeflateEnd> stream_;
};

// Decompresses incoming messages piece by piece, never producing more than
// the caller's limit (a few KiB of DEFLATE can expand to gigabytes).
class Inflater {
 public:
  enum class Result { Ok, TooBig, Corrupt, NoMemory };

  // Output grows by at most this much per step (less for small inputs).
  static constexpr size_t kChunkBytes = 64 * 1024;

  explicit Inflater(const DeflateParams &params) : params_(params) {}

  // Inflates in[0, len), the next payload bytes of the current compressed
  // message, appending what comes out to `out`. At most max_message_bytes
  // bytes are appended over the whole message; TooBig when there would be
  // more. message_end: this is the last piece; the message's DEFLATE data
  // must end there at a block boundary (§7.2.2), else Corrupt.
  Result feed(const uint8_t *in, size_t len, bool message_end, std::string &out,
              size_t max_message_bytes);

  // Why the last feed failed ("" after Ok).
  const std::string &error() const { return error_; }

 private:
  Result inflate_bytes(const uint8_t *in, size_t len, std::string &out, size_t max_message_bytes);
  Result restart_stream();
  Result end_message();
  Result fail(Result result, std::string why);

  DeflateParams params_;
  std::unique_ptr<z_stream_s, InflateEnd> stream_;
  size_t message_bytes_ = 0;  // inflated so far in this message
  // Compressed bytes of this message taken since it began or since its last
  // BFINAL block ended (then zlib's stream restarted): with none, there is
  // no block to terminate and the 00 00 ff ff tail is not needed.
  size_t taken_since_restart_ = 0;
  Result failed_ = Result::Ok;
  std::string error_;
};

}  // namespace wsc::detail
