// The per-socket state of one connection attempt (Attempt) and the messages
// on their way out (OutMessage). A logical Connection makes a new Attempt for
// every try; everything here ends with that socket.
#pragma once

#include <libwebsockets.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>
#include <wsc/client.hpp>

#include "buffer_pool.hpp"
#include "fifo.hpp"
#include "frame_parser.hpp"
#include "http_head.hpp"
#include "permessage_deflate.hpp"
#include "tls_session.hpp"
#include "ws_handshake.hpp"

namespace wsc::detail {

class Connection;

// A message waiting to be written.
struct OutMessage {
  std::string buffer;  // from the loop's BufferPool, back to it once sent
  // Or the caller's own bytes, not copied (Client::try_send_shared): `held`
  // keeps them valid until the message is written or dropped.
  const char *held_data = nullptr;
  std::shared_ptr<const void> held;
  size_t len = 0;
  MessageType type = MessageType::Binary;
  size_t written = 0;  // payload bytes framed and handed to lws so far
  bool started = false;
  // With permessage-deflate: the compressed payload of this attempt, made
  // when the message is first framed (the queued message stays as given, so
  // a message cut off by a drop is compressed again in the next context).
  bool prepared = false;
  bool compressed = false;
  std::string deflated;
  const unsigned char *wire() const {
    return compressed ? reinterpret_cast<const unsigned char *>(deflated.data()) : payload();
  }
  size_t wire_len() const { return compressed ? deflated.size() : len; }
  const unsigned char *payload() const {
    return reinterpret_cast<const unsigned char *>(held_data ? held_data : buffer.data());
  }
};

// What only the opening handshake needs (addresses to try, the proxy
// CONNECT, the upgrade): freed once the connection is established, since
// idle established connections are what there are many of.
struct Handshake {
  std::vector<std::string> addresses;
  size_t address_index = 0;
  std::string tunnel_request;  // CONNECT, when through a proxy
  std::unique_ptr<HttpResponseHead> tunnel_reply;
  UpgradeRequest request;
  std::unique_ptr<UpgradeResponse> response;
};

// State of one lws wsi, created at the connect call (WSI_CREATE may never
// come) and freed when lws destroys the wsi.
struct Attempt {
  Connection *conn = nullptr;
  lws *wsi = nullptr;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool connected = false;    // TCP is up (to the server or the proxy)
  bool established = false;  // the upgrade succeeded
  std::unique_ptr<Handshake> handshake = std::make_unique<Handshake>();  // null once established
  // What lws told us about how it ended.
  std::string error_text;
  bool tcp_failed = false;     // the TCP connect itself failed (to the proxy, if any)
  int http_status = 0;         // the server's answer to the upgrade
  int proxy_status = 0;        // the proxy's answer to CONNECT
  bool proxy_dropped = false;  // the proxy hung up before answering
  long tls_verify_result = 0;
  bool peer_closed = false;
  int peer_code = 1005;
  std::string peer_reason;
  // Set when wsc ended it (timeout, user close, protocol failure).
  Status local_status = Status::WSC_OK;
  std::string local_detail;
  int local_close_code = 0;  // nonzero: send this Close from WRITEABLE
  bool close_sent = false;
  bool killed = false;

  // lws carries bytes over TCP; wsc runs the proxy CONNECT, TLS
  // (tls_session.hpp), the upgrade and the frames (frame_parser.hpp) in
  // that order.
  enum class Stage { Tunnel, Tls, Upgrade };
  Stage stage = Stage::Upgrade;  // until established
  bool opening_started = false;
  std::shared_ptr<SSL_CTX> tls_ctx;
  std::unique_ptr<TlsSession> tls;
  FrameParser parser;
  // permessage-deflate, when the server accepted it.
  std::unique_ptr<Deflater> deflater;
  std::unique_ptr<Inflater> inflater;
  Fifo<std::string> pongs_due;   // one pong per ping, in order
  std::string rx_pending;        // plaintext set aside while reading is paused
  bool close_reply_due = false;  // answer the server's Close
  bool close_replied = false;
  bool close_done = false;         // our Close was answered
  bool drop_when_flushed = false;  // a final Close is out: drop TCP once written
  bool tls_ended = false;          // close_notify sent
  bool write_blocked = false;      // the socket was full at the last write: WRITEABLE is next
};

}  // namespace wsc::detail
