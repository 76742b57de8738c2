// wsc RPC: request/response and notifications over one wsc connection, in a
// real wire protocol (JSON-RPC 2.0 today; MessagePack-RPC and the protobuf
// envelope share the same engine). Params and results are passed encoded
// (JSON text for JSON-RPC), so any JSON library, or the C ABI's callers,
// can produce and read them.
//
// Threads: an RpcClient may be used from any thread. Completion callbacks
// and handlers run on the loop's thread with no wsc lock held; they may
// call, notify and send, and must not block (no future.get() inside them).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <wsc/client.hpp>

namespace wsc {

enum class RpcProtocol : int {
  JsonRpc2 = 1,    // text frames, https://www.jsonrpc.org/specification
  MsgpackRpc = 2,  // binary frames, [0,id,method,params] [1,id,error,result] [2,method,params]
  ProtobufEnvelope = 3,  // binary frames, proto/wsc_envelope.proto; payloads protobuf bytes
};

struct RpcOptions {
  RpcProtocol protocol = RpcProtocol::JsonRpc2;
  // Deadline of a call given no timeout of its own; 0 = none.
  Millis default_timeout{30000};
  // Calls waiting for an answer (or for the connection); one more gives
  // WSC_EAGAIN.
  size_t max_outstanding = 4096;
  // A call made while the connection is reconnecting waits for the new
  // connection (until its deadline); false = it fails at once (WSC_ESTATE).
  bool wait_for_reconnect = true;
  // Received JSON or MessagePack nested deeper than this is a decode error
  // (the parser and everything after it then never recurse deeper).
  size_t max_depth = 128;
};

// An error object the peer answered with.
struct RpcError {
  int64_t code = 0;     // JSON-RPC: the error code
  std::string message;  // JSON-RPC: the message
  // JSON-RPC: the "data" member, encoded; empty if absent. MessagePack-RPC
  // (whose error object is free-form): the whole error object, encoded;
  // code and message are read from [code, message], "message" or a map.
  // Protobuf envelope: the ERROR envelope's payload.
  std::string data;
};

// How one call ended: WSC_OK with the encoded result; WSC_EREMOTE with the
// peer's error; or a local failure: WSC_ETIMEDOUT (deadline passed),
// WSC_ELOST (the connection dropped after the call was sent: it may or may
// not have run), WSC_ECLOSED (closed, or the client destroyed), or the
// status that ended a connection the call never reached.
struct RpcResponse {
  Status status = Status::WSC_OK;
  std::string result;
  RpcError error;
  std::string detail;  // words for a local failure
};

// Thrown by the future of call() for WSC_EREMOTE.
class WSC_CXX_API RpcCallError : public Error {
 public:
  explicit RpcCallError(RpcError error);
  const RpcError &error() const noexcept { return error_; }

 private:
  RpcError error_;
};

// What a handler answers: a result (encoded), an error, or (a handler
// with a responder) "later": the responder it kept will answer.
struct RpcReply {
  bool ok = true;
  std::string result;  // JSON-RPC: JSON text; empty = null
  RpcError error;
  bool later = false;
  static RpcReply success(std::string result) { return {true, std::move(result), {}, false}; }
  static RpcReply failure(int64_t code, std::string message, std::string data = {}) {
    return {false, {}, {code, std::move(message), std::move(data)}, false};
  }
  static RpcReply deferred() { return {true, {}, {}, true}; }
};

namespace detail {
class RpcEngine;
}

// Answers one request of the peer after its handler returned (an async
// handler, work on another thread): result() or error(), once, from any
// thread. Dropped while an answer is still due, it answers the protocol's
// internal error, so the peer never waits for nothing. Move-only; empty
// (false) for a notification, once answered, and when moved from.
class WSC_CXX_API RpcResponder {
 public:
  RpcResponder() noexcept;
  ~RpcResponder();
  RpcResponder(RpcResponder &&other) noexcept;
  RpcResponder &operator=(RpcResponder &&other) noexcept;

