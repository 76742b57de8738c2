// Connection, loop thread: the bytes of one socket. lws events in, then the
// proxy CONNECT, TLS (tls_session.hpp), the upgrade, and the plaintext
// stream handed to the frame parser; bytes out through lws raw writes.
#include <algorithm>
#include <cctype>

#include "connect_probe.hpp"
#include "connection.hpp"
#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

int Connection::handle_lws(Attempt *attempt, lws *wsi, lws_callback_reasons reason, void *in,
                           size_t len) {
  if (attempt != attempt_.get()) return 0;
  auto self = shared_from_this();
  switch (reason) {
    case LWS_CALLBACK_RAW_CONNECTED:
      // TCP is up (to the server or the proxy): the first request goes out
      // from WRITEABLE. lws 4.1.6 sends no RAW_ADOPT to a raw client.
      attempt->connected = true;
      lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_RAW_WRITEABLE:
      return on_raw_writeable();
    case LWS_CALLBACK_RAW_RX:
      return on_raw_receive(static_cast<const uint8_t *>(in), len);
    case LWS_CALLBACK_RAW_CLOSE:
      // Say which step the server hung up in; lws has no words for it.
      if (!attempt->established && attempt->error_text.empty()) {
        if (attempt->stage == Attempt::Stage::Tunnel) {
          attempt->proxy_dropped = attempt->proxy_status == 0;
          attempt->error_text = "the proxy closed the connection before answering CONNECT";
        } else if (attempt->stage == Attempt::Stage::Tls) {
          attempt->error_text = "SSL: the server closed the connection during the TLS handshake";
        }
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      attempt->error_text = in ? std::string(static_cast<const char *>(in)) : std::string();
      const Handshake *h = attempt->handshake.get();
      if (attempt->error_text == "Unable to connect" && h && !h->addresses.empty()) {
        // lws's words for every failed TCP connect; ask the kernel for the
        // errno (briefly: a refusal comes back within one round trip).
        attempt->tcp_failed = true;
        std::string why = connect_failure_text(h->addresses[h->address_index],
                                               proxy_ ? static_cast<int>(proxy_->port) : url_.port,
                                               std::chrono::milliseconds(50));
        if (!why.empty()) {
          why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
          attempt->error_text = why;
        }
      }
      return 0;
    }
    default:
      return 0;
  }
}

int Connection::on_raw_writeable() {
  Attempt &a = *attempt_;
  if (a.established) return on_writeable();
  if (a.opening_started) return 0;
  a.opening_started = true;
  if (a.handshake->tunnel_request.empty()) return begin_tls_or_upgrade() ? 0 : -1;
  a.stage = Attempt::Stage::Tunnel;
  // In clear text: TLS, if any, runs inside the tunnel.
  auto *request = reinterpret_cast<unsigned char *>(a.handshake->tunnel_request.data());
  if (lws_write(a.wsi, request, a.handshake->tunnel_request.size(), LWS_WRITE_RAW) < 0) {
    a.error_text = "could not send the CONNECT request";
    return -1;
  }
  return 0;
}

bool Connection::begin_tls_or_upgrade() {
  Attempt &a = *attempt_;
  if (!a.tls) return send_upgrade();
  a.stage = Attempt::Stage::Tls;
  return drive_tls_handshake();
}

bool Connection::drive_tls_handshake() {
  Attempt &a = *attempt_;
  const auto progress = a.tls->handshake();
  // Done: our Finished goes out with the upgrade request behind it, in one
  // write (one segment for the server to wake up to, not two).
  if (progress == TlsSession::Progress::Done) return send_upgrade();
  // The handshake's own messages go out even when it failed (an alert).
  const bool flushed = flush_tls();
  if (progress == TlsSession::Progress::Failed) {
    a.tls_verify_result = a.tls->verify_result();
    a.error_text = a.tls->error().empty() ? "SSL handshake ended by the server" : a.tls->error();
    return false;
  }
  return flushed;
}

bool Connection::send_upgrade() {
  Attempt &a = *attempt_;
  a.stage = Attempt::Stage::Upgrade;
  std::string &text = a.handshake->request.text;
  if (!send_bytes(text.data(), text.size())) {
    if (a.error_text.empty()) a.error_text = "could not send the WebSocket upgrade request";
    return false;
  }
  std::string().swap(text);
  return true;
}

