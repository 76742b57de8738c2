// The JSON-RPC hot path without a DOM: a single-pass, allocation-free
// scanner for the common answer {"jsonrpc":"2.0","id":N,"result":...} and a
// well-formedness check for params. Both only say "surely": whenever they
// are unsure (escaped keys, duplicate keys, surrogate escapes, a BOM, huge
// numbers, deep nesting, anything unusual) the caller falls back to
// nlohmann::json, whose verdict and error messages stay the contract.
// fuzz/rpc_decode_fuzz.cpp checks both against nlohmann.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsc::detail {

// True only if text is one well-formed JSON text that nlohmann::json
// accepts; false means "not known": ask nlohmann.
bool json_surely_valid(std::string_view text) noexcept;

// A JSON-RPC success answer to one of wsc's calls.
struct JsonRpcResult {
  uint64_t id = 0;          // >= 1
  std::string_view result;  // the peer's JSON text of the result, a span of the frame
};

// True only if frame is a well-formed JSON object nested at most max_depth
// deep with an unsigned, non-zero integer "id", a "result" and no "method",
// "notification" or "error" (no key twice, no escaped key): exactly what
// the DOM decoder would report as one Result. False: decode with the DOM.
bool scan_json_rpc_result(std::string_view frame, size_t max_depth, JsonRpcResult &out) noexcept;

}  // namespace wsc::detail
