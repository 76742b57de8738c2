// Where messages go on stdout, in one of three shapes:
//   plain    text as-is plus '\n', binary as a hex preview (or raw with --raw);
//            what scripts and pipes get;
//   markers  the same behind "< " (received) and "> " (sent), when stdout is
//            a terminal, so a conversation reads like one;
//   jsonl    one JSON object a line per received message (--jsonl).
// Thread-safe: the loop thread prints what arrives, the stdin thread what
// was sent.
#pragma once

#include <mutex>
#include <string_view>
#include <wsc/client.hpp>

namespace wsc::cli {

class MessageOutput {
 public:
  enum class Shape { kPlain, kMarkers, kJsonl };

  MessageOutput(Shape shape, bool raw_binary) : shape_(shape), raw_(raw_binary) {}

  // False if stdout is gone (errno tells why).
  bool received(wsc::MessageType type, std::string_view data);
  // Shows a message we sent; only in the markers shape, and only when the
  // terminal did not already echo it as it was typed.
  bool sent(wsc::MessageType type, std::string_view data);
  // Output is a terminal for a person (markers), not a script.
  bool interactive() const { return shape_ == Shape::kMarkers; }

 private:
  bool write(std::string_view marker, wsc::MessageType type, std::string_view data);

  const Shape shape_;
  const bool raw_;
  std::mutex mutex_;
};

}  // namespace wsc::cli
