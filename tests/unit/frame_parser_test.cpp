// Server-to-client frame parsing (RFC 6455 §5): every length form, one
// stream cut every way (whole, byte by byte, random splits) giving the same
// messages, fragmented messages with control frames in between, the exact
// piece boundaries of Data events, and each protocol error with its close
// code, which then sticks.
#include "frame_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace wsc::detail {
namespace {

using Bytes = std::vector<uint8_t>;
using Kind = FrameEvent::Kind;

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kRsv1 = 0x40, kRsv2 = 0x20, kRsv3 = 0x10;

Bytes bytes(const std::string &s) { return Bytes(s.begin(), s.end()); }

std::string text(const uint8_t *p, size_t n) {
  return std::string(reinterpret_cast<const char *>(p), n);
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 13);
  return v;
}

Bytes operator+(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A frame header whose length uses `ext` extended bytes (0, 2 or 8) whatever
// the length, for forms a well-behaved server would not pick.
Bytes header(uint8_t first, uint64_t len, int ext) {
  Bytes h = {first};
  if (ext == 0) {
    h.push_back(static_cast<uint8_t>(len));
  } else {
    h.push_back(ext == 2 ? 126 : 127);
    for (int i = ext - 1; i >= 0; --i) h.push_back(static_cast<uint8_t>(len >> (8 * i)));
  }
  return h;
}

// Close payload: the code big-endian, then the reason.
Bytes close_payload(int code, const std::string &reason = "") {
  return Bytes{static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)} + bytes(reason);
}

// A message or control frame as a stream delivers it, in completion order:
// a message when its last piece arrives, a control frame when it is whole.
struct Item {
  FrameOpcode opcode;
  std::string payload;
  bool operator==(const Item &o) const { return opcode == o.opcode && payload == o.payload; }
};

void PrintTo(const Item &item, std::ostream *os) {
  *os << "{opcode " << static_cast<int>(item.opcode) << ", " << item.payload.size() << " bytes}";
}

struct Log {
  std::vector<Item> items;
  bool message_open = false;  // the stream ended inside a message
  int error_code = 0;
  std::string error_detail;
  size_t consumed = 0;  // stream bytes taken, up to and including the Error
};

// A stream that breaks the protocol and what the parser must make of it.
struct ErrorCase {
  const char *name;
  Bytes stream;
  int code;
  size_t consumed;          // where the Error event ends
  const char *keyword;      // in the detail
  bool allow_rsv1 = false;  // parsed as after permessage-deflate was negotiated
};

class FrameParserTest : public ::testing::Test {
 protected:
  // An unmasked server frame with the shortest length form (RFC 6455 §5.2).
  static Bytes frame(FrameOpcode opcode, bool fin, const Bytes &payload, uint8_t rsv = 0) {
    const uint8_t first = (fin ? kFin : 0) | rsv | static_cast<uint8_t>(opcode);
    const size_t n = payload.size();
    return header(first, n, n < 126 ? 0 : n <= 0xffff ? 2 : 8) + payload;
  }
  static Bytes frame(FrameOpcode opcode, bool fin, const std::string &payload, uint8_t rsv = 0) {
    return frame(opcode, fin, bytes(payload), rsv);
  }

  // Feeds `stream` in chunks that end at `cuts` (ascending, the last one
  // stream.size()), calling next() until each chunk is used up, checks the
  // next() contract on every call and reassembles messages from Data events.
  static Log parse(const Bytes &stream, const std::vector<size_t> &cuts, bool allow_rsv1 = false) {
    Log log;
    FrameParser parser;
    parser.set_allow_rsv1(allow_rsv1);
    std::string message;
    FrameOpcode message_opcode = FrameOpcode::Continuation;
    size_t pos = 0;
    for (const size_t end : cuts) {
      for (;;) {
        const uint8_t *in = stream.data() + pos;
        const size_t len = end - pos;
        FrameEvent ev;
        const size_t used = parser.next(in, len, ev);
        EXPECT_LE(used, len);
        if (ev.kind == Kind::Error) {
          log.error_code = ev.close_code;
          log.error_detail = ev.detail;
          log.consumed = pos + used;
          return log;
        }
        pos += used;
        if (ev.kind == Kind::NeedMore) {
          EXPECT_EQ(used, len) << "NeedMore must take every byte it was given";
          break;
        }
        // An event ends on a byte of its own (a Data event without payload
        // on the last byte of its frame header); taking none would loop forever.
        if (used == 0) {
          ADD_FAILURE() << "an event that took no bytes at offset " << pos;
          return log;
        }
        if (ev.kind == Kind::Control) {
          log.items.push_back({ev.opcode, text(ev.data, ev.len)});
          continue;
        }
        // Data: a view of the last bytes taken, in the caller's buffer.
        EXPECT_EQ(ev.data + ev.len, in + used) << "at offset " << pos;
        EXPECT_EQ(ev.message_start, !log.message_open) << "at offset " << pos;
        if (ev.message_start) {
          EXPECT_TRUE(ev.opcode == FrameOpcode::Text || ev.opcode == FrameOpcode::Binary);
          message.clear();
          message_opcode = ev.opcode;
          log.message_open = true;
        }
        EXPECT_EQ(ev.opcode, message_opcode) << "every piece carries the message's type";
        message += text(ev.data, ev.len);
        if (ev.message_end) {
          EXPECT_EQ(ev.frame_remaining, 0u);
          log.items.push_back({message_opcode, message});
          log.message_open = false;
        }
      }
    }
    log.consumed = pos;
    EXPECT_EQ(pos, stream.size());
    return log;
  }