  // WSC_OK: the answer was sent. WSC_ESTATE: no answer is due (answered
  // already, or a notification). WSC_EINVAL: not a valid result/error data
  // for the protocol (the peer got an internal error instead). WSC_ECLOSED
  // or WSC_EAGAIN: the connection is gone or its send queue is full.
  Status result(std::string_view encoded) noexcept;
  Status error(const RpcError &error) noexcept;
  explicit operator bool() const noexcept { return state_ != nullptr; }

  struct State;  // detail: which engine, which request

 private:
  friend class detail::RpcEngine;
  explicit RpcResponder(std::unique_ptr<State> state) noexcept;
  // Runs send once with the engine and the request's id, if both are there.
  Status answer(const std::function<Status(detail::RpcEngine &, std::string_view)> &send) noexcept;
  void abandon() noexcept;  // answers an internal error
  std::unique_ptr<State> state_;
};

class WSC_CXX_API RpcClient {
 public:
  // Connects like Client. callbacks.on_message is not used: every frame
  // goes to the RPC engine, and frames it cannot decode are reported
  // through on_error as WSC_EDECODE (the connection stays up). Throws
  // Error(WSC_EINVAL) for bad options or a protocol not built in.
  RpcClient(Loop &loop, std::string_view url, const Options &options = {},
            const RpcOptions &rpc = {}, Callbacks callbacks = {});
  ~RpcClient();  // outstanding calls end with WSC_ECLOSED
  RpcClient(const RpcClient &) = delete;
  RpcClient &operator=(const RpcClient &) = delete;

  using Done = std::function<void(RpcResponse &&)>;

  // params: encoded (JSON-RPC: an array or object, or empty for none).
  // timeout: negative = RpcOptions::default_timeout, 0 = none. On WSC_OK,
  // done runs exactly once, on the loop thread; any other status means the
  // call was not made (WSC_EAGAIN at max_outstanding or with a full send
  // queue, WSC_EINVAL for bad params, WSC_ECLOSED, WSC_ESTATE).
  Status try_call(std::string_view method, std::string_view params, Done done,
                  Millis timeout = Millis{-1}) noexcept;
  // The same, throwing Error (with words) when the call cannot be made.
  void call(std::string_view method, std::string_view params, Done done,
            Millis timeout = Millis{-1});
  // The result, or the future throws RpcCallError (WSC_EREMOTE) or Error.
  // Throws Error at once when the call cannot be made.
  std::future<std::string> call(std::string_view method, std::string_view params,
                                Millis timeout = Millis{-1});

  // Blocks until the call ends and returns how. Throws Error when the call
  // cannot be made, and WSC_ESTATE on the loop thread (it would wait for
  // itself).
  RpcResponse call_wait(std::string_view method, std::string_view params,
                        Millis timeout = Millis{-1});

  // A call with no answer.
  Status try_notify(std::string_view method, std::string_view params) noexcept;
  void notify(std::string_view method, std::string_view params);

  // Several calls in one frame (a JSON-RPC batch); each done runs once.
  // Either all are made (WSC_OK) or none.
  struct BatchCall {
    std::string method;
    std::string params;
    Done done;
  };
  Status try_call_batch(std::vector<BatchCall> calls, Millis timeout = Millis{-1}) noexcept;
  void call_batch(std::vector<BatchCall> calls, Millis timeout = Millis{-1});

  // Handles the peer's requests and notifications named `method`; the
  // reply goes back for requests (ignored for notifications). A handler
  // that throws answers an internal error. Requests without a handler get
  // the protocol's method-not-found error. An empty handler removes it.
  using Handler = std::function<RpcReply(std::string_view params)>;
  void on(std::string method, Handler handler);
  // The same for a handler that may answer later: it moves the responder
  // out (a request's; empty for a notification) and returns
  // RpcReply::deferred(). Returning anything else answers at once, as for
  // on(). Deferred answers to a JSON-RPC batch go back one by one.
  using DeferrableHandler = std::function<RpcReply(std::string_view params, RpcResponder &later)>;
  void on_deferrable(std::string method, DeferrableHandler handler);

  // The connection under the engine: state, wait, close, stats.
  Client &client() noexcept { return *client_; }
  const Client &client() const noexcept { return *client_; }

 private:
  std::shared_ptr<detail::RpcEngine> engine_;
  std::unique_ptr<Client> client_;
};

}  // namespace wsc
