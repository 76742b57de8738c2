// The params of the RPC cells (bench/rpc_run), shared by the C++ RPC clients: [seq,"xx...x"]
// of S bytes of compact JSON text (or longer when S is too small for seq), as in
// bench/peers/rpc_bench_common.py.
#ifndef WSC_BENCH_RPC_PARAMS_HPP
#define WSC_BENCH_RPC_PARAMS_HPP

#include <cstdint>
#include <string>

inline std::string rpc_params_of(uint64_t seq, size_t size) {
  std::string p = "[" + std::to_string(seq) + ",\"";
  const size_t fixed = p.size() + 2;
  p.append(size > fixed ? size - fixed : 0, 'x');
  p += "\"]";
  return p;
}

#endif