  static Log parse_whole(const Bytes &stream, bool allow_rsv1 = false) {
    return parse(stream, {stream.size()}, allow_rsv1);
  }

  static Log parse_bytewise(const Bytes &stream, bool allow_rsv1 = false) {
    std::vector<size_t> cuts;
    for (size_t i = 1; i <= stream.size(); ++i) cuts.push_back(i);
    if (cuts.empty()) cuts.push_back(0);
    return parse(stream, cuts, allow_rsv1);
  }

  static Log parse_random(const Bytes &stream, unsigned seed, bool allow_rsv1 = false) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> at(0, stream.size());
    std::vector<size_t> cuts(1 + rng() % 40);
    for (size_t &c : cuts) c = at(rng);
    cuts.push_back(stream.size());
    std::sort(cuts.begin(), cuts.end());
    return parse(stream, cuts, allow_rsv1);
  }

  static std::vector<ErrorCase> error_cases();

  // One next() call on the whole of `in` on this test's parser.
  FrameEvent next(const Bytes &in, size_t &used) {
    FrameEvent ev;
    used = parser_.next(in.data(), in.size(), ev);
    return ev;
  }

  FrameParser parser_;
};

// --- Length forms and Data pieces ---------------------------------------------

TEST_F(FrameParserTest, HelperBuildsUnmaskedMinimalFrames) {
  EXPECT_EQ(frame(FrameOpcode::Text, true, "hi"), (Bytes{0x81, 0x02, 'h', 'i'}));
  EXPECT_EQ(frame(FrameOpcode::Binary, false, ""), (Bytes{0x02, 0x00}));
  EXPECT_EQ(frame(FrameOpcode::Ping, true, "", kRsv1), (Bytes{0xc9, 0x00}));
  const Bytes f126 = frame(FrameOpcode::Binary, true, pattern(126, 0));
  EXPECT_EQ(Bytes(f126.begin(), f126.begin() + 4), (Bytes{0x82, 126, 0x00, 126}));
  const Bytes f65536 = frame(FrameOpcode::Binary, true, pattern(65536, 0));
  EXPECT_EQ(Bytes(f65536.begin(), f65536.begin() + 10), (Bytes{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST_F(FrameParserTest, EveryLengthFormInOneCall) {
  struct Case {
    size_t len;
    size_t header;
  };
  for (const Case c : {Case{0, 2}, Case{1, 2}, Case{125, 2}, Case{126, 4}, Case{127, 4},
                       Case{65535, 4}, Case{65536, 10}, Case{1 << 20, 10}}) {
    SCOPED_TRACE(c.len);
    FrameParser parser;
    const Bytes payload = pattern(c.len, static_cast<uint8_t>(c.len));
    const Bytes f = frame(FrameOpcode::Binary, true, payload);
    ASSERT_EQ(f.size(), c.header + c.len);
    FrameEvent ev;
    EXPECT_EQ(parser.next(f.data(), f.size(), ev), f.size());
    EXPECT_EQ(ev.kind, Kind::Data);
    EXPECT_EQ(ev.opcode, FrameOpcode::Binary);
    EXPECT_TRUE(ev.message_start);
    EXPECT_TRUE(ev.message_end);
    EXPECT_EQ(ev.frame_remaining, 0u);
    EXPECT_EQ(ev.data, f.data() + c.header);
    ASSERT_EQ(ev.len, c.len);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), ev.data));
    // Nothing left over: the next call wants more.
    EXPECT_EQ(parser.next(f.data() + f.size(), 0, ev), 0u);
    EXPECT_EQ(ev.kind, Kind::NeedMore);
  }
}

TEST_F(FrameParserTest, LongestLengthsOfEachFormAreAccepted) {
  // The boundaries of the minimal encodings (RFC 6455 §5.2): 125 in 7 bits,
  // 126 and 65535 in 16 bits, 65536 in 64 bits; the payload need not follow.
  for (const auto &[declared, ext] : {std::pair<uint64_t, int>{125, 0},
                                      {126, 2},
                                      {65535, 2},
                                      {65536, 8},
                                      {(uint64_t{1} << 63) - 1, 8}}) {
    SCOPED_TRACE(declared);
    FrameParser parser;
    const Bytes h = header(0x82, declared, ext);
    FrameEvent ev;
    EXPECT_EQ(parser.next(h.data(), h.size(), ev), h.size());
    EXPECT_EQ(ev.kind, Kind::Data);
    EXPECT_EQ(ev.frame_remaining, declared);
  }
}

TEST_F(FrameParserTest, SixtyFourBitLengthsKeepTheirHighBytes) {
  // 2^32 + 7 and the largest legal length: a 32-bit truncation would show.
  for (const uint64_t declared : {(uint64_t{1} << 32) + 7, (uint64_t{1} << 63) - 1}) {
    SCOPED_TRACE(declared);
    FrameParser parser;
    const Bytes f = header(0x82, declared, 8) + pattern(10, 1);
    FrameEvent ev;
    EXPECT_EQ(parser.next(f.data(), f.size(), ev), f.size());
    ASSERT_EQ(ev.kind, Kind::Data);
    EXPECT_TRUE(ev.message_start);
    EXPECT_FALSE(ev.message_end);
    EXPECT_EQ(ev.len, 10u);
    EXPECT_EQ(ev.frame_remaining, declared - 10);
  }
}

TEST_F(FrameParserTest, HeaderAloneGivesTheAnnouncedLengthThenPayloadComesInPieces) {
  const Bytes payload = pattern(1000, 3);
  const Bytes f = frame(FrameOpcode::Text, true, payload);
  ASSERT_EQ(f.size(), 1004u);
  const uint8_t *p = f.data();
  FrameEvent ev;
  // Header bytes one at a time: NeedMore, each one taken...
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(parser_.next(p + i, 1, ev), 1u) << i;
    EXPECT_EQ(ev.kind, Kind::NeedMore) << i;
  }
  // ...until the last one: an empty Data event announces the whole frame,
  // so a size limit can be checked before any payload byte arrives.
  EXPECT_EQ(parser_.next(p + 3, 1, ev), 1u);
  ASSERT_EQ(ev.kind, Kind::Data);
  EXPECT_EQ(ev.opcode, FrameOpcode::Text);
  EXPECT_TRUE(ev.message_start);
  EXPECT_FALSE(ev.message_end);
  EXPECT_EQ(ev.len, 0u);
  EXPECT_EQ(ev.data, p + 4);
  EXPECT_EQ(ev.frame_remaining, 1000u);
  // No payload yet: nothing more to say.
  EXPECT_EQ(parser_.next(p + 4, 0, ev), 0u);
  EXPECT_EQ(ev.kind, Kind::NeedMore);
  struct Piece {
    size_t len;
    bool start, end;
    uint64_t remaining;
  };
  size_t at = 4;
  for (const Piece piece : {Piece{300, false, false, 700}, Piece{1, false, false, 699},
                            Piece{299, false, false, 400}, Piece{400, false, true, 0}}) {
    SCOPED_TRACE(at);
    EXPECT_EQ(parser_.next(p + at, piece.len, ev), piece.len);
    EXPECT_EQ(ev.kind, Kind::Data);
    EXPECT_EQ(ev.opcode, FrameOpcode::Text);
    EXPECT_EQ(ev.message_start, piece.start);
    EXPECT_EQ(ev.message_end, piece.end);
    EXPECT_EQ(ev.frame_remaining, piece.remaining);
    EXPECT_EQ(ev.data, p + at);
    EXPECT_EQ(ev.len, piece.len);
    at += piece.len;
  }
}

