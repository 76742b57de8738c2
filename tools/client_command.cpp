// `wsc [options] URL`: the interactive client. Four threads meet in one Session:
//   - the library's loop thread runs the callbacks (prints messages, records events),
//   - a stdin thread reads lines/chunks and sends them (stdin_pump.cpp),
//   - a signal thread turns Ctrl-C into a flag,
//   - the main thread waits on the Session and decides when to close and with what status.
// Only the main thread closes the connection, so the exit paths stay in one place.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <wsc/client.hpp>
#include <wsc/log.hpp>

#include "cli_args.hpp"
#include "client_session.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "message_output.hpp"
#include "signals.hpp"
#include "stdin_reader.hpp"

namespace wsc::cli {

std::string describe(Status st, const std::string &detail) {
  std::string s = wsc::status_text(st);
  if (!detail.empty()) s += ": " + detail;
  return s;
}

namespace {

using Clock = std::chrono::steady_clock;

// How long a close we start may take before we give up on the server's Close frame.
constexpr wsc::Millis kCloseGrace{5000};

// The Client, for callbacks that run before or while it is being built.
using ClientSlot = std::atomic<wsc::Client *>;

wsc::Callbacks make_callbacks(const ClientArgs &a, Session &s, MessageOutput &out,
                              ClientSlot &slot) {
  wsc::Callbacks cb;
  cb.on_open = [&s] {
    bool again = false;
    s.update([&] {
      again = s.opened;
      s.opened = true;
      // A recoverable error before a successful reconnect is history, not the outcome.
      s.error = Status::WSC_OK;
      s.error_detail.clear();
    });
    if (again) std::fprintf(stderr, "wsc: reconnected\n");
  };
  // Counted only here, on the loop thread, so --count can drop extra messages unprinted.
  auto delivered = std::make_shared<uint64_t>(0);
  cb.on_message = [&a, &s, &out, delivered](wsc::MessageType type, std::string_view data) {
    if (a.count && *delivered >= a.count) return;
    ++*delivered;
    const bool ok = out.received(type, data);
    const int err = ok ? 0 : errno;
    s.update([&] {
      ++s.received;
      if (s.sending_started) ++s.replies;
      if (!ok && !s.output_failed) {
        s.output_failed = true;
        s.output_errno = err;
      }
    });
  };
  if (a.ping_print) cb.on_control = print_control_frame;
  // With -v the library's log says the errors and the close (log_to_stderr).
  cb.on_error = [&s](Status st, std::string_view detail) {
    s.update([&] {
      s.error = st;
      s.error_detail = std::string(detail);
    });
  };
  cb.on_close = [&s](int code, std::string_view reason) {
    bool by_server = false;
    s.update([&] {
      // An error (a timeout, a lost connection) is reported as such by run_client.
      by_server = !s.we_closed && s.error == Status::WSC_OK;
      s.closed = true;
      s.close_code = code;
      s.close_reason = std::string(reason);
    });
    if (by_server && code != 1006) {
      std::fprintf(stderr, "wsc: the server closed the connection: code %d%s%.*s\n", code,
                   reason.empty() ? "" : ", reason: ", static_cast<int>(reason.size()),
                   reason.data());
    }
  };
  cb.on_state = [&a, &slot](wsc::State from, wsc::State to) {
    if (a.verbose) std::fprintf(stderr, "wsc: %s -> %s\n", state_name(from), state_name(to));
    if (to != wsc::State::Reconnecting) return;
    // Without this line a retrying client would look hung.
    const wsc::Client *client = slot.load();
    if (!client) return;
    const uint64_t attempt = client->stats().reconnects + 1;
    const wsc::ReconnectInfo next = client->last_reconnect();
    std::fprintf(stderr, "wsc: %s; reconnecting (attempt %llu) in %lld ms\n", next.reason.c_str(),
                 static_cast<unsigned long long>(attempt),
                 static_cast<long long>(next.delay.count()));
  };
  cb.on_drain = [&s] { s.update([&] { ++s.drains; }); };
  return cb;
}

// -v and -vv: wsc's log lines (and at -vv libwebsockets') on stderr.
void log_to_stderr(int verbosity) {
  if (!verbosity) return;
  wsc::set_log_handler(
      verbosity >= 2 ? wsc::LogLevel::Debug : wsc::LogLevel::Info,
      [](wsc::LogLevel level, std::string_view origin, std::string_view message) {
        static const char *const names[] = {"", "error", "warning", "info", "debug"};
        std::fprintf(stderr, "wsc: %s%s: %.*s\n", origin == "wsc" ? "" : "lws ",
                     names[static_cast<int>(level)], static_cast<int>(message.size()),
                     message.data());
      });
}

// --stats: the loop's metrics on stderr on every way out of run_client,
// after the client is gone and before the loop is.
struct StatsAtExit {
  const wsc::Loop &loop;
  bool enabled;
  ~StatsAtExit() {
    if (enabled) std::fputs(loop.metrics_text().c_str(), stderr);
  }
};

// Stops the stdin thread on every way out of run_client, before the Client it uses goes.
struct PumpGuard {
  StdinReader &reader;
  std::thread &thread;
  ~PumpGuard() {
    reader.stop();
    if (thread.joinable()) thread.join();
  }
};

void print_connected(const ClientArgs &a, const wsc::Client &client) {
  const std::string proto = client.subprotocol();
  const wsc::TlsInfo tls = client.tls_info();
  std::fprintf(stderr, "Connected to %s (%s%s, %s) — %s\n", a.url.c_str(),
               proto.empty() ? "no subprotocol" : "subprotocol ", proto.c_str(),
               tls.version.empty() ? "no TLS" : tls.version.c_str(),
               a.listen ? "Ctrl-C to quit" : "Ctrl-D to close, Ctrl-C to quit");
  if (a.verbose && !tls.version.empty()) {
    std::fprintf(stderr, "wsc: TLS %s, cipher %s, group %s%s\n", tls.version.c_str(),
                 tls.cipher.c_str(), tls.group.empty() ? "?" : tls.group.c_str(),
                 tls.resumed ? ", resumed" : "");
  }
}

void print_headers(const wsc::Client &client) {
  std::fprintf(stderr, "HTTP %d\n", client.stats().last_http_status);
  for (const auto &[name, value] : client.response_headers()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), value.c_str());
  }
}

