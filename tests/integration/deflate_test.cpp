// permessage-deflate (RFC 7692) against peers no one here wrote: Python
// `websockets` (every negotiation variant from both sides, messages of 0 B
// to 16 MiB, context takeover), Node `ws` (fragmented compressed messages,
// pings between fragments, uncompressed messages on a deflate connection),
// Autobahn|Python; and the project's scripted raw server for what a
// library would refuse to send (a decompression bomb, RSV1 where it must
// not be, corrupt DEFLATE data, 101 answers that must be refused).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>

#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::seconds;

// ---- payloads ---------------------------------------------------------------

// n bytes deflate can barely shrink: random bytes, or random printable
// ASCII for text (valid UTF-8).
std::string random_payload(size_t n, bool text, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char &c : s) c = static_cast<char>(text ? 0x20 + rng() % 95 : rng() % 256);
  return s;
}

// n bytes of JSON-like records that deflate shrinks several times over.
std::string compressible_payload(size_t n, uint32_t seed = 11) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    s += "{\"id\":" + std::to_string(rng() % 100000) + ",\"name\":\"sensor-" +
         std::to_string(rng() % 64) + "\",\"ok\":true},";
  }
  s.resize(n);
  return s;
}

// Random lowercase letters: deflate shrinks them to ~60%, and a repeat of
// the same bytes within the window to a few bytes (a back reference).
std::string letters(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, 'a');
  for (char &c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// The raw value of "name" in a flat JSON object ("12", "true"), "" if absent.
std::string json_field(const std::string &json, const std::string &name) {
  const size_t at = json.find("\"" + name + "\"");
  if (at == std::string::npos) return "";
  size_t pos = json.find(':', at) + 1;
  while (pos < json.size() && json[pos] == ' ') ++pos;
  size_t end = pos;
  while (end < json.size() && (std::isalnum(static_cast<unsigned char>(json[end])))) ++end;
  return json.substr(pos, end - pos);
}

// ---- a client that waits for each echo ---------------------------------------

class EchoClient {
 public:
  EchoClient(Loop &loop, const std::string &url, const Options &options)
      : client_(loop, url, options, rec_.callbacks()) {}

  // The next message the server sends (after `skip` already seen).
  std::string next(seconds timeout = seconds(30)) {
    EXPECT_TRUE(
        rec_.wait_for([&] { return rec_.messages.size() > seen_ || rec_.closes > 0; }, timeout));
    std::lock_guard<std::mutex> lock(rec_.mutex);
    if (rec_.messages.size() <= seen_) {
      ADD_FAILURE() << "closed (" << rec_.close_code << ") instead of a message; "
                    << (rec_.errors.empty() ? "no error" : rec_.errors[0].second);
      return "";
    }
    last_type_ = rec_.messages[seen_].type;
    return std::move(rec_.messages[seen_++].data);
  }

  // Sends `payload` and checks it comes back whole with its type.
  void echo(MessageType type, const std::string &payload) {
    client_.send(type, payload);
    const std::string back = next();
    EXPECT_EQ(last_type_, type);
    EXPECT_EQ(back.size(), payload.size());
    EXPECT_TRUE(back == payload) << "echo differs";
  }

  Client &client() { return client_; }
  Recorder &recorder() { return rec_; }

 private:
  Recorder rec_;
  Client client_;
  size_t seen_ = 0;
  MessageType last_type_ = MessageType::Binary;
};

Options deflate_on() {
  Options o;
  o.compression = true;
  return o;
}

// ---- sizes, types and payload kinds through each peer --------------------------

enum class Kind { Compressible, Random };

struct SizeCase {
  size_t size;
  MessageType type;
  Kind kind;
};

void PrintTo(const SizeCase &c, std::ostream *os) { *os << c.size; }

std::unique_ptr<PeerProcess> start_node_deflate(std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"node",
                                   source_dir() + "/tests/peers/node/deflate_echo_server.js"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<PeerProcess>(argv);
}

std::unique_ptr<PeerProcess> start_autobahn() {
  return std::make_unique<PeerProcess>(std::vector<std::string>{
      "/usr/bin/python3", source_dir() + "/tests/peers/autobahn_echo_server.py"});
}

// Python websockets with its default deflate parameters, and Node ws.
class DeflatePeers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    python_ = start_python_echo({"--compression"});
    node_ = start_node_deflate();
  }
  static void TearDownTestSuite() {
    python_.reset();
    node_.reset();
  }
  static inline std::unique_ptr<PeerProcess> python_, node_;
};