TEST_F(FrameParserTest, OneCallStopsAtTheEndOfAFrame) {
  const Bytes stream =
      frame(FrameOpcode::Text, true, "one") + frame(FrameOpcode::Binary, true, "2");
  size_t used = 0;
  FrameEvent ev = next(stream, used);
  EXPECT_EQ(used, 5u);
  ASSERT_EQ(ev.kind, Kind::Data);
  EXPECT_EQ(text(ev.data, ev.len), "one");
  ev = FrameEvent();
  EXPECT_EQ(parser_.next(stream.data() + 5, 3, ev), 3u);
  ASSERT_EQ(ev.kind, Kind::Data);
  EXPECT_EQ(ev.opcode, FrameOpcode::Binary);
  EXPECT_TRUE(ev.message_start && ev.message_end);
  EXPECT_EQ(text(ev.data, ev.len), "2");
}

TEST_F(FrameParserTest, EmptyInputNeedsMore) {
  FrameEvent ev;
  ev.kind = Kind::Data;  // stale values must not survive the call
  EXPECT_EQ(parser_.next(nullptr, 0, ev), 0u);
  EXPECT_EQ(ev.kind, Kind::NeedMore);
}

// --- Fragmentation and control frames -----------------------------------------

TEST_F(FrameParserTest, FragmentedMessageWithControlFramesInBetween) {
  const Bytes stream =
      frame(FrameOpcode::Text, false, "Hel") + frame(FrameOpcode::Ping, true, "p") +
      frame(FrameOpcode::Continuation, false, "lo ") + frame(FrameOpcode::Pong, true, "") +
      frame(FrameOpcode::Continuation, true, "world");
  struct Expected {
    Kind kind;
    FrameOpcode opcode;
    bool start, end;
    std::string payload;
    size_t used;
  };
  const Expected expected[] = {
      {Kind::Data, FrameOpcode::Text, true, false, "Hel", 5},
      {Kind::Control, FrameOpcode::Ping, false, false, "p", 3},
      {Kind::Data, FrameOpcode::Text, false, false, "lo ", 5},
      {Kind::Control, FrameOpcode::Pong, false, false, "", 2},
      {Kind::Data, FrameOpcode::Text, false, true, "world", 7},
  };
  size_t at = 0;
  for (const Expected &e : expected) {
    SCOPED_TRACE(e.payload);
    FrameEvent ev;
    EXPECT_EQ(parser_.next(stream.data() + at, stream.size() - at, ev), e.used);
    EXPECT_EQ(ev.kind, e.kind);
    EXPECT_EQ(ev.opcode, e.opcode);
    EXPECT_EQ(ev.message_start, e.start);
    EXPECT_EQ(ev.message_end, e.end);
    EXPECT_EQ(ev.frame_remaining, 0u);
    EXPECT_EQ(text(ev.data, ev.len), e.payload);
    at += e.used;
  }
  EXPECT_EQ(at, stream.size());
}

