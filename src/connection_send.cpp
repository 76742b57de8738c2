// Connection, loop thread: frames out. Pongs, pings and queued messages are
// framed into one batch per WRITEABLE (compressed with permessage-deflate
// when negotiated), and the Close frames of the closing handshake.
#include <algorithm>
#include <cstring>

#include "connection.hpp"
#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

namespace {

const char *close_reason_for(int code) {
  switch (code) {
    case 1009:
      return "message too big";
    case 1007:
      return "invalid UTF-8";
    case 1011:
      return "internal error";
    default:
      return "protocol error";
  }
}

// A Close payload: the code big-endian, then the reason; 1005 means none.
std::string close_payload(int code, const std::string &reason) {
  if (code == 1005) return {};
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  return out + reason;
}

}  // namespace

bool Connection::append_control(FrameBatch &batch, FrameOpcode opcode, const void *payload,
                                size_t len) {
  return batch.append(opcode, true, static_cast<const uint8_t *>(payload), len);
}

int Connection::on_writeable() {
  Attempt &a = *attempt_;
  lws *wsi = a.wsi;
  // A final Close went out: drop TCP once lws has written all of it.
  if (a.drop_when_flushed) return -1;
  // Waiting for the server's answer to our Close (close_timer_ bounds it).
  if (a.close_sent || a.close_replied) return 0;
  a.write_blocked = false;
  FrameBatch &batch = loop_->frame_batch();
  batch.clear();
  if (a.close_reply_due) {
    // Answering the server's Close with its own code, then dropping TCP.
    a.close_reply_due = false;
    a.close_replied = true;
    const std::string payload = close_payload(a.peer_code, "");
    if (append_control(batch, FrameOpcode::Close, payload.data(), payload.size())) {
      send_bytes(batch.data(), batch.size());
    }
    return drop_after_flush(a);
  }
  // Failing the connection (RFC 6455 §7.1.7): what the application queued
  // before the violation (replies to the messages delivered before it) goes
  // out first, then the Close (fail_receive moved those into inflight_).
  const bool failing = a.local_close_code != 0;
  bool no_mask_key = false;
  // Every ping gets its own pong, in order (coalesced only past
  // kMaxPendingPongs), ahead of any data.
  for (; !a.pongs_due.empty() && !no_mask_key; a.pongs_due.pop_front()) {
    const std::string &payload = a.pongs_due.front();
    no_mask_key = !append_control(batch, FrameOpcode::Pong, payload.data(), payload.size());
  }
  if (!user_pings_.empty() && !no_mask_key && !failing) no_mask_key = !append_user_pings(batch);
  if (ping_due_ && !no_mask_key && !failing) {
    ping_due_ = false;
    // Control frames may go between the fragments of a message.
    const uint64_t id = ++ping_count_;
    no_mask_key = !append_control(batch, FrameOpcode::Ping, &id, sizeof id);
    ping_sent_at_ = Clock::now();
    pong_pending_ = true;
    // The deadline runs from the first unanswered ping: later pings (when
    // the interval is shorter than the timeout) must not push it back.
    if (!pong_timer_.armed() && options_->pong_timeout.count() > 0) {
      pong_timer_.start(loop_->timers(), options_->pong_timeout,
                        fire<&Connection::on_pong_deadline>, this);
    }
  }
  uint64_t sent_msgs = 0, sent_bytes = 0, sent_wire_bytes = 0;
  bool failed = no_mask_key, out_of_memory = false;
  // wsc frames the messages itself and packs them into one raw write
  // (frame_batch.hpp).
  size_t next = 0;     // index in inflight_ of the message being written
  size_t batched = 0;  // leading inflight_ messages whose frames are all in the batch
  auto count_sent = [&] {
    OutMessage &done = inflight_.front();
    ++sent_msgs;
    sent_bytes += done.len;
    sent_wire_bytes += done.wire_len();
    loop_->buffers().give_on_loop(std::move(done.buffer), loop_->timers());
    inflight_.pop_front();
    --next;
  };
  bool data_batched = false, wrote_data = false;  // a message's frames, not only control frames
  // Messages count as sent only once lws took their bytes.
  auto flush = [&] {
    if (batch.empty()) return true;
    if (!send_bytes(batch.data(), batch.size())) return false;
    wrote_data = wrote_data || data_batched;
    data_batched = false;
    batch.clear();
    for (; batched; --batched) count_sent();
    if (options_->write_timeout.count() > 0) last_write_progress_ = Clock::now();
    return true;
  };
  bool choked = false;
  for (; !failed;) {
    if (next == inflight_.size()) {
      // All framed: send them before taking more from the queue.
      if (!flush()) {
        failed = true;
        break;
      }
      if (failing) break;
      std::lock_guard<std::mutex> lock(mutex_);
      if (send_queue_.empty()) break;
      inflight_.swap(send_queue_);
    }
    OutMessage &m = inflight_[next];
    std::chrono::microseconds wait{0};
    // Clock reads only when a limit is set: this runs once per message.
    if (rate_.enabled() && !failing && !m.started && !rate_.try_take(Clock::now(), wait)) {
      // Over SEND_RATE_PER_S: come back when the next token is there.
      rate_timer_.start(loop_->timers(), wait, fire<&Connection::request_writable>, this);
      break;
    }
    if (!m.prepared && !compress_for_wire(a, m)) {
      failed = out_of_memory = true;
      break;
    }
    const size_t chunk = std::min(m.wire_len() - m.written, kFragmentBytes);
    const bool fin = m.written + chunk == m.wire_len();
    if (!batch.fits(chunk)) {
      if (!flush()) {
        failed = true;
        break;
      }
      if ((choked = lws_send_pipe_choked(wsi) != 0)) break;
      continue;
    }
    const FrameOpcode opcode = m.started                     ? FrameOpcode::Continuation
                               : m.type == MessageType::Text ? FrameOpcode::Text
                                                             : FrameOpcode::Binary;
    // RSV1 marks a compressed message on its first frame only (RFC 7692 §6).
    if (!batch.append(opcode, fin, m.wire() + m.written, chunk, m.compressed && !m.started)) {
      failed = no_mask_key = true;
      break;
    }
    m.started = data_batched = true;
    m.written += chunk;
    if (fin) {
      ++next;
      ++batched;
    }
  }
  if (!failed && !flush()) failed = true;
  // lws_send_pipe_choked is a poll(): ask only when messages were written.
  // Control frames alone are a few hundred bytes at most (kMaxPendingPongs):
  // on a full socket lws keeps them and writes them first, and the next
  // write of data asks.
  if (!failed && (choked || (wrote_data && lws_send_pipe_choked(wsi)))) {
    lws_callback_on_writable(wsi);
    arm_write_timer();
    choked = a.write_blocked = true;
  }
  bool drained = false, closing = false;
  int code = 1000;
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.msgs_sent += sent_msgs;
    stats_.bytes_sent += sent_bytes;
    stats_.wire_bytes_sent += sent_wire_bytes;
    queued_bytes_ -= sent_bytes;
    if (drain_armed_ && queued_bytes_ <= options_->send_queue_bytes / 2) {
      drain_armed_ = false;
      drained = true;
    }
    closing =
        close_requested_ && send_queue_.empty() && inflight_.empty() && state_ == State::Closing;
    code = close_code_;
    reason = close_reason_;
  }
  if (failed) {
    if (failing) return -1;  // already failing: its status stands
    a.local_status = out_of_memory ? Status::WSC_ENOMEM
                     : no_mask_key ? Status::WSC_EINTERNAL
                                   : Status::WSC_ELOST;
    a.local_detail = out_of_memory ? "out of memory compressing a message"
                     : no_mask_key
                         ? "no random bytes for a frame mask key (OpenSSL RAND_bytes failed)"
                         : "writing to " + url_.host_header() + " failed";
    return -1;
  }
  if (drained)
    emit([&] {
      if (callbacks_.on_drain) callbacks_.on_drain();
    });
  if (failing) {
    if (!inflight_.empty() || choked) return 0;  // the rest of the replies first
    const std::string payload =
        close_payload(a.local_close_code, close_reason_for(a.local_close_code));
    batch.clear();
    a.close_sent = true;
    if (append_control(batch, FrameOpcode::Close, payload.data(), payload.size())) {
      send_bytes(batch.data(), batch.size());
    }
    return drop_after_flush(a);
  }
  if (closing && attempt_ && !a.close_sent) {
    // Then wait for the server's answer (close_timer_ bounds the wait),
    // reading on even when the receive queue is full (resume_reading).
    const std::string payload = close_payload(code, reason);
    batch.clear();
    a.close_sent = true;
    if (!append_control(batch, FrameOpcode::Close, payload.data(), payload.size()) ||
        !send_bytes(batch.data(), batch.size())) {
      return -1;
    }
    if (rx_paused_) {
      std::weak_ptr<Connection> weak = shared_from_this();
      loop_->post([weak] {
        if (auto self = weak.lock()) self->resume_reading();
      });
    }
    return 0;
  }
  return 0;
}

