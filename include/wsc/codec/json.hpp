// JSON codec for <wsc/codec/codec.hpp> on nlohmann::json (Debian
// nlohmann-json3-dev): nlohmann::json values and any type with
// to_json/from_json, sent as text frames.
//
//   wsc::codec::send<wsc::codec::Json>(client, Chat{"ann", "hi"});
//   auto chat = wsc::codec::recv<wsc::codec::Json, Chat>(client, 5s);
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <wsc/codec/codec.hpp>

namespace wsc::codec {

struct Json {
  static constexpr MessageType frame_type = MessageType::Text;
  // Nesting refused while parsing: a peer's 100,000 nested '[' never
  // becomes a DOM whose destructor and conversions recurse per level.
  static constexpr int max_depth = 128;

  template <class T>
  static std::string encode(const T &value) {
    return nlohmann::json(value).dump();  // throws type_error for invalid UTF-8
  }

  template <class T>
  static bool decode(std::string_view data, T &out, std::string &why) noexcept {
    try {
      auto too_deep = [](int depth, nlohmann::json::parse_event_t event, nlohmann::json &) {
        if (depth > max_depth && (event == nlohmann::json::parse_event_t::object_start ||
                                  event == nlohmann::json::parse_event_t::array_start))
          throw std::length_error("JSON nested deeper than " + std::to_string(max_depth));
        return true;
      };
      nlohmann::json j = nlohmann::json::parse(data, too_deep, /*allow_exceptions=*/true);
      if constexpr (std::is_same_v<T, nlohmann::json>) {
        out = std::move(j);
      } else {
        j.get_to(out);
      }
      return true;
    } catch (const std::exception &e) {
      why = std::string("not the expected JSON: ") + e.what();
      return false;
    }
  }
};

}  // namespace wsc::codec
