// Protobuf codec for <wsc/codec/codec.hpp> (Debian libprotobuf-dev): any
// generated message type, sent as binary frames; typed receive parses into
// the given type.
#pragma once

#include <google/protobuf/message_lite.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <wsc/codec/codec.hpp>

namespace wsc::codec {

struct Protobuf {
  static constexpr MessageType frame_type = MessageType::Binary;

  template <class T>
  static std::string encode(const T &message) {
    static_assert(std::is_base_of_v<google::protobuf::MessageLite, T>, "a protobuf message");
    std::string out;
    if (!message.SerializeToString(&out))
      throw std::invalid_argument("cannot serialize " + message.GetTypeName() +
                                  " (required fields missing?)");
    return out;
  }

  template <class T>
  static bool decode(std::string_view data, T &out, std::string &why) noexcept {
    static_assert(std::is_base_of_v<google::protobuf::MessageLite, T>, "a protobuf message");
    if (data.size() > static_cast<size_t>(INT_MAX) ||
        !out.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      why = "not a " + out.GetTypeName() + " (protobuf parse failed)";
      return false;
    }
    return true;
  }
};

}  // namespace wsc::codec