TEST_F(FrameParserTest, EmptyFragmentsStillStartAndEndTheMessage) {
  const Bytes stream = frame(FrameOpcode::Binary, false, "") +
                       frame(FrameOpcode::Continuation, false, "x") +
                       frame(FrameOpcode::Continuation, true, "");
  FrameEvent ev;
  EXPECT_EQ(parser_.next(stream.data(), stream.size(), ev), 2u);
  EXPECT_EQ(ev.kind, Kind::Data);
  EXPECT_EQ(ev.opcode, FrameOpcode::Binary);
  EXPECT_TRUE(ev.message_start);
  EXPECT_FALSE(ev.message_end);
  EXPECT_EQ(ev.len, 0u);
  EXPECT_EQ(parser_.next(stream.data() + 2, stream.size() - 2, ev), 3u);
  EXPECT_FALSE(ev.message_start || ev.message_end);
  EXPECT_EQ(text(ev.data, ev.len), "x");
  EXPECT_EQ(parser_.next(stream.data() + 5, stream.size() - 5, ev), 2u);
  EXPECT_EQ(ev.kind, Kind::Data);
  EXPECT_EQ(ev.opcode, FrameOpcode::Binary);
  EXPECT_FALSE(ev.message_start);
  EXPECT_TRUE(ev.message_end);
  EXPECT_EQ(ev.len, 0u);
}

TEST_F(FrameParserTest, FinOfAnUnfinishedFrameIsNotTheMessageEnd) {
  // A FIN frame's first piece is not the end; a non-FIN frame's last piece
  // is not either.
  const Bytes stream =
      frame(FrameOpcode::Text, false, "ab") + frame(FrameOpcode::Continuation, true, "cdef");
  FrameEvent ev;
  EXPECT_EQ(parser_.next(stream.data(), 4, ev), 4u);
  EXPECT_TRUE(ev.message_start);
  EXPECT_FALSE(ev.message_end);
  EXPECT_EQ(ev.frame_remaining, 0u);
  EXPECT_EQ(parser_.next(stream.data() + 4, 4, ev), 4u);  // header + "cd"
  EXPECT_FALSE(ev.message_start);
  EXPECT_FALSE(ev.message_end);
  EXPECT_EQ(ev.frame_remaining, 2u);
  EXPECT_EQ(text(ev.data, ev.len), "cd");
  EXPECT_EQ(parser_.next(stream.data() + 8, 2, ev), 2u);
  EXPECT_TRUE(ev.message_end);
  EXPECT_EQ(text(ev.data, ev.len), "ef");
}

