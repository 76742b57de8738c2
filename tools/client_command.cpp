// `wsc [options] URL`: the interactive client. Four threads meet in one Session:
//   - the library's loop thread runs the callbacks (prints messages, records events),
//   - a stdin thread reads lines/chunks and sends them,
//   - a signal thread turns Ctrl-C into a flag,
//   - the main thread waits on the Session and decides when to close and with what status.
// Only the main thread closes the connection, so the exit paths stay in one place.
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <wsc/client.hpp>
#include <wsc/log.hpp>

#include "cli_args.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "signals.hpp"
#include "stdin_reader.hpp"

namespace wsc::cli {
namespace {

using Clock = std::chrono::steady_clock;
using wsc::Status;

// How long a close we start may take before we give up on the server's Close frame.
constexpr wsc::Millis kCloseGrace{5000};

struct Session {
  std::mutex m;
  std::condition_variable cv;
  bool opened = false;  // at least once
  bool closed = false;  // for good (on_close)
  int signal = 0;
  bool stdin_done = false;
  bool output_failed = false;
  int output_errno = 0;
  uint64_t sent = 0;      // messages accepted by try_send
  uint64_t received = 0;  // messages printed
  uint64_t drains = 0;    // on_drain calls, to wake a sender blocked on a full queue
  Status error = Status::WSC_OK;
  std::string error_detail;
  int close_code = 0;
  std::string close_reason;

  template <typename F>
  void update(F f) {
    {
      std::lock_guard<std::mutex> lock(m);
      f();
    }
    cv.notify_all();
  }
};

std::string describe(Status st, const std::string &detail) {
  std::string s = wsc::status_text(st);
  if (!detail.empty()) s += ": " + detail;
  return s;
}

// Returns false if stdout is gone (e.g. a closed pipe; lws ignores SIGPIPE for us).
bool print_message(const ClientArgs &a, wsc::MessageType type, std::string_view data) {
  bool ok;
  if (type == wsc::MessageType::Text) {
    ok = std::fwrite(data.data(), 1, data.size(), stdout) == data.size() &&
         std::fputc('\n', stdout) != EOF;
  } else if (a.raw) {
    ok = std::fwrite(data.data(), 1, data.size(), stdout) == data.size();
  } else {
    std::string line = binary_preview(data) + "\n";
    ok = std::fwrite(line.data(), 1, line.size(), stdout) == line.size();
  }
  // Flushed per message: a reader on the other end of a pipe should see replies as they come.
  return std::fflush(stdout) == 0 && ok;
}

// try_send, waiting for the library's on_drain while the send queue is full.
Status send_with_backpressure(wsc::Client &client, wsc::MessageType type, const std::string &data,
                              Session &s) {
  for (;;) {
    uint64_t drains;
    {
      std::lock_guard<std::mutex> lock(s.m);
      drains = s.drains;
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

void pump_stdin(wsc::Client &client, const ClientArgs &a, StdinReader &in, Session &s) {
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
    ++n;
    Status st = send_with_backpressure(client, type, msg, s);
    if (st == Status::WSC_OK) {
      s.update([&] { ++s.sent; });
    } else if (st == Status::WSC_ECLOSED) {
      break;  // the connection ended; main reports why
    } else if (st == Status::WSC_EINVAL && !a.binary) {
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

wsc::Callbacks make_callbacks(const ClientArgs &a, Session &s) {
  wsc::Callbacks cb;
  cb.on_open = [&s] {
    s.update([&] {
      s.opened = true;
      // A recoverable error before a successful reconnect is history, not the outcome.
      s.error = Status::WSC_OK;
      s.error_detail.clear();
    });
  };
  // Counted only here, on the loop thread, so --count can drop extra messages unprinted.
  auto delivered = std::make_shared<uint64_t>(0);
  cb.on_message = [&a, &s, delivered](wsc::MessageType type, std::string_view data) {
    if (a.count && *delivered >= a.count) return;
    ++*delivered;
    int err = 0;
    bool ok = print_message(a, type, data);
    if (!ok) err = errno;
    s.update([&] {
      ++s.received;
      if (!ok && !s.output_failed) {
        s.output_failed = true;
        s.output_errno = err;
      }
    });
  };
  // With -v the library's log says the errors and the close (log_to_stderr).
  cb.on_error = [&s](Status st, std::string_view detail) {
    s.update([&] {
      s.error = st;
      s.error_detail = std::string(detail);
    });
  };
  cb.on_close = [&s](int code, std::string_view reason) {
    s.update([&] {
      s.closed = true;
      s.close_code = code;
      s.close_reason = std::string(reason);
    });
  };
  cb.on_state = [&a, &s](wsc::State from, wsc::State to) {
    if (a.verbose) std::fprintf(stderr, "wsc: %s -> %s\n", state_name(from), state_name(to));
    if (to == wsc::State::Reconnecting && !a.verbose) {
      // -v already printed the error; without -v a retrying client would look hung.
      std::lock_guard<std::mutex> lock(s.m);
      std::fprintf(stderr, "wsc: %s; reconnecting\n", describe(s.error, s.error_detail).c_str());
    }
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

  std::unique_ptr<wsc::Client> client;
  try {
    client = std::make_unique<wsc::Client>(loop, a.url, a.options, make_callbacks(a, s));
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
  if (a.verbose) {
    std::string proto = client->subprotocol();
    std::fprintf(stderr, "wsc: connected to %s (subprotocol: %s)\n", a.url.c_str(),
                 proto.empty() ? "none" : proto.c_str());
    const wsc::TlsInfo tls = client->tls_info();
    if (!tls.version.empty()) {
      std::fprintf(stderr, "wsc: TLS %s, cipher %s, group %s\n", tls.version.c_str(),
                   tls.cipher.c_str(), tls.group.empty() ? "?" : tls.group.c_str());
    }
  }
  // Started only now, so a failed connect leaves stdin unread for whoever comes next.
  pump = std::thread(pump_stdin, std::ref(*client), std::cref(a), std::ref(reader), std::ref(s));
  lock.lock();

  // Wait for a reason to stop; exit_code set means we close, otherwise the server did.
  std::optional<int> exit_code;
  std::optional<Clock::time_point> eof_deadline;
  while (!s.closed && !exit_code) {
    if (s.signal) {
      exit_code = 128 + s.signal;
    } else if (s.output_failed) {
      // A reader that went away (wsc ... | head) is a normal way to stop, not worth a word.
      if (s.output_errno != EPIPE) {
        std::fprintf(stderr, "wsc: cannot write to stdout: %s\n", std::strerror(s.output_errno));
      }
      exit_code = 1;
    } else if (a.count && s.received >= a.count) {
      exit_code = 0;
    } else if (s.stdin_done && !a.count) {
      // Echo-style servers answer each message; stop waiting once they all did.
      if (!eof_deadline) eof_deadline = Clock::now() + a.wait;
      if (s.received >= s.sent || Clock::now() >= *eof_deadline) {
        exit_code = 0;
      } else {
        s.cv.wait_until(lock, *eof_deadline);
      }
    } else {
      s.cv.wait(lock);
    }
  }

  if (exit_code) {
    lock.unlock();
    reader.stop();
    // Graceful: whatever is still queued goes out before the Close frame.
    client->try_close(1000, "");
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
  } else if (s.close_code != 1000) {
    std::fprintf(stderr, "wsc: server closed the connection with code %d%s%s\n", s.close_code,
                 s.close_reason.empty() ? "" : ": ", s.close_reason.c_str());
    exit_code = 1;
  } else {
    exit_code = 0;
  }
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
