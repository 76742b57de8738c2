// The completion queue behind wsc_rpc_queue (capi/wsc_rpc.h): outcomes of
// calls pushed from the loop thread, taken in batches by another thread,
// with an eventfd readable while any wait. Calls hold it by shared_ptr, so
// the handle may go first.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>
#include <wsc/rpc.hpp>

#include "wsc_rpc.h"

namespace wsc::capi {

class RpcQueue {
 public:
  RpcQueue();  // throws Error when no eventfd can be made
  ~RpcQueue();
  RpcQueue(const RpcQueue &) = delete;
  RpcQueue &operator=(const RpcQueue &) = delete;

  int fd() const { return fd_; }
  // Any thread; wakes the descriptor when the queue was empty.
  void push(uint64_t tag, RpcResponse &&response);
  // One taker at a time: out[i] points into the entries kept until the next take.
  size_t take(wsc_rpc_queued *out, size_t max);

 private:
  struct Entry {
    uint64_t tag;
    RpcResponse response;
  };
  std::mutex mutex_;
  std::deque<Entry> ready_;
  std::vector<Entry> taken_;  // the taker's, outside the mutex
  int fd_ = -1;
};

}  // namespace wsc::capi

struct wsc_rpc_queue {
  std::shared_ptr<wsc::capi::RpcQueue> queue;
};