class DeflateSizes : public DeflatePeers, public ::testing::WithParamInterface<SizeCase> {
 protected:
  static void echo_once(int port) {
    const SizeCase c = GetParam();
    const bool text = c.type == MessageType::Text;
    const std::string payload =
        c.kind == Kind::Compressible ? compressible_payload(c.size) : random_payload(c.size, text);
    Loop loop;
    EchoClient e(loop, ws_url(port), deflate_on());
    e.echo(c.type, payload);
    const Stats s = e.client().stats();
    EXPECT_EQ(s.bytes_sent, payload.size());
    EXPECT_EQ(s.bytes_received, payload.size());
    if (c.size < Options{}.deflate_min_bytes) {
      // Too short to pay: sent as it is.
      EXPECT_EQ(s.wire_bytes_sent, s.bytes_sent);
    } else if (c.kind == Kind::Compressible) {
      EXPECT_LT(s.wire_bytes_sent, s.bytes_sent / 2);
      EXPECT_LT(s.wire_bytes_received, s.bytes_received / 2);
    } else if (c.type == MessageType::Binary && c.size >= 512) {
      // Random bytes: not worth zlib's time (DeflateTuning), sent as they are.
      EXPECT_EQ(s.wire_bytes_sent, s.bytes_sent);
    } else {
      // Incompressible: no more than deflate's stored-block headers added.
      EXPECT_LE(s.wire_bytes_sent, s.bytes_sent + s.bytes_sent / 100 + 16);
    }
  }
};

TEST_P(DeflateSizes, PythonWebsockets) { echo_once(python_->port()); }
TEST_P(DeflateSizes, NodeWs) { echo_once(node_->port()); }

