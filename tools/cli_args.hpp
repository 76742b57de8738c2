// Command-line parsing for the wsc tool: value parsers (durations, sizes, counts) and one
// parser per command. Everything here is pure, so a bad argument is found before any socket
// or thread exists and is reported as a UsageError (exit status 2).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <wsc/client.hpp>

namespace wsc::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "30s", "500ms", "2m", "1h", "1.5s"; a bare number means seconds (like curl and timeout(1)).
wsc::Millis parse_duration(std::string_view text, std::string_view option);
// "1048576", "64K", "16M", "1G" (binary units; "KiB"/"KB" are accepted too).
uint64_t parse_size(std::string_view text, std::string_view option);
// A plain non-negative decimal integer no larger than max.
uint64_t parse_uint(std::string_view text, std::string_view option, uint64_t max);
// "Name: value" as -H takes it.
std::pair<std::string, std::string> parse_header(const std::string &text);
// The headers of a file for -H @FILE: one "Name: value" a line; blank lines
// and lines starting with '#' are skipped.
std::vector<std::pair<std::string, std::string>> read_header_file(const std::string &path);

struct ClientArgs {
  std::string url;
  wsc::Options options;
  bool binary = false;   // stdin is one binary message (or --chunk sized pieces)
  size_t chunk = 0;      // 0 = all of stdin as one message
  bool raw = false;      // print received binary messages as raw bytes
  bool verbose = false;  // -v or more
  int verbosity = 0;     // -v 1 (log at Info), -vv 2 (Debug)
  bool stats = false;    // --stats: the loop's metrics on stderr at exit
  bool insecure = false;
  uint64_t count = 0;  // 0 = no limit
  // At end of input: how long --wait-replies waits (default 1s, 10s with -1).
  std::optional<wsc::Millis> wait;
  bool one_message = false;  // -1: send the first message, print the first reply, exit
  bool listen = false;       // receive only: stdin is not read
  bool no_close = false;     // -n: end of input does not close
  // Replies to wait for at end of input, counted from our first send:
  // 0 = none, kOnePerMessage = as many as we sent.
  static constexpr uint64_t kOnePerMessage = ~uint64_t{0};
  uint64_t wait_replies = 0;
  bool jsonl = false;         // each received message as a JSON line
  bool show_headers = false;  // the upgrade response's headers on stderr
  bool ping_print = false;    // print each ping's round trip
  bool commands = false;      // /ping, /close even when stdin is not a terminal
};

struct ServeArgs {
  std::string bind = "127.0.0.1";
  int port = 0;
  bool scripted = false;
};

struct BenchArgs {
  std::string url;  // empty: the in-process echo server
  wsc::Options options;
  uint64_t connections = 1;
  wsc::Millis duration{5000};
  uint64_t size = 32;          // bytes per text message
  wsc::Millis interval{1000};  // between progress lines
};

// args excludes the program name (and, for serve/demo, the command word).
ClientArgs parse_client_args(const std::vector<std::string> &args);
ServeArgs parse_serve_args(const std::vector<std::string> &args);
void parse_demo_args(const std::vector<std::string> &args);
BenchArgs parse_bench_args(const std::vector<std::string> &args);

}  // namespace wsc::cli
