// unique_ptr owners for C ABI handles, shared by the C ABI tests.
#pragma once

#include <memory>

#include "wsc.h"

namespace wsc::testing {

struct OptionsDeleter {
  void operator()(wsc_options *o) const { wsc_options_free(o); }
};
struct ConnDeleter {
  void operator()(wsc_conn *c) const { wsc_conn_free(c); }
};
struct LoopDeleter {
  void operator()(wsc_loop *l) const { wsc_loop_free(l); }
};
struct BatchDeleter {
  void operator()(wsc_batch *b) const { wsc_batch_free(b); }
};
struct PoolDeleter {
  void operator()(wsc_pool *p) const { wsc_pool_free(p); }
};
using OptionsPtr = std::unique_ptr<wsc_options, OptionsDeleter>;
using ConnPtr = std::unique_ptr<wsc_conn, ConnDeleter>;
using LoopPtr = std::unique_ptr<wsc_loop, LoopDeleter>;
using BatchPtr = std::unique_ptr<wsc_batch, BatchDeleter>;
using PoolPtr = std::unique_ptr<wsc_pool, PoolDeleter>;

}  // namespace wsc::testing
