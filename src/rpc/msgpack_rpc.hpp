// MessagePack-RPC (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md)
// over binary frames, on msgpack-cxx: [0, msgid, method, params],
// [1, msgid, error, result], [2, method, params]. Unpacking is bounded
// (depth, and element counts by the frame's size), so a hostile header
// claiming 2^32 elements allocates nothing.
#pragma once

#include <memory>

#include "wire_protocol.hpp"

namespace wsc::detail {

std::unique_ptr<WireProtocol> make_msgpack_rpc(size_t max_depth);

}  // namespace wsc::detail
