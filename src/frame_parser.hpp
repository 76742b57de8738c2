// Server-to-client WebSocket frames parsed by wsc (RFC 6455 §5).
//
// lws 4.1.6 parses received frames one byte per function call (82% of a
// 1 MiB receiver's CPU, docs/PERFORMANCE.md), accepts masked server frames
// and drops TCP without a Close frame on protocol errors (LWS-NOTES §0.1,
// §5). On connections without an extension wsc reads the byte stream itself:
// headers are decoded here, payload is handed out as views into the read
// buffer, and each violation comes back with the close code RFC 6455 §7.4.1
// assigns to it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "frame_batch.hpp"

namespace wsc::detail {

struct FrameEvent {
  enum class Kind { NeedMore, Data, Control, Error };
  Kind kind = Kind::NeedMore;
  // Data: Text or Binary, the type of the whole message.
  // Control: Close, Ping or Pong.
  FrameOpcode opcode = FrameOpcode::Continuation;
  bool message_start = false;  // Data: the first piece of a message
  bool message_end = false;    // Data: the last piece of a message
  // Data: the message's first frame had RSV1 set (permessage-deflate,
  // RFC 7692 §6); only possible after set_allow_rsv1(true).
  bool compressed = false;
  // Data: payload of the current frame still to come after this piece. Every
  // data frame gives at least one Data event in the call that completes its
  // header: when no payload byte came with the header it has len 0 and
  // frame_remaining = the announced length, so a size limit can be checked
  // (len + frame_remaining against what is left) before any payload arrives.
  // Never a reason to reserve memory: a hostile server announces anything.
  uint64_t frame_remaining = 0;
  // Data: a view into the bytes given to next(). Control: the whole payload,
  // valid until the next call.
  const uint8_t *data = nullptr;
  size_t len = 0;
  // Error: the close code to send (1002 protocol error, 1007 bad UTF-8 in a
  // Close reason) and what was wrong.
  int close_code = 0;
  const char *detail = "";
};

class FrameParser {
 public:
  // Takes bytes from in[0, len) up to and including at most one event and
  // returns how many it took. NeedMore means all of them went into a frame
  // header or control payload still incomplete. After an Error the stream
  // cannot be trusted; the parser returns the same Error again.
  size_t next(const uint8_t *in, size_t len, FrameEvent &event);
  // Back to the start of a stream; the RSV1 setting stays.
  void reset() {
    const bool allow = allow_rsv1_;
    *this = FrameParser();
    allow_rsv1_ = allow;
  }
  // After permessage-deflate was negotiated: RSV1 is then accepted on the
  // first frame of a Text or Binary message (and reported as `compressed`),
  // still refused on continuations and control frames (RFC 7692 §6.1).
  void set_allow_rsv1(bool allow) { allow_rsv1_ = allow; }

 private:
  enum class Stage { Header, Payload, ControlPayload, Failed };
  size_t take_header(const uint8_t *in, size_t len, FrameEvent &event);
  bool fail(FrameEvent &event, int code, const char *detail);
  const char *header_error(uint8_t b0, uint8_t b1) const;
  const char *length_error(uint64_t length) const;
  void control_done(FrameEvent &event);

  Stage stage_ = Stage::Header;
  uint8_t header_[10] = {};  // a server frame has no mask key: at most 10
  size_t header_have_ = 0;
  size_t header_need_ = 2;
  bool fin_ = false;
  FrameOpcode opcode_ = FrameOpcode::Continuation;
  uint64_t remaining_ = 0;
  bool in_message_ = false;
  bool message_start_pending_ = false;
  FrameOpcode message_opcode_ = FrameOpcode::Binary;
  bool message_compressed_ = false;
  bool allow_rsv1_ = false;
  uint8_t control_[125] = {};
  size_t control_have_ = 0;
  int error_code_ = 0;
  const char *error_detail_ = "";
};

// RFC 6455 §7.4: the codes a Close frame may carry, sent or received.
bool is_valid_close_code(int code);

}  // namespace wsc::detail
