// MessagePack codec for <wsc/codec/codec.hpp> on msgpack-cxx (Debian
// libmsgpack-cxx-dev): any type with MSGPACK_DEFINE or a msgpack adaptor,
// sent as binary frames. Unpacking is bounded: nesting by max_depth, element
// counts by the frame's size, so a header claiming 2^32 elements allocates
// nothing.
#pragma once

#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST
#endif
#include <msgpack.hpp>
#include <string>
#include <string_view>
#include <wsc/codec/codec.hpp>

namespace wsc::codec {

struct Msgpack {
  static constexpr MessageType frame_type = MessageType::Binary;
  static constexpr size_t max_depth = 128;

  template <class T>
  static std::string encode(const T &value) {
    msgpack::sbuffer b;
    msgpack::pack(b, value);
    return std::string(b.data(), b.size());
  }

  template <class T>
  static bool decode(std::string_view data, T &out, std::string &why) noexcept {
    try {
      const size_t n = data.size();
      size_t offset = 0;
      msgpack::object_handle h =
          msgpack::unpack(data.data(), n, offset, nullptr, nullptr,
                          msgpack::unpack_limit(n, n / 2, n, n, n, max_depth));
      if (offset != n) {
        why = "bytes after the MessagePack value";
        return false;
      }
      h.get().convert(out);
      return true;
    } catch (const std::exception &e) {
      why = std::string("not the expected MessagePack: ") + e.what();
      return false;
    }
  }
};

}  // namespace wsc::codec
