// The stdin thread of `wsc URL`: input lines become messages or, typed at a
// terminal, slash commands.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <variant>

#include "client_session.hpp"
#include "format.hpp"
#include "slash_command.hpp"
#include "stdin_reader.hpp"

namespace wsc::cli {
namespace {

constexpr wsc::Millis kGreetingWindow{100};

// try_send, waiting for the library's on_drain while the send queue is full.
Status send_with_backpressure(wsc::Client &client, wsc::MessageType type, const std::string &data,
                              Session &s) {
  for (;;) {
    uint64_t drains;
    {
      std::lock_guard<std::mutex> lock(s.m);
      drains = s.drains;
      // Set before the message can leave, so its reply is counted as one.
      s.sending_started = true;
    }
    Status st = client.try_send(type, data);
    if (st != Status::WSC_EAGAIN) return st;
    std::unique_lock<std::mutex> lock(s.m);
    // The timeout only guards against a drain that raced with the failed try_send.
    s.cv.wait_for(lock, wsc::Millis{100},
                  [&] { return s.drains != drains || s.closed || s.signal; });
    if (s.closed || s.signal) return Status::WSC_ECLOSED;
  }
}

// Carries out a slash command; false when input should stop (/close).
bool run_command(wsc::Client &client, const ClientArgs &a, const SlashLine &line, Session &s) {
  if (const auto *ping = std::get_if<PingCommand>(&line)) {
    ping_and_print(client, a.options.pong_timeout, ping->data);
    return true;
  }
  if (const auto *close = std::get_if<CloseCommand>(&line)) {
    s.update([&] { s.close_request = Session::CloseRequest{close->code, close->reason}; });
    return false;
  }
  std::fprintf(stderr, "wsc: %s\n", std::get<BadCommand>(line).why.c_str());
  return true;
}

}  // namespace

void pump_stdin(wsc::Client &client, const ClientArgs &a, bool commands, StdinReader &in,
                MessageOutput &out, Session &s) {
  if (a.one_message || a.wait_replies) {
    // Replies are what arrives after our first send. A server that speaks
    // first gets this long to do so, so its greeting is not taken for one.
    std::unique_lock<std::mutex> lock(s.m);
    s.cv.wait_for(lock, kGreetingWindow, [&] { return s.received > 0 || s.closed || s.signal; });
  }
  std::string msg;
  uint64_t n = 0;
  const auto type = a.binary ? wsc::MessageType::Binary : wsc::MessageType::Text;
  for (;;) {
    auto r = a.binary ? in.read_chunk(msg, a.chunk) : in.read_line(msg);
    if (r == StdinReader::Result::kStopped) return;
    if (r == StdinReader::Result::kError) {
      std::fprintf(stderr, "wsc: reading stdin: %s\n", std::strerror(in.error()));
      break;
    }
    if (r == StdinReader::Result::kEof) break;
    if (commands) {
      SlashLine line = parse_slash_line(msg);
      if (!std::holds_alternative<SendLine>(line)) {
        if (!run_command(client, a, line, s)) break;
        continue;
      }
      msg = std::get<SendLine>(std::move(line)).text;
    }
    ++n;
    // Shown before it goes: its reply may be printed before try_send returns.
    out.sent(type, msg);
    Status st = send_with_backpressure(client, type, msg, s);
    if (st == Status::WSC_OK) {
      s.update([&] { ++s.sent; });
      if (a.one_message) break;
      continue;
    }
    if (st == Status::WSC_ECLOSED) break;  // the connection ended; main reports why
    s.update([&] { s.skipped_input = true; });
    if (st == Status::WSC_EINVAL && !a.binary) {
      std::fprintf(stderr, "wsc: line %llu is not valid UTF-8, not sent (use --binary)\n",
                   static_cast<unsigned long long>(n));
    } else if (st == Status::WSC_ETOOBIG) {
      std::fprintf(stderr, "wsc: message %llu (%s) is larger than the send queue, not sent%s\n",
                   static_cast<unsigned long long>(n), format_bytes(msg.size()).c_str(),
                   a.binary && !a.chunk ? " (use --chunk)" : "");
    } else {
      std::fprintf(stderr, "wsc: could not send message %llu: %s\n",
                   static_cast<unsigned long long>(n), wsc::status_text(st));
    }
  }
  s.update([&] { s.stdin_done = true; });
}

void ping_and_print(wsc::Client &client, wsc::Millis timeout, const std::string &payload) {
  const std::string what = payload.empty() ? "ping" : "ping '" + payload + "'";
  if (payload.size() > 125) {
    std::fprintf(stderr, "wsc: %s: a ping carries at most 125 bytes, this one has %zu\n",
                 what.c_str(), payload.size());
    return;
  }
  const Status st =
      client.ping(timeout, payload, [what, timeout](Status result, std::chrono::microseconds rtt) {
        if (result == Status::WSC_OK) {
          std::fprintf(stderr, "wsc: %s: pong in %.2f ms\n", what.c_str(), rtt.count() / 1000.0);
        } else if (result == Status::WSC_ETIMEDOUT) {
          std::fprintf(stderr, "wsc: %s: no pong within %lld ms\n", what.c_str(),
                       static_cast<long long>(timeout.count()));
        } else {
          std::fprintf(stderr, "wsc: %s: %s\n", what.c_str(), wsc::status_text(result));
        }
      });
  if (st != Status::WSC_OK)
    std::fprintf(stderr, "wsc: %s: %s\n", what.c_str(), wsc::status_text(st));
}

void print_control_frame(wsc::ControlFrame kind, std::string_view payload) {
  // The payload is shown when it reads as text (websockets' pings carry 4
  // random bytes, browsers' none).
  const bool printable =
      !payload.empty() &&
      std::all_of(payload.begin(), payload.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  const std::string shown = printable ? " '" + std::string(payload) + "'" : "";
  if (kind == wsc::ControlFrame::Ping) {
    std::fprintf(stderr, "wsc: < ping%s (%zu bytes), answered with a pong\n", shown.c_str(),
                 payload.size());
  } else {
    std::fprintf(stderr, "wsc: < pong%s (%zu bytes), unsolicited\n", shown.c_str(), payload.size());
  }
}

}  // namespace wsc::cli
