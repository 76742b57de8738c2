// Reassembly, echo queueing and back-pressure-aware writing for one server connection.
#include "session.hpp"

#include <libwebsockets.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace wsc::server {
namespace {

// Each frame we write is at most this big. lws copies whatever the kernel does not take into
// its own unbounded buffer (buflist_out), so writing a 64 MiB message in one lws_write would
// double its memory; 64 KiB frames keep that copy small and match the send cap that lws
// derives from rx_buffer_size.
constexpr size_t kFrameBytes = 64 * 1024;

// Stop reading from a client when this much is queued for it; resume below kResumeBytes.
constexpr size_t kPauseBytes = 4 * 1024 * 1024;
constexpr size_t kResumeBytes = 1024 * 1024;

// Upper bound of bytes written in one WRITEABLE callback even if the socket never chokes
// (fast local reader + /flood): keeps other connections and shutdown responsive.
constexpr size_t kBytesPerWriteable = 1024 * 1024;

}  // namespace

size_t OutMessage::payload_size() const { return buf.size() - LWS_PRE; }
unsigned char* OutMessage::payload() { return buf.data() + LWS_PRE; }

OutMessage MakeMessage(size_t size, bool binary) {
  OutMessage m;
  m.buf.assign(LWS_PRE + size, 0);
  m.binary = binary;
  return m;
}

Session::Session(Scenario scenario) : scenario_(std::move(scenario)) {}

void Session::Enqueue(OutMessage msg) {
  tx_bytes_ += msg.payload_size();
  tx_.push_back(std::move(msg));
}

void Session::QueueOpeningMessages() {
  switch (scenario_.kind) {
    case Scenario::Kind::kSend: {
      OutMessage m = MakeMessage(static_cast<size_t>(scenario_.count), true);
      FillPattern(m.payload(), m.payload_size());
      Enqueue(std::move(m));
      break;
    }
    case Scenario::Kind::kSendInvalidUtf8: {
      const size_t n = sizeof(kInvalidUtf8Text) - 1;
      OutMessage m = MakeMessage(n, false);
      std::memcpy(m.payload(), kInvalidUtf8Text, n);
      Enqueue(std::move(m));
      break;
    }
    case Scenario::Kind::kFragmented: {
      const size_t n = sizeof(kFragmentedText) - 1;
      OutMessage m = MakeMessage(n, false);
      std::memcpy(m.payload(), kFragmentedText, n);
      m.frame_sizes = FragmentedFrameSizes();
      Enqueue(std::move(m));
      break;
    }
    default:
      break;  // kFlood is generated lazily in Drain; the rest send nothing up front
  }
}

void Session::OnReceive(lws* wsi, const void* in, size_t len) {
  if (!rx_in_message_) {
    rx_in_message_ = true;
    rx_binary_ = lws_frame_is_binary(wsi) != 0;
    rx_.assign(LWS_PRE, 0);
    // Reserve the announced frame size up front so a big single-frame message does not
    // reallocate (and copy) log2(size) times.
    const size_t remaining = lws_remaining_packet_payload(wsi);
    rx_.reserve(LWS_PRE + len + std::min(remaining, size_t{256} << 20));
  }
  if (scenario_.kind != Scenario::Kind::kSilent && len > 0) {
    const auto* p = static_cast<const unsigned char*>(in);
    rx_.insert(rx_.end(), p, p + len);
  }
  if (!lws_is_final_fragment(wsi)) return;

  rx_in_message_ = false;
  if (scenario_.kind == Scenario::Kind::kSilent) {
    std::vector<unsigned char>().swap(rx_);
    return;
  }
  OutMessage m;
  m.buf = std::move(rx_);
  rx_.clear();
  m.binary = rx_binary_;
  m.is_echo = true;
  Enqueue(std::move(m));
  lws_callback_on_writable(wsi);
  if (!rx_paused_ && tx_bytes_ > kPauseBytes) {
    rx_paused_ = true;
    lws_rx_flow_control(wsi, 0);
  }
}

bool Session::FloodRemaining() const {
  return scenario_.kind == Scenario::Kind::kFlood && flood_sent_ < scenario_.count;
}

bool Session::Drain(lws* wsi, uint64_t* echoed) {
  size_t budget = kBytesPerWriteable;
  for (;;) {
    // Generate flood messages one at a time, only when nothing else is waiting, so the server
    // never buffers more than one of them: a client that stops reading stalls the flood.
    if (tx_.empty() && FloodRemaining()) {
      OutMessage m = MakeMessage(static_cast<size_t>(scenario_.size), true);
      FillFloodMessage(m.payload(), m.payload_size(), flood_sent_++);
      Enqueue(std::move(m));
    }
    if (tx_.empty()) break;
    if (budget == 0) {
      lws_callback_on_writable(wsi);
      break;
    }

    OutMessage& m = tx_.front();
    const size_t total = m.payload_size();
    size_t frame = m.frame_sizes.empty() ? std::min(kFrameBytes, total - m.offset)
                                         : m.frame_sizes[m.next_frame];
    const bool first = m.offset == 0;
    const bool last = m.offset + frame >= total;
    const int flags = lws_write_ws_flags(m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT, first, last);
    // Headroom for a later frame is the tail of the previous frame's payload, already handed
    // to lws (sent or copied), so lws may overwrite it with the header.
    if (lws_write(wsi, m.payload() + m.offset, frame, static_cast<lws_write_protocol>(flags)) < 0) {
      return false;
    }
    m.offset += frame;
    ++m.next_frame;
    budget -= std::min(budget, frame + 1);  // +1 so a run of empty frames still ends
    if (last) {
      tx_bytes_ -= total;
      if (m.is_echo) ++*echoed;
      tx_.pop_front();
    }
    if (lws_send_pipe_choked(wsi)) {
      lws_callback_on_writable(wsi);
      break;
    }
  }
  if (rx_paused_ && tx_bytes_ < kResumeBytes) {
    rx_paused_ = false;
    lws_rx_flow_control(wsi, 1);
  }
  return true;
}

}  // namespace wsc::server