std::vector<SizeCase> size_cases() {
  std::vector<SizeCase> out;
  for (size_t n : {size_t{0}, size_t{1}, size_t{255}, size_t{256}, size_t{257}, size_t{4096},
                   size_t{65536}, size_t{1} << 20, (size_t{16} << 20) - 1024}) {
    for (MessageType t : {MessageType::Text, MessageType::Binary}) {
      for (Kind k : {Kind::Compressible, Kind::Random}) out.push_back({n, t, k});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllSizes, DeflateSizes, ::testing::ValuesIn(size_cases()),
                         [](const ::testing::TestParamInfo<SizeCase> &info) {
                           const SizeCase &c = info.param;
                           return std::string(c.type == MessageType::Text ? "text_" : "binary_") +
                                  (c.kind == Kind::Compressible ? "compressible_" : "random_") +
                                  std::to_string(c.size);
                         });

// Context takeover across many messages: each one refers back to the ones
// before it, on both sides; one lost or reordered message corrupts the rest.
TEST_F(DeflatePeers, ManyMessagesInARow) {
  for (int port : {python_->port(), node_->port()}) {
    Loop loop;
    EchoClient e(loop, ws_url(port), deflate_on());
    std::mt19937 rng(3);
    for (int i = 0; i < 300; ++i) {
      const size_t n = rng() % 3000;
      const bool text = i % 2 == 0;
      e.client().send(text ? MessageType::Text : MessageType::Binary,
                      i % 3 ? compressible_payload(n, i) : random_payload(n, text, i));
    }
    std::mt19937 again(3);
    for (int i = 0; i < 300; ++i) {
      const size_t n = again() % 3000;
      const bool text = i % 2 == 0;
      const std::string want = i % 3 ? compressible_payload(n, i) : random_payload(n, text, i);
      ASSERT_TRUE(e.next() == want) << "message " << i << " via port " << port;
    }
    const Stats s = e.client().stats();
    EXPECT_LT(s.wire_bytes_sent, s.bytes_sent);
    EXPECT_LT(s.wire_bytes_received, s.bytes_received);
  }
}

// ---- negotiation variants -------------------------------------------------------

// One side's choice and what Python websockets then applies (its /deflate
// path reports remote = client, local = server).
struct Variant {
  std::string name;
  std::vector<std::string> server_args;
  std::function<void(Options &)> ours;
  int client_bits, server_bits;
  bool client_reset, server_reset;
};

void PrintTo(const Variant &v, std::ostream *os) { *os << v.name; }

std::vector<Variant> variants() {
  std::vector<Variant> out;
  const auto none = [](Options &) {};
  out.push_back({"websockets_default", {"--compression"}, none, 12, 12, false, false});
  out.push_back({"plain", {"--deflate-min-bytes", "0"}, none, 15, 15, false, false});
  for (int b = 9; b <= 15; ++b) {
    const std::string bits = std::to_string(b);
    out.push_back({"our_client_window_" + bits,
                   {"--deflate-min-bytes", "0"},
                   [b](Options &o) { o.deflate_client_max_window_bits = b; },
                   b,
                   15,
                   false,
                   false});
    out.push_back({"our_server_window_" + bits,
                   {"--deflate-min-bytes", "0"},
                   [b](Options &o) { o.deflate_server_max_window_bits = b; },
                   15,
                   b,
                   false,
                   false});
    out.push_back({"their_client_window_" + bits,
                   {"--deflate-client-max-window-bits", bits},
                   none,
                   b,
                   15,
                   false,
                   false});
    out.push_back({"their_server_window_" + bits,
                   {"--deflate-server-max-window-bits", bits},
                   none,
                   15,
                   b,
                   false,
                   false});
  }
  out.push_back({"our_client_no_context_takeover",
                 {"--deflate-min-bytes", "0"},
                 [](Options &o) { o.deflate_client_no_context_takeover = true; },
                 15,
                 15,
                 true,
                 false});
  out.push_back({"our_server_no_context_takeover",
                 {"--deflate-min-bytes", "0"},
                 [](Options &o) { o.deflate_server_no_context_takeover = true; },
                 15,
                 15,
                 false,
                 true});
  out.push_back({"their_client_no_context_takeover",
                 {"--deflate-client-no-context-takeover"},
                 none,
                 15,
                 15,
                 true,
                 false});
  out.push_back({"their_server_no_context_takeover",
                 {"--deflate-server-no-context-takeover"},
                 none,
                 15,
                 15,
                 false,
                 true});
  // Both sides restrict: the smaller window wins.
  out.push_back(
      {"both_windows_smaller_theirs",
       {"--deflate-client-max-window-bits", "10", "--deflate-server-max-window-bits", "11"},
       [](Options &o) {
         o.deflate_client_max_window_bits = 13;
         o.deflate_server_max_window_bits = 14;
       },
       10,
       11,
       false,
       false});
  out.push_back(
      {"both_windows_smaller_ours",
       {"--deflate-client-max-window-bits", "13", "--deflate-server-max-window-bits", "14"},
       [](Options &o) {
         o.deflate_client_max_window_bits = 9;
         o.deflate_server_max_window_bits = 10;
       },
       9,
       10,
       false,
       false});
  out.push_back({"everything",
                 {"--deflate-client-no-context-takeover", "--deflate-server-no-context-takeover",
                  "--deflate-client-max-window-bits", "9", "--deflate-server-max-window-bits", "9"},
                 [](Options &o) {
                   o.deflate_client_no_context_takeover = true;
                   o.deflate_server_no_context_takeover = true;
                 },
                 9,
                 9,
                 true,
                 true});
  return out;
}

class DeflateNegotiation : public ::testing::TestWithParam<Variant> {};

// Wire bytes of the second of two identical messages as a fraction of the
// first's: small with context takeover (a back reference), about 1 without.
struct RepeatRatio {
  double sent, received;
};

// The client's options must compress messages of 200 bytes.
RepeatRatio repeat_ratio(EchoClient &e) {
  // zlib matches at most 2^bits - 262 bytes back: 250 with the smallest
  // window (512).
  const std::string m = letters(200, 5);
  const Stats start = e.client().stats();
  e.echo(MessageType::Text, m);
  const Stats first = e.client().stats();
  e.echo(MessageType::Text, m);
  const Stats second = e.client().stats();
  const auto ratio = [](uint64_t s0, uint64_t s1, uint64_t s2) {
    return static_cast<double>(s2 - s1) / static_cast<double>(s1 - s0);
  };
  return {ratio(start.wire_bytes_sent, first.wire_bytes_sent, second.wire_bytes_sent),
          ratio(start.wire_bytes_received, first.wire_bytes_received, second.wire_bytes_received)};
}

TEST_P(DeflateNegotiation, PythonWebsocketsAppliesWhatWasAgreed) {
  const Variant &v = GetParam();
  auto peer = start_python_echo(v.server_args);
  Loop loop;
  Options o = deflate_on();
  o.deflate_min_bytes = 0;
  v.ours(o);
  EchoClient e(loop, ws_url(peer->port(), "/deflate"), o);
  const std::string params = e.next();
  EXPECT_EQ(json_field(params, "client_max_window_bits"), std::to_string(v.client_bits)) << params;
  EXPECT_EQ(json_field(params, "server_max_window_bits"), std::to_string(v.server_bits)) << params;
  EXPECT_EQ(json_field(params, "client_no_context_takeover"), v.client_reset ? "true" : "false")
      << params;
  EXPECT_EQ(json_field(params, "server_no_context_takeover"), v.server_reset ? "true" : "false")
      << params;

  // A repeat 600 bytes back is out of reach of a 512-byte window and within
  // 1024 - 262 (zlib's farthest match): compressing with a wider window than
  // agreed would make the server's inflate fail (inflating with a narrower
  // one, ours).
  const std::string twice = letters(600, 9) + letters(600, 9);
  e.echo(MessageType::Binary, twice);
  e.echo(MessageType::Text, compressible_payload(100000));

  const RepeatRatio r = repeat_ratio(e);
  if (v.client_reset) {
    EXPECT_GT(r.sent, 0.8) << "our context was kept against the agreement";
  } else {
    EXPECT_LT(r.sent, 0.25) << "our context was not taken over";
  }
  if (v.server_reset) {
    EXPECT_GT(r.received, 0.8);
  } else {
    EXPECT_LT(r.received, 0.25);
  }
  e.client().close();
  EXPECT_EQ(e.client().wait(State::Closed, seconds(10)), Status::WSC_OK);
}

INSTANTIATE_TEST_SUITE_P(Variants, DeflateNegotiation, ::testing::ValuesIn(variants()),
                         [](const ::testing::TestParamInfo<Variant> &info) {
                           return info.param.name;
                         });

// Node ws's side of a few choices; it reports the response parameters it sent.
TEST(DeflateNode, ServerChoicesAreHonoured) {
  struct NodeCase {
    std::vector<std::string> args;
    std::function<void(Options &)> ours;
    const char *field, *value;
    bool client_reset, server_reset;
  };
  const std::vector<NodeCase> cases = {
      {{}, [](Options &) {}, "server_no_context_takeover", "", false, false},
      {{"--server-no-context-takeover"},
       [](Options &) {},
       "server_no_context_takeover",
       "true",
       false,
       true},
      {{"--client-no-context-takeover"},
       [](Options &) {},
       "client_no_context_takeover",
       "true",
       true,
       false},
      {{"--server-max-window-bits", "9"},
       [](Options &) {},
       "server_max_window_bits",
       "9",
       false,
       false},
      {{"--client-max-window-bits", "9"},
       [](Options &) {},
       "client_max_window_bits",
       "9",
       false,
       false},
      // A server window of 8 is accepted (ws answers 8 and compresses with
      // 9: zlib has no raw 8-bit deflate).
      {{"--server-max-window-bits", "8"},
       [](Options &) {},
       "server_max_window_bits",
       "8",
       false,
       false},
      {{},
       [](Options &o) { o.deflate_client_max_window_bits = 10; },
       "client_max_window_bits",
       "10",
       false,
       false},
      {{},
       [](Options &o) { o.deflate_server_max_window_bits = 10; },
       "server_max_window_bits",
       "10",
       false,
       false},
      {{},
       [](Options &o) { o.deflate_server_no_context_takeover = true; },
       "server_no_context_takeover",
       "true",
       false,
       true},
      {{},
       [](Options &o) { o.deflate_client_no_context_takeover = true; },
       "client_no_context_takeover",
       "true",
       true,
       false},
  };
  for (const NodeCase &c : cases) {
    SCOPED_TRACE(std::string(c.field) + "=" + c.value);
    auto peer = start_node_deflate(c.args);
    Loop loop;
    Options o = deflate_on();
    o.deflate_min_bytes = 0;
    c.ours(o);
    EchoClient e(loop, ws_url(peer->port(), "/params"), o);
    const std::string params = e.next();
    EXPECT_EQ(json_field(params, c.field), c.value) << params;
    e.echo(MessageType::Binary, letters(600, 9) + letters(600, 9));
    const RepeatRatio r = repeat_ratio(e);
    EXPECT_EQ(r.sent > 0.8, c.client_reset) << r.sent;
    EXPECT_EQ(r.received > 0.8, c.server_reset) << r.received;
  }
}

// ---- Node ws: fragmented compressed messages, pings between, uncompressed --------

class DeflateNodeModes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { node_ = start_node_deflate(); }
  static void TearDownTestSuite() { node_.reset(); }
  static inline std::unique_ptr<PeerProcess> node_;
  Loop loop_;
};

TEST_F(DeflateNodeModes, FragmentedCompressedMessages) {
  EchoClient e(loop_, ws_url(node_->port(), "/fragments/4"), deflate_on());
  for (int i = 0; i < 3; ++i) {  // context taken over across fragmented messages
    e.echo(MessageType::Text, compressible_payload(64 * 1024, i));
    e.echo(MessageType::Binary, random_payload(1 << 20, false, i));
    e.echo(MessageType::Text, "tiny");  // 4 fragments of 1 byte
  }
  const Stats s = e.client().stats();
  EXPECT_LT(s.wire_bytes_received, s.bytes_received);
}

TEST_F(DeflateNodeModes, PingsBetweenCompressedFragmentsAreAnswered) {
  EchoClient e(loop_, ws_url(node_->port(), "/ping-fragments/5"), deflate_on());
  e.echo(MessageType::Text, compressible_payload(200000));
  e.echo(MessageType::Binary, random_payload(300000, false));
  e.client().send_text("pongs?");
  EXPECT_EQ(e.next(), "pongs=8");
}

TEST_F(DeflateNodeModes, UncompressedMessagesOnADeflateConnection) {
  EchoClient e(loop_, ws_url(node_->port(), "/uncompressed"), deflate_on());
  const std::string m = compressible_payload(100000);
  e.echo(MessageType::Text, m);
  e.echo(MessageType::Binary, m);
  const Stats s = e.client().stats();
  EXPECT_LT(s.wire_bytes_sent, s.bytes_sent / 2);      // ours compressed
  EXPECT_EQ(s.wire_bytes_received, s.bytes_received);  // theirs not
}

// Python websockets sending short messages uncompressed and long ones
// compressed on one connection, in any order.
TEST(DeflatePython, MixedCompressedAndUncompressedMessages) {
  auto peer = start_python_echo({"--deflate-min-bytes", "1000"});
  Loop loop;
  EchoClient e(loop, ws_url(peer->port()), deflate_on());
  for (size_t n : {10, 5000, 999, 1000, 20000, 0, 300}) {
    e.echo(MessageType::Text, compressible_payload(n, static_cast<uint32_t>(n)));
  }
}

// ---- Autobahn|Python ---------------------------------------------------------------

TEST(DeflateAutobahn, EchoesCompressibleTextAndRandomBinary) {
  auto peer = start_autobahn();
  Loop loop;
  EchoClient e(loop, ws_url(peer->port()), deflate_on());
  // 256 KiB of compressible text once aborted lws's own deflate here.
  e.echo(MessageType::Text, compressible_payload(256 * 1024));
  e.echo(MessageType::Binary, random_payload(1 << 20, false));
  e.echo(MessageType::Text, pattern(256 * 1024, true));
  const Stats s = e.client().stats();
  EXPECT_LT(s.wire_bytes_sent, s.bytes_sent);
  EXPECT_LT(s.wire_bytes_received, s.bytes_received);
  e.client().close();
  EXPECT_EQ(e.client().wait(State::Closed, seconds(10)), Status::WSC_OK);
}

// ---- the scripted raw server -------------------------------------------------------

class DeflateHostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = start_hostile_server(); }
  static void TearDownTestSuite() { peer_.reset(); }
  static std::string url(const std::string &path) { return ws_url(peer_->port(), path); }

  // What the client put in its Close on the last connection to `path`.
  std::string server_saw(const std::string &path) {
    EchoClient e(loop_, url("/last-close" + path), Options{});
    return e.next(seconds(15));
  }

  // The connection to `path` fails with `status` and Close `code`, the
  // error naming `keyword`, and the server received that Close.
  void expect_failure(const std::string &path, const Options &o, Status status, int code,
                      const std::string &keyword) {
    SCOPED_TRACE(path);
    Recorder rec;
    {
      Client c(loop_, url(path), o, rec.callbacks());
      EXPECT_EQ(c.wait(State::Closed, seconds(20)), status);
      std::lock_guard<std::mutex> lock(rec.mutex);
      EXPECT_EQ(rec.close_code, code);
      EXPECT_TRUE(rec.messages.empty());
      expect_named(rec, status, keyword);
    }
    EXPECT_EQ(server_saw(path), std::to_string(code));
  }

  static void expect_named(Recorder &rec, Status status, const std::string &keyword) {
    const auto named = std::find_if(rec.errors.begin(), rec.errors.end(), [&](const auto &e) {
      return e.first == status && lower(e.second).find(lower(keyword)) != std::string::npos;
    });
    EXPECT_TRUE(named != rec.errors.end())
        << "no error naming '" << keyword
        << "'; first error: " << (rec.errors.empty() ? "none" : rec.errors[0].second);
  }

  static inline std::unique_ptr<PeerProcess> peer_;
  Loop loop_;
};

