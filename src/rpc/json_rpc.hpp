// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over text frames,
// on nlohmann-json. Also accepts rpc-websockets' server events
// ({"notification": name, "params": ...}) as notifications.
#pragma once

#include <memory>

#include "wire_protocol.hpp"

namespace wsc::detail {

std::unique_ptr<WireProtocol> make_json_rpc(size_t max_depth);

}  // namespace wsc::detail
