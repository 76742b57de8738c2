// The JSON-RPC 2.0 wire protocol alone: frames out, messages in, and what
// a hostile peer can send.
#include "rpc/json_rpc.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rpc/json_depth.hpp"

namespace wsc::detail {
namespace {

using json = nlohmann::json;
using Kind = RpcIncoming::Kind;

RpcDecoded decode(std::string_view frame, MessageType type = MessageType::Text) {
  RpcDecoded out;
  make_json_rpc(128)->decode(type, frame, out);
  return out;
}

TEST(JsonDepth, CountsBracketsOutsideStringsOnly) {
  EXPECT_TRUE(json_depth_within("[[1]]", 2));
  EXPECT_FALSE(json_depth_within("[[[1]]]", 2));
  EXPECT_TRUE(json_depth_within(R"(["[[[[", "\"[[[[", {"a": 1}])", 2));
  EXPECT_FALSE(json_depth_within(std::string(100000, '['), 128));
}

TEST(JsonRpcWire, EncodesRequestsNotificationsAndReplies) {
  auto wire = make_json_rpc(128);
  EXPECT_EQ(json::parse(wire->request(7, "sum", "[1,2]")),
            json::parse(R"({"jsonrpc":"2.0","id":7,"method":"sum","params":[1,2]})"));
  EXPECT_EQ(json::parse(wire->notification("say \"hi\"", "")),
            json::parse(R"({"jsonrpc":"2.0","method":"say \"hi\""})"));
  EXPECT_EQ(json::parse(wire->result(R"("abc")", "")),
            json::parse(R"({"jsonrpc":"2.0","id":"abc","result":null})"));
  EXPECT_EQ(
      json::parse(wire->error("3", {5, "no", "[1]"})),
      json::parse(R"({"jsonrpc":"2.0","id":3,"error":{"code":5,"message":"no","data":[1]}})"));
  EXPECT_THROW(wire->request(1, "\xc3", ""), Error);
  EXPECT_NE(wire->check_payload("1", true), "");
  EXPECT_EQ(wire->check_payload("1", false), "");
  EXPECT_NE(wire->check_payload("[1", false), "");
}

TEST(JsonRpcWire, DecodesEveryKindAndBatches) {
  const auto d = decode(R"([{"jsonrpc":"2.0","id":1,"result":{"a":1}},
    {"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"m","data":"d"}},
    {"jsonrpc":"2.0","id":"x","method":"m","params":[1]},
    {"jsonrpc":"2.0","method":"n","params":{"k":2}},
    {"notification":"tick","params":{"n":1}}])");
  ASSERT_TRUE(d.problems.empty()) << d.problems[0];
  EXPECT_TRUE(d.batch);
  ASSERT_EQ(d.messages.size(), 5u);
  EXPECT_EQ(d.messages[0].kind, Kind::Result);
  EXPECT_EQ(d.messages[0].id, 1u);
  EXPECT_EQ(json::parse(d.messages[0].payload), json({{"a", 1}}));
  EXPECT_EQ(d.messages[1].kind, Kind::Error);
  EXPECT_EQ(d.messages[1].error.code, -1);
  EXPECT_EQ(d.messages[1].error.message, "m");
  EXPECT_EQ(d.messages[1].error.data, R"("d")");
  EXPECT_EQ(d.messages[2].kind, Kind::Request);
  EXPECT_EQ(d.messages[2].reply_id, R"("x")");
  EXPECT_EQ(d.messages[3].kind, Kind::Notification);
  EXPECT_EQ(d.messages[4].kind, Kind::Notification);
  EXPECT_EQ(d.messages[4].method, "tick");
}

TEST(JsonRpcWire, HostileFramesAreProblemsNotCrashes) {
  const std::vector<std::string> bad = {
      "",
      "{",
      std::string(100000, '[') + std::string(100000, ']'),
      std::string(100000, '{'),
      R"({"id":"1","result":1})",
      R"({"id":0,"result":1})",
      R"({"id":-3,"result":1})",
      R"({"id":1e3,"result":1})",
      R"({"method":[],"id":1})",
      R"({"method":"m","params":3})",
      R"({"method":"m","id":[1]})",
      "\"\xff\"",
      "null",
      "[]",
  };
  for (const auto &frame : bad) {
    const auto d = decode(frame);
    EXPECT_EQ(d.problems.size(), 1u) << frame.substr(0, 40);
    EXPECT_TRUE(d.messages.empty()) << frame.substr(0, 40);
  }
  EXPECT_EQ(decode("[1]", MessageType::Binary).problems.size(), 1u);
}

}  // namespace
}  // namespace wsc::detail
