// The public RpcClient: a Client whose callbacks are an RpcEngine's.
#include <wsc/rpc.hpp>

#include "engine.hpp"
#include "loop_core.hpp"
#include "metrics.hpp"
#include "url.hpp"
#include "wire_protocol.hpp"

namespace wsc {

namespace {

std::string remote_detail(const RpcError &e) {
  return "error " + std::to_string(e.code) + ": " + e.message;
}

// Runs fn, turning exceptions into the status they carry.
template <class F>
Status status_of(F &&fn) noexcept {
  try {
    fn();
    return Status::WSC_OK;
  } catch (const Error &e) {
    return e.status();
  } catch (const std::bad_alloc &) {
    return Status::WSC_ENOMEM;
  } catch (...) {
    return Status::WSC_EINTERNAL;
  }
}

}  // namespace

RpcCallError::RpcCallError(RpcError error)
    : Error(Status::WSC_EREMOTE, remote_detail(error)), error_(std::move(error)) {}

RpcClient::RpcClient(Loop &loop, std::string_view url, const Options &options,
                     const RpcOptions &rpc, Callbacks callbacks) {
  if (rpc.max_outstanding == 0) throw Error(Status::WSC_EINVAL, "max_outstanding must be >= 1");
  if (rpc.max_depth == 0) throw Error(Status::WSC_EINVAL, "max_depth must be >= 1");
  if (rpc.default_timeout.count() < 0)
    throw Error(Status::WSC_EINVAL, "default_timeout must be >= 0");
  engine_ = std::make_shared<detail::RpcEngine>(loop.core(), detail::make_wire_protocol(rpc), rpc,
                                                std::move(callbacks));
  client_ = std::make_unique<Client>(loop, url, options, engine_->callbacks());
  engine_->attach(client_.get(), detail::endpoint_label(detail::parse_url(url)));
}

RpcClient::~RpcClient() {
  engine_->detach();
  client_.reset();
}

void RpcClient::call(std::string_view method, std::string_view params, Done done, Millis timeout) {
  engine_->call(method, params, std::move(done), timeout);
}

Status RpcClient::try_call(std::string_view method, std::string_view params, Done done,
                           Millis timeout) noexcept {
  return status_of([&] { call(method, params, std::move(done), timeout); });
}

std::future<std::string> RpcClient::call(std::string_view method, std::string_view params,
                                         Millis timeout) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto future = promise->get_future();
  call(
      method, params,
      [promise](RpcResponse &&r) {
        if (r.status == Status::WSC_OK)
          promise->set_value(std::move(r.result));
        else if (r.status == Status::WSC_EREMOTE)
          promise->set_exception(std::make_exception_ptr(RpcCallError(std::move(r.error))));
        else
          promise->set_exception(std::make_exception_ptr(Error(r.status, r.detail)));
      },
      timeout);
  return future;
}

RpcResponse RpcClient::call_wait(std::string_view method, std::string_view params, Millis timeout) {
  if (engine_->on_loop_thread()) {
    throw Error(Status::WSC_ESTATE, "a blocking call on the loop thread would wait for itself");
  }
  auto promise = std::make_shared<std::promise<RpcResponse>>();
  auto future = promise->get_future();
  call(
      method, params, [promise](RpcResponse &&r) { promise->set_value(std::move(r)); }, timeout);
  return future.get();
}

void RpcClient::call_batch(std::vector<BatchCall> calls, Millis timeout) {
  engine_->call_batch(std::move(calls), timeout);
}

Status RpcClient::try_call_batch(std::vector<BatchCall> calls, Millis timeout) noexcept {
  return status_of([&] { call_batch(std::move(calls), timeout); });
}

void RpcClient::notify(std::string_view method, std::string_view params) {
  engine_->notify(method, params);
}

Status RpcClient::try_notify(std::string_view method, std::string_view params) noexcept {
  return status_of([&] { notify(method, params); });
}

void RpcClient::on(std::string method, Handler handler) {
  if (!handler) return engine_->on(std::move(method), nullptr);
  engine_->on(std::move(method),
              [handler = std::move(handler)](std::string_view params, RpcResponder &) {
                return handler(params);
              });
}

void RpcClient::on_deferrable(std::string method, DeferrableHandler handler) {
  engine_->on(std::move(method), std::move(handler));
}

}  // namespace wsc