TEST_F(FrameParserTest, ControlPayloadIsGatheredAcrossCalls) {
  const Bytes payload = pattern(125, 9);
  const Bytes f = frame(FrameOpcode::Ping, true, payload);
  FrameEvent ev;
  for (size_t i = 0; i + 1 < f.size(); ++i) {
    EXPECT_EQ(parser_.next(f.data() + i, 1, ev), 1u);
    ASSERT_EQ(ev.kind, Kind::NeedMore) << i;
  }
  EXPECT_EQ(parser_.next(f.data() + f.size() - 1, 1, ev), 1u);
  ASSERT_EQ(ev.kind, Kind::Control);
  EXPECT_EQ(ev.opcode, FrameOpcode::Ping);
  ASSERT_EQ(ev.len, 125u);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), ev.data));
}

TEST_F(FrameParserTest, CloseFramesThatAreValid) {
  for (const Bytes &payload :
       {Bytes{}, close_payload(1000), close_payload(1001, "going away"),
        close_payload(4000, "caf\xc3\xa9"), close_payload(3000, std::string(123, 'r'))}) {
    SCOPED_TRACE(payload.size());
    FrameParser parser;
    const Bytes f = frame(FrameOpcode::Close, true, payload);
    FrameEvent ev;
    EXPECT_EQ(parser.next(f.data(), f.size(), ev), f.size());
    ASSERT_EQ(ev.kind, Kind::Control);
    EXPECT_EQ(ev.opcode, FrameOpcode::Close);
    EXPECT_EQ(Bytes(ev.data, ev.data + ev.len), payload);
  }
}

// --- The same stream, cut every way -------------------------------------------

TEST_F(FrameParserTest, SplitPointsDoNotChangeTheResult) {
  const std::string hello(125, 'h');
  const Bytes b126 = pattern(126, 1), b65535 = pattern(65535, 2), b65536 = pattern(65536, 3),
              big = pattern(200003, 4), ping = pattern(125, 5), mid = pattern(126, 6);
  const Bytes stream =
      frame(FrameOpcode::Text, true, "") + frame(FrameOpcode::Text, true, hello) +
      frame(FrameOpcode::Binary, true, b126) + frame(FrameOpcode::Binary, true, b65535) +
      frame(FrameOpcode::Ping, true, ping) + frame(FrameOpcode::Binary, true, b65536) +
      frame(FrameOpcode::Binary, true, big) +
      // Fragmented text with a Ping and an empty Pong between the pieces.
      frame(FrameOpcode::Text, false, "frag") + frame(FrameOpcode::Ping, true, "p1") +
      frame(FrameOpcode::Continuation, false, "ment") + frame(FrameOpcode::Pong, true, "") +
      frame(FrameOpcode::Continuation, true, "ed") +
      // Fragmented binary starting and ending with empty pieces.
      frame(FrameOpcode::Binary, false, "") + frame(FrameOpcode::Continuation, false, mid) +
      frame(FrameOpcode::Ping, true, "p2") + frame(FrameOpcode::Continuation, true, "") +
      frame(FrameOpcode::Close, true, close_payload(1000, "bye"));

  auto s = [](const Bytes &b) { return std::string(b.begin(), b.end()); };
  const std::vector<Item> expected = {
      {FrameOpcode::Text, ""},
      {FrameOpcode::Text, hello},
      {FrameOpcode::Binary, s(b126)},
      {FrameOpcode::Binary, s(b65535)},
      {FrameOpcode::Ping, s(ping)},
      {FrameOpcode::Binary, s(b65536)},
      {FrameOpcode::Binary, s(big)},
      {FrameOpcode::Ping, "p1"},
      {FrameOpcode::Pong, ""},
      {FrameOpcode::Text, "fragmented"},
      {FrameOpcode::Ping, "p2"},
      {FrameOpcode::Binary, s(mid)},
      {FrameOpcode::Close, s(close_payload(1000, "bye"))},
  };

  const Log whole = parse_whole(stream);
  EXPECT_EQ(whole.error_code, 0) << whole.error_detail;
  EXPECT_FALSE(whole.message_open);
  EXPECT_EQ(whole.items, expected);

  const Log bytewise = parse_bytewise(stream);
  EXPECT_EQ(bytewise.error_code, 0) << bytewise.error_detail;
  EXPECT_EQ(bytewise.items, expected);

  for (unsigned seed = 1; seed <= 30; ++seed) {
    const Log random = parse_random(stream, seed);
    EXPECT_EQ(random.error_code, 0) << "seed " << seed << ": " << random.error_detail;
    EXPECT_EQ(random.items, expected) << "seed " << seed;
  }
}

