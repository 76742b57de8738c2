// The opening handshake wsc writes and checks itself (RFC 6455 §4.1): the
// accept hash, the request's exact shape, and which 101 answers are taken,
// fed whole, byte by byte and cut at every point, with the bytes after the
// head left for the frame parser.
#include "ws_handshake.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace wsc::detail {
namespace {

using Result = UpgradeResponse::Result;

// RFC 6455 §1.3's worked example (base64 of SHA-1 of the key and the GUID;
// python3 -c "import base64,hashlib; print(base64.b64encode(hashlib.sha1(
// b'dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest()))"
// prints the same).
constexpr char kSampleKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr char kSampleAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  for (size_t eol; (eol = text.find("\r\n", pos)) != std::string::npos; pos = eol + 2) {
    lines.push_back(text.substr(pos, eol - pos));
  }
  EXPECT_EQ(pos, text.size()) << "text after the last CRLF";
  return lines;
}

// The value of the one header line starting with "name: ", or "<absent>".
std::string header_value(const std::vector<std::string> &lines, const std::string &name) {
  std::string found = "<absent>";
  int count = 0;
  for (const std::string &line : lines) {
    if (line.compare(0, name.size() + 2, name + ": ") == 0) {
      found = line.substr(name.size() + 2);
      ++count;
    }
  }
  EXPECT_LE(count, 1) << name << " appears more than once";
  return found;
}

// A valid 101 answer to kSampleKey plus `extra` header lines (each ending in
// CRLF), and the closing blank line.
std::string response(const std::string &extra = "", const std::string &accept = kSampleAccept) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept + "\r\n" + extra + "\r\n";
}

const uint8_t *bytes(const std::string &s) { return reinterpret_cast<const uint8_t *>(s.data()); }

struct Fed {
  Result result;
  size_t used;
};

Fed feed(UpgradeResponse &r, const std::string &s) {
  size_t used = 12345;  // must be overwritten
  const Result result = r.feed(bytes(s), s.size(), used);
  return {result, used};
}

UpgradeResponse sample(std::vector<std::string> offered = {}) {
  return UpgradeResponse(kSampleAccept, std::move(offered));
}

// --- Accept hash and request ----------------------------------------------------

TEST(WebsocketAccept, Rfc6455Sample) {
  EXPECT_EQ(websocket_accept(kSampleKey), kSampleAccept);
  EXPECT_NE(websocket_accept("AQIDBAUGBwgJCgsMDQ4PEA=="), kSampleAccept);
  EXPECT_EQ(websocket_accept("AQIDBAUGBwgJCgsMDQ4PEA==").size(), 28u);  // base64 of 20 bytes
}

TEST(UpgradeRequest, ExactShape) {
  UpgradeRequest req;
  ASSERT_TRUE(make_upgrade_request("example.com:8080", "/chat?room=1", {"chat.v1", "chat.v2"},
                                   {{"Origin", "http://example.com"}, {"X-Token", "a b"}}, req));
  ASSERT_GE(req.text.size(), 4u);
  EXPECT_EQ(req.text.substr(req.text.size() - 4), "\r\n\r\n");
  const std::vector<std::string> lines = lines_of(req.text);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "GET /chat?room=1 HTTP/1.1");
  EXPECT_EQ(lines.back(), "");  // the blank line ends the head, only once
  EXPECT_EQ(std::count(lines.begin(), lines.end(), ""), 1);
  EXPECT_EQ(header_value(lines, "Host"), "example.com:8080");
  EXPECT_EQ(header_value(lines, "Upgrade"), "websocket");
  EXPECT_EQ(header_value(lines, "Connection"), "Upgrade");
  EXPECT_EQ(header_value(lines, "Sec-WebSocket-Version"), "13");
  EXPECT_EQ(header_value(lines, "Sec-WebSocket-Protocol"), "chat.v1, chat.v2");
  EXPECT_EQ(header_value(lines, "Origin"), "http://example.com");
  EXPECT_EQ(header_value(lines, "X-Token"), "a b");
  EXPECT_EQ(header_value(lines, "Sec-WebSocket-Extensions"), "<absent>");
  // Request line, 6 fixed headers, 2 custom ones, the blank line.
  EXPECT_EQ(lines.size(), 10u);

  // The key: 16 random bytes in base64 (24 characters), and the accept
  // the answer must carry is derived from it.
  const std::string key = header_value(lines, "Sec-WebSocket-Key");
  ASSERT_EQ(key.size(), 24u) << key;
  EXPECT_EQ(key.substr(22), "==");
  unsigned char decoded[18];
  EXPECT_EQ(EVP_DecodeBlock(decoded, bytes(key), 24), 18);  // 16 bytes plus 2 of padding
  EXPECT_EQ(req.accept, websocket_accept(key));
}

