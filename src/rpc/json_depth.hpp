// A bound on JSON nesting checked before parsing. nlohmann's DOM (its
// destructor, dump(), comparisons) recurses once per level, so a peer
// sending 100,000 nested '[' could overflow the stack; one linear scan that
// counts brackets outside strings rejects such input first.
#pragma once

#include <cstddef>
#include <string_view>

namespace wsc::detail {

// True if no array/object in text nests deeper than max_depth. Malformed
// text may pass; the parser rejects it afterwards.
bool json_depth_within(std::string_view text, size_t max_depth) noexcept;

}  // namespace wsc::detail
