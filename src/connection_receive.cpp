// Connection, loop thread: frames in. Data frames become messages (size
// limit, UTF-8, permessage-deflate inflate), control frames are answered,
// messages go to the callback or the bounded pull-mode queue.
#include "connection.hpp"
#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

void Connection::fail_receive(int close_code, Status status, std::string detail) {
  Attempt &a = *attempt_;
  a.local_status = status;
  a.local_detail = std::move(detail);
  rx_in_message_ = false;
  rx_buffer_.clear();
  if (a.close_sent) {
    // The server broke the closing handshake (a bad code or reason in its
    // answer): nothing more to say to it; drop TCP when this read returns.
    a.close_done = true;
    return;
  }
  a.local_close_code = close_code;
  {
    // Replies the application queued to the messages delivered before the
    // violation go out before the Close (on_writeable); later sends wait
    // for a reconnect or are counted as discarded.
    std::lock_guard<std::mutex> lock(mutex_);
    while (!send_queue_.empty()) {
      inflight_.push_back(std::move(send_queue_.front()));
      send_queue_.pop_front();
    }
  }
  // Never return -1 from a receive while the peer may still send (heap
  // corruption in lws 4.1.6, LWS-NOTES §0.3): stop reading, close from
  // WRITEABLE.
  lws_rx_flow_control(a.wsi, 0);
  lws_callback_on_writable(a.wsi);
}

void Connection::on_data(const FrameEvent &event) {
  Attempt &a = *attempt_;
  if (a.local_close_code) return;  // closing after a protocol failure
  // Any frame proves the peer alive, an outstanding ping included.
  last_rx_ = Clock::now();
  pong_timer_.cancel();
  const bool final = event.message_end;
  const auto *bytes = static_cast<const unsigned char *>(event.data);
  const size_t len = event.len;
  if (event.message_start) {
    rx_in_message_ = true;
    rx_type_ = event.opcode == FrameOpcode::Text ? MessageType::Text : MessageType::Binary;
    rx_compressed_ = event.compressed;
    rx_size_ = 0;
    rx_buffer_.clear();
    rx_utf8_.reset();
  }
  rx_size_ += len;
  if (event.message_start && !(final && event.frame_remaining == 0)) {
    reuse_rx_capacity(len + event.frame_remaining);
  }
  if (rx_compressed_) return on_compressed_data(bytes, len, final);
  // A frame that announces more than the limit fails before it arrives.
  if (rx_size_ > options_->max_message_bytes ||
      event.frame_remaining > options_->max_message_bytes - rx_size_) {
    return fail_too_big();
  }
  if (rx_type_ == MessageType::Text &&
      (!rx_utf8_.feed(bytes, len) || (final && !rx_utf8_.complete()))) {
    fail_receive(1007, Status::WSC_EPROTO, "received a text message that is not valid UTF-8");
    return;
  }
  if (!final) {
    // Grown as bytes arrive, never reserved from an announced length: a
    // 10-byte header may announce 2^40 bytes that never come.
    rx_buffer_.append(reinterpret_cast<const char *>(bytes), len);
    return;
  }
  if (rx_buffer_.empty()) {
    // The whole message came in one piece: hand out the read buffer, no copy.
    rx_in_message_ = false;
    deliver(rx_type_, std::string_view(reinterpret_cast<const char *>(bytes), len), nullptr);
    return;
  }
  rx_buffer_.append(reinterpret_cast<const char *>(bytes), len);
  deliver_rx_buffer();
}

void Connection::on_compressed_data(const unsigned char *bytes, size_t len, bool final) {
  Attempt &a = *attempt_;
  // The limit counts inflated bytes (the Inflater stops at it, so a small
  // frame cannot inflate into gigabytes); the compressed stream itself is
  // only bounded loosely, as deflate can grow incompressible data slightly.
  const size_t max = options_->max_message_bytes;
  if (rx_size_ > max + max / 64 + 4096) return fail_too_big();
  const size_t before = rx_buffer_.size();
  switch (a.inflater->feed(bytes, len, final, rx_buffer_, max)) {
    case Inflater::Result::Ok:
      break;
    case Inflater::Result::TooBig:
      return fail_too_big();
    case Inflater::Result::Corrupt:
      // RFC 7692 §6.2 says only "fail"; 1007 as Node ws and undici answer.
      return fail_receive(
          1007, Status::WSC_EPROTO,
          "received a compressed message that does not inflate: " + a.inflater->error());
    case Inflater::Result::NoMemory:
      return fail_receive(1011, Status::WSC_ENOMEM, "out of memory inflating a message");
  }
  if (rx_type_ == MessageType::Text &&
      (!rx_utf8_.feed(reinterpret_cast<const uint8_t *>(rx_buffer_.data()) + before,
                      rx_buffer_.size() - before) ||
       (final && !rx_utf8_.complete()))) {
    return fail_receive(1007, Status::WSC_EPROTO,
                        "received a text message that is not valid UTF-8");
  }
  if (final) deliver_rx_buffer();
}

void Connection::reuse_rx_capacity(uint64_t first_frame) {
  // A message assembled from several reads (one that arrives whole is handed
  // out without a copy) goes into a buffer the loop kept from an earlier
  // large message if there is one: growing a fresh string by doubling
  // copies it again and faults in new pages each time. Nothing is allocated
  // for the announced length (a hostile server announces anything).
  if (first_frame < BufferPool::kMinKept || rx_buffer_.capacity() >= first_frame) return;
  std::string kept = loop_->buffers().take_kept(first_frame);
  if (kept.capacity() > rx_buffer_.capacity()) rx_buffer_.swap(kept);
}

