// permessage-deflate (RFC 7692) as wsc speaks it: the offer, every way a
// server's answer is taken or refused, messages through Deflater and Inflater
// and through zlib itself on the other side (as a server would), the RFC's
// worked examples byte for byte, corrupt streams and a decompression bomb.
#include "permessage_deflate.hpp"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace wsc::detail {
namespace {

using Bytes = std::vector<uint8_t>;
using Result = Inflater::Result;

const uint8_t *bytes_of(const std::string &s) {
  return reinterpret_cast<const uint8_t *>(s.data());
}

Bytes hex(const char *text) {
  Bytes out;
  for (const char *p = text; *p;) {
    if (*p == ' ') {
      ++p;
      continue;
    }
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(p, 2), nullptr, 16)));
    p += 2;
  }
  return out;
}

std::string as_string(const Bytes &b) { return std::string(b.begin(), b.end()); }
Bytes as_bytes(const std::string &s) { return Bytes(s.begin(), s.end()); }

// Text that compresses like real traffic: words from a small vocabulary
// in a random order, so it has repeats at every distance.
std::string text_message(size_t len, uint32_t seed) {
  static const char *const words[] = {
      "price", "order",   "id",     "\"symbol\":", "{",        "}",
      "12.5",  "BTC-USD", "status", "filled",      "quantity", "timestamp"};
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < len) {
    out += words[rng() % (sizeof words / sizeof *words)];
    out += ' ';
  }
  out.resize(len);
  return out;
}

std::string random_message(size_t len, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(len, '\0');
  for (char &c : out) c = static_cast<char>(rng());
  return out;
}

DeflateOptions enabled_options() {
  DeflateOptions o;
  o.enabled = true;
  return o;
}

DeflateParams params_with(int client_bits = 15, int server_bits = 15, bool client_reset = false,
                          bool server_reset = false) {
  DeflateParams p;
  p.enabled = true;
  p.client_window_bits = client_bits;
  p.server_window_bits = server_bits;
  p.client_no_context_takeover = client_reset;
  p.server_no_context_takeover = server_reset;
  return p;
}

std::string compress(Deflater &d, const std::string &message) {
  std::string out;
  EXPECT_TRUE(d.compress(bytes_of(message), message.size(), out));
  return out;
}

// Inflates one whole message in one piece.
std::string inflate(Inflater &inflater, const std::string &payload, size_t limit = SIZE_MAX) {
  std::string out;
  EXPECT_EQ(inflater.feed(bytes_of(payload), payload.size(), true, out, limit), Result::Ok)
      << inflater.error();
  return out;
}

// zlib on the server's side, as RFC 7692 describes it: raw DEFLATE with the
// server's window, a sync flush per message, the 00 00 ff ff cut off.
class ZlibServer {
 public:
  ZlibServer(int bits, bool reset_per_message) : reset_(reset_per_message) {
    EXPECT_EQ(
        deflateInit2(&deflate_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY),
        Z_OK);
  }
  ~ZlibServer() { deflateEnd(&deflate_); }

  std::string compress(const std::string &message) {
    std::string out(deflateBound(&deflate_, message.size()) + 64, '\0');
    deflate_.next_in = const_cast<Bytef *>(bytes_of(message));
    deflate_.avail_in = static_cast<uInt>(message.size());
    deflate_.next_out = reinterpret_cast<Bytef *>(&out[0]);
    deflate_.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(::deflate(&deflate_, Z_SYNC_FLUSH), Z_OK);
    EXPECT_GT(deflate_.avail_out, 0u);
    out.resize(out.size() - deflate_.avail_out);
    EXPECT_EQ(out.substr(out.size() - 4), std::string("\0\0\xff\xff", 4));
    out.resize(out.size() - 4);
    if (reset_) deflateReset(&deflate_);
    return out;
  }

 private:
  z_stream deflate_{};
  bool reset_;
};

// zlib reading what wsc sent, with exactly the agreed window: a distance
// further back than that window fails ("invalid distance too far back").
class ZlibReader {
 public:
  explicit ZlibReader(int bits) { EXPECT_EQ(inflateInit2(&inflate_, -bits), Z_OK); }
  ~ZlibReader() { inflateEnd(&inflate_); }

  // Returns false on a zlib error.
  bool read(std::string payload, size_t expected_size, std::string &out) {
    payload.append("\0\0\xff\xff", 4);
    out.assign(expected_size + 1, '\0');
    inflate_.next_in = const_cast<Bytef *>(bytes_of(payload));
    inflate_.avail_in = static_cast<uInt>(payload.size());
    inflate_.next_out = reinterpret_cast<Bytef *>(&out[0]);
    inflate_.avail_out = static_cast<uInt>(out.size());
    const int rc = ::inflate(&inflate_, Z_SYNC_FLUSH);
    out.resize(out.size() - inflate_.avail_out);
    return rc == Z_OK && inflate_.avail_in == 0;
  }

 private:
  z_stream inflate_{};
};

// ---- options and offer -----------------------------------------------------

TEST(DeflateOptionsTest, WindowsOutsideWhatZlibCompressesWithAreRefused) {
  DeflateOptions o = enabled_options();
  EXPECT_EQ(check_deflate_options(o), "");
  for (int bits : {9, 12, 15}) {
    o.client_max_window_bits = bits;
    EXPECT_EQ(check_deflate_options(o), "") << bits;
  }
  for (int bits : {8, 16, 0, -1}) {
    o.client_max_window_bits = bits;
    EXPECT_NE(check_deflate_options(o).find("client_max_window_bits"), std::string::npos) << bits;
  }
  o = enabled_options();
  for (int bits : {0, 9, 15}) {
    o.server_max_window_bits = bits;
    EXPECT_EQ(check_deflate_options(o), "") << bits;
  }
  for (int bits : {8, 16, -1}) {
    o.server_max_window_bits = bits;
    EXPECT_NE(check_deflate_options(o).find("server_max_window_bits"), std::string::npos) << bits;
  }
  DeflateOptions disabled;
  disabled.client_max_window_bits = 3;  // not used, so not checked
  EXPECT_EQ(check_deflate_options(disabled), "");
}

