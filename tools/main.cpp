// wsc: command-line WebSocket client, echo server and demo. This file only dispatches to
// the commands and owns the help text and exit status conventions:
//   0 success, 1 connection/runtime failure, 2 bad usage, 128+signal when interrupted.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>
#include <wsc/client.hpp>

#include "cli_args.hpp"
#include "commands.hpp"
#include "signals.hpp"

#ifndef WSC_VERSION
#define WSC_VERSION "unknown"
#endif

namespace {

const char kUsage[] =
    R"(usage: wsc [options] URL      interactive WebSocket client (ws:// or wss://)
       wsc serve [--port N] [--bind ADDR] [--scripted]
       wsc demo                   echo round trips against an in-process server
       wsc bench [-c N] [-d DUR] [-s BYTES] [--interval DUR] [-k] [URL]
                                  echo round trips as fast as they go, one in
                                  flight per connection (default 1 connection,
                                  5s, 32 bytes; no URL: an in-process server):
                                  a live progress line (rate, RTT, errors) on a
                                  terminal, one line per interval (1s) otherwise
       wsc help | --help | --version

Client: each line of stdin is sent as a text message (without its newline);
received messages are printed to stdout, text as-is plus a newline, binary as
"<binary N bytes>" and the hex of the first 32 bytes. On a terminal, received
lines start with "< " and sent ones with "> ", a "Connected to ..." line goes
to stderr, and lines typed as /ping [data] or /close [code [reason]] are
commands (//text sends /text). At end of stdin wsc waits up to --wait (1s)
for one reply per message sent (messages that arrived after its first send),
closes with 1000 and exits 0. Ctrl-C closes gracefully and exits 130 (twice:
at once). Reconnects and the server's close are reported on stderr.

  -1, --one-message           send the first line (or -b input), print the
                              reply, exit (1 if none came within --wait, 10s)
      --listen                receive only: stdin is not read, and its end
                              does not close
  -n, --no-close              end of stdin does not close: run until the
                              server closes, --count or Ctrl-C
      --wait-replies[=N]      at end of stdin, require one reply per message
                              sent (or N replies) within --wait (10s); exit 1
                              if they do not all come. With -1 or this, a
                              server gets 100ms to speak first, so that its
                              greeting is not taken for a reply
      --jsonl                 each received message as a JSON line:
                              {"ts":..,"type":"text"|"binary","length":N,
                               "text":".."} (binary: "base64":"..")
      --show-headers          the upgrade response's status and headers on
                              stderr
      --ping-print            print the server's pings (answered) and
                              unsolicited pongs; with --ping DUR also each
                              of our pings' round trip
      --commands              slash commands even when stdin is no terminal
  -H, --header 'Name: value'  extra handshake header (repeatable)
  -H @FILE                    headers from FILE, one 'Name: value' a line
                              (blank lines and # comments skipped)
      --origin O              Origin header
      --subprotocol P         offer subprotocol P (repeatable, in order)
      --connect-timeout DUR   TCP + TLS + upgrade limit (default 10s)
      --max-message BYTES     largest message accepted (default 16M)
  -b, --binary                send all of stdin as ONE binary message at EOF
                              (so a file arrives intact: wsc -b URL < file)
      --chunk BYTES           with --binary: one message per BYTES of stdin
      --raw                   print received binary messages as raw bytes
      --count N               exit after N messages received (end of stdin
                              then no longer ends the session)
      --wait DUR              after end of stdin, wait this long for replies
                              (default 1s; 10s with -1 and --wait-replies)
      --reconnect             reconnect with backoff after recoverable errors
      --reconnect-min DUR     first backoff (default 500ms; each attempt waits
      --reconnect-max DUR     a random time up to min*2^n, at most max: 30s)
      --ping DUR              send a ping every DUR
      --pong-timeout DUR      give up when a pong takes longer (default 10s)
      --cacert FILE           trust these CAs (PEM) instead of the system store
      --cert FILE, --key FILE client certificate and key (PEM)
      --ciphers LIST          TLS 1.2 cipher list (OpenSSL syntax)
      --tls-min 1.2|1.3       lowest TLS version (default 1.2)
  -k, --insecure              do not verify the server certificate (unsafe)
      --proxy URL             HTTP CONNECT proxy: http://[user:pass@]host:port
      --proxy-from-env        take the proxy from http_proxy/https_proxy
                              (no_proxy honoured)
      --server-name NAME      TLS SNI and certificate name to verify, when it
                              differs from the URL's host
      --deflate               offer permessage-deflate compression (RFC 7692);
                              each --deflate-* option below implies it
      --deflate-window-bits N compress with at most a 2^N window, 9..15
                              (default 15; the server may ask for less)
      --deflate-server-window-bits N
                              ask the server for at most a 2^N window, 9..15
      --deflate-no-context-takeover
                              both sides compress each message on its own
                              (less memory kept, less compression)
      --deflate-min BYTES     send shorter messages uncompressed (default 256)
  -v, --verbose               state changes, subprotocol, close code and
                              stats on stderr (with --deflate, the bytes on
                              the wire and the compression ratio), and
                              wsc's log at info level (open, TLS, errors,
                              reconnects with delay and reason, close)
  -vv                         the same with debug-level log lines (each
                              attempt, libwebsockets' own lines)
      --stats                 print the loop's metrics (Prometheus text
                              format) on stderr at exit

Serve: runs the echo server, prints "listening on ws://ADDR:PORT", stops on
Ctrl-C/SIGTERM.
  -p, --port N                TCP port (default 0 = pick a free one)
      --bind ADDR             address to listen on (default 127.0.0.1)
      --scripted              enable fault paths (/close/<code>, /drop, ...)

DUR is a number with a unit: 500ms, 30s, 2m, 1h (no unit = seconds).
BYTES is a number with an optional K, M or G suffix (powers of 1024).
Exit status: 0 ok, 1 connection or runtime failure (also: an input line
that was not sent, a close code other than 1000 from the server), 2 bad usage
or URL, 130 on Ctrl-C.
)";

}  // namespace

int main(int argc, char **argv) {
  // Before any thread exists, so the library's and the server's threads inherit the mask
  // and only our sigwait() thread ever sees SIGINT/SIGTERM.
  wsc::cli::block_termination_signals();

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  for (const auto &a : args) {
    if (a == "--") break;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  const std::string &first = args.front();
  if (first == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (first == "--version" || first == "-V") {
    std::printf("wsc %s\n", WSC_VERSION);
    return 0;
  }

  try {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (first == "serve") return wsc::cli::run_serve(rest);
    if (first == "demo") return wsc::cli::run_demo(rest);
    if (first == "bench") return wsc::cli::run_bench(rest);
    return wsc::cli::run_client(args);
  } catch (const wsc::cli::UsageError &e) {
    std::fprintf(stderr, "wsc: %s\n(see wsc --help)\n", e.what());
    return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "wsc: %s\n", e.what());
    return 1;
  }
}
