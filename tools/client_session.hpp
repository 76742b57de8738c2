// What the threads of `wsc URL` share (see client_command.cpp): one mutex,
// one condition variable, and the facts the main thread decides on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <wsc/client.hpp>

#include "cli_args.hpp"
#include "message_output.hpp"

namespace wsc::cli {

struct Session {
  std::mutex m;
  std::condition_variable cv;
  bool opened = false;  // at least once
  bool closed = false;  // for good (on_close)
  bool we_closed = false;
  int signal = 0;
  bool stdin_done = false;
  bool output_failed = false;
  int output_errno = 0;
  bool sending_started = false;  // the first try_send was made
  bool skipped_input = false;    // an input line was not sent (bad UTF-8, too big)
  uint64_t sent = 0;             // messages accepted by try_send
  uint64_t received = 0;         // messages printed
  uint64_t replies = 0;          // of those, received after our first send began
  uint64_t drains = 0;           // on_drain calls, to wake a sender blocked on a full queue
  Status error = Status::WSC_OK;
  std::string error_detail;
  int close_code = 0;
  std::string close_reason;
  struct CloseRequest {
    int code;
    std::string reason;
  };
  std::optional<CloseRequest> close_request;  // from /close

  template <typename F>
  void update(F f) {
    {
      std::lock_guard<std::mutex> lock(m);
      f();
    }
    cv.notify_all();
  }
};

std::string describe(Status st, const std::string &detail);

// Sends a ping carrying payload (may be empty; at most 125 bytes) and
// prints its outcome on stderr ("ping: pong in 0.42 ms").
void ping_and_print(wsc::Client &client, wsc::Millis timeout, const std::string &payload);
// --ping-print: a line on stderr for each ping of the server (answered by
// the library) and each pong that answered none of ours.
void print_control_frame(wsc::ControlFrame kind, std::string_view payload);

// The stdin thread: reads lines (or binary chunks), runs slash commands when
// `commands` is set, sends the rest; sets stdin_done at the end.
void pump_stdin(wsc::Client &client, const ClientArgs &a, bool commands, class StdinReader &in,
                MessageOutput &out, Session &s);

}  // namespace wsc::cli
