// libFuzzer target for the RPC wire protocols' decoders: any bytes a peer
// sends, as a text and as a binary frame, through every protocol built in.
// Invariants: no crash, no sanitizer report, and every message decoded
// re-encodes (a reply to a request, the payload checked as it would be).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "rpc/wire_protocol.hpp"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
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
