// The wire protocols this build has (meson features json, msgpack, protobuf).
#include "wire_protocol.hpp"

#if WSC_HAVE_JSON
#include "json_rpc.hpp"
#endif
#if WSC_HAVE_MSGPACK
#include "msgpack_rpc.hpp"
#endif
#if WSC_HAVE_PROTOBUF
#include "protobuf_rpc.hpp"
#endif

namespace wsc::detail {

std::unique_ptr<WireProtocol> make_wire_protocol(const RpcOptions &options) {
  switch (options.protocol) {
    case RpcProtocol::JsonRpc2:
#if WSC_HAVE_JSON
      return make_json_rpc(options.max_depth);
#else
      throw Error(Status::WSC_EINVAL, "JSON-RPC needs a wsc built with -Djson=enabled");
#endif
    case RpcProtocol::MsgpackRpc:
#if WSC_HAVE_MSGPACK
      return make_msgpack_rpc(options.max_depth);
#else
      throw Error(Status::WSC_EINVAL, "MessagePack-RPC needs a wsc built with -Dmsgpack=enabled");
#endif
    case RpcProtocol::ProtobufEnvelope:
#if WSC_HAVE_PROTOBUF
      return make_protobuf_rpc();
#else
      throw Error(Status::WSC_EINVAL,
                  "the protobuf envelope needs a wsc built with -Dprotobuf=enabled");
#endif
  }
  throw Error(Status::WSC_EINVAL, "unknown RPC protocol");
}

}  // namespace wsc::detail