TEST(DeflateOfferTest, EachOptionAppearsAsRfc7692Spells) {
  DeflateOptions o = enabled_options();
  EXPECT_EQ(deflate_offer(o), "permessage-deflate; client_max_window_bits");
  o.client_max_window_bits = 10;
  EXPECT_EQ(deflate_offer(o), "permessage-deflate; client_max_window_bits=10");
  o = enabled_options();
  o.server_max_window_bits = 12;
  EXPECT_EQ(deflate_offer(o),
            "permessage-deflate; client_max_window_bits; server_max_window_bits=12");
  o = enabled_options();
  o.client_no_context_takeover = true;
  EXPECT_EQ(deflate_offer(o),
            "permessage-deflate; client_max_window_bits; client_no_context_takeover");
  o = enabled_options();
  o.server_no_context_takeover = true;
  EXPECT_EQ(deflate_offer(o),
            "permessage-deflate; client_max_window_bits; server_no_context_takeover");
  o.client_no_context_takeover = true;
  o.client_max_window_bits = 9;
  o.server_max_window_bits = 15;
  EXPECT_EQ(deflate_offer(o),
            "permessage-deflate; client_max_window_bits=9; server_max_window_bits=15; "
            "client_no_context_takeover; server_no_context_takeover");
}

// Every combination of options: a server that accepts the offer as made
// (answering each parameter it must confirm) is taken, and the agreed
// parameters are what was asked for.
TEST(DeflateOfferTest, EveryCombinationIsAcceptedByAServerThatAgrees) {
  for (int client_bits : {9, 12, 15}) {
    for (int server_bits : {0, 9, 15}) {
      for (int flags = 0; flags < 4; ++flags) {
        DeflateOptions o = enabled_options();
        o.client_max_window_bits = client_bits;
        o.server_max_window_bits = server_bits;
        o.client_no_context_takeover = flags & 1;
        o.server_no_context_takeover = flags & 2;
        ASSERT_EQ(check_deflate_options(o), "");
        const std::string offer = deflate_offer(o);
        std::string answer = "permessage-deflate";
        if (server_bits) answer += "; server_max_window_bits=" + std::to_string(server_bits);
        if (o.server_no_context_takeover) answer += "; server_no_context_takeover";
        DeflateParams p;
        std::string error;
        ASSERT_TRUE(negotiate_deflate(answer, o, p, error)) << offer << " / " << error;
        EXPECT_TRUE(p.enabled);
        EXPECT_EQ(p.client_window_bits, client_bits) << offer;
        EXPECT_EQ(p.server_window_bits, server_bits ? server_bits : 15) << offer;
        EXPECT_EQ(p.client_no_context_takeover, o.client_no_context_takeover) << offer;
        EXPECT_EQ(p.server_no_context_takeover, o.server_no_context_takeover) << offer;
        EXPECT_EQ(offer.find("client_max_window_bits") != std::string::npos, true);
        EXPECT_EQ(offer.find("server_max_window_bits") != std::string::npos, server_bits != 0);
        EXPECT_EQ(offer.find("client_no_context_takeover") != std::string::npos,
                  o.client_no_context_takeover);
        EXPECT_EQ(offer.find("server_no_context_takeover") != std::string::npos,
                  o.server_no_context_takeover);
      }
    }
  }
}

// ---- negotiation -----------------------------------------------------------

DeflateParams accept(const std::string &answer, const DeflateOptions &o = enabled_options()) {
  DeflateParams p;
  std::string error;
  EXPECT_TRUE(negotiate_deflate(answer, o, p, error)) << answer << ": " << error;
  EXPECT_EQ(error, "");
  return p;
}

// The error text, which must name the reason.
std::string refuse(const std::string &answer, const DeflateOptions &o = enabled_options()) {
  DeflateParams p;
  std::string error;
  EXPECT_FALSE(negotiate_deflate(answer, o, p, error)) << answer;
  EXPECT_FALSE(error.empty()) << answer;
  return error;
}

TEST(DeflateNegotiationTest, NoExtensionAnswerMeansUncompressed) {
  const DeflateParams p = accept("");
  EXPECT_FALSE(p.enabled);
  EXPECT_FALSE(accept("  ").enabled);
  EXPECT_FALSE(accept(" , ").enabled);
  DeflateOptions off;
  EXPECT_FALSE(accept("", off).enabled);
}

TEST(DeflateNegotiationTest, PlainAcceptanceUsesFullWindowsAndTakeover) {
  const DeflateParams p = accept("permessage-deflate");
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.client_window_bits, 15);
  EXPECT_EQ(p.server_window_bits, 15);
  EXPECT_FALSE(p.client_no_context_takeover);
  EXPECT_FALSE(p.server_no_context_takeover);
}

TEST(DeflateNegotiationTest, SpacingCaseAndEmptyListElementsAreTolerated) {
  const DeflateParams p =
      accept(" , Permessage-Deflate ;\tServer_No_Context_Takeover ; client_max_window_bits = 11 ,");
  EXPECT_TRUE(p.server_no_context_takeover);
  EXPECT_EQ(p.client_window_bits, 11);
}

