// The HTTP/1.1 response-head reader behind the upgrade answer and the
// proxy's CONNECT reply (RFC 9112): what it refuses, with a detail naming
// the fault, as soon as the faulty line is complete (never left to a
// timeout); bare-LF heads; obs-fold; the size and line-count bounds; and
// every case cut at every point giving the same result.
#include "http_head.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace wsc::detail {
namespace {

using Result = HttpResponseHead::Result;

const uint8_t *bytes(const std::string &s) { return reinterpret_cast<const uint8_t *>(s.data()); }

struct Outcome {
  Result result;
  size_t used;  // over all the calls
  std::string error;
};

// Feeds `stream` in pieces ending at `cuts` (the last is stream.size()),
// stopping at the first result that is not NeedMore.
Outcome feed_cut(const std::string &stream, const std::vector<size_t> &cuts,
                 HttpResponseHead &head) {
  Outcome out{Result::NeedMore, 0, ""};
  size_t at = 0;
  for (const size_t end : cuts) {
    size_t used = 12345;
    out.result = head.feed(bytes(stream) + at, end - at, used);
    EXPECT_LE(used, end - at);
    out.used += used;
    at = end;
    if (out.result != Result::NeedMore) break;
  }
  out.error = head.error();
  return out;
}

// The result of `stream` fed whole, checked to be the same at every
// two-way split and byte by byte.
Outcome feed_every_way(const std::string &stream) {
  HttpResponseHead whole;
  const Outcome expected = feed_cut(stream, {stream.size()}, whole);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    HttpResponseHead head;
    const Outcome o = feed_cut(stream, {cut, stream.size()}, head);
    EXPECT_EQ(o.result, expected.result) << "cut at " << cut << ": " << o.error;
    EXPECT_EQ(o.error, expected.error) << "cut at " << cut;
    if (expected.result == Result::Complete) {
      EXPECT_EQ(o.used, expected.used) << "cut at " << cut;
    }
  }
  std::vector<size_t> bytewise;
  for (size_t i = 1; i <= stream.size(); ++i) bytewise.push_back(i);
  HttpResponseHead head;
  const Outcome o = feed_cut(stream, bytewise, head);
  EXPECT_EQ(o.result, expected.result) << o.error;
  EXPECT_EQ(o.error, expected.error);
  return expected;
}

const std::string kStatus = "HTTP/1.1 200 Connection established\r\n";

// --- Accepted ---------------------------------------------------------------------

TEST(HttpResponseHead, CrlfBareLfAndMixedLineEndsAllEndTheHead) {
  for (const std::string &head :
       {kStatus + "Via: p\r\nX-A: 1\r\n\r\n", std::string("HTTP/1.1 200 OK\nVia: p\nX-A: 1\n\n"),
        std::string("HTTP/1.1 200 OK\r\nVia: p\nX-A: 1\r\n\n"),
        std::string("HTTP/1.1 200 OK\nVia: p\r\nX-A: 1\n\r\n")}) {
    SCOPED_TRACE(head);
    // What follows the head (here a TLS record, or "\n\n" inside a frame)
    // is not the head's.
    for (const std::string &behind : {std::string(""), std::string("\x16\x03\x01\n\n", 5)}) {
      const Outcome o = feed_every_way(head + behind);
      EXPECT_EQ(o.result, Result::Complete) << o.error;
      EXPECT_EQ(o.used, head.size());
    }
    HttpResponseHead h;
    size_t used = 0;
    ASSERT_EQ(h.feed(bytes(head), head.size(), used), Result::Complete) << h.error();
    EXPECT_EQ(h.status(), 200);
    ASSERT_NE(h.field("via"), nullptr);
    EXPECT_EQ(*h.field("via"), "p");
    ASSERT_NE(h.field("x-a"), nullptr);
    EXPECT_EQ(*h.field("x-a"), "1");
    // Done is done: later bytes are not taken.
    EXPECT_EQ(h.feed(bytes(head), head.size(), used), Result::Complete);
    EXPECT_EQ(used, 0u);
  }
}

