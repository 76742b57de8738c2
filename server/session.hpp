// Per-connection state of the echo server: reassembly of incoming messages, the outgoing queue
// and the code that drains it into lws while respecting socket back-pressure.
//
// Only the server's service thread touches a Session (it is owned by EchoServer::Impl's map).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "scenario.hpp"

struct lws;

namespace wsc::server {

// One message waiting to be written. The buffer starts with LWS_PRE bytes of headroom because
// lws_write writes the frame header in front of the payload pointer.
struct OutMessage {
  std::vector<unsigned char> buf;  // LWS_PRE headroom + payload
  bool binary = true;
  bool is_echo = false;             // counts toward messages_echoed once fully written
  std::vector<size_t> frame_sizes;  // explicit framing (/fragmented); empty = automatic chunks
  size_t offset = 0;                // payload bytes already handed to lws
  size_t next_frame = 0;

  size_t payload_size() const;
  unsigned char* payload();
};

// Allocates a message with headroom and `size` payload bytes (zeroed).
OutMessage MakeMessage(size_t size, bool binary);

class Session {
 public:
  explicit Session(Scenario scenario);

  const Scenario& scenario() const { return scenario_; }

  // Queues what the scenario sends right after open.
  void QueueOpeningMessages();

  // Feeds one RECEIVE piece. When it completes a message, the message is queued for echo
  // (unless the scenario is silent). Pauses reading when too much is queued, so a client that
  // sends faster than it reads cannot grow server memory without bound.
  void OnReceive(lws* wsi, const void* in, size_t len);

  // Writes queued frames until the socket chokes or a fairness budget is used up, then asks
  // for another WRITEABLE if anything is left. Returns false if lws_write failed (the caller
  // must then close the connection). `echoed` is bumped for each echo fully written.
  bool Drain(lws* wsi, uint64_t* echoed);

  bool has_pending_output() const { return !tx_.empty() || FloodRemaining(); }

  // /close/...: set once lws_close_reason has been called (see echo_server.cpp).
  bool close_started = false;

 private:
  bool FloodRemaining() const;
  void Enqueue(OutMessage msg);

  Scenario scenario_;

  std::vector<unsigned char> rx_;  // LWS_PRE headroom + partial message being reassembled
  bool rx_in_message_ = false;
  bool rx_binary_ = false;
  bool rx_paused_ = false;

  std::deque<OutMessage> tx_;
  size_t tx_bytes_ = 0;  // payload bytes queued and not yet handed to lws
  uint64_t flood_sent_ = 0;
};

}  // namespace wsc::server
