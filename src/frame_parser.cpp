#include "frame_parser.hpp"

#include <algorithm>
#include <cstring>

#include "utf8.hpp"

namespace wsc::detail {

namespace {

constexpr uint8_t kFinBit = 0x80;
constexpr uint8_t kRsv1 = 0x40;
constexpr uint8_t kRsv23 = 0x30;
constexpr uint8_t kMaskBit = 0x80;

bool is_control(uint8_t opcode) { return opcode & 0x8; }

bool is_known(uint8_t opcode) {
  switch (static_cast<FrameOpcode>(opcode)) {
    case FrameOpcode::Continuation:
    case FrameOpcode::Text:
    case FrameOpcode::Binary:
    case FrameOpcode::Close:
    case FrameOpcode::Ping:
    case FrameOpcode::Pong:
      return true;
  }
  return false;
}

}  // namespace

bool is_valid_close_code(int code) {
  if (code >= 3000 && code <= 4999) return true;  // registered and private use
  switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
      return true;
    default:
      return false;  // 1004-1006 and 1015 never go on the wire
  }
}

bool FrameParser::fail(FrameEvent &event, int code, const char *detail) {
  stage_ = Stage::Failed;
  error_code_ = code;
  error_detail_ = detail;
  event.kind = FrameEvent::Kind::Error;
  event.close_code = code;
  event.detail = detail;
  return false;
}

size_t FrameParser::next(const uint8_t *in, size_t len, FrameEvent &event) {
  event = FrameEvent();
  size_t used = 0;
  if (stage_ == Stage::Failed) {
    fail(event, error_code_, error_detail_);
    return 0;
  }
  bool header_now = false;
  if (stage_ == Stage::Header) {
    used = take_header(in, len, event);
    if (event.kind != FrameEvent::Kind::NeedMore || stage_ == Stage::Header) return used;
    header_now = true;
  }
  if (stage_ == Stage::ControlPayload) {
    const size_t take = std::min<size_t>(remaining_, len - used);
    std::memcpy(control_ + control_have_, in + used, take);
    control_have_ += take;
    remaining_ -= take;
    used += take;
    if (remaining_ == 0) control_done(event);
    return used;
  }
  // Payload of a data frame: handed out in place, as much as is here. A
  // header that ends the input still gives an (empty) Data event, so the
  // announced length is known before the payload comes.
  const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, len - used));
  if (take == 0 && remaining_ != 0 && !header_now) return used;
  remaining_ -= take;
  event.kind = FrameEvent::Kind::Data;
  event.opcode = message_opcode_;
  event.compressed = message_compressed_;
  event.message_start = message_start_pending_;
  message_start_pending_ = false;
  event.frame_remaining = remaining_;
  event.data = in + used;
  event.len = take;
  if (remaining_ == 0) {
    stage_ = Stage::Header;
    if (fin_) {
      event.message_end = true;
      in_message_ = false;
    }
  }
  return used + take;
}

// What is wrong with a frame's first two bytes, or null. They decide
// everything but the length's minimality, and how long the header is.
const char *FrameParser::header_error(uint8_t b0, uint8_t b1) const {
  const uint8_t opcode = b0 & 0x0f;
  const uint8_t len7 = b1 & 0x7f;
  if (b0 & kRsv23) return "the server set reserved frame bits (RSV2/RSV3) without an extension";
  if (b1 & kMaskBit) return "the server sent a masked frame (RFC 6455 section 5.1)";
  if (!is_known(opcode)) return "the server sent a frame with an unknown opcode";
  const bool rsv1 = b0 & kRsv1;
  if (rsv1 && !allow_rsv1_) {
    return "the server set the reserved frame bit RSV1 without a negotiated extension";
  }
  if (is_control(opcode)) {
    if (rsv1) return "the server set the reserved frame bit RSV1 on a control frame";
    if (!(b0 & kFinBit)) return "the server fragmented a control frame";
    if (len7 > 125) return "the server sent a control frame longer than 125 bytes";
  } else if (opcode == static_cast<uint8_t>(FrameOpcode::Continuation)) {
    if (!in_message_) return "the server sent a continuation frame outside a message";
    // RFC 7692 §6.1: RSV1 marks a compressed message on its first frame only.
    if (rsv1) return "the server set the reserved frame bit RSV1 on a continuation frame";
  } else if (in_message_) {
    return "the server started a new message inside a fragmented one";
  }
  return nullptr;
}

// RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the
// length", and a 64-bit length has its most significant bit clear.
const char *FrameParser::length_error(uint64_t length) const {
  const uint8_t len7 = header_[1] & 0x7f;
  if (len7 == 126 && length < 126) {
    return "the server sent a frame length in a 16-bit field that fits in 7 bits (RFC 6455 "
           "section 5.2 requires the minimal length encoding)";
  }
  if (len7 == 127 && (length >> 63)) {
    return "the server sent a frame length with the most significant bit set";
  }
  if (len7 == 127 && length <= 0xffff) {
    return "the server sent a frame length in a 64-bit field that fits in 16 bits (RFC 6455 "
           "section 5.2 requires the minimal length encoding)";
  }
  return nullptr;
}

size_t FrameParser::take_header(const uint8_t *in, size_t len, FrameEvent &event) {
  size_t used = 0;
  while (header_have_ < header_need_ && used < len) {
    header_[header_have_++] = in[used++];
    if (header_have_ != 2) continue;
    if (const char *error = header_error(header_[0], header_[1])) {
      fail(event, 1002, error);
      return used;
    }
    const uint8_t len7 = header_[1] & 0x7f;
    header_need_ = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
  }
  if (header_have_ < header_need_) return used;

  const uint8_t len7 = header_[1] & 0x7f;
  uint64_t length = len7;
  if (len7 == 126) {
    length = (uint64_t{header_[2]} << 8) | header_[3];
  } else if (len7 == 127) {
    length = 0;
    for (int i = 2; i < 10; ++i) length = (length << 8) | header_[i];
  }
  if (len7 >= 126) {
    if (const char *error = length_error(length)) {
      fail(event, 1002, error);
      return used;
    }
  }
  fin_ = header_[0] & kFinBit;
  opcode_ = static_cast<FrameOpcode>(header_[0] & 0x0f);
  remaining_ = length;
  header_have_ = 0;
  header_need_ = 2;
  if (is_control(static_cast<uint8_t>(opcode_))) {
    stage_ = Stage::ControlPayload;
    control_have_ = 0;
    if (remaining_ == 0) control_done(event);
    return used;
  }
  if (opcode_ != FrameOpcode::Continuation) {
    in_message_ = true;
    message_start_pending_ = true;
    message_opcode_ = opcode_;
    message_compressed_ = header_[0] & kRsv1;
  }
  stage_ = Stage::Payload;
  return used;
}

void FrameParser::control_done(FrameEvent &event) {
  stage_ = Stage::Header;
  if (opcode_ == FrameOpcode::Close) {
    if (control_have_ == 1) {
      fail(event, 1002, "the server sent a Close frame with a 1-byte payload");
      return;
    }
    if (control_have_ >= 2) {
      const int code = (control_[0] << 8) | control_[1];
      if (!is_valid_close_code(code)) {
        fail(event, 1002, "the server sent a Close frame with an invalid close code");
        return;
      }
      if (!is_valid_utf8(control_ + 2, control_have_ - 2)) {
        fail(event, 1007, "the server sent a Close reason that is not valid UTF-8");
        return;
      }
    }
  }
  event.kind = FrameEvent::Kind::Control;
  event.opcode = opcode_;
  event.data = control_;
  event.len = control_have_;
}

}  // namespace wsc::detail
