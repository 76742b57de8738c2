// `wsc demo`: a self-contained tour of the library. It starts the echo server in-process,
// negotiates a subprotocol, sends text and binary messages of growing size, checks every
// echo byte for byte, and closes gracefully. Exit status 0 only if every check passed, so
// it doubles as a smoke test of an installed libwsc.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>
#include <wsc/client.hpp>

#include "cli_args.hpp"
#include "commands.hpp"
#include "echo_server.hpp"
#include "format.hpp"

namespace wsc::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Probe {
  wsc::MessageType type;
  std::string data;
  std::string label;
};

std::vector<Probe> make_probes() {
  std::string kib(1024, '\0');
  for (size_t i = 0; i < kib.size(); ++i) kib[i] = static_cast<char>(i % 256);
  // 251 is prime, so a shifted or dropped byte anywhere in the megabyte shows up.
  std::string mib(1024 * 1024, '\0');
  for (size_t i = 0; i < mib.size(); ++i) mib[i] = static_cast<char>(i % 251);
  return {
      {wsc::MessageType::Text, "hello, wsc", "text \"hello, wsc\""},
      {wsc::MessageType::Text, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93", "text (UTF-8)"},
      {wsc::MessageType::Binary, kib, "binary 1 KiB"},
      {wsc::MessageType::Binary, mib, "binary 1 MiB"},
  };
}

}  // namespace

int run_demo(const std::vector<std::string> &args) {
  parse_demo_args(args);
  std::unique_ptr<wsc::server::EchoServer> server;
  try {
    server = std::make_unique<wsc::server::EchoServer>();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "wsc demo: could not start the echo server: %s\n", e.what());
    return 1;
  }
  std::printf("echo server listening on %s\n", server->url().c_str());

  std::mutex m;
  int close_code = 0;
  std::string close_reason, error;
  wsc::Callbacks cb;  // no on_message: pull mode, so each echo is taken with recv()
  cb.on_close = [&](int code, std::string_view reason) {
    std::lock_guard<std::mutex> lock(m);
    close_code = code;
    close_reason = std::string(reason);
  };
  cb.on_error = [&](wsc::Status s, std::string_view detail) {
    std::lock_guard<std::mutex> lock(m);
    error = std::string(wsc::status_text(s)) + ": " + std::string(detail);
  };

  wsc::Options opts;
  opts.subprotocols = {"chat.v1"};
  wsc::Loop loop;
  auto t0 = Clock::now();
  wsc::Client client(loop, server->url() + "/", opts, std::move(cb));
  wsc::Status st = client.wait(wsc::State::Open, wsc::Millis{5000});
  if (st != wsc::Status::WSC_OK) {
    std::lock_guard<std::mutex> lock(m);
    std::printf("could not connect: %s%s%s\n", wsc::status_text(st), error.empty() ? "" : " / ",
                error.c_str());
    return 1;
  }
  std::string proto = client.subprotocol();
  bool ok = proto == "chat.v1";
  std::printf("connected in %s, subprotocol: %s%s\n", format_ms(Clock::now() - t0).c_str(),
              proto.empty() ? "(none)" : proto.c_str(), ok ? "" : "  <-- expected chat.v1");

  int matched = 0;
  auto probes = make_probes();
  for (const auto &p : probes) {
    auto start = Clock::now();
    std::optional<wsc::Message> echo;
    try {
      client.send(p.type, p.data);
      echo = client.recv(wsc::Millis{10000});
    } catch (const wsc::Error &e) {
      std::printf("%-18s  FAILED: %s\n", p.label.c_str(), e.what());
      ok = false;
      break;
    }
    auto rtt = Clock::now() - start;
    if (!echo) {
      std::printf("%-18s  FAILED: no echo within 10 s\n", p.label.c_str());
      ok = false;
      break;
    }
    bool same = echo->type == p.type && echo->data == p.data;
    matched += same;
    ok = ok && same;
    std::printf("%-18s  %9s  echo %s in %s\n", p.label.c_str(), format_bytes(p.data.size()).c_str(),
                same ? "matched" : "DIFFERED", format_ms(rtt).c_str());
  }

  client.close(1000, "demo done");
  st = client.wait(wsc::State::Closed, wsc::Millis{5000});
  {
    std::lock_guard<std::mutex> lock(m);
    if (st == wsc::Status::WSC_OK) {
      std::printf("closed: code %d%s%s\n", close_code, close_reason.empty() ? "" : ", ",
                  close_reason.c_str());
    } else {
      std::printf("close FAILED: %s%s%s\n", wsc::status_text(st), error.empty() ? "" : " / ",
                  error.c_str());
      ok = false;
    }
  }
  std::printf("stats: %s\n", format_stats(client.stats()).c_str());
  if (ok) {
    std::printf("demo OK: all %d echoes matched\n", matched);
  } else {
    std::printf("demo FAILED: %d of %zu echoes matched\n", matched, probes.size());
  }
  return ok ? 0 : 1;
}

}  // namespace wsc::cli