TEST_F(DeflateHostile, DecompressionBombStopsAtTheLimit) {
  const long rss_before = rss_kib();
  expect_failure("/deflate-bomb", deflate_on(), Status::WSC_ETOOBIG, 1009, "");
  const long grown = rss_kib() - rss_before;
  EXPECT_LT(grown, 64 * 1024) << "RSS grew by " << grown << " KiB inflating 1 GiB of zeros";
}

TEST_F(DeflateHostile, Rsv1OnAContinuationFrame) {
  expect_failure("/deflate-rsv1-continuation", deflate_on(), Status::WSC_EPROTO, 1002, "RSV1");
}

TEST_F(DeflateHostile, Rsv1OnAPing) {
  expect_failure("/deflate-rsv1-ping", deflate_on(), Status::WSC_EPROTO, 1002, "RSV1");
}

TEST_F(DeflateHostile, CorruptDeflateData) {
  expect_failure("/deflate-corrupt", deflate_on(), Status::WSC_EPROTO, 1007, "");
}

TEST_F(DeflateHostile, Rsv1WithoutNegotiatedDeflate) {
  // We offered; the server's 101 did not accept, yet it sends RSV1.
  expect_failure("/rsv", deflate_on(), Status::WSC_EPROTO, 1002, "reserved");
}