bool Connection::compress_for_wire(Attempt &a, OutMessage &m) {
  m.prepared = true;
  // Messages are compressed in the order they go out: with context
  // takeover each refers back to the ones before it.
  if (!a.deflater || m.len < options_->deflate_min_bytes ||
      !a.deflater->worth_compressing(m.payload(), m.len)) {
    return true;
  }
  if (!a.deflater->compress(m.payload(), m.len, m.deflated)) return false;
  m.compressed = true;
  return true;
}

void Connection::write_soon() {
  Attempt &a = *attempt_;
  // Frames due on an open connection whose socket has room go out now,
  // from the loop thread but outside lws's WRITEABLE: asking for WRITEABLE
  // costs two epoll_ctl calls (write interest on, then off) and a wake-up,
  // most of a heartbeat's CPU with many idle connections. Anything that
  // ends the connection, and a socket that was full, take the usual way
  // (lws keeps bytes it could not write in order either way, but the send
  // queue's bound only holds if a full socket is waited for).
  if (!a.established || a.killed || a.write_blocked || a.local_close_code || a.close_reply_due ||
      a.close_sent || a.close_replied || a.drop_when_flushed) {
    lws_callback_on_writable(a.wsi);
    return;
  }
  // Outside a callback lws cannot be told to close by a return value.
  if (on_writeable() < 0 && attempt_ && !attempt_->killed && attempt_->wsi) {
    attempt_->killed = true;
    loop_->kill_async(attempt_->wsi);
  }
}

void Connection::request_writable() {
  // Sends posted from other threads: what is queued goes out now (at W=1
  // each message skips a WRITEABLE round: two epoll_ctl and a wake-up).
  // Sends arriving meanwhile see write_posted_ still set and post nothing;
  // the same pass takes them, or the WRITEABLE asked below, so a steady
  // stream is still written in batches without a wake-up per message.
  auto open = [this] { return attempt_ && attempt_->established && attempt_->wsi; };
  if (open()) write_soon();
  bool more = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    write_posted_ = false;
    more = !send_queue_.empty();
  }
  if (more && open()) lws_callback_on_writable(attempt_->wsi);
}

}  // namespace wsc::detail
