// The wsc protobuf envelope protocol (proto/wsc_envelope.proto) over binary
// frames: REQUEST/RESPONSE/ERROR correlated by id, EVENT for
// notifications, payloads opaque protobuf bytes. The envelope is flat (a
// bytes payload, no nesting), so parsing it is bounded by the frame size.
#pragma once

#include <memory>

#include "wire_protocol.hpp"

namespace wsc::detail {

std::unique_ptr<WireProtocol> make_protobuf_rpc();

}  // namespace wsc::detail