TEST_F(FrameParserTest, EveryTwoWaySplitOfASmallStream) {
  const Bytes stream =
      frame(FrameOpcode::Binary, false, pattern(130, 7)) + frame(FrameOpcode::Ping, true, "ping") +
      frame(FrameOpcode::Continuation, true, "tail") + frame(FrameOpcode::Text, true, "t");
  const Log whole = parse_whole(stream);
  ASSERT_EQ(whole.items.size(), 3u);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    EXPECT_EQ(parse(stream, {cut, stream.size()}).items, whole.items) << "cut at " << cut;
  }
}

// --- Protocol errors ----------------------------------------------------------

std::vector<ErrorCase> FrameParserTest::error_cases() {
  const Bytes ok = frame(FrameOpcode::Text, true, "ok");  // 4 bytes
  std::vector<ErrorCase> cases = {
      {"rsv1", frame(FrameOpcode::Text, true, "x", kRsv1), 1002, 2, "reserved"},
      {"rsv2", frame(FrameOpcode::Binary, true, "x", kRsv2), 1002, 2, "reserved"},
      {"rsv3", frame(FrameOpcode::Text, true, "x", kRsv3), 1002, 2, "reserved"},
      {"rsv1 on a ping", frame(FrameOpcode::Ping, true, "", kRsv1), 1002, 2, "reserved"},
      {"rsv on a continuation",
       frame(FrameOpcode::Text, false, "a") + frame(FrameOpcode::Continuation, true, "b", kRsv1),
       1002, 5, "reserved"},
      {"masked", Bytes{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}, 1002, 2, "masked"},
      {"masked empty ping", Bytes{0x89, 0x80, 1, 2, 3, 4}, 1002, 2, "masked"},
      {"masked after a good frame", ok + Bytes{0x82, 0x81, 0, 0, 0, 0, 'x'}, 1002, 6, "masked"},
      {"fragmented ping", frame(FrameOpcode::Ping, false, "p"), 1002, 2, "fragmented"},
      {"fragmented close", frame(FrameOpcode::Close, false, ""), 1002, 2, "fragmented"},
      {"fragmented pong", frame(FrameOpcode::Pong, false, ""), 1002, 2, "fragmented"},
      {"ping of 126 bytes", frame(FrameOpcode::Ping, true, std::string(126, 'p')), 1002, 2, "125"},
      {"close of 126 bytes", header(0x88, 126, 2), 1002, 2, "125"},
      {"pong with 64-bit length", header(0x8a, 1, 8), 1002, 2, "125"},
      {"continuation first", frame(FrameOpcode::Continuation, true, "c"), 1002, 2, "continuation"},
      {"continuation after a whole message", ok + frame(FrameOpcode::Continuation, false, "c"),
       1002, 6, "continuation"},
      {"text inside text",
       frame(FrameOpcode::Text, false, "a") + frame(FrameOpcode::Text, true, "b"), 1002, 5,
       "inside"},
      {"binary inside text after a ping",
       frame(FrameOpcode::Text, false, "a") + frame(FrameOpcode::Ping, true, "") +
           frame(FrameOpcode::Binary, true, "b"),
       1002, 7, "inside"},
      {"64-bit length with the top bit", header(0x82, uint64_t{1} << 63, 8), 1002, 10,
       "most significant"},
      // RFC 6455 §5.2: the minimal number of bytes MUST be used.
      {"16-bit length of 0", header(0x82, 0, 2), 1002, 4, "minimal"},
      {"16-bit length of 125", header(0x82, 125, 2) + pattern(125, 0), 1002, 4, "minimal"},
      {"64-bit length of 5", header(0x81, 5, 8) + bytes("abcde"), 1002, 10, "minimal"},
      {"64-bit length of 125", header(0x82, 125, 8), 1002, 10, "minimal"},
      {"64-bit length of 65535", header(0x82, 65535, 8), 1002, 10, "minimal"},
      {"16-bit length of a continuation",
       frame(FrameOpcode::Text, false, "a") + header(0x80, 1, 2) + bytes("b"), 1002, 7, "minimal"},
      // permessage-deflate (RFC 7692 §6.1): RSV1 on a message's first frame
      // only; RSV2 and RSV3 stay reserved.
      {"rsv1 on a continuation, deflate on",
       frame(FrameOpcode::Text, false, "a", kRsv1) +
           frame(FrameOpcode::Continuation, true, "b", kRsv1),
       1002, 5, "continuation", true},
      {"rsv1 on a ping, deflate on", frame(FrameOpcode::Ping, true, "", kRsv1), 1002, 2, "control",
       true},
      {"rsv1 on a close, deflate on", frame(FrameOpcode::Close, true, close_payload(1000), kRsv1),
       1002, 2, "control", true},
      {"rsv2, deflate on", frame(FrameOpcode::Text, true, "x", kRsv2), 1002, 2, "RSV2", true},
      {"rsv3, deflate on", frame(FrameOpcode::Binary, true, "x", kRsv3), 1002, 2, "RSV3", true},
      {"rsv1+rsv2, deflate on", frame(FrameOpcode::Text, true, "x", kRsv1 | kRsv2), 1002, 2,
       "reserved", true},
      {"64-bit length all ones", header(0x82, ~uint64_t{0}, 8), 1002, 10, "most significant"},
      {"close with 1 byte", frame(FrameOpcode::Close, true, "\x03"), 1002, 3, "1-byte"},
      {"close reason not UTF-8",
       frame(FrameOpcode::Close, true, std::string("\x03\xe8") + "bad \xff reason"), 1007, 16,
       "UTF-8"},
      {"close reason with a surrogate", frame(FrameOpcode::Close, true, "\x03\xe8\xed\xa0\x80"),
       1007, 7, "UTF-8"},
      {"close reason cut mid code point", frame(FrameOpcode::Close, true, "\x03\xe8\xc3"), 1007, 5,
       "UTF-8"},
  };
  for (int op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf}) {
    cases.push_back(
        {"unknown opcode", header(static_cast<uint8_t>(kFin | op), 0, 0), 1002, 2, "opcode"});
    cases.push_back(
        {"unknown opcode without FIN", header(static_cast<uint8_t>(op), 0, 0), 1002, 2, "opcode"});
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    cases.push_back({"invalid close code", frame(FrameOpcode::Close, true, close_payload(code)),
                     1002, 4, "close code"});
  }
  return cases;
}

