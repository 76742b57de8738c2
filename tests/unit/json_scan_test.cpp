// The DOM-free JSON-RPC hot path (src/rpc/json_scan): it may only say
// "surely" when nlohmann agrees, and must hand everything unusual back.
#include "rpc/json_scan.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "rpc/json_rpc.hpp"

namespace wsc::detail {
namespace {

using json = nlohmann::json;

TEST(JsonScan, ValidTextIsSurelyValidAndNlohmannAgrees) {
  for (std::string_view text :
       {"0", "-0", "1.5e10", "-12.25E-3", "true", "false", "null", R"("")", " [ ] ", "{}",
        R"({"a":[1,{"b":null}],"c":"\"\\\/\b\f\n\r\t\u00e9"})",
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "[[[[[[[[[[1]]]]]]]]]]",
        " \t\r\n{ \"k\" : 1 } \n"}) {
    EXPECT_TRUE(json_surely_valid(text)) << text;
    EXPECT_TRUE(json::accept(text)) << text;
  }
}

TEST(JsonScan, MalformedOrUnusualTextIsNotSurelyValid) {
  for (std::string_view text : {
           "",
           " ",
           "01",
           "1.",
           ".5",
           "-",
           "1e",
           "+1",
           "[1,]",
           "{\"a\":1,}",
           "{\"a\"}",
           "{1:2}",
           "[1 2]",
           "tru",
           "nul",
           "NaN",
           "[1]x",
           "\"abc",
           "\"\x01\"",
           "\"\\x\"",
           "\"\\u12\"",
           "\"\xc0\x80\"",          // overlong
           "\"\xed\xa0\x80\"",      // a surrogate in UTF-8
           "\"\xf4\x90\x80\x80\"",  // past U+10FFFF
           "\"\xe2\x82\"",          // truncated
           "\"\\ud83d\\ude00\"",    // a surrogate pair: valid, but left to nlohmann
           "1e999",                 // overflows a double
           "\xef\xbb\xbf[]",        // a BOM: left to nlohmann
       }) {
    EXPECT_FALSE(json_surely_valid(text)) << text;
  }
  EXPECT_FALSE(json_surely_valid(std::string(1000, '[') + std::string(1000, ']')));
  EXPECT_FALSE(json_surely_valid(std::string(std::string_view("1\0", 2))));
}

// Strings are skipped 8 bytes a step: a special byte at every offset.
TEST(JsonScan, SpecialBytesAnywhereInALongString) {
  for (size_t at = 0; at < 24; ++at) {
    std::string body(24, 'x');
    std::string control = body, escape = body, utf8 = body, stray = body;
    control[at] = '\x1f';
    escape.replace(at, 1, "\\n");
    utf8.replace(at, 1, "\xc3\xa9");
    stray[at] = '"';
    EXPECT_FALSE(json_surely_valid("\"" + control + "\"")) << at;
    EXPECT_TRUE(json_surely_valid("\"" + escape + "\"")) << at;
    EXPECT_TRUE(json_surely_valid("\"" + utf8 + "\"")) << at;
    EXPECT_FALSE(json_surely_valid("\"" + stray + "\"")) << at;
    EXPECT_TRUE(json_surely_valid("[\"" + body.substr(0, at) + "\",\"" + body + "\"]")) << at;
  }
}

TEST(JsonScan, FindsTheResultSpanOfAPlainAnswer) {
  JsonRpcResult r;
  ASSERT_TRUE(scan_json_rpc_result(R"({"jsonrpc":"2.0","id":42,"result":[1,"x"]})", 128, r));
  EXPECT_EQ(r.id, 42u);
  EXPECT_EQ(r.result, R"([1,"x"])");
  // The peer's own text, spaces included; members in any order.
  ASSERT_TRUE(scan_json_rpc_result(R"( { "result" : { "a" : 1 } , "id" : 18446744073709551615,
                                        "jsonrpc" : "2.0", "extra": [null] } )",
                                   128, r));
  EXPECT_EQ(r.id, 18446744073709551615u);
  EXPECT_EQ(r.result, R"({ "a" : 1 })");
  ASSERT_TRUE(scan_json_rpc_result(R"({"id":1,"result":null})", 1, r));
  EXPECT_EQ(r.result, "null");
}

TEST(JsonScan, HandsEverythingElseToTheDom) {
  JsonRpcResult r;
  for (std::string_view frame : {
           R"([{"jsonrpc":"2.0","id":1,"result":1}])",             // a batch
           R"({"jsonrpc":"2.0","id":1,"method":"m","result":1})",  // a request
           R"({"jsonrpc":"2.0","id":1,"error":{"code":1}})",       // an error
           R"({"jsonrpc":"2.0","notification":"n","id":1,"result":1})",
           R"({"jsonrpc":"2.0","id":"1","result":1})",  // a string id
           R"({"jsonrpc":"2.0","id":0,"result":1})", R"({"id":-1,"result":1})",
           R"({"id":1.0,"result":1})", R"({"id":1e2,"result":1})",
           R"({"id":18446744073709551616,"result":1})",  // past uint64
           R"({"id":1,"id":2,"result":1})", R"({"id":1,"result":1,"result":2})",
           R"({"\u0069d":1,"result":1})",  // an escaped key
           R"({"id":1})", R"({"result":1})", R"({"id":1,"result":1} x)", R"({"id":1,"result":})",
           R"({"id":1,"result":[[1]]})",  // deeper than 2
       }) {
    EXPECT_FALSE(scan_json_rpc_result(frame, 2, r)) << frame;
  }
}

TEST(JsonScan, DecoderGivesTheSameAnswersBothWays) {
  auto wire = make_json_rpc(128);
  RpcDecoded fast, dom;
  wire->decode(MessageType::Text, R"({"jsonrpc":"2.0","id":7,"result":{"a": [1, 2.50]}})", fast);
  // A duplicate key sends the same answer through the DOM (the last wins).
  wire->decode(MessageType::Text,
               R"({"jsonrpc":"2.0","id":7,"result":0,"result":{"a": [1, 2.50]}})", dom);
  ASSERT_EQ(fast.messages.size(), 1u);
  ASSERT_EQ(dom.messages.size(), 1u);
  EXPECT_TRUE(fast.problems.empty());
  EXPECT_TRUE(dom.problems.empty());
  EXPECT_EQ(fast.messages[0].id, dom.messages[0].id);
  EXPECT_EQ(fast.messages[0].payload, R"({"a": [1, 2.50]})");  // as sent
  EXPECT_EQ(json::parse(fast.messages[0].payload), json::parse(dom.messages[0].payload));
}

}  // namespace
}  // namespace wsc::detail
