// The RPC part of the C ABI: wsc_rpc handles over wsc::RpcClient. Checks
// every argument and turns every exception into a status code.
#include "wsc_rpc.h"

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>
#include <wsc/rpc.hpp>

#include "capi_internal.hpp"
#include "rpc_queue.hpp"

struct wsc_rpc {
  wsc_rpc_callbacks callbacks{};
  void *user = nullptr;
  std::unique_ptr<wsc::RpcClient> client;
};

struct wsc_rpc_reply {
  wsc::RpcReply reply;
  wsc::RpcResponder *responder = nullptr;  // the request's, for wsc_rpc_reply_defer
};

struct wsc_rpc_deferred {
  wsc::RpcResponder responder;
};

namespace {

using wsc::capi::fail;

int from(wsc::Status s) { return static_cast<int>(s); }

// The C ABI's guarded() for functions that return nothing.
template <class F>
int guarded(F &&fn) {
  return wsc::capi::guarded([&] {
    fn();
    return WSC_OK;
  });
}

// A deferred answer's status, with words for wsc_last_error_detail.
int answered(wsc::Status s) {
  switch (s) {
    case wsc::Status::WSC_OK:
      return WSC_OK;
    case wsc::Status::WSC_ESTATE:
      return fail(from(s), "no answer is due: answered already");
    case wsc::Status::WSC_EINVAL:
      return fail(from(s), "not a valid answer for the protocol: the peer got an internal error");
    default:
      return fail(from(s), "could not send the answer");
  }
}

wsc::Millis call_timeout(int timeout_ms) { return wsc::Millis(timeout_ms < 0 ? -1 : timeout_ms); }

std::string_view bytes(const void *data, size_t len) {
  return {static_cast<const char *>(data), len};
}

// Checks the arguments every call shares; WSC_OK or a status with detail.
int check_call(const wsc_rpc *rpc, const char *method, const void *params, size_t len,
               int timeout_ms) {
  if (!rpc) return fail(WSC_EINVAL, "rpc is NULL");
  if (!method || !*method) return fail(WSC_EINVAL, "method is NULL or empty");
  if (!params && len) return fail(WSC_EINVAL, "params is NULL but len is not 0");
  if (timeout_ms < -1) return fail(WSC_EINVAL, "timeout_ms must be -1, 0 or positive");
  return WSC_OK;
}

// A wsc_rpc_result in one block with its copies of data and message.
struct OwnedResult {
  wsc_rpc_result view{};
  std::string data;
  std::string message;
};

void fill(OwnedResult &out, wsc::RpcResponse &&r) {
  out.view.status = from(r.status);
  if (r.status == wsc::Status::WSC_OK) {
    out.data = std::move(r.result);
  } else if (r.status == wsc::Status::WSC_EREMOTE) {
    out.data = std::move(r.error.data);
    out.message = std::move(r.error.message);
    out.view.error_code = r.error.code;
  } else {
    out.message = std::move(r.detail);
  }
  out.view.data = reinterpret_cast<const unsigned char *>(out.data.data());
  out.view.len = out.data.size();
  out.view.message = out.message.c_str();
}

wsc::RpcClient::Done completion(wsc_rpc *rpc, wsc_rpc_done_fn done, void *call_user) {
  return [rpc, done, call_user](wsc::RpcResponse &&r) {
    OwnedResult result;
    fill(result, std::move(r));
    done(rpc, &result.view, call_user);
  };
}

wsc::Callbacks callbacks_for(wsc_rpc *rpc) {
  wsc::Callbacks cb;
  const wsc_rpc_callbacks &c = rpc->callbacks;
  if (c.on_open) cb.on_open = [rpc] { rpc->callbacks.on_open(rpc, rpc->user); };
  if (c.on_error) {
    cb.on_error = [rpc](wsc::Status s, std::string_view detail) {
      const std::string text(detail);
      rpc->callbacks.on_error(rpc, from(s), text.c_str(), rpc->user);
    };
  }
  if (c.on_close) {
    cb.on_close = [rpc](int code, std::string_view reason) {
      const std::string text(reason);
      rpc->callbacks.on_close(rpc, code, text.c_str(), rpc->user);
    };
  }
  if (c.on_state) {
    cb.on_state = [rpc](wsc::State from_state, wsc::State to_state) {
      rpc->callbacks.on_state(rpc, static_cast<int>(from_state), static_cast<int>(to_state),
                              rpc->user);
    };
  }
  return cb;
}

}  // namespace

