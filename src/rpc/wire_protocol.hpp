// The seam between the RPC engine (ids, deadlines, correlation, handlers)
// and one wire protocol (JSON-RPC 2.0, ...). A protocol only turns calls
// into frames and frames into messages; it has no state and no I/O, so it
// is unit-tested and fuzzed alone. Params, results and error data cross it
// encoded in the protocol's own format.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <wsc/rpc.hpp>

namespace wsc::detail {

// One message from the peer.
struct RpcIncoming {
  enum class Kind { Request, Notification, Result, Error };
  Kind kind = Kind::Notification;
  uint64_t id = 0;       // Result, Error: the id of our call
  std::string reply_id;  // Request: the peer's id, encoded, echoed in the reply
  std::string method;    // Request, Notification
  std::string payload;   // params (Request, Notification) or result, encoded
  RpcError error;        // Error
};

// What one frame held. Problems are decode errors: the parts that made
// sense are still in `messages`.
struct RpcDecoded {
  std::vector<RpcIncoming> messages;
  std::vector<std::string> problems;
  bool batch = false;  // replies to these requests go back in one batch
};

class WireProtocol {
 public:
  virtual ~WireProtocol() = default;
  virtual MessageType frame_type() const = 0;
  virtual const char *name() const = 0;

  // Empty when an encoded payload is acceptable, else why not: params of
  // a call (params = true), or a result or error data (false).
  virtual std::string check_payload(std::string_view payload, bool params) const = 0;
  // Throws Error(WSC_EINVAL) for a method name the protocol cannot carry.
  virtual std::string request(uint64_t id, std::string_view method,
                              std::string_view params) const = 0;
  virtual std::string notification(std::string_view method, std::string_view params) const = 0;
  virtual std::string result(std::string_view reply_id, std::string_view result) const = 0;
  virtual std::string error(std::string_view reply_id, const RpcError &error) const = 0;
  // Several requests (or replies) in one frame; false if the protocol has
  // no batches.
  virtual bool supports_batch() const = 0;
  virtual std::string batch(const std::vector<std::string> &items) const = 0;
  // Error codes the engine answers with.
  virtual RpcError method_not_found(std::string_view method) const = 0;
  virtual RpcError internal_error(std::string_view what) const = 0;

  virtual void decode(MessageType type, std::string_view frame, RpcDecoded &out) const = 0;
};

// JSON-RPC's error codes, which the binary protocols answer with too.
constexpr int64_t kRpcMethodNotFound = -32601;
constexpr int64_t kRpcInternalError = -32603;

// A protocol without batches whose engine errors carry JSON-RPC's codes and
// the words in the message (MessagePack-RPC, the protobuf envelope).
class UnbatchedProtocol : public WireProtocol {
 public:
  bool supports_batch() const override { return false; }
  std::string batch(const std::vector<std::string> &) const override {
    throw Error(Status::WSC_EINVAL, std::string(name()) + " has no batches");
  }
  RpcError method_not_found(std::string_view method) const override {
    return {kRpcMethodNotFound, "Method not found: " + std::string(method), {}};
  }
  RpcError internal_error(std::string_view what) const override {
    return {kRpcInternalError, "Internal error: " + std::string(what), {}};
  }
};

// Throws Error(WSC_EINVAL) if the protocol was not built in.
std::unique_ptr<WireProtocol> make_wire_protocol(const RpcOptions &options);

}  // namespace wsc::detail
