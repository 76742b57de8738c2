// Payload bytes that differ with their position (xorshift32 from a seed): a
// piece dropped, repeated, reordered or decrypted into the wrong place shows
// as a mismatch, which a repeating pattern could hide. Header-only, so the
// unit tests (without the support library) use it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wsc::testing {

inline std::string numbered_bytes(size_t n, uint32_t seed = 0) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 2463534242u;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<char>(x);
  }
  return out;
}

}  // namespace wsc::testing