TEST(HttpResponseHead, TokenNamesValuesWithObsTextAndTabs) {
  const std::string head = kStatus + "X-!#$%&'*+-.^_`|~09az: a\tb \x80\xff c\r\nEmpty:\r\n\r\n";
  const Outcome o = feed_every_way(head);
  EXPECT_EQ(o.result, Result::Complete) << o.error;
  HttpResponseHead h;
  size_t used = 0;
  ASSERT_EQ(h.feed(bytes(head), head.size(), used), Result::Complete);
  ASSERT_NE(h.field("x-!#$%&'*+-.^_`|~09az"), nullptr);
  EXPECT_EQ(*h.field("x-!#$%&'*+-.^_`|~09az"), "a\tb \x80\xff c");
  ASSERT_NE(h.field("empty"), nullptr);
  EXPECT_EQ(*h.field("empty"), "");
}

TEST(HttpResponseHead, ObsFoldContinuesTheFieldWithOneSpace) {
  const std::string head =
      kStatus + "X-Folded: one\r\n two\r\n\t three \r\nX-Next: n\r\nX-Folded: again\r\n\r\n";
  EXPECT_EQ(feed_every_way(head).result, Result::Complete);
  HttpResponseHead h;
  size_t used = 0;
  ASSERT_EQ(h.feed(bytes(head), head.size(), used), Result::Complete) << h.error();
  ASSERT_NE(h.field("x-folded"), nullptr);
  EXPECT_EQ(*h.field("x-folded"), "one two three, again");
  EXPECT_EQ(*h.field("x-next"), "n");
}

// --- Refused at once --------------------------------------------------------------

struct Bad {
  const char *name;
  std::string line;     // one line, without its line end
  const char *keyword;  // in the error
};

std::vector<Bad> bad_lines() {
  return {
      {"space before the colon", "Sec-WebSocket-Extensions : permessage-deflate",
       "whitespace between the header name 'Sec-WebSocket-Extensions' and its colon"},
      {"tab before the colon", "Upgrade\t: websocket", "whitespace between the header name"},
      {"NUL in a value", std::string("X-A: a\0b", 8), "a NUL byte in the value of 'X-A'"},
      {"NUL in a name", std::string("X\0A: b", 6), "a NUL byte in a header name"},
      {"bare CR in a value", "X-A: a\rb", "bare CR"},
      {"bare CR in a name", "X-A\r: b", "bare CR"},
      {"control byte in a value", "X-A: a\x01z", "0x01 in the value of 'X-A'"},
      {"DEL in a value", "X-A: a\x7fz", "0x7f in the value"},
      {"parenthesis in a name", "X(A): b", "the character '(' in a header name after 'X'"},
      {"space inside a name", "X A: b", "a space in a header name after 'X'"},
      {"UTF-8 in a name", "X-\xc3\xa4: b", "0xc3 in a header name"},
      {"no colon", "just words", "no colon"},
      {"empty name", ": value", "empty header name"},
      {"fold as the first header", " X-A: b", "whitespace before the first header"},
      {"NUL in a folded value", std::string(" a\0b", 4), "a NUL byte in a folded"},
  };
}

TEST(HttpResponseHead, MalformedLinesAreRefusedWithWhatWasWrong) {
  for (const Bad &bad : bad_lines()) {
    for (const char *eol : {"\r\n", "\n"}) {
      SCOPED_TRACE(std::string(bad.name) + (eol[0] == '\n' ? " (LF)" : " (CRLF)"));
      // The folded-value case needs a field to continue.
      const std::string before =
          kStatus + (bad.line[0] == ' ' && bad.name[0] == 'N' ? "X-A: a\r\n" : "");
      const Outcome o = feed_every_way(before + bad.line + eol + "X-B: c" + eol + eol);
      EXPECT_EQ(o.result, Result::Invalid);
      EXPECT_NE(o.error.find(bad.keyword), std::string::npos) << o.error;
      // Promptly: the end of the bad line is enough, no blank line needed.
      HttpResponseHead head;
      const std::string prompt = before + bad.line + eol;
      const Outcome now = feed_cut(prompt, {prompt.size()}, head);
      EXPECT_EQ(now.result, Result::Invalid);
      EXPECT_EQ(now.error, o.error);
    }
  }
}

TEST(HttpResponseHead, StatusLineWithControlBytesIsRefused) {
  for (const std::string &status :
       {std::string("HTTP/1.1 200 O\0K", 16), std::string("HTTP/1.1 200 O\rK"),
        std::string("HTTP/1.1 200 O\x1bK")}) {
    const Outcome o = feed_every_way(status + "\r\n\r\n");
    EXPECT_EQ(o.result, Result::Invalid);
    EXPECT_NE(o.error.find("status line"), std::string::npos) << o.error;
  }
  // Status codes have a class digit of 1 to 5 (found by fuzz-response-head).
  const Outcome low = feed_every_way("HTTP/1.1 071 Low\r\n\r\n");
  EXPECT_EQ(low.result, Result::Invalid);
  EXPECT_NE(low.error.find("status code 071"), std::string::npos) << low.error;
  // A reason phrase is optional, and may hold tabs and obs-text.
  EXPECT_EQ(feed_every_way("HTTP/1.1 200\r\n\r\n").result, Result::Complete);
  EXPECT_EQ(feed_every_way("HTTP/1.0 200 \tOK \xe9\r\n\r\n").result, Result::Complete);
}