TEST(UpgradeRequest, NoSubprotocolsNoHeader) {
  UpgradeRequest req;
  ASSERT_TRUE(make_upgrade_request("h", "/", {}, {}, req));
  const std::vector<std::string> lines = lines_of(req.text);
  EXPECT_EQ(header_value(lines, "Sec-WebSocket-Protocol"), "<absent>");
  EXPECT_EQ(lines.front(), "GET / HTTP/1.1");
  EXPECT_EQ(lines.size(), 7u);  // request line, 5 headers, blank line
  UpgradeRequest one;
  ASSERT_TRUE(make_upgrade_request("h", "/", {"only"}, {}, one));
  EXPECT_EQ(header_value(lines_of(one.text), "Sec-WebSocket-Protocol"), "only");
}

TEST(UpgradeRequest, KeyIsFreshEachTime) {
  std::set<std::string> keys, accepts;
  for (int i = 0; i < 50; ++i) {
    UpgradeRequest req;
    ASSERT_TRUE(make_upgrade_request("h", "/", {}, {}, req));
    keys.insert(header_value(lines_of(req.text), "Sec-WebSocket-Key"));
    accepts.insert(req.accept);
  }
  EXPECT_EQ(keys.size(), 50u);
  EXPECT_EQ(accepts.size(), 50u);
}

// --- Response: accepted -----------------------------------------------------------

TEST(UpgradeResponse, MinimalAnswerIsAccepted) {
  UpgradeResponse r = sample();
  const std::string head = response();
  const Fed fed = feed(r, head);
  EXPECT_EQ(fed.result, Result::Accepted) << r.error();
  EXPECT_EQ(fed.used, head.size());
  EXPECT_EQ(r.status(), 101);
  EXPECT_EQ(r.subprotocol(), "");
  EXPECT_EQ(r.error(), "");
}

TEST(UpgradeResponse, HeaderNamesAndTokensIgnoreCase) {
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nCONNECTION: upgrade\r\n"
      "sec-websocket-accept: " +
      std::string(kSampleAccept) + "\r\nServer: test\r\n\r\n";
  UpgradeResponse r = sample();
  EXPECT_EQ(feed(r, head).result, Result::Accepted) << r.error();
}

TEST(UpgradeResponse, ConnectionListingUpgradeAmongOthers) {
  for (const char *value :
       {"keep-alive, Upgrade", "Upgrade, keep-alive", "keep-alive,upgrade", " Upgrade "}) {
    const std::string head =
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: " + std::string(value) +
        "\r\nSec-WebSocket-Accept: " + kSampleAccept + "\r\n\r\n";
    UpgradeResponse r = sample();
    EXPECT_EQ(feed(r, head).result, Result::Accepted) << value << ": " << r.error();
  }
  // The same list split over two Connection lines.
  UpgradeResponse r = sample();
  const std::string split =
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      std::string(kSampleAccept) + "\r\n\r\n";
  EXPECT_EQ(feed(r, split).result, Result::Accepted) << r.error();
}

TEST(UpgradeResponse, OfferedSubprotocolIsReported) {
  UpgradeResponse r = sample({"chat.v1", "chat.v2"});
  EXPECT_EQ(feed(r, response("Sec-WebSocket-Protocol: chat.v2\r\n")).result, Result::Accepted)
      << r.error();
  EXPECT_EQ(r.subprotocol(), "chat.v2");
}

TEST(UpgradeResponse, ServerMayPickNoSubprotocol) {
  UpgradeResponse r = sample({"chat.v1"});
  EXPECT_EQ(feed(r, response()).result, Result::Accepted) << r.error();
  EXPECT_EQ(r.subprotocol(), "");
}