TEST(DeflateNegotiationTest, TheServerMayShrinkOurWindow) {
  EXPECT_EQ(accept("permessage-deflate; client_max_window_bits=9").client_window_bits, 9);
  DeflateOptions o = enabled_options();
  o.client_max_window_bits = 12;
  EXPECT_EQ(accept("permessage-deflate", o).client_window_bits, 12);
  EXPECT_EQ(accept("permessage-deflate; client_max_window_bits=12", o).client_window_bits, 12);
  EXPECT_EQ(accept("permessage-deflate; client_max_window_bits=10", o).client_window_bits, 10);
  const std::string e = refuse("permessage-deflate; client_max_window_bits=13", o);
  EXPECT_NE(e.find("more than the 12 offered"), std::string::npos) << e;
}

TEST(DeflateNegotiationTest, AnEightBitClientWindowIsRefusedBecauseZlibCannotCompressWithIt) {
  const std::string e = refuse("permessage-deflate; client_max_window_bits=8");
  EXPECT_NE(e.find("zlib cannot compress"), std::string::npos) << e;
  // The zlib fact behind it: raw deflate refuses 8 bits, raw inflate takes it.
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -8, 8, Z_DEFAULT_STRATEGY), Z_STREAM_ERROR);
  z_stream i{};
  ASSERT_EQ(inflateInit2(&i, -8), Z_OK);
  inflateEnd(&i);
}

TEST(DeflateNegotiationTest, ServerWindowAnswers) {
  // Not requested: the server may still announce a smaller window.
  EXPECT_EQ(accept("permessage-deflate; server_max_window_bits=10").server_window_bits, 10);
  EXPECT_EQ(accept("permessage-deflate; server_max_window_bits=8").server_window_bits, 8);
  DeflateOptions o = enabled_options();
  o.server_max_window_bits = 12;
  EXPECT_EQ(accept("permessage-deflate; server_max_window_bits=12", o).server_window_bits, 12);
  EXPECT_EQ(accept("permessage-deflate; server_max_window_bits=9", o).server_window_bits, 9);
  EXPECT_EQ(accept("permessage-deflate; server_max_window_bits=\"10\"", o).server_window_bits, 10);
  EXPECT_EQ(accept("permessage-deflate; server_max_window_bits=\"1\\0\"", o).server_window_bits,
            10);
  std::string e = refuse("permessage-deflate; server_max_window_bits=13", o);
  EXPECT_NE(e.find("more than the 12 requested"), std::string::npos) << e;
  e = refuse("permessage-deflate", o);
  EXPECT_NE(e.find("did not accept server_max_window_bits=12"), std::string::npos) << e;
}

TEST(DeflateNegotiationTest, ContextTakeoverAnswers) {
  EXPECT_TRUE(accept("permessage-deflate; client_no_context_takeover").client_no_context_takeover);
  EXPECT_TRUE(accept("permessage-deflate; server_no_context_takeover").server_no_context_takeover);
  DeflateOptions o = enabled_options();
  o.client_no_context_takeover = true;  // ours to apply, the server need not repeat it
  EXPECT_TRUE(accept("permessage-deflate", o).client_no_context_takeover);
  o = enabled_options();
  o.server_no_context_takeover = true;
  EXPECT_TRUE(
      accept("permessage-deflate; server_no_context_takeover", o).server_no_context_takeover);
  const std::string e = refuse("permessage-deflate", o);
  EXPECT_NE(e.find("did not accept server_no_context_takeover"), std::string::npos) << e;
  for (const char *answer : {"permessage-deflate; server_no_context_takeover=1",
                             "permessage-deflate; client_no_context_takeover=\"x\"",
                             "permessage-deflate; client_no_context_takeover="}) {
    refuse(answer);
  }
  EXPECT_NE(refuse("permessage-deflate; server_no_context_takeover=1").find("takes no value"),
            std::string::npos);
}

