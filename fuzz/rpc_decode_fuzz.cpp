// libFuzzer target for the RPC wire protocols' decoders: any bytes a peer
// sends, as a text and as a binary frame, through every protocol built in.
// Invariants: no crash, no sanitizer report, and every message decoded
// re-encodes (a reply to a request, the payload checked as it would be).
// JSON: the DOM-free scanner of the hot path (rpc/json_scan) agrees with
// nlohmann whenever it says "surely".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "rpc/wire_protocol.hpp"

#if WSC_HAVE_JSON
#include <nlohmann/json.hpp>

#include "rpc/json_rpc.hpp"
#include "rpc/json_scan.hpp"
#endif

namespace {

void feed(const wsc::detail::WireProtocol &wire, std::string_view bytes) {
  for (auto type : {wsc::MessageType::Text, wsc::MessageType::Binary}) {
    wsc::detail::RpcDecoded out;
    wire.decode(type, bytes, out);
    for (const auto &m : out.messages) {
      if (m.kind == wsc::detail::RpcIncoming::Kind::Request) {
        (void)wire.result(m.reply_id, m.payload);
        (void)wire.error(m.reply_id, wire.method_not_found(m.method));
      }
      wsc::fuzz::check(wire.check_payload(m.payload, false).empty());
    }
  }
}

#if WSC_HAVE_JSON
void check_json_scanner(std::string_view bytes) {
  using nlohmann::json;
  if (wsc::detail::json_surely_valid(bytes)) wsc::fuzz::check(json::accept(bytes));
  constexpr size_t kDepth = 8;
  wsc::detail::JsonRpcResult fast;
  if (!wsc::detail::scan_json_rpc_result(bytes, kDepth, fast)) return;
  // What the DOM decoder would see: one object, an unsigned non-zero id,
  // a result, and no member that makes it something else.
  const json doc = json::parse(bytes);  // throws (and crashes the fuzzer) if invalid
  wsc::fuzz::check(doc.is_object() && !doc.contains("method") && !doc.contains("error") &&
                   !doc.contains("notification"));
  const json &id = doc.at("id");
  wsc::fuzz::check(id.is_number_unsigned() && id.get<uint64_t>() == fast.id && fast.id != 0);
  wsc::fuzz::check(json::parse(fast.result) == doc.at("result"));
  wsc::detail::RpcDecoded out;
  wsc::detail::make_json_rpc(kDepth)->decode(wsc::MessageType::Text, bytes, out);
  wsc::fuzz::check(out.problems.empty() && out.messages.size() == 1 &&
                   out.messages[0].payload == fast.result);
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
#if WSC_HAVE_JSON
  check_json_scanner(bytes);
#endif
  for (auto protocol : {wsc::RpcProtocol::JsonRpc2, wsc::RpcProtocol::MsgpackRpc,
                        wsc::RpcProtocol::ProtobufEnvelope}) {
    wsc::RpcOptions options;
    options.protocol = protocol;
    try {
      feed(*wsc::detail::make_wire_protocol(options), bytes);
    } catch (const wsc::Error &) {
      // A protocol this build does not have.
    }
  }
  return 0;
}