void Connection::deliver_rx_buffer() {
  rx_in_message_ = false;
  deliver(rx_type_, rx_buffer_, &rx_buffer_);
  // Beyond what a connection keeps for itself, the capacity goes back to
  // the loop for the next large message (of any of its connections).
  if (rx_buffer_.capacity() > kKeepRxCapacity) {
    loop_->buffers().give_on_loop(std::move(rx_buffer_), loop_->timers());
    std::string().swap(rx_buffer_);
  }
}

void Connection::fail_too_big() {
  fail_receive(1009, Status::WSC_ETOOBIG,
               "received a message larger than MAX_MESSAGE_BYTES (" +
                   std::to_string(options_->max_message_bytes) + " bytes)");
}

// ---- loop thread: the protocol spoken by wsc itself ----------------------

void Connection::on_frame(const FrameEvent &event) {
  switch (event.kind) {
    case FrameEvent::Kind::Data:
      on_data(event);
      return;
    case FrameEvent::Kind::Control:
      on_control_frame(event);
      return;
    case FrameEvent::Kind::Error:
      fail_receive(event.close_code, Status::WSC_EPROTO, event.detail);
      return;
    case FrameEvent::Kind::NeedMore:
      return;
  }
}

void Connection::on_control_frame(const FrameEvent &event) {
  Attempt &a = *attempt_;
  last_rx_ = Clock::now();
  pong_timer_.cancel();
  switch (event.opcode) {
    case FrameOpcode::Ping: {
      if (a.close_sent) return;
      std::string payload(reinterpret_cast<const char *>(event.data), event.len);
      if (a.pongs_due.size() < kMaxPendingPongs)
        a.pongs_due.push_back(std::move(payload));
      else
        a.pongs_due.back() = std::move(payload);
      lws_callback_on_writable(a.wsi);
      emit_control(ControlFrame::Ping,
                   std::string_view(reinterpret_cast<const char *>(event.data), event.len));
      return;
    }
    case FrameOpcode::Pong:
      on_pong(std::string_view(reinterpret_cast<const char *>(event.data), event.len));
      return;
    case FrameOpcode::Close:
      if (a.close_sent) {
        // The answer to our Close: the closing handshake is complete, and
        // the socket is closed when this read returns.
        a.close_done = true;
        return;
      }
      a.peer_closed = true;
      if (event.len >= 2) {
        a.peer_code = (event.data[0] << 8) | event.data[1];
        a.peer_reason.assign(reinterpret_cast<const char *>(event.data) + 2, event.len - 2);
      }
      if (state() == State::Open) set_state(State::Closing);
      a.close_reply_due = true;
      lws_callback_on_writable(a.wsi);
      return;
    default:
      return;
  }
}

void Connection::deliver(MessageType type, std::string_view data, std::string *owned) {
  // Wire bytes are counted per message, with the other counters under one
  // lock (rx_size_: the payload bytes its frames carried).
  const uint64_t wire_bytes = rx_size_;
  if (!pull_mode_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.msgs_received;
      stats_.bytes_received += data.size();
      stats_.wire_bytes_received += wire_bytes;
    }
    emit([&] { callbacks_.on_message(type, data); });
    return;
  }
  const bool closing = attempt_ && attempt_->close_sent;
  bool pause = false, became_readable = false;
  Message m;
  m.type = type;
  m.data = owned ? std::move(*owned) : std::string(data);
  if (owned) owned->clear();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.wire_bytes_received += wire_bytes;
    if (closing && recv_bytes_ >= options_->recv_queue_bytes) {
      // Our Close is out and the queue is full: reading goes on only to see
      // the server's answer; what arrives meanwhile is counted, not queued.
      ++stats_.recv_discarded;
      return;
    }
    ++stats_.msgs_received;
    stats_.bytes_received += m.data.size();
    recv_bytes_ += m.data.size() + kQueuedMessageOverhead;
    became_readable = recv_queue_.empty();
    recv_queue_.push_back(std::move(m));
    // A slow reader slows the server down instead of growing memory.
    if (recv_bytes_ >= options_->recv_queue_bytes && !rx_paused_ && !closing) {
      pause = rx_paused_ = true;
    }
  }
  // Receivers wait only for an empty queue to fill: one wake-up per burst,
  // not one per message taking the CPU from this thread mid-delivery.
  if (became_readable) changed_.notify_all();
  if (pause && attempt_ && attempt_->wsi) lws_rx_flow_control(attempt_->wsi, 0);
  if (became_readable)
    emit([&] {
      if (callbacks_.on_readable) callbacks_.on_readable();
    });
}

void Connection::resume_reading() {
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    resume_posted_ = false;
    const bool closing = attempt_ && attempt_->close_sent;
    if (rx_paused_ && (closing || recv_bytes_ <= options_->recv_queue_bytes / 2)) {
      rx_paused_ = false;
      resume = true;
    }
  }
  if (!resume || !attempt_ || !attempt_->established || !attempt_->wsi) return;
  // What was set aside first; it may fill the queue again.
  if (!pump_input()) {
    // Outside an lws callback: ask lws to close. attempt_ says why.
    if (!attempt_->killed) loop_->kill_async(attempt_->wsi);
    return;
  }
  if (attempt_->local_close_code || attempt_->close_reply_due) return;  // WRITEABLE closes
  if (!rx_paused_) lws_rx_flow_control(attempt_->wsi, 1);
}

}  // namespace wsc::detail