extern "C" {

int wsc_rpc_config_init(wsc_rpc_config *cfg) {
  if (!cfg) return fail(WSC_EINVAL, "cfg is NULL");
  const wsc::RpcOptions defaults;
  *cfg = wsc_rpc_config{};
  cfg->struct_size = sizeof(wsc_rpc_config);
  cfg->protocol = static_cast<int>(defaults.protocol);
  cfg->default_timeout_ms = defaults.default_timeout.count();
  cfg->max_outstanding = defaults.max_outstanding;
  cfg->wait_for_reconnect = defaults.wait_for_reconnect ? 1 : 0;
  cfg->max_depth = defaults.max_depth;
  return WSC_OK;
}

int wsc_rpc_connect(wsc_loop *loop, const char *url, const wsc_options *opts,
                    const wsc_rpc_config *cfg, const wsc_rpc_callbacks *cbs, void *user,
                    wsc_rpc **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (!url) return fail(WSC_EINVAL, "url is NULL");
  wsc::RpcOptions rpc_options;
  if (cfg) {
    if (cfg->struct_size != sizeof(wsc_rpc_config))
      return fail(WSC_EINVAL, "cfg->struct_size must be sizeof(wsc_rpc_config)");
    if (cfg->protocol != WSC_RPC_JSONRPC && cfg->protocol != WSC_RPC_MSGPACKRPC &&
        cfg->protocol != WSC_RPC_PROTOBUF)
      return fail(WSC_EINVAL, "unknown protocol " + std::to_string(cfg->protocol));
    if (cfg->default_timeout_ms < 0 || cfg->default_timeout_ms > 24LL * 3600 * 1000)
      return fail(WSC_EINVAL, "default_timeout_ms must be 0..86400000");
    if (cfg->wait_for_reconnect != 0 && cfg->wait_for_reconnect != 1)
      return fail(WSC_EINVAL, "wait_for_reconnect must be 0 or 1");
    rpc_options.protocol = static_cast<wsc::RpcProtocol>(cfg->protocol);
    rpc_options.default_timeout = wsc::Millis(cfg->default_timeout_ms);
    rpc_options.max_outstanding = cfg->max_outstanding;
    rpc_options.wait_for_reconnect = cfg->wait_for_reconnect == 1;
    rpc_options.max_depth = cfg->max_depth;
  }
  if (cbs && cbs->struct_size != sizeof(wsc_rpc_callbacks))
    return fail(WSC_EINVAL, "cbs->struct_size must be sizeof(wsc_rpc_callbacks)");
  return guarded([&] {
    auto rpc = std::make_unique<wsc_rpc>();
    if (cbs) rpc->callbacks = *cbs;
    rpc->user = user;
    wsc::Loop &l = loop ? loop->loop : wsc::Loop::default_loop();
    rpc->client = std::make_unique<wsc::RpcClient>(l, url, opts ? opts->options : wsc::Options{},
                                                   rpc_options, callbacks_for(rpc.get()));
    *out = rpc.release();
  });
}

void wsc_rpc_free(wsc_rpc *rpc) {
  try {
    delete rpc;
  } catch (...) {
  }
}

int wsc_rpc_call(wsc_rpc *rpc, const char *method, const void *params, size_t len, int timeout_ms,
                 wsc_rpc_done_fn done, void *call_user) {
  if (int s = check_call(rpc, method, params, len, timeout_ms); s != WSC_OK) return s;
  if (!done) return fail(WSC_EINVAL, "done is NULL");
  return guarded([&] {
    rpc->client->call(method, bytes(params, len), completion(rpc, done, call_user),
                      call_timeout(timeout_ms));
  });
}

int wsc_rpc_call_queued(wsc_rpc *rpc, const char *method, const void *params, size_t len,
                        int timeout_ms, wsc_rpc_queue *queue, uint64_t tag) {
  if (int s = check_call(rpc, method, params, len, timeout_ms); s != WSC_OK) return s;
  if (!queue) return fail(WSC_EINVAL, "queue is NULL");
  return guarded([&] {
    rpc->client->call(
        method, bytes(params, len),
        [q = queue->queue, tag](wsc::RpcResponse &&r) { q->push(tag, std::move(r)); },
        call_timeout(timeout_ms));
  });
}

int wsc_rpc_call_wait(wsc_rpc *rpc, const char *method, const void *params, size_t len,
                      int timeout_ms, wsc_rpc_result **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (int s = check_call(rpc, method, params, len, timeout_ms); s != WSC_OK) return s;
  int status = WSC_OK;
  const int made = guarded([&] {
    auto result = std::make_unique<OwnedResult>();
    fill(*result, rpc->client->call_wait(method, bytes(params, len), call_timeout(timeout_ms)));
    status = result->view.status;
    if (status != WSC_OK) fail(status, result->message);
    // view is the first member: the caller's pointer frees the whole block.
    *out = &result.release()->view;
  });
  return made != WSC_OK ? made : status;
}

void wsc_rpc_result_free(wsc_rpc_result *result) {
  static_assert(offsetof(OwnedResult, view) == 0, "wsc_rpc_result_free relies on it");
  delete reinterpret_cast<OwnedResult *>(result);
}

int wsc_rpc_call_batch(wsc_rpc *rpc, size_t count, const char *const *methods,
                       const void *const *params, const size_t *lens, int timeout_ms,
                       wsc_rpc_done_fn done, void *const *call_users) {
  if (!rpc) return fail(WSC_EINVAL, "rpc is NULL");
  if (!count || !methods) return fail(WSC_EINVAL, "no calls (count 0 or methods NULL)");
  if (params && !lens) return fail(WSC_EINVAL, "params given without lens");
  if (!done) return fail(WSC_EINVAL, "done is NULL");
  return guarded([&] {
    std::vector<wsc::RpcClient::BatchCall> calls(count);
    for (size_t i = 0; i < count; ++i) {
      const void *p = params ? params[i] : nullptr;
      const size_t n = params ? lens[i] : 0;
      if (int s = check_call(rpc, methods[i], p, n, timeout_ms); s != WSC_OK)
        throw wsc::Error(static_cast<wsc::Status>(s),
                         "call " + std::to_string(i) + ": " + wsc_last_error_detail());
      calls[i] = {methods[i], std::string(bytes(p, n)),
                  completion(rpc, done, call_users ? call_users[i] : nullptr)};
    }
    rpc->client->call_batch(std::move(calls), call_timeout(timeout_ms));
  });
}

int wsc_rpc_notify(wsc_rpc *rpc, const char *method, const void *params, size_t len) {
  if (int s = check_call(rpc, method, params, len, 0); s != WSC_OK) return s;
  return guarded([&] { rpc->client->notify(method, bytes(params, len)); });
}

int wsc_rpc_on(wsc_rpc *rpc, const char *method, wsc_rpc_handler_fn fn, void *handler_user) {
  if (!rpc) return fail(WSC_EINVAL, "rpc is NULL");
  if (!method || !*method) return fail(WSC_EINVAL, "method is NULL or empty");
  return guarded([&] {
    if (!fn) {
      rpc->client->on(method, nullptr);
      return;
    }
    rpc->client->on_deferrable(method, [rpc, fn, handler_user, name = std::string(method)](
                                           std::string_view params, wsc::RpcResponder &later) {
      wsc_rpc_reply reply;
      reply.reply = wsc::RpcReply::success({});
      reply.responder = &later;
      // A notification's responder is empty: the handler gets no reply.
      fn(rpc, name.c_str(), reinterpret_cast<const unsigned char *>(params.data()), params.size(),
         later ? &reply : nullptr, handler_user);
      return std::move(reply.reply);
    });
  });
}

int wsc_rpc_reply_result(wsc_rpc_reply *reply, const void *data, size_t len) {
  if (!reply) return fail(WSC_EINVAL, "reply is NULL (a notification has no reply)");
  if (reply->reply.later) return fail(WSC_ESTATE, "the reply was deferred");
  if (!data && len) return fail(WSC_EINVAL, "data is NULL but len is not 0");
  return guarded([&] { reply->reply = wsc::RpcReply::success(std::string(bytes(data, len))); });
}

int wsc_rpc_reply_error(wsc_rpc_reply *reply, int64_t code, const char *message, const void *data,
                        size_t len) {
  if (!reply) return fail(WSC_EINVAL, "reply is NULL (a notification has no reply)");
  if (reply->reply.later) return fail(WSC_ESTATE, "the reply was deferred");
  if (!message) return fail(WSC_EINVAL, "message is NULL");
  if (!data && len) return fail(WSC_EINVAL, "data is NULL but len is not 0");
  return guarded(
      [&] { reply->reply = wsc::RpcReply::failure(code, message, std::string(bytes(data, len))); });
}

int wsc_rpc_reply_defer(wsc_rpc_reply *reply, wsc_rpc_deferred **out) {
  if (out) *out = nullptr;
  if (!reply) return fail(WSC_EINVAL, "reply is NULL (a notification has no reply)");
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  if (reply->reply.later) return fail(WSC_ESTATE, "the reply was deferred already");
  return guarded([&] {
    *out = new wsc_rpc_deferred{std::move(*reply->responder)};
    reply->reply = wsc::RpcReply::deferred();
  });
}

int wsc_rpc_deferred_result(wsc_rpc_deferred *deferred, const void *data, size_t len) {
  if (!deferred) return fail(WSC_EINVAL, "deferred is NULL");
  if (!data && len) return fail(WSC_EINVAL, "data is NULL but len is not 0");
  return answered(deferred->responder.result(bytes(data, len)));
}

int wsc_rpc_deferred_error(wsc_rpc_deferred *deferred, int64_t code, const char *message,
                           const void *data, size_t len) {
  if (!deferred) return fail(WSC_EINVAL, "deferred is NULL");
  if (!message) return fail(WSC_EINVAL, "message is NULL");
  if (!data && len) return fail(WSC_EINVAL, "data is NULL but len is not 0");
  return wsc::capi::guarded([&] {
    return answered(deferred->responder.error({code, message, std::string(bytes(data, len))}));
  });
}

void wsc_rpc_deferred_free(wsc_rpc_deferred *deferred) { delete deferred; }

int wsc_rpc_close(wsc_rpc *rpc, int code, const char *reason) {
  if (!rpc) return fail(WSC_EINVAL, "rpc is NULL");
  return guarded(
      [&] { rpc->client->client().close(code == 0 ? 1000 : code, reason ? reason : ""); });
}

int wsc_rpc_wait(wsc_rpc *rpc, int state, int timeout_ms) {
  if (!rpc) return fail(WSC_EINVAL, "rpc is NULL");
  return wsc::capi::wait_for_state(rpc->client->client(), state, timeout_ms);
}

int wsc_rpc_state(const wsc_rpc *rpc) {
  if (!rpc) return fail(WSC_EINVAL, "rpc is NULL");
  return static_cast<int>(rpc->client->client().state());
}

}  // extern "C"