bool Connection::send_bytes(const void *data, size_t len) {
  Attempt &a = *attempt_;
  // A raw write: lws neither frames nor modifies the bytes.
  auto *bytes = static_cast<unsigned char *>(const_cast<void *>(data));
  if (!a.tls) return lws_write(a.wsi, bytes, len, LWS_WRITE_RAW) >= 0;
  // A batch of large frames is sealed into capacity the loop kept from an
  // earlier one (flush_tls gives it back), sized once: no fresh pages and
  // no regrowth per batch. Records add 22 bytes per 16 KiB.
  const size_t sealed = len + len / 512 + 256;
  std::string &out = a.tls->ciphertext();
  if (sealed >= BufferPool::kMinKept && out.capacity() < out.size() + sealed) {
    try {
      std::string kept = loop_->buffers().take(out.size() + sealed);
      kept.append(out);
      out.swap(kept);
    } catch (const std::bad_alloc &) {
      // Sealing grows the buffer as it goes (and fails the write if it can't).
    }
  }
  if (!a.tls->write(bytes, len)) {
    a.error_text = a.tls->error();
    return false;
  }
  return flush_tls();
}

bool Connection::flush_tls() {
  Attempt &a = *attempt_;
  std::string &out = a.tls->ciphertext();
  bool ok = true;
  // lws caps each send() at a fragment (tx_packet_size) and copies the rest
  // of a larger write aside; written a fragment at a time nothing is copied
  // unless the socket is full.
  for (size_t at = 0; ok && at < out.size(); at += kFragmentBytes) {
    auto *bytes = reinterpret_cast<unsigned char *>(out.data()) + at;
    ok = lws_write(a.wsi, bytes, std::min(kFragmentBytes, out.size() - at), LWS_WRITE_RAW) >= 0;
  }
  out.clear();
  // A connection keeps no large buffer between writes (a few hundred
  // bytes of handshake or small frames stay); the loop keeps it for reuse.
  if (out.capacity() > kKeepTlsOutCapacity) {
    loop_->buffers().give_on_loop(std::move(out), loop_->timers());
    std::string().swap(out);
  }
  return ok;
}

bool Connection::read_tunnel_reply(const uint8_t *&in, size_t &len) {
  Attempt &a = *attempt_;
  Handshake &h = *a.handshake;
  size_t used = 0;
  const auto result = h.tunnel_reply->feed(in, len, used);
  in += used;
  len -= used;
  if (result == HttpResponseHead::Result::NeedMore) return true;
  if (result == HttpResponseHead::Result::Invalid) {
    a.error_text = "bad answer from the proxy: " + h.tunnel_reply->error();
    return false;
  }
  const int status = h.tunnel_reply->status();
  a.proxy_status = status;
  if (status / 100 != 2) {
    a.error_text = "the proxy answered HTTP " + std::to_string(status) + " to CONNECT";
    return false;
  }
  h.tunnel_reply.reset();
  return begin_tls_or_upgrade();
}

int Connection::on_raw_receive(const uint8_t *in, size_t len) {
  Attempt &a = *attempt_;
  if (!a.established && a.stage == Attempt::Stage::Tunnel) {
    if (!read_tunnel_reply(in, len)) return -1;
    if (a.stage == Attempt::Stage::Tunnel) return 0;
  }
  if (!a.tls) {
    // Bytes set aside while paused come first.
    if (!a.rx_pending.empty()) {
      a.rx_pending.append(reinterpret_cast<const char *>(in), len);
      return pump_input() ? 0 : -1;
    }
    return on_plaintext(in, len) && !a.close_done ? 0 : -1;
  }
  // OpenSSL reads the records from lws's buffer; what it leaves is copied
  // when this returns.
  CiphertextLoan loan(*a.tls, in, len);
  if (!a.established && a.stage == Attempt::Stage::Tls) {
    if (!drive_tls_handshake()) return -1;
    if (a.stage == Attempt::Stage::Tls) return 0;
  }
  if (!pump_input()) {
    // The closing handshake is complete: close_notify, then TCP.
    if (a.close_done) end_tls(a);
    return -1;
  }
  return 0;
}

