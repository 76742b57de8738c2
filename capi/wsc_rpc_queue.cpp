// wsc_rpc_queue: the completion queue of the RPC C ABI (capi/wsc_rpc.h).
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "capi_internal.hpp"
#include "rpc_queue.hpp"

namespace wsc::capi {

RpcQueue::RpcQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw Error(Status::WSC_ENOMEM, std::string("eventfd: ") + std::strerror(errno));
}

RpcQueue::~RpcQueue() { close(fd_); }

void RpcQueue::push(uint64_t tag, RpcResponse &&response) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool was_empty = ready_.empty();
  ready_.push_back({tag, std::move(response)});
  if (!was_empty) return;  // readable already
  const uint64_t one = 1;
  // Fails only when the counter would overflow: it is readable then anyway.
  (void)!write(fd_, &one, sizeof one);
}

size_t RpcQueue::take(wsc_rpc_queued *out, size_t max) {
  taken_.clear();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t n = std::min(max, ready_.size());
    for (size_t i = 0; i < n; ++i) {
      taken_.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    if (ready_.empty()) {
      uint64_t count = 0;
      (void)!read(fd_, &count, sizeof count);  // not readable until the next push
    }
  }
  // Pointers into taken_, which stays as it is until the next take.
  for (size_t i = 0; i < taken_.size(); ++i) {
    RpcResponse &r = taken_[i].response;
    wsc_rpc_result &v = out[i].result;
    out[i].tag = taken_[i].tag;
    v = wsc_rpc_result{};
    v.status = static_cast<int>(r.status);
    const std::string *data = &r.result;
    const std::string *message = &r.detail;
    if (r.status == Status::WSC_EREMOTE) {
      data = &r.error.data;
      message = &r.error.message;
      v.error_code = r.error.code;
    }
    v.data = reinterpret_cast<const unsigned char *>(data->data());
    v.len = data->size();
    v.message = message->c_str();
  }
  return taken_.size();
}

}  // namespace wsc::capi

extern "C" {

int wsc_rpc_queue_new(wsc_rpc_queue **out) {
  if (!out) return wsc::capi::fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  return wsc::capi::guarded([&] {
    auto q = std::make_unique<wsc_rpc_queue>();
    q->queue = std::make_shared<wsc::capi::RpcQueue>();
    *out = q.release();
    return WSC_OK;
  });
}

int wsc_rpc_queue_fd(const wsc_rpc_queue *queue, int *fd) {
  if (!queue || !fd) return wsc::capi::fail(WSC_EINVAL, "queue or fd is NULL");
  *fd = queue->queue->fd();
  return WSC_OK;
}

int wsc_rpc_queue_take(wsc_rpc_queue *queue, wsc_rpc_queued *out, size_t max, size_t *n) {
  if (n) *n = 0;
  if (!queue || !n) return wsc::capi::fail(WSC_EINVAL, "queue or n is NULL");
  if (!out && max) return wsc::capi::fail(WSC_EINVAL, "out is NULL but max is not 0");
  return wsc::capi::guarded([&] {
    *n = queue->queue->take(out, max);
    return WSC_OK;
  });
}

void wsc_rpc_queue_free(wsc_rpc_queue *queue) { delete queue; }

}  // extern "C"
