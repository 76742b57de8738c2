#include "utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using wsc::detail::is_valid_utf8;
using wsc::detail::Utf8Validator;

bool valid(const std::string &s) { return is_valid_utf8(s.data(), s.size()); }

const unsigned char *bytes(const std::string &s) {
  return reinterpret_cast<const unsigned char *>(s.data());
}

TEST(Utf8, Ascii) {
  EXPECT_TRUE(valid(""));
  EXPECT_TRUE(is_valid_utf8(nullptr, 0));
  EXPECT_TRUE(valid("hello"));
  EXPECT_TRUE(valid(std::string("\0\x7f", 2)));
  // Lengths around the 8-byte fast path, at every alignment.
  std::string text(100, 'x');
  for (size_t start = 0; start < 9; ++start)
    for (size_t len = 0; start + len <= text.size(); ++len)
      ASSERT_TRUE(is_valid_utf8(text.data() + start, len)) << start << "+" << len;
}

TEST(Utf8, ValidMultiByte) {
  EXPECT_TRUE(valid("\xc2\x80"));                                   // U+0080, smallest 2-byte
  EXPECT_TRUE(valid("\xdf\xbf"));                                   // U+07FF
  EXPECT_TRUE(valid("\xe0\xa0\x80"));                               // U+0800, smallest 3-byte
  EXPECT_TRUE(valid("\xed\x9f\xbf"));                               // U+D7FF, just below surrogates
  EXPECT_TRUE(valid("\xee\x80\x80"));                               // U+E000, just above surrogates
  EXPECT_TRUE(valid("\xef\xbf\xbf"));                               // U+FFFF
  EXPECT_TRUE(valid("\xf0\x90\x80\x80"));                           // U+10000, smallest 4-byte
  EXPECT_TRUE(valid("\xf4\x8f\xbf\xbf"));                           // U+10FFFF, the maximum
  EXPECT_TRUE(valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_TRUE(valid("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
}

TEST(Utf8, Overlong) {
  EXPECT_FALSE(valid("\xc0\x80"));
  EXPECT_FALSE(valid("\xc1\xbf"));
  EXPECT_FALSE(valid("\xe0\x80\x80"));
  EXPECT_FALSE(valid("\xe0\x9f\xbf"));
  EXPECT_FALSE(valid("\xf0\x80\x80\x80"));
  EXPECT_FALSE(valid("\xf0\x8f\xbf\xbf"));
  EXPECT_FALSE(valid("\xc0\xaf"));  // the classic overlong '/'
}

TEST(Utf8, Surrogates) {
  EXPECT_FALSE(valid("\xed\xa0\x80"));              // U+D800
  EXPECT_FALSE(valid("\xed\xbf\xbf"));              // U+DFFF
  EXPECT_FALSE(valid("\xed\xa0\xbd\xed\xb8\x80"));  // CESU-8 pair
}

TEST(Utf8, AboveMax) {
  EXPECT_FALSE(valid("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(valid("\xf5\x80\x80\x80"));
  EXPECT_FALSE(valid("\xf7\xbf\xbf\xbf"));
  EXPECT_FALSE(valid("\xf8\x88\x80\x80\x80"));  // old 5-byte form
  EXPECT_FALSE(valid("\xfc\x84\x80\x80\x80\x80"));
  EXPECT_FALSE(valid("\xfe"));
  EXPECT_FALSE(valid("\xff"));
}

TEST(Utf8, StrayAndBadContinuations) {
  EXPECT_FALSE(valid("\x80"));
  EXPECT_FALSE(
      valid("a\xbf"
            "b"));
  EXPECT_FALSE(valid("\xc2\x80\x80"));
  EXPECT_FALSE(
      valid("\xc2"
            "a"));
  EXPECT_FALSE(
      valid("\xe2\x82"
            "a"));
  EXPECT_FALSE(
      valid("\xf0\x9f\x98"
            "a"));
  EXPECT_FALSE(valid("\xc2\xc2\x80"));
  EXPECT_FALSE(valid("\xe2\xc0\x80"));
}

TEST(Utf8, Truncated) {
  EXPECT_FALSE(valid("\xc2"));
  EXPECT_FALSE(valid("\xe2\x82"));
  EXPECT_FALSE(valid("\xe2"));
  EXPECT_FALSE(valid("\xf0\x9f\x98"));
  EXPECT_FALSE(valid("\xf0\x9f"));
  EXPECT_FALSE(valid("abcdefgh\xf0"));

  Utf8Validator v;
  EXPECT_TRUE(v.feed(bytes("ok\xe2\x82"), 4));  // could still become valid
  EXPECT_FALSE(v.complete());
}

TEST(Utf8, ErrorAfterLongAsciiRun) {
  // The error sits past several fast-path words, at each offset within a word.
  for (size_t pad = 0; pad < 24; ++pad) {
    std::string s(pad, 'a');
    s += "\xed\xa0\x80";
    s += std::string(16, 'b');
    EXPECT_FALSE(valid(s)) << pad;
    std::string ok(pad, 'a');
    ok += "\xf0\x9f\x98\x80";
    ok += std::string(16, 'b');
    EXPECT_TRUE(valid(ok)) << pad;
  }
}

// Every multi-byte sequence, split at every position (including into single
// bytes), must give the same verdict as validating it whole.
TEST(Utf8, SplitAcrossFeeds) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"a\xc3\xa9z", true},          {"a\xe2\x82\xacz", true},      {"a\xf0\x9f\x98\x80z", true},
      {"a\xf4\x8f\xbf\xbfz", true},  {"a\xe0\xa0\x80z", true},      {"a\xc0\x80z", false},
      {"a\xe0\x80\x80z", false},     {"a\xf0\x80\x80\x80z", false}, {"a\xed\xa0\x80z", false},
      {"a\xf4\x90\x80\x80z", false}, {"a\xf0\x9f\x98z", false},
  };
  for (size_t n = 0; n < cases.size(); ++n) {
    const auto &[s, expected] = cases[n];
    ASSERT_EQ(valid(s), expected) << "whole, case " << n;
    for (size_t cut = 0; cut <= s.size(); ++cut) {
      Utf8Validator v;
      bool ok = v.feed(bytes(s), cut);
      ok = v.feed(bytes(s) + cut, s.size() - cut) && ok;
      EXPECT_EQ(ok && v.complete(), expected) << "cut at " << cut << " of case " << n;
    }
    Utf8Validator v;
    bool ok = true;
    for (size_t i = 0; i < s.size(); ++i) ok = v.feed(bytes(s) + i, 1) && ok;
    EXPECT_EQ(ok && v.complete(), expected) << "byte at a time, case " << n;
  }
}

TEST(Utf8, OpenSequenceAtEveryCut) {
  // A valid 4-byte sequence cut anywhere inside leaves the validator open,
  // not failed, and the remaining bytes close it.
  const std::string s = "\xf0\x9f\x98\x80";
  for (size_t cut = 1; cut < s.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(bytes(s), cut)) << cut;
    EXPECT_FALSE(v.complete()) << cut;
    EXPECT_TRUE(v.feed(bytes(s) + cut, s.size() - cut)) << cut;
    EXPECT_TRUE(v.complete()) << cut;
  }
}

TEST(Utf8, FailureIsStickyUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed(bytes("\xff"), 1));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.feed(bytes("ok"), 2));
  v.reset();
  EXPECT_TRUE(v.complete());
  EXPECT_TRUE(v.feed(bytes("ok"), 2));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, ResetDropsOpenSequence) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed(bytes("\xe2\x82"), 2));
  v.reset();
  EXPECT_TRUE(v.complete());
  EXPECT_FALSE(v.feed(bytes("\xac"), 1));  // a continuation with nothing open
}

