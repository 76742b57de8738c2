// One immutable copy of Options shared by the connections made from equal
// options. An Options is about 500 bytes plus its strings: with 100,000
// connections opened from one options object, a copy each would be 50 MB.
#pragma once

#include <memory>
#include <wsc/client.hpp>

namespace wsc::detail {

// Field by field equality of every member of Options.
bool same_options(const Options &a, const Options &b);

// The snapshot the calling thread made last if it equals options (the
// common case: a loop opening many connections from one options object),
// else a new one. Nothing is kept alive here: the last snapshot is
// remembered weakly.
std::shared_ptr<const Options> share_options(Options options);

}  // namespace wsc::detail