// What real servers answered to wsc's offers (captured from Python
// websockets 10.4's enable_server_permessage_deflate() and Node ws 8.23.0's
// PerMessageDeflate.accept() with the server settings named).
TEST(DeflateNegotiationTest, AnswersOfRealServers) {
  DeflateParams p =
      accept("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
  EXPECT_EQ(p.client_window_bits, 12);  // websockets' default settings
  EXPECT_EQ(p.server_window_bits, 12);
  p = accept("permessage-deflate");  // ws' defaults
  EXPECT_EQ(p.client_window_bits, 15);
  EXPECT_EQ(p.server_window_bits, 15);
  // ws {serverMaxWindowBits: 10, clientMaxWindowBits: 11, serverNoContextTakeover: true}
  p = accept(
      "permessage-deflate; client_max_window_bits=11; server_no_context_takeover; "
      "server_max_window_bits=10");
  EXPECT_EQ(p.client_window_bits, 11);
  EXPECT_EQ(p.server_window_bits, 10);
  EXPECT_TRUE(p.server_no_context_takeover);
  EXPECT_FALSE(p.client_no_context_takeover);

  DeflateOptions all = enabled_options();
  all.client_max_window_bits = 10;
  all.server_max_window_bits = 12;
  all.client_no_context_takeover = all.server_no_context_takeover = true;
  for (const char *answer :
       {"permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=12; client_max_window_bits=10",  // websockets
        "permessage-deflate; client_max_window_bits=10; server_max_window_bits=12; "
        "client_no_context_takeover; server_no_context_takeover"}) {  // ws
    p = accept(answer, all);
    EXPECT_EQ(p.client_window_bits, 10) << answer;
    EXPECT_EQ(p.server_window_bits, 12) << answer;
    EXPECT_TRUE(p.client_no_context_takeover && p.server_no_context_takeover) << answer;
  }
  DeflateOptions server12 = enabled_options();
  server12.server_max_window_bits = 12;
  p = accept(
      "permessage-deflate; client_max_window_bits=11; server_max_window_bits=10; "
      "server_no_context_takeover",
      server12);  // ws with the settings above
  EXPECT_EQ(p.server_window_bits, 10);
  EXPECT_TRUE(p.server_no_context_takeover);
}

TEST(DeflateNegotiationTest, ExtensionsWeDidNotOfferAreRefused) {
  std::string e = refuse("x-webkit-deflate-frame");
  EXPECT_NE(e.find("'x-webkit-deflate-frame', which was not offered"), std::string::npos) << e;
  refuse("permessage-deflate, x-foo");
  refuse("x-foo, permessage-deflate");
  DeflateOptions off;
  e = refuse("permessage-deflate", off);
  EXPECT_NE(e.find("not offered"), std::string::npos) << e;
  e = refuse("permessage-deflate, permessage-deflate; client_max_window_bits=10");
  EXPECT_NE(e.find("2 times"), std::string::npos) << e;
}

TEST(DeflateNegotiationTest, UnknownAndDuplicateParametersAreRefused) {
  std::string e = refuse("permessage-deflate; foo");
  EXPECT_NE(e.find("unknown parameter 'foo'"), std::string::npos) << e;
  refuse("permessage-deflate; foo=1");
  e = refuse("permessage-deflate; server_no_context_takeover; server_no_context_takeover");
  EXPECT_NE(e.find("given twice"), std::string::npos) << e;
  refuse("permessage-deflate; client_max_window_bits=10; client_max_window_bits=10");
  refuse("permessage-deflate; server_max_window_bits=10; Server_Max_Window_Bits=10");
}

TEST(DeflateNegotiationTest, WindowValuesMustBeEightToFifteenWithoutLeadingZeros) {
  for (const char *value : {"7", "16", "0", "08", "010", "1a", "+9", "-9", " 9x", "\"08\"",
                            "\"16\"", "\"\"", "99999999999999999999"}) {
    for (const char *name : {"client_max_window_bits", "server_max_window_bits"}) {
      const std::string answer = std::string("permessage-deflate; ") + name + "=" + value;
      refuse(answer);
    }
  }
  // A window parameter in an answer always carries its value (§7.1.2).
  std::string e = refuse("permessage-deflate; client_max_window_bits");
  EXPECT_NE(e.find("no value"), std::string::npos) << e;
  refuse("permessage-deflate; server_max_window_bits");
}

TEST(DeflateNegotiationTest, MalformedListsAreRefused) {
  for (const char *answer :
       {"permessage-deflate;", "; server_no_context_takeover", "permessage-deflate;;x",
        "permessage-deflate x", "permessage-deflate; server_max_window_bits=\"10",
        "permessage-deflate; server_max_window_bits=\"1 0\"",
        "permessage-deflate; server_max_window_bits=\"10\\", "permessage-deflate; =10",
        "permessage-deflate; server_max_window_bits=", "\"permessage-deflate\"",
        "permessage-deflate; server_max_window_bits=10 10"}) {
    const std::string e = refuse(answer);
    EXPECT_NE(e.find("malformed"), std::string::npos) << answer << ": " << e;
  }
}

// ---- RFC 7692 §7.2.3 examples, byte for byte --------------------------------

TEST(DeflateRfcExamplesTest, HelloWithAndWithoutContextTakeover) {
  Deflater takeover(params_with());
  EXPECT_EQ(as_bytes(compress(takeover, "Hello")), hex("f2 48 cd c9 c9 07 00"));
  EXPECT_EQ(as_bytes(compress(takeover, "Hello")), hex("f2 00 11 00 00"));  // §7.2.3.2
  Deflater reset(params_with(15, 15, true));
  EXPECT_EQ(as_bytes(compress(reset, "Hello")), hex("f2 48 cd c9 c9 07 00"));
  EXPECT_EQ(as_bytes(compress(reset, "Hello")), hex("f2 48 cd c9 c9 07 00"));

  Inflater in(params_with());
  EXPECT_EQ(inflate(in, as_string(hex("f2 48 cd c9 c9 07 00"))), "Hello");
  EXPECT_EQ(inflate(in, as_string(hex("f2 00 11 00 00"))), "Hello");
}

TEST(DeflateRfcExamplesTest, HelloInTwoFragments) {
  Inflater in(params_with());
  std::string out;
  const Bytes first = hex("f2 48 cd"), second = hex("c9 c9 07 00");
  ASSERT_EQ(in.feed(first.data(), first.size(), false, out, 100), Result::Ok);
  ASSERT_EQ(in.feed(second.data(), second.size(), true, out, 100), Result::Ok);
  EXPECT_EQ(out, "Hello");
}

TEST(DeflateRfcExamplesTest, HelloInAStoredBlock) {
  Inflater in(params_with());
  EXPECT_EQ(inflate(in, as_string(hex("00 05 00 fa ff 48 65 6c 6c 6f 00"))), "Hello");
}

TEST(DeflateRfcExamplesTest, HelloInABlockWithBfinalSet) {
  Inflater in(params_with());
  EXPECT_EQ(inflate(in, as_string(hex("f3 48 cd c9 c9 07 00 00"))), "Hello");
  // The stream ended inside the message and started again: with context
  // takeover the next message still refers back to "Hello" (§7.2.3.2's bytes).
  EXPECT_EQ(inflate(in, as_string(hex("f2 00 11 00 00"))), "Hello");
  // Without the 00 that §7.2.3.4 appends after the final block: tolerated.
  Inflater lenient(params_with());
  EXPECT_EQ(inflate(lenient, as_string(hex("f3 48 cd c9 c9 07 00"))), "Hello");
  EXPECT_EQ(inflate(lenient, as_string(hex("f2 48 cd c9 c9 07 00"))), "Hello");
}

TEST(DeflateRfcExamplesTest, TwoDeflateBlocksInOneMessage) {
  Inflater in(params_with());
  EXPECT_EQ(inflate(in, as_string(hex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"))), "Hello");
}

TEST(DeflateRfcExamplesTest, EmptyMessageIsOneZeroByte) {
  Deflater d(params_with());
  EXPECT_EQ(as_bytes(compress(d, "")), hex("00"));
  EXPECT_EQ(as_bytes(compress(d, "")), hex("00"));  // with takeover too
  Inflater in(params_with());
  EXPECT_EQ(inflate(in, std::string(1, '\0')), "");
  EXPECT_EQ(inflate(in, std::string(1, '\0')), "");
  // A compressed message with no payload at all has no block to end: empty.
  EXPECT_EQ(inflate(in, ""), "");
  EXPECT_EQ(inflate(in, compress(d, "after")), "after");
}

// ---- round trips -------------------------------------------------------------

TEST(DeflateRoundTripTest, SizesFromEmptyToSixteenMebibytes) {
  for (bool reset : {false, true}) {
    Deflater d(params_with(15, 15, reset, reset));
    Inflater in(params_with(15, 15, reset, reset));
    for (size_t size : {size_t{0}, size_t{1}, size_t{255}, size_t{256}, size_t{64} << 10,
                        size_t{1} << 20, size_t{16} << 20}) {
      const std::string message = text_message(size, static_cast<uint32_t>(size));
      const std::string payload = compress(d, message);
      if (size >= 256) {
        EXPECT_LT(payload.size(), size / 2) << size;
      }
      const std::string back = inflate(in, payload, size);  // the limit is exactly the size
      ASSERT_EQ(back.size(), size);
      EXPECT_TRUE(back == message) << size;
    }
  }
}

TEST(DeflateRoundTripTest, IncompressibleBytes) {
  Deflater d(params_with());
  Inflater in(params_with());
  for (size_t size : {size_t{1}, size_t{1000}, size_t{1} << 20}) {
    const std::string message = random_message(size, 7);
    const std::string payload = compress(d, message);
    // Stored blocks: 5 bytes of header per 64 KiB at most, plus the flush.
    EXPECT_LE(payload.size(), size + 5 * (size / 65535 + 2)) << size;
    EXPECT_TRUE(inflate(in, payload) == message) << size;
  }
}

// ---- what is worth compressing ------------------------------------------------------

TEST(DeflateWorthTest, RandomBytesMeasureNearEightBitsTextFarBelow) {
  // Every sample size (one slice up to 4 KiB, four slices beyond).
  for (size_t n : {size_t{512}, size_t{1000}, size_t{4096}, size_t{4097}, size_t{1} << 20}) {
    const std::string random = random_message(n, 7);
    EXPECT_GT(sample_entropy_bits(bytes_of(random), n), 7.8) << n;
    const std::string text = text_message(n, 7);
    EXPECT_LT(sample_entropy_bits(bytes_of(text), n), 5.0) << n;
  }
  EXPECT_EQ(sample_entropy_bits(nullptr, 0), 0.0);
  const std::string same(300, 'x');
  EXPECT_LT(sample_entropy_bits(bytes_of(same), same.size()), 0.01);
  // Base64 of random bytes: 64 symbols, 6 bits; Huffman still saves a quarter.
  std::string b64;
  std::mt19937 rng(1);
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 4096; ++i) b64 += kAlphabet[rng() % 64];
  EXPECT_NEAR(sample_entropy_bits(bytes_of(b64), b64.size()), 6.0, 0.05);
}

TEST(DeflateWorthTest, RandomMessagesAreSkippedTextAndBase64AreCompressed) {
  const Deflater d(params_with());
  for (size_t n : {size_t{512}, size_t{4096}, size_t{65536}, size_t{1} << 20}) {
    const std::string random = random_message(n, 9), text = text_message(n, 9);
    EXPECT_FALSE(d.worth_compressing(bytes_of(random), n)) << n;
    EXPECT_TRUE(d.worth_compressing(bytes_of(text), n)) << n;
  }
  // A random tail after a compressible half: the four slices see both, and
  // the mix (~6 bits) still compresses.
  const std::string mixed = text_message(1 << 19, 3) + random_message(1 << 19, 3);
  EXPECT_TRUE(d.worth_compressing(bytes_of(mixed), mixed.size()));
  // The threshold is a tuning: at 9 bits everything is compressed.
  DeflateTuning all;
  all.incompressible_bits = 9;
  const std::string random = random_message(4096, 4);
  EXPECT_TRUE(Deflater(params_with(), all).worth_compressing(bytes_of(random), random.size()));
}

TEST(DeflateContextTest, TakeoverMakesARepeatedMessageSmaller) {
  const std::string message = text_message(4000, 1);
  Deflater d(params_with());
  const std::string first = compress(d, message);
  const std::string second = compress(d, message);
  EXPECT_LT(second.size() * 2, first.size()) << first.size() << " then " << second.size();
  Inflater in(params_with());
  EXPECT_EQ(inflate(in, first), message);
  EXPECT_EQ(inflate(in, second), message);
}

TEST(DeflateContextTest, NoContextTakeoverGivesTheSameBytesEachTime) {
  const std::string message = text_message(4000, 1);
  Deflater d(params_with(15, 15, true, false));
  const std::string first = compress(d, message);
  EXPECT_EQ(compress(d, message), first);
  EXPECT_EQ(compress(d, message), first);
}

// With server_no_context_takeover agreed the Inflater forgets each message:
// a server that (wrongly) refers back into the previous one is caught.
TEST(DeflateContextTest, InflaterResetsPerMessageOnlyWhenAgreed) {
  ZlibServer server(15, false);
  const std::string message = text_message(2000, 3);
  const std::string first = server.compress(message);
  const std::string second = server.compress(message);
  Inflater takeover(params_with());
  EXPECT_EQ(inflate(takeover, first), message);
  EXPECT_EQ(inflate(takeover, second), message);
  Inflater reset(params_with(15, 15, false, true));
  EXPECT_EQ(inflate(reset, first), message);
  std::string out;
  EXPECT_EQ(reset.feed(bytes_of(second), second.size(), true, out, SIZE_MAX), Result::Corrupt);
  EXPECT_NE(reset.error().find("too far back"), std::string::npos) << reset.error();
}

// zlib on the other side with each window 9..15, both directions, several
// messages in one context. The messages repeat a 4 KiB block, so a deflater
// that ignored a small window would refer 4 KiB back and zlib with the
// agreed window would refuse it.
TEST(DeflateWindowTest, EveryWindowInteroperatesWithZlib) {
  const std::string block = random_message(4096, 11);
  for (int bits = 9; bits <= 15; ++bits) {
    SCOPED_TRACE("window bits " + std::to_string(bits));
    Deflater d(params_with(bits, bits));
    ZlibReader reader(bits);
    ZlibServer server(bits, false);
    Inflater in(params_with(bits, bits));
    for (int round = 0; round < 3; ++round) {
      const std::string message = block + text_message(3000, round) + block;
      const std::string payload = compress(d, message);
      std::string read;
      ASSERT_TRUE(reader.read(payload, message.size(), read));
      EXPECT_TRUE(read == message);
      EXPECT_TRUE(inflate(in, server.compress(message)) == message);
    }
    if (bits >= 13) {
      // A window of 8 KiB or more finds the repeated block: proof the
      // window is really used, not just the 9..12 ones refused.
      Deflater big(params_with(bits, bits));
      const std::string message = block + block;
      EXPECT_LT(compress(big, message).size(), block.size() + 200);
    }
  }
}

// A server that accepted server_max_window_bits=8 compresses with a 256-byte
// window; zlib cannot, so the stream is made with 9 bits from data whose
// repeats are all within 256 bytes, which is what an 8-bit stream looks like.
TEST(DeflateWindowTest, EightBitServerWindowInflates) {
  std::string message;
  for (int i = 0; i < 100; ++i) message += text_message(100, 5);  // period 100
  ZlibServer server(9, false);
  Inflater in(params_with(15, 8));
  EXPECT_EQ(inflate(in, server.compress(message)), message);
  EXPECT_EQ(inflate(in, server.compress(message)), message);
}

TEST(DeflateSplitTest, EverySplitPointAndByteByByte) {
  const std::string message = text_message(300, 9) + random_message(40, 9);
  Deflater d(params_with(15, 15, true, true));
  const std::string payload = compress(d, message);
  Inflater in(params_with(15, 15, true, true));
  for (size_t cut = 0; cut <= payload.size(); ++cut) {
    std::string out;
    ASSERT_EQ(in.feed(bytes_of(payload), cut, false, out, message.size()), Result::Ok) << cut;
    ASSERT_EQ(in.feed(bytes_of(payload) + cut, payload.size() - cut, true, out, message.size()),
              Result::Ok)
        << cut << ": " << in.error();
    ASSERT_EQ(out, message) << cut;
  }
  std::string out;
  for (size_t i = 0; i < payload.size(); ++i) {
    ASSERT_EQ(in.feed(bytes_of(payload) + i, 1, false, out, message.size()), Result::Ok) << i;
  }
  ASSERT_EQ(in.feed(nullptr, 0, true, out, message.size()), Result::Ok) << in.error();
  EXPECT_EQ(out, message);
}

// ---- limits and corrupt input ------------------------------------------------

TEST(DeflateLimitTest, OneByteOverTheLimitIsTooBigAndNotAppended) {
  const std::string message = text_message(100000, 2);
  Deflater d(params_with());
  const std::string payload = compress(d, message);
  Inflater exact(params_with());
  EXPECT_EQ(inflate(exact, payload, message.size()), message);
  Inflater under(params_with());
  std::string out;
  EXPECT_EQ(under.feed(bytes_of(payload), payload.size(), true, out, message.size() - 1),
            Result::TooBig);
  EXPECT_EQ(out.size(), message.size() - 1);
  EXPECT_EQ(out, message.substr(0, out.size()));
  EXPECT_NE(under.error().find("more than 99999 bytes"), std::string::npos) << under.error();
  EXPECT_EQ(under.feed(bytes_of(payload), 1, true, out, SIZE_MAX), Result::TooBig);  // sticky
}

// 1 GiB of zeros as one message, deflated to about 1 MiB: 1 MiB of zeros
// compressed by a fresh zlib stream and ended with a full flush (which
// forgets the window, so every copy is the same valid continuation), 1024
// times over, without the last 00 00 ff ff.
const std::string &gibibyte_of_zeros_deflated() {
  static const std::string payload = [] {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static const uint8_t zeros[1 << 20] = {};
    std::string piece(64 << 10, '\0');
    z.next_in = const_cast<Bytef *>(zeros);
    z.avail_in = sizeof zeros;
    z.next_out = reinterpret_cast<Bytef *>(&piece[0]);
    z.avail_out = static_cast<uInt>(piece.size());
    EXPECT_EQ(deflate(&z, Z_FULL_FLUSH), Z_OK);
    EXPECT_EQ(z.avail_in, 0u);
    piece.resize(piece.size() - z.avail_out);
    deflateEnd(&z);
    std::string out;
    for (int i = 0; i < 1024; ++i) out += piece;
    out.resize(out.size() - 4);
    return out;
  }();
  return payload;
}

constexpr size_t kBombLimit = 16 << 20;
constexpr size_t kBombPiece = 10 << 10;

struct BombOutcome {
  Result result = Result::Ok;
  size_t fed = 0;       // compressed bytes given before the verdict
  size_t peak_out = 0;  // most inflated bytes held at once
};

// Feeds the bomb in 10 KiB pieces into one message buffer.
BombOutcome feed_bomb() {
  const std::string &bomb = gibibyte_of_zeros_deflated();
  Inflater in(params_with());
  BombOutcome outcome;
  std::string out;
  while (outcome.fed < bomb.size()) {
    const size_t n = std::min(kBombPiece, bomb.size() - outcome.fed);
    outcome.result =
        in.feed(bytes_of(bomb) + outcome.fed, n, outcome.fed + n == bomb.size(), out, kBombLimit);
    outcome.fed += n;
    outcome.peak_out = std::max(outcome.peak_out, out.size());
    if (outcome.result != Result::Ok) break;
  }
  return outcome;
}

TEST(DeflateBombTest, WithoutALimitItReallyIsAGibibyteOfZeros) {
  const std::string &bomb = gibibyte_of_zeros_deflated();
  EXPECT_LT(bomb.size(), 2u << 20);
  EXPECT_GT(bomb.size(), 512u << 10);
  Inflater in(params_with());
  std::string out;
  size_t total = 0;
  bool zeros = true;
  for (size_t fed = 0; fed < bomb.size(); fed += kBombPiece) {
    const size_t n = std::min(kBombPiece, bomb.size() - fed);
    ASSERT_EQ(in.feed(bytes_of(bomb) + fed, n, fed + n == bomb.size(), out, SIZE_MAX), Result::Ok)
        << in.error();
    total += out.size();
    static const char zero_block[1 << 20] = {};
    for (size_t at = 0; at < out.size(); at += sizeof zero_block) {
      const size_t m = std::min(sizeof zero_block, out.size() - at);
      zeros = zeros && std::memcmp(out.data() + at, zero_block, m) == 0;
    }
    out.clear();
  }
  EXPECT_EQ(total, size_t{1} << 30);
  EXPECT_TRUE(zeros);
}

TEST(DeflateBombTest, GibibyteOfZerosStopsAtTheLimit) {
  const BombOutcome kept = feed_bomb();
  EXPECT_EQ(kept.result, Result::TooBig);
  EXPECT_LE(kept.peak_out, kBombLimit + Inflater::kChunkBytes);
  EXPECT_EQ(kept.peak_out, kBombLimit);  // wsc stops at the limit itself
  // 16 MiB of zeros is ~16 KiB of this stream: the verdict comes within a
  // couple of pieces, not after the whole megabyte.
  EXPECT_LE(kept.fed, 3 * kBombPiece);
}

// Peak resident memory of this process in KiB (VmHWM), or -1.
long peak_rss_kib() {
  FILE *status = std::fopen("/proc/self/status", "r");
  if (!status) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status)) {
    if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  }
  std::fclose(status);
  return kib;
}

// Starts the peak over from the current RSS (proc(5), clear_refs "5").
bool reset_peak_rss() {
  FILE *f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// How much the peak RSS of a child process grows while it runs the bomb
// (a child, so earlier tests' allocations and their freed pages do not
// count); -1 when it cannot be measured, -2 when the bomb was not stopped.
long bomb_rss_growth_kib() {
  gibibyte_of_zeros_deflated();  // made before the fork, not counted
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    long growth = -1;
    malloc_trim(0);  // freed memory still resident would hide new use
    const long before = reset_peak_rss() ? peak_rss_kib() : -1;
    if (before >= 0) {
      const BombOutcome outcome = feed_bomb();
      growth = outcome.result == Result::TooBig ? peak_rss_kib() - before : -2;
    }
    (void)!write(fds[1], &growth, sizeof growth);
    _exit(0);
  }
  close(fds[1]);
  long growth = -1;
  if (read(fds[0], &growth, sizeof growth) != sizeof growth) growth = -1;
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  return growth;
}

TEST(DeflateBombTest, ResidentMemoryStaysBounded) {
  // The message buffer up to the 16 MiB limit, plus zlib's state: not the
  // gibibyte the bomb holds. A std::string doubles its capacity from 15
  // bytes, so 16 MiB take a 30 MiB buffer copied from a 15 MiB one (44 MiB
  // measured, 50 MiB under ASan with its shadow memory); the connection's
  // own receive buffer grows the same way.
  const long growth = bomb_rss_growth_kib();
  if (growth == -1) GTEST_SKIP() << "no /proc/self/clear_refs to measure peak RSS with";
  ASSERT_GE(growth, 0);
#ifndef __SANITIZE_ADDRESS__
  // (ASan's allocator maps and reuses memory its own way: peak RSS does not
  // show the buffer there, so this check of the measurement is skipped.)
  EXPECT_GE(growth, 15 * 1024) << "the measurement does not see the message buffer";
#endif
  EXPECT_LT(growth, 4 * 16 * 1024) << growth << " KiB";
  RecordProperty("rss_growth_kib", static_cast<int>(growth));
}

Result inflate_result(const Bytes &payload, std::string *error = nullptr,
                      DeflateParams params = params_with()) {
  Inflater in(params);
  std::string out;
  const Result r = in.feed(payload.data(), payload.size(), true, out, 1 << 20);
  if (error) *error = in.error();
  return r;
}

TEST(DeflateCorruptTest, InvalidStreamsAreCorrupt) {
  std::string error;
  EXPECT_EQ(inflate_result(hex("ff ff ff ff"), &error), Result::Corrupt);  // block type 3
  EXPECT_NE(error.find("invalid"), std::string::npos) << error;
  // Stored block whose length and its complement disagree.
  EXPECT_EQ(inflate_result(hex("00 05 00 00 00 48 65 6c 6c 6f 00"), &error), Result::Corrupt);
  EXPECT_NE(error.find("stored block lengths"), std::string::npos) << error;
  // A zlib-wrapped (RFC 1950) stream is not raw DEFLATE.
  EXPECT_EQ(inflate_result(hex("78 9c f2 48 cd c9 c9 07 00")), Result::Corrupt);
  // A distance before the start of the stream.
  EXPECT_EQ(inflate_result(hex("f2 00 11 00 00"), &error), Result::Corrupt);
  EXPECT_NE(error.find("too far back"), std::string::npos) << error;
}

// permessage-deflate has no checksum: a message cut short and completed by
// the 00 00 ff ff tail can by chance decode (to the wrong bytes): a stored
// block cut by 5 bytes takes 4 of the tail as its content and is complete.
// Frames carry their lengths, so this only guards against a broken sender;
// a cut is refused as Corrupt or yields something else, never the message.
TEST(DeflateCorruptTest, TruncatedMessagesAreCorruptOrDifferent) {
  Deflater d(params_with(15, 15, true));
  size_t corrupt = 0, not_at_boundary = 0;
  for (const std::string &message : {random_message(1000, 4), text_message(5000, 4)}) {
    const std::string payload = compress(d, message);
    for (size_t cut = 1; cut <= 8; ++cut) {
      Inflater in(params_with());
      std::string out;
      const std::string truncated = payload.substr(0, payload.size() - cut);
      if (in.feed(bytes_of(truncated), truncated.size(), true, out, 1 << 20) == Result::Corrupt) {
        ++corrupt;
        if (in.error().find("block boundary") != std::string::npos) ++not_at_boundary;
      } else {
        EXPECT_NE(out, message) << cut;
      }
    }
    // Garbage after the message's last block is caught.
    EXPECT_EQ(inflate_result(as_bytes(payload + "\x5a\xa5")), Result::Corrupt);
  }
  EXPECT_GE(corrupt, 12u);
  EXPECT_GE(not_at_boundary, 4u);
}

TEST(DeflateCorruptTest, ErrorsAreSticky) {
  Inflater in(params_with());
  std::string out;
  const Bytes bad = hex("ff ff");
  ASSERT_EQ(in.feed(bad.data(), bad.size(), false, out, 100), Result::Corrupt);
  const Bytes good = hex("f2 48 cd c9 c9 07 00");
  EXPECT_EQ(in.feed(good.data(), good.size(), true, out, 100), Result::Corrupt);
  EXPECT_EQ(out, "");
}

// ---- the fuzz target's invariants, in the CI ----------------------------------

std::vector<Bytes> inflate_corpus() {
  std::vector<Bytes> seeds;
  for (const char *name : {"hello_takeover", "rfc_examples", "json_takeover", "json_reset_window10",
                           "round_trip_text"}) {
    FILE *f = std::fopen((std::string(WSC_INFLATE_CORPUS) + "/" + name).c_str(), "rb");
    EXPECT_NE(f, nullptr) << name;
    if (!f) continue;
    Bytes seed;
    for (int c; (c = std::fgetc(f)) != EOF;) seed.push_back(static_cast<uint8_t>(c));
    std::fclose(f);
    seeds.push_back(std::move(seed));
  }
  return seeds;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

// fuzz/inflate_fuzz.cpp traps when an invariant breaks (a message larger
// than its limit, an error that does not stick, a round trip that differs):
// here its seeds and a few thousand mutations of them run under the unit
// tests' sanitizers with a fixed seed, like parser_robustness_test.cpp.
TEST(DeflateFuzzReplayTest, SeedsAndMutations) {
  const std::vector<Bytes> seeds = inflate_corpus();
  ASSERT_EQ(seeds.size(), 5u);
  std::mt19937 rng(20261207);
  for (Bytes seed : seeds) {
    for (int limit = 0; limit < 256; ++limit) {  // byte 1: every size limit
      seed[1] = static_cast<uint8_t>(limit);
      LLVMFuzzerTestOneInput(seed.data(), seed.size());
    }
  }
  for (int i = 0; i < 3000; ++i) {
    Bytes input = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && input.size() > 2; ++e) {
      const size_t at = rng() % input.size();
      switch (rng() % 3) {
        case 0:
          input[at] = static_cast<uint8_t>(rng());
          break;
        case 1:
          input[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        default:
          input.erase(input.begin() + static_cast<long>(at));
          break;
      }
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
}

}  // namespace
}  // namespace wsc::detail