TEST(Utf8, EmptyFeedKeepsState) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed(bytes("\xe2"), 1));
  EXPECT_TRUE(v.feed(nullptr, 0));
  EXPECT_FALSE(v.complete());
  EXPECT_TRUE(v.feed(bytes("\x82\xac"), 2));
  EXPECT_TRUE(v.complete());
}

// Cross-checks every 1-, 2- and 3-byte input and a sample of 4-byte ones
// against a straightforward decoder.
bool reference_valid(const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

TEST(Utf8, MatchesReferenceExhaustively) {
  unsigned char buf[4];
  for (unsigned a = 0; a < 256; ++a) {
    buf[0] = static_cast<unsigned char>(a);
    ASSERT_EQ(is_valid_utf8(buf, 1), reference_valid(buf, 1)) << a;
    for (unsigned b = 0; b < 256; ++b) {
      buf[1] = static_cast<unsigned char>(b);
      ASSERT_EQ(is_valid_utf8(buf, 2), reference_valid(buf, 2)) << a << " " << b;
      for (unsigned c = 0; c < 256; ++c) {
        buf[2] = static_cast<unsigned char>(c);
        ASSERT_EQ(is_valid_utf8(buf, 3), reference_valid(buf, 3)) << a << " " << b << " " << c;
      }
    }
  }
  for (unsigned a = 0xE0; a < 0x100; ++a)
    for (unsigned b = 0x70; b < 0xD0; ++b)
      for (unsigned c : {0x00u, 0x7Fu, 0x80u, 0xBFu, 0xC0u})
        for (unsigned d : {0x00u, 0x7Fu, 0x80u, 0x9Au, 0xBFu, 0xC0u, 0xFFu}) {
          unsigned char q[4] = {static_cast<unsigned char>(a), static_cast<unsigned char>(b),
                                static_cast<unsigned char>(c), static_cast<unsigned char>(d)};
          ASSERT_EQ(is_valid_utf8(q, 4), reference_valid(q, 4)) << a << " " << b << " " << c;
        }
}

}  // namespace
