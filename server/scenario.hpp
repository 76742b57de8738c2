// Scripted fault scenarios of the echo server: parsing a request path into a Scenario and
// building the payloads the scenarios send. Pure functions, no lws, so they are easy to test.
//
// Paths (only honoured when EchoServerOptions::scripted is set):
//   /close/<code>[/<reason>]   send Close(code, reason) right after open (reason %-decoded)
//   /drop                      drop TCP right after open, no Close frame
//   /send/<n>                  send one binary message of n bytes (byte i = i % 251), then echo
//   /send-text-invalid-utf8    send one text message "ab\xff\xfe", then echo
//   /fragmented                send text "hello fragmented world" as 3 frames, then echo
//   /flood/<count>/<size>      send <count> binary messages of <size> bytes (8-byte big-endian
//                              sequence number first), paced by the socket, then echo
//   /no-pong                   never answer pings (by never reading; see echo_server.cpp)
//   /silent                    accept the upgrade, never send any message
//   /reject/<status>           refuse the upgrade with HTTP <status> (400..599)
// Any other path echoes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wsc::server {

struct Scenario {
  enum class Kind {
    kEcho,
    kClose,
    kDrop,
    kSend,
    kSendInvalidUtf8,
    kFragmented,
    kFlood,
    kNoPong,
    kSilent,
    kReject,
  };
  Kind kind = Kind::kEcho;
  int close_code = 0;        // kClose
  std::string close_reason;  // kClose, already %-decoded, at most 123 bytes
  uint64_t count = 0;        // kSend: bytes; kFlood: messages
  uint64_t size = 0;         // kFlood: bytes per message
  int http_status = 0;       // kReject
};

// Parses a request path. Returns std::nullopt when a scenario prefix matches but its arguments
// are malformed (the server then refuses the upgrade so typos in tests fail loudly). Any path
// without a scenario prefix is kEcho.
std::optional<Scenario> ParseScenario(const std::string& path);

// Largest message a scripted path may ask for; protects the server from absurd allocations.
constexpr uint64_t kMaxScriptedMessageBytes = uint64_t{1} << 30;  // 1 GiB

// Fills payload[i] = i % 251 (a period that is not a power of two catches offset bugs).
void FillPattern(unsigned char* payload, size_t n);

// Writes the flood payload: first min(8, n) bytes of the big-endian sequence number, then
// filler bytes.
void FillFloodMessage(unsigned char* payload, size_t n, uint64_t seq);

// The /fragmented message and how it is cut into frames.
constexpr char kFragmentedText[] = "hello fragmented world";
std::vector<size_t> FragmentedFrameSizes();  // {6, 11, 5}: "hello ", "fragmented ", "world"

// The /send-text-invalid-utf8 payload.
constexpr char kInvalidUtf8Text[] = "ab\xff\xfe";

}  // namespace wsc::server