// 101 answers that accept permessage-deflate in a way we must refuse: the
// handshake fails at once, with the reason.
TEST_F(DeflateHostile, AnswersThatAreRefused) {
  struct Case {
    const char *path;
    std::function<void(Options &)> ours;
    const char *keyword;
  };
  const std::vector<Case> cases = {
      {"/deflate-unknown-param", [](Options &o) { o.compression = true; }, "unknown parameter"},
      {"/deflate-duplicate-param", [](Options &o) { o.compression = true; }, "twice"},
      {"/deflate-server-window-12",
       [](Options &o) {
         o.compression = true;
         o.deflate_server_max_window_bits = 10;
       },
       "server_max_window_bits=12"},
      {"/deflate-client-window-8", [](Options &o) { o.compression = true; },
       "client_max_window_bits=8"},
      {"/deflate-unoffered", [](Options &) {}, "not offered"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.path);
    Options o;
    c.ours(o);
    o.connect_timeout = seconds(10);
    Recorder rec;
    const auto start = std::chrono::steady_clock::now();
    Client client(loop_, url(c.path), o, rec.callbacks());
    EXPECT_EQ(client.wait(State::Closed, seconds(15)), Status::WSC_EHANDSHAKE);
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
    std::lock_guard<std::mutex> lock(rec.mutex);
    EXPECT_EQ(rec.opens, 0);
    expect_named(rec, Status::WSC_EHANDSHAKE, c.keyword);
  }
}