// --- Bounds -----------------------------------------------------------------------

std::string head_with_lines(size_t n) {
  std::string head = kStatus;
  for (size_t i = 0; i < n; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  return head + "\r\n";
}

TEST(HttpResponseHead, HeaderLineCountIsBounded) {
  HttpResponseHead at_limit;
  const std::string ok = head_with_lines(kMaxResponseHeaderLines);
  size_t used = 0;
  EXPECT_EQ(at_limit.feed(bytes(ok), ok.size(), used), Result::Complete) << at_limit.error();
  // One more is refused when it arrives, before any blank line.
  const std::string over = head_with_lines(kMaxResponseHeaderLines + 1);
  const std::string prompt = over.substr(0, over.size() - 2);
  HttpResponseHead head;
  EXPECT_EQ(head.feed(bytes(prompt), prompt.size(), used), Result::Invalid);
  EXPECT_NE(head.error().find(std::to_string(kMaxResponseHeaderLines) + " header lines"),
            std::string::npos)
      << head.error();
  // Folded lines count too: they cost as much to read.
  std::string folded = kStatus + "X-F: a\r\n";
  for (size_t i = 0; i < kMaxResponseHeaderLines; ++i) folded += " more\r\n";
  HttpResponseHead f;
  EXPECT_EQ(f.feed(bytes(folded), folded.size(), used), Result::Invalid);
}

TEST(HttpResponseHead, SizeIsBoundedWithBareLfToo) {
  // A head of exactly the limit with bare LF ends is still read; a byte more
  // is refused with the limit in the message, memory never past it.
  const std::string base = "HTTP/1.1 200 OK\nX-Pad: \n\n";
  const std::string at_limit =
      "HTTP/1.1 200 OK\nX-Pad: " + std::string(kMaxResponseHead - base.size(), 'p') + "\n\n";
  ASSERT_EQ(at_limit.size(), kMaxResponseHead);
  HttpResponseHead ok;
  size_t used = 0;
  EXPECT_EQ(ok.feed(bytes(at_limit), at_limit.size(), used), Result::Complete) << ok.error();
  EXPECT_EQ(used, kMaxResponseHead);
  const std::string over = "HTTP/1.1 200 OK\nX-Pad: p" + at_limit.substr(base.size() - 2);
  HttpResponseHead big;
  EXPECT_EQ(big.feed(bytes(over), over.size(), used), Result::Invalid);
  EXPECT_EQ(used, kMaxResponseHead);
  EXPECT_NE(big.error().find(std::to_string(kMaxResponseHead)), std::string::npos) << big.error();
}

TEST(PackedFields, RoundTripKeepsNamesValuesAndOrder) {
  const std::map<std::string, std::string> fields = {
      {"sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
      {"x-empty", ""},
      {"x-tab", "a\tb, c"},
      {"upgrade", "websocket"}};
  const std::string packed = pack_fields(fields);
  const auto unpacked = unpack_fields(packed);
  const std::vector<std::pair<std::string, std::string>> expected(fields.begin(), fields.end());
  EXPECT_EQ(unpacked, expected);
}

TEST(PackedFields, NoFieldsIsEmpty) {
  EXPECT_EQ(pack_fields({}), "");
  EXPECT_TRUE(unpack_fields("").empty());
}

TEST(PackedFields, FieldsOfAParsedHeadRoundTrip) {
  HttpResponseHead head;
  const std::string text =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Fold: a\r\n b\r\n"
      "X-Twice: 1\r\nX-Twice: 2\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(head.feed(bytes(text), text.size(), used), Result::Complete);
  const std::vector<std::pair<std::string, std::string>> expected(head.fields().begin(),
                                                                  head.fields().end());
  EXPECT_EQ(expected.size(), 3u);
  EXPECT_EQ(unpack_fields(pack_fields(head.fields())), expected);
}

}  // namespace
}  // namespace wsc::detail