bool Connection::input_open(const Attempt &a) const {
  // Bytes after our failure Close, the server's Close or a kill are not
  // looked at: the connection is ending.
  return !a.local_close_code && !a.close_reply_due && !a.close_done && !a.killed;
}

bool Connection::input_paused(const Attempt &a) const {
  // Only the loop thread writes rx_paused_. Once our Close is out, reading
  // goes on to find the server's answer (deliver() discards beyond the bound).
  return rx_paused_ && a.established && !a.close_sent;
}

bool Connection::pump_input() {
  Attempt &a = *attempt_;
  if (!a.rx_pending.empty() && !input_paused(a)) {
    std::string pending;
    pending.swap(a.rx_pending);
    if (!on_plaintext(reinterpret_cast<const uint8_t *>(pending.data()), pending.size())) {
      return false;
    }
  }
  if (a.tls) {
    std::vector<uint8_t> &plain = loop_->tls_plaintext();
    // A non-empty rx_pending means reading paused; the rest stays in TLS.
    while (input_open(a) && a.rx_pending.empty() && !input_paused(a)) {
      const long n = a.tls->read(plain.data(), plain.size());
      if (n == 0) break;
      if (n < 0) {
        if (!a.established && a.error_text.empty()) a.error_text = a.tls->error();
        return false;
      }
      if (!on_plaintext(plain.data(), static_cast<size_t>(n))) return false;
    }
    // TLS may have something to send of its own (a key update, an alert).
    if (!a.close_done && !flush_tls()) return false;
  }
  return !a.close_done;
}

bool Connection::on_plaintext(const uint8_t *in, size_t len) {
  Attempt &a = *attempt_;
  if (!a.established) {
    if (!accept_upgrade(in, len)) return false;
    if (!a.established) return true;  // the response head is still incomplete
  }
  while (len && input_open(a)) {
    if (input_paused(a)) {
      // The receive queue is full: keep the rest (at most one read) until
      // the application takes messages (resume_reading).
      a.rx_pending.append(reinterpret_cast<const char *>(in), len);
      return true;
    }
    FrameEvent event;
    const size_t used = a.parser.next(in, len, event);
    in += used;
    len -= used;
    if (event.kind == FrameEvent::Kind::NeedMore) break;
    on_frame(event);
  }
  return true;
}

bool Connection::accept_upgrade(const uint8_t *&in, size_t &len) {
  Attempt &a = *attempt_;
  Handshake &h = *a.handshake;
  size_t used = 0;
  const auto result = h.response->feed(in, len, used);
  in += used;
  len -= used;
  if (result == UpgradeResponse::Result::NeedMore) return true;
  a.http_status = h.response->status();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.last_http_status = a.http_status;
    stats_.http_status_from_proxy = false;
    subprotocol_ = h.response->subprotocol();
    response_headers_ = pack_fields(h.response->headers());
    remote_address_ = {h.addresses[h.address_index],
                       proxy_ ? static_cast<int>(proxy_->port) : url_.port};
  }
  if (result == UpgradeResponse::Result::Rejected) {
    a.error_text = h.response->error();
    return false;
  }
  if (const DeflateParams &deflate = h.response->deflate(); deflate.enabled) {
    // A new context per attempt: nothing carries over from a dropped one.
    a.deflater = std::make_unique<Deflater>(deflate);
    a.inflater = std::make_unique<Inflater>(deflate);
    a.parser.set_allow_rsv1(true);
  }
  a.handshake.reset();  // over: an idle connection keeps none of it
  on_established();
  return true;
}

void Connection::end_tls(Attempt &a) {
  // A clean end of TLS (close_notify) before TCP goes.
  if (!a.tls || a.tls_ended) return;
  a.tls_ended = true;
  a.tls->shutdown();
  flush_tls();
}

int Connection::drop_after_flush(Attempt &a) {
  end_tls(a);
  // lws keeps what the socket did not take and writes it before the next
  // WRITEABLE: dropping TCP now could cut the Close short.
  a.drop_when_flushed = true;
  if (!lws_send_pipe_choked(a.wsi)) return -1;
  lws_callback_on_writable(a.wsi);
  return 0;
}

}  // namespace wsc::detail