// Our frames as the server sees them: RSV1 on the first frame of a
// compressed message only, messages over 256 KiB on the wire in fragments,
// short ones uncompressed.
TEST_F(DeflateHostile, Rsv1OnlyOnTheFirstFrameOfACompressedMessage) {
  EchoClient e(loop_, url("/deflate-echo-frames"), deflate_on());
  // Random 7-bit bytes: worth compressing (7 bits of entropy, below the
  // DeflateTuning threshold), and still > 4 fragments compressed.
  std::string big = random_payload(5 << 18, false);
  for (char &c : big) c = static_cast<char>(c & 0x7f);
  e.echo(MessageType::Binary, big);
  EXPECT_EQ(e.next(), "frames=5 rsv1=10000");
  // Random 8-bit bytes are not worth it: sent uncompressed, RSV1 clear.
  e.echo(MessageType::Binary, random_payload(1 << 20, false));
  EXPECT_EQ(e.next(), "frames=4 rsv1=0000");
  e.echo(MessageType::Text, compressible_payload(300));
  EXPECT_EQ(e.next(), "frames=1 rsv1=1");
  e.echo(MessageType::Text, compressible_payload(100));
  EXPECT_EQ(e.next(), "frames=1 rsv1=0");
  e.echo(MessageType::Binary, "");
  EXPECT_EQ(e.next(), "frames=1 rsv1=0");
  e.client().close();
  EXPECT_EQ(e.client().wait(State::Closed, seconds(10)), Status::WSC_OK);
}

}  // namespace
}  // namespace wsc::testing