// Replies awaited at end of input. Without --wait-replies, up to one per
// message for at most --wait (1s), so `echo hi | wsc URL` shows the echo
// from servers that would drop it on an immediate close; missing ones are
// then no failure. Only messages that arrived after our first send count:
// a server's greeting is no reply.
uint64_t replies_wanted(const ClientArgs &a, const Session &s) {
  if (a.one_message) return 1;
  if (a.wait_replies && a.wait_replies != ClientArgs::kOnePerMessage) return a.wait_replies;
  return s.sent;
}

}  // namespace

int run_client(const std::vector<std::string> &args) {
  ClientArgs a = parse_client_args(args);
  try {
    wsc::validate(a.options);
  } catch (const wsc::Error &e) {
    throw UsageError(e.what());
  }
  if (a.insecure) {
    std::fprintf(stderr, "wsc: warning: --insecure: the server's certificate is not verified\n");
  }
  // --ping-print with --ping: wsc sends the pings itself so it sees each
  // round trip.
  const wsc::Millis ping_every = a.ping_print ? a.options.ping_interval : wsc::Millis{0};
  if (a.ping_print) a.options.ping_interval = wsc::Millis{0};
  const bool terminal_in = isatty(STDIN_FILENO) == 1;
  const bool commands = !a.binary && (a.commands || terminal_in);
  MessageOutput out(a.jsonl                      ? MessageOutput::Shape::kJsonl
                    : isatty(STDOUT_FILENO) == 1 ? MessageOutput::Shape::kMarkers
                                                 : MessageOutput::Shape::kPlain,
                    a.raw);

  log_to_stderr(a.verbosity);
  wsc::Loop loop;
  StatsAtExit stats_at_exit{loop, a.stats};
  Session s;
  SignalWatcher watcher([&s](int signo, int n) {
    if (n >= 2) {
      // The user asked twice; do not wait for a server that may never answer.
      std::fprintf(stderr, "wsc: interrupted again, exiting\n");
      std::_Exit(128 + signo);
    }
    s.update([&] { s.signal = signo; });
  });

  ClientSlot slot{nullptr};
  std::unique_ptr<wsc::Client> client;
  try {
    client = std::make_unique<wsc::Client>(loop, a.url, a.options, make_callbacks(a, s, out, slot));
    slot = client.get();
  } catch (const wsc::Error &e) {
    if (e.status() == Status::WSC_EINVAL) throw UsageError(e.what());
    std::fprintf(stderr, "wsc: %s\n", e.what());
    return 1;
  }
  StdinReader reader;
  std::thread pump;
  PumpGuard guard{reader, pump};

  std::unique_lock<std::mutex> lock(s.m);
  s.cv.wait(lock, [&] { return s.opened || s.closed || s.signal; });
  if (!s.opened && s.signal) return 128 + s.signal;
  if (!s.opened) {
    // ECONNECT's own text is "could not connect"; say it once.
    std::string why = s.error == Status::WSC_ECONNECT && !s.error_detail.empty()
                          ? s.error_detail
                          : describe(s.error, s.error_detail);
    std::fprintf(stderr, "wsc: could not connect: %s\n", why.c_str());
    return 1;
  }
  lock.unlock();
  if (terminal_in || a.verbose) print_connected(a, *client);
  if (a.show_headers) print_headers(*client);
  // Started only now, so a failed connect leaves stdin unread for whoever comes next.
  if (!a.listen) {
    pump = std::thread(pump_stdin, std::ref(*client), std::cref(a), commands, std::ref(reader),
                       std::ref(out), std::ref(s));
  }
  lock.lock();

  // Wait for a reason to stop; exit_code set means we close, otherwise the server did.
  std::optional<int> exit_code;
  std::optional<Clock::time_point> eof_deadline;
  Clock::time_point next_ping = Clock::now() + ping_every;
  int close_code = 1000;
  std::string close_reason;
  while (!s.closed && !exit_code) {
    std::optional<Clock::time_point> wake;
    if (ping_every.count() > 0) {
      if (Clock::now() >= next_ping) {
        lock.unlock();
        ping_and_print(*client, a.options.pong_timeout, "");
        lock.lock();
        next_ping += ping_every;
      }
      wake = next_ping;
    }
    if (s.signal) {
      exit_code = 128 + s.signal;
    } else if (s.output_failed) {
      // A reader that went away (wsc ... | head) is a normal way to stop, not worth a word.
      if (s.output_errno != EPIPE) {
        std::fprintf(stderr, "wsc: cannot write to stdout: %s\n", std::strerror(s.output_errno));
      }
      exit_code = 1;
    } else if (s.close_request) {
      close_code = s.close_request->code;
      close_reason = s.close_request->reason;
      exit_code = 0;
    } else if (a.count && s.received >= a.count) {
      exit_code = 0;
    } else if (a.one_message && s.sent && s.replies >= 1) {
      exit_code = 0;
    } else if (s.stdin_done && !a.no_close && !a.count) {
      const uint64_t wanted = replies_wanted(a, s);
      if (!eof_deadline) {
        const bool strict = a.wait_replies || a.one_message;
        eof_deadline = Clock::now() + a.wait.value_or(wsc::Millis{strict ? 10000 : 1000});
      }
      if (s.replies >= wanted) {
        exit_code = 0;
      } else if (Clock::now() >= *eof_deadline) {
        exit_code = 0;
        if (a.wait_replies || a.one_message) {
          std::fprintf(stderr, "wsc: %llu of %llu replies arrived in time\n",
                       static_cast<unsigned long long>(s.replies),
                       static_cast<unsigned long long>(wanted));
          exit_code = 1;
        }
      } else if (!wake || *eof_deadline < *wake) {
        wake = eof_deadline;
      }
    }
    if (exit_code) break;
    if (wake) {
      s.cv.wait_until(lock, *wake);
    } else {
      s.cv.wait(lock);
    }
  }

  if (exit_code) {
    s.we_closed = true;
    lock.unlock();
    reader.stop();
    // Graceful: whatever is still queued goes out before the Close frame.
    if (client->try_close(close_code, close_reason) == Status::WSC_EINVAL) {
      std::fprintf(stderr, "wsc: cannot close with code %d; closing with 1000\n", close_code);
      client->try_close(1000, "");
    }
    lock.lock();
    if (!s.cv.wait_for(lock, kCloseGrace, [&] { return s.closed; })) {
      std::fprintf(stderr, "wsc: the server did not complete the close handshake\n");
      if (*exit_code == 0) exit_code = 1;
    } else if (s.error != Status::WSC_OK && *exit_code == 0) {
      std::fprintf(stderr, "wsc: %s\n", describe(s.error, s.error_detail).c_str());
      exit_code = 1;
    }
  } else if (s.error != Status::WSC_OK) {
    std::fprintf(stderr, "wsc: connection closed: %s\n", describe(s.error, s.error_detail).c_str());
    exit_code = 1;
  } else {
    // on_close already said how the server closed.
    exit_code = s.close_code == 1000 ? 0 : 1;
  }
  if (s.skipped_input && *exit_code == 0) exit_code = 1;  // the lines that were not sent
  lock.unlock();

  if (a.verbose) {
    const wsc::Stats stats = client->stats();
    std::fprintf(stderr, "wsc: stats: %s\n", format_stats(stats).c_str());
    if (a.options.compression) {
      std::fprintf(stderr, "wsc: deflate: %s\n", format_compression(stats).c_str());
    }
  }
  return *exit_code;
}

}  // namespace wsc::cli