TEST_F(FrameParserTest, EachViolationGivesItsCloseCode) {
  for (const ErrorCase &c : error_cases()) {
    SCOPED_TRACE(std::string(c.name) + ", " + std::to_string(c.stream[0]) + "/" +
                 std::to_string(c.stream.size() > 1 ? c.stream[1] : -1));
    for (const Log &log :
         {parse_whole(c.stream, c.allow_rsv1), parse_bytewise(c.stream, c.allow_rsv1),
          parse_random(c.stream, 7, c.allow_rsv1)}) {
      EXPECT_EQ(log.error_code, c.code);
      EXPECT_EQ(log.consumed, c.consumed);
      EXPECT_NE(log.error_detail.find(c.keyword), std::string::npos) << log.error_detail;
    }
  }
}

TEST_F(FrameParserTest, AfterAnErrorTheSameErrorComesBack) {
  const Bytes good = frame(FrameOpcode::Text, true, "fine");
  for (const ErrorCase &c : error_cases()) {
    SCOPED_TRACE(c.name);
    FrameParser parser;
    parser.set_allow_rsv1(c.allow_rsv1);
    FrameEvent first;
    size_t at = 0;
    while (at < c.stream.size()) {
      at += parser.next(c.stream.data() + at, c.stream.size() - at, first);
      if (first.kind == Kind::Error) break;
    }
    ASSERT_EQ(first.kind, Kind::Error);
    for (int i = 0; i < 3; ++i) {
      FrameEvent again;
      EXPECT_EQ(parser.next(good.data(), good.size(), again), 0u);
      EXPECT_EQ(again.kind, Kind::Error);
      EXPECT_EQ(again.close_code, first.close_code);
      EXPECT_STREQ(again.detail, first.detail);
    }
    // reset() is the only way back.
    parser.reset();
    FrameEvent ev;
    EXPECT_EQ(parser.next(good.data(), good.size(), ev), good.size());
    EXPECT_EQ(ev.kind, Kind::Data);
  }
}

// --- Announced lengths and permessage-deflate's RSV1 --------------------------------