// --- Response: rejected -------------------------------------------------------------

void expect_rejected(const std::string &head, const std::string &why_part,
                     std::vector<std::string> offered = {}) {
  SCOPED_TRACE(head);
  UpgradeResponse r = sample(std::move(offered));
  EXPECT_EQ(feed(r, head).result, Result::Rejected);
  EXPECT_EQ(r.error().compare(0, 4, "HS: "), 0) << r.error();
  EXPECT_NE(r.error().find(why_part), std::string::npos) << r.error();
  EXPECT_EQ(r.subprotocol(), "");
  // Rejected stays rejected, taking nothing.
  size_t used = 99;
  EXPECT_EQ(r.feed(bytes(head), head.size(), used), Result::Rejected);
  EXPECT_EQ(used, 0u);
}

TEST(UpgradeResponse, NonSwitchingStatusIsRejectedWithTheStatus) {
  struct Case {
    std::string head;
    int status;
  };
  for (const Case &c : {Case{"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 403},
                        Case{"HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: " +
                                 std::string(kSampleAccept) + "\r\n\r\n",
                             200},
                        Case{"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\n", 503},
                        Case{"HTTP/1.0 302 Found\r\nLocation: /elsewhere\r\n\r\n", 302}}) {
    UpgradeResponse r = sample();
    const Fed fed = feed(r, c.head);
    EXPECT_EQ(fed.result, Result::Rejected) << c.head;
    EXPECT_EQ(r.status(), c.status);
    EXPECT_EQ(r.error(), "HS: ws upgrade response not 101");
  }
}

TEST(UpgradeResponse, MissingOrWrongUpgrade) {
  const std::string accept = "Sec-WebSocket-Accept: " + std::string(kSampleAccept) + "\r\n";
  expect_rejected("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n" + accept + "\r\n", "Upgrade");
  expect_rejected("HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" + accept + "\r\n",
                  "Upgrade");
}

TEST(UpgradeResponse, MissingOrWrongConnection) {
  const std::string accept = "Sec-WebSocket-Accept: " + std::string(kSampleAccept) + "\r\n";
  expect_rejected("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n" + accept + "\r\n", "Connection");
  expect_rejected(
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + accept + "\r\n",
      "Connection");
  // A token that merely contains "upgrade" is not it.
  expect_rejected(
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgraded\r\n" + accept + "\r\n",
      "Connection");
}

TEST(UpgradeResponse, WrongOrMissingAccept) {
  expect_rejected(response("", websocket_accept("AQIDBAUGBwgJCgsMDQ4PEA==")), "Accept");
  expect_rejected(response("", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo"), "Accept");   // no '='
  expect_rejected(response("", "S3PPLMBITXAQ9KYGZZHZRBK+XOO="), "Accept");  // base64 is exact
  expect_rejected("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "Accept");
  // A second Accept line makes the value a list, which matches nothing.
  expect_rejected(response("Sec-WebSocket-Accept: " + std::string(kSampleAccept) + "\r\n"),
                  "Accept");
}

TEST(UpgradeResponse, ExtensionWasNeverOffered) {
  expect_rejected(response("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                  "permessage-deflate");
}

TEST(UpgradeResponse, SubprotocolThatWasNotOffered) {
  expect_rejected(response("Sec-WebSocket-Protocol: chat.v3\r\n"), "chat.v3", {"chat.v1"});
  expect_rejected(response("Sec-WebSocket-Protocol: chat\r\n"), "chat", {});
  // Both offered, but a server picks one.
  expect_rejected(response("Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n"), "not offered",
                  {"chat.v1", "chat.v2"});
}

TEST(UpgradeResponse, NotHttpAtAll) {
  expect_rejected("SSH-2.0-OpenSSH_9.2p1\r\n\r\n", "not an HTTP response");
  expect_rejected("\r\n\r\n", "not an HTTP response");
  expect_rejected("HTTP/1.1 1O1 Switching\r\n\r\n", "not an HTTP response");
  expect_rejected("HTTP/1.1\r\n\r\n", "not an HTTP response");
  expect_rejected("http/1.1 101 ok\r\n\r\n", "not an HTTP response");
  UpgradeResponse r = sample();
  feed(r, "<html>\r\n\r\n");
  EXPECT_EQ(r.status(), 0);
}

TEST(UpgradeResponse, StatusLineMustBeHttp1WithAThreeDigitStatus) {
  std::string four_digit = response();
  four_digit.replace(9, 3, "1010");
  expect_rejected(four_digit, "not an HTTP response");
  std::string other_version = response();
  other_version.replace(0, 8, "HTTP/x.y");
  expect_rejected(other_version, "not an HTTP response");
}

TEST(UpgradeResponse, NonHttpIsRejectedBeforeTheBlankLine) {
  // No "\r\n\r\n" ever comes: the answer is judged by its first bytes.
  UpgradeResponse r = sample();
  const Fed fed = feed(r, "SSH-2.0-OpenSSH_9.2p1\r\n");
  EXPECT_EQ(fed.result, UpgradeResponse::Result::Rejected);
  UpgradeResponse partial = sample();
  EXPECT_EQ(feed(partial, "HTT").result, UpgradeResponse::Result::NeedMore);
}

TEST(UpgradeResponse, MalformedHeaderLines) {
  expect_rejected(response("no colon here\r\n"), "malformed");
  expect_rejected(response(": empty name\r\n"), "malformed");
  // Folding right after the status line has no field to continue.
  const std::string head = response();
  expect_rejected("HTTP/1.1 101 OK\r\n folded: line\r\n" + head.substr(head.find("\r\n") + 2),
                  "malformed");
}

TEST(UpgradeResponse, SpaceBeforeTheColonCannotHideAHeader) {
  // Read as a header named "Sec-WebSocket-Extensions " this would pass the
  // extension check while the server believes it negotiated deflate.
  expect_rejected(response("Sec-WebSocket-Extensions : permessage-deflate\r\n"),
                  "whitespace between the header name 'Sec-WebSocket-Extensions' and its colon");
  expect_rejected(response("Sec-WebSocket-Protocol\t: chat\r\n"), "whitespace", {"x"});
}

TEST(UpgradeResponse, FoldedLinesContinueTheField) {
  // RFC 9112 §5.2: a user agent replaces obs-fold with SP; the folded
  // extension is still seen (and refused), a folded Accept is not the hash.
  expect_rejected(response("Sec-WebSocket-Extensions:\r\n permessage-deflate\r\n"),
                  "permessage-deflate");
  std::string folded_accept = response();
  folded_accept.insert(folded_accept.find(kSampleAccept) + 10, "\r\n ");
  expect_rejected(folded_accept, "Accept");
  UpgradeResponse r = sample();
  EXPECT_EQ(feed(r, response("X-Note: one\r\n\ttwo\r\n")).result, Result::Accepted) << r.error();
}

TEST(UpgradeResponse, BareLfLinesAreAcceptedAtEverySplit) {
  std::string head = response("Sec-WebSocket-Protocol: p\r\n");
  for (size_t at; (at = head.find("\r\n")) != std::string::npos;) head.erase(at, 1);
  const std::string stream = head + "\x81\x02hi";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SCOPED_TRACE(cut);
    UpgradeResponse r = sample({"p"});
    const Fed first = feed(r, stream.substr(0, cut));
    if (cut < head.size()) {
      ASSERT_EQ(first.result, Result::NeedMore) << r.error();
      const Fed second = feed(r, stream.substr(cut));
      EXPECT_EQ(second.result, Result::Accepted) << r.error();
      EXPECT_EQ(first.used + second.used, head.size());
    } else {
      EXPECT_EQ(first.result, Result::Accepted) << r.error();
      EXPECT_EQ(first.used, head.size());
    }
    EXPECT_EQ(r.subprotocol(), "p");
  }
}

// --- Response: how the bytes arrive -----------------------------------------------

TEST(UpgradeResponse, OneByteAtATime) {
  const std::string head = response("Sec-WebSocket-Protocol: p\r\n");
  UpgradeResponse r = sample({"p"});
  for (size_t i = 0; i + 1 < head.size(); ++i) {
    size_t used = 0;
    ASSERT_EQ(r.feed(bytes(head) + i, 1, used), Result::NeedMore) << i;
    ASSERT_EQ(used, 1u) << i;
  }
  size_t used = 0;
  EXPECT_EQ(r.feed(bytes(head) + head.size() - 1, 1, used), Result::Accepted) << r.error();
  EXPECT_EQ(used, 1u);
  EXPECT_EQ(r.subprotocol(), "p");
}

TEST(UpgradeResponse, EveryTwoWaySplitWithFramesBehind) {
  // Cut anywhere, "\r\n\r\n" included: the first feed takes all it is given
  // (or just the head's part), the second exactly the rest of the head.
  const std::string head = response();
  const std::string stream = head + "\x81\x05hello";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SCOPED_TRACE(cut);
    UpgradeResponse r = sample();
    const Fed first = feed(r, stream.substr(0, cut));
    if (cut < head.size()) {
      EXPECT_EQ(first.result, Result::NeedMore);
      EXPECT_EQ(first.used, cut);
      const Fed second = feed(r, stream.substr(cut));
      EXPECT_EQ(second.result, Result::Accepted) << r.error();
      EXPECT_EQ(second.used, head.size() - cut);
    } else {
      EXPECT_EQ(first.result, Result::Accepted) << r.error();
      EXPECT_EQ(first.used, head.size());
    }
  }
}

TEST(UpgradeResponse, SplitInsideTheBlankLine) {
  const std::string head = response();
  const size_t n = head.size();
  for (const std::vector<size_t> &cuts :
       {std::vector<size_t>{n - 3, n - 2, n - 1, n}, std::vector<size_t>{n - 1, n},
        std::vector<size_t>{n - 2, n}}) {
    UpgradeResponse r = sample();
    size_t at = 0;
    for (size_t i = 0; i < cuts.size(); ++i) {
      const Fed fed = feed(r, head.substr(at, cuts[i] - at) + (i + 1 == cuts.size() ? "XYZ" : ""));
      EXPECT_EQ(fed.result, i + 1 == cuts.size() ? Result::Accepted : Result::NeedMore) << i;
      EXPECT_EQ(fed.used, cuts[i] - at) << i;
      at = cuts[i];
    }
  }
}

TEST(UpgradeResponse, BytesAfterTheHeadAreNotTaken) {
  const std::string head = response();
  // Including a frame that itself contains "\r\n\r\n".
  const std::string frames = std::string("\x81\x04\r\n\r\n", 6) + "\x89\x00";
  UpgradeResponse r = sample();
  const Fed fed = feed(r, head + frames);
  EXPECT_EQ(fed.result, Result::Accepted) << r.error();
  EXPECT_EQ(fed.used, head.size());
}

TEST(UpgradeResponse, HeadLimit) {
  // Pad with one header line so the whole head is `size` bytes.
  auto head_of = [](size_t size) {
    const std::string base = response("X-Pad: \r\n");
    return response("X-Pad: " + std::string(size - base.size(), 'p') + "\r\n");
  };
  const std::string at_limit = head_of(kMaxResponseHead);
  ASSERT_EQ(at_limit.size(), kMaxResponseHead);
  {
    UpgradeResponse r = sample();
    const Fed fed = feed(r, at_limit + "\x81\x00");
    EXPECT_EQ(fed.result, Result::Accepted) << r.error();
    EXPECT_EQ(fed.used, kMaxResponseHead);
  }
  const std::string over = head_of(kMaxResponseHead + 1);
  {
    UpgradeResponse r = sample();
    EXPECT_EQ(feed(r, over).result, Result::Rejected);
    EXPECT_NE(r.error().find(std::to_string(kMaxResponseHead)), std::string::npos) << r.error();
  }
  {
    // A server that never ends its head, in small reads.
    UpgradeResponse r = sample();
    // (One endless header value: endless header lines hit the line limit first.)
    const std::string chunk(102, 'e');
    size_t total = 0;
    Fed fed{Result::NeedMore, 0};
    fed = feed(r, "HTTP/1.1 101 OK\r\nX-Endless: ");
    total += fed.used;
    while (fed.result == Result::NeedMore && total < 2 * kMaxResponseHead) {
      fed = feed(r, chunk);
      total += fed.used;
    }
    EXPECT_EQ(fed.result, Result::Rejected);
    EXPECT_EQ(total, kMaxResponseHead);  // memory never went past the limit
  }
}

}  // namespace
}  // namespace wsc::detail