TEST_F(FrameParserTest, EveryDataFrameAnnouncesItsLengthBeforeItsPayload) {
  // Fed byte by byte, each data frame's header ends in an empty Data event
  // carrying the frame's whole length; control frames give none.
  const Bytes stream = frame(FrameOpcode::Binary, false, pattern(300, 1)) +
                       frame(FrameOpcode::Ping, true, "p") +
                       frame(FrameOpcode::Continuation, false, pattern(70000, 2)) +
                       frame(FrameOpcode::Continuation, true, "") +
                       header(0x81, uint64_t{1} << 40, 8);  // a text frame never finished
  std::vector<uint64_t> announced;
  std::vector<bool> starts;
  FrameParser parser;
  for (size_t at = 0; at < stream.size();) {
    FrameEvent ev;
    at += parser.next(stream.data() + at, 1, ev);
    ASSERT_NE(ev.kind, Kind::Error) << ev.detail;
    if (ev.kind == Kind::Data && ev.len == 0) {
      announced.push_back(ev.frame_remaining);
      starts.push_back(ev.message_start);
    }
  }
  EXPECT_EQ(announced, (std::vector<uint64_t>{300, 70000, 0, uint64_t{1} << 40}));
  EXPECT_EQ(starts, (std::vector<bool>{true, false, false, true}));
}

TEST_F(FrameParserTest, Rsv1MarksACompressedMessageOnceAllowed) {
  parser_.set_allow_rsv1(true);
  const Bytes stream =
      frame(FrameOpcode::Text, false, "ab", kRsv1) + frame(FrameOpcode::Ping, true, "p") +
      frame(FrameOpcode::Continuation, true, "cd") + frame(FrameOpcode::Binary, true, "x");
  struct Seen {
    Kind kind;
    bool compressed;
    std::string data;
  };
  std::vector<Seen> seen;
  for (size_t at = 0; at < stream.size();) {
    FrameEvent ev;
    at += parser_.next(stream.data() + at, stream.size() - at, ev);
    ASSERT_NE(ev.kind, Kind::Error) << ev.detail;
    seen.push_back({ev.kind, ev.compressed, text(ev.data, ev.len)});
  }
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_TRUE(seen[0].kind == Kind::Data && seen[0].compressed && seen[0].data == "ab");
  EXPECT_TRUE(seen[1].kind == Kind::Control && !seen[1].compressed);
  // The continuation has no RSV1 of its own but belongs to the compressed message.
  EXPECT_TRUE(seen[2].kind == Kind::Data && seen[2].compressed && seen[2].data == "cd");
  EXPECT_TRUE(seen[3].kind == Kind::Data && !seen[3].compressed && seen[3].data == "x");

  // reset() starts a new stream with the same setting.
  parser_.reset();
  const Bytes again = frame(FrameOpcode::Binary, true, "y", kRsv1);
  FrameEvent ev;
  EXPECT_EQ(parser_.next(again.data(), again.size(), ev), again.size());
  EXPECT_EQ(ev.kind, Kind::Data);
  EXPECT_TRUE(ev.compressed);
}

TEST_F(FrameParserTest, Rsv1IsRefusedUntilAllowed) {
  const Bytes f = frame(FrameOpcode::Binary, true, "y", kRsv1);
  FrameEvent ev;
  parser_.next(f.data(), f.size(), ev);
  EXPECT_EQ(ev.kind, Kind::Error);
  EXPECT_EQ(ev.close_code, 1002);
  EXPECT_NE(std::string(ev.detail).find("RSV1"), std::string::npos) << ev.detail;
  FrameParser allowed;
  allowed.set_allow_rsv1(true);
  allowed.set_allow_rsv1(false);
  allowed.next(f.data(), f.size(), ev);
  EXPECT_EQ(ev.kind, Kind::Error);
}

TEST_F(FrameParserTest, ControlFrameOf125BytesIsFine) {
  for (FrameOpcode op : {FrameOpcode::Ping, FrameOpcode::Pong}) {
    FrameParser parser;
    const Bytes f = frame(op, true, pattern(125, 0));
    FrameEvent ev;
    EXPECT_EQ(parser.next(f.data(), f.size(), ev), f.size());
    EXPECT_EQ(ev.kind, Kind::Control);
    EXPECT_EQ(ev.len, 125u);
  }
}

TEST_F(FrameParserTest, CloseCodesOnTheWire) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(is_valid_close_code(code));
    FrameParser parser;
    const Bytes f = frame(FrameOpcode::Close, true, close_payload(code, "r"));
    FrameEvent ev;
    EXPECT_EQ(parser.next(f.data(), f.size(), ev), f.size());
    ASSERT_EQ(ev.kind, Kind::Control);
    EXPECT_EQ(ev.opcode, FrameOpcode::Close);
    EXPECT_EQ(Bytes(ev.data, ev.data + ev.len), close_payload(code, "r"));
  }
  for (int code : {-1, 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(is_valid_close_code(code)) << code;
  }
}

}  // namespace
}  // namespace wsc::detail
