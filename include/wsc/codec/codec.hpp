// Typed messages on a wsc::Client, header-only: send a value, receive a
// value. A Codec (json.hpp, msgpack.hpp, protobuf.hpp) says how a value
// becomes a frame and back:
//
//   struct SomeCodec {
//     static constexpr MessageType frame_type = ...;
//     template <class T> static std::string encode(const T &value);  // may throw
//     // false with why set when data is not a T; never throws.
//     template <class T> static bool decode(std::string_view data, T &out, std::string &why);
//   };
//
// A frame that does not decode never closes the connection: pull mode
// reports it as WSC_EDECODE (the message is consumed, the next recv goes
// on), push mode hands it to on_error as WSC_EDECODE with the codec's words.
//
//   wsc::codec::send<wsc::codec::Json>(client, chat);
//   std::optional<Chat> c = wsc::codec::recv<wsc::codec::Json, Chat>(client, 5s);
//   callbacks.on_message = wsc::codec::on_message<wsc::codec::Json, Chat>(
//       [](Chat &&c) { ... }, [](wsc::Status s, std::string_view why) { ... });
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <wsc/client.hpp>

namespace wsc::codec {

// Thrown by recv() for a message that is not a T (WSC_EDECODE); the
// connection is still up and the next recv() goes on.
class DecodeError : public Error {
 public:
  explicit DecodeError(std::string why) : Error(Status::WSC_EDECODE, std::move(why)) {}
};

// Queues value encoded: WSC_OK, WSC_EINVAL when it cannot be encoded (why
// says why), or what Client::try_send returns (WSC_EAGAIN, WSC_ECLOSED...).
template <class Codec, class T>
Status try_send(Client &client, const T &value, std::string *why = nullptr) noexcept {
  std::string frame;
  try {
    frame = Codec::encode(value);
  } catch (const std::exception &e) {
    if (why) *why = e.what();
    return Status::WSC_EINVAL;
  }
  return client.try_send(Codec::frame_type, frame);
}

// try_send that throws Error instead.
template <class Codec, class T>
void send(Client &client, const T &value) {
  std::string why;
  const Status s = try_send<Codec>(client, value, &why);
  if (s != Status::WSC_OK) throw Error(s, why);
}

// Pull mode: the next message decoded into out. WSC_OK; WSC_EDECODE when it
// is not a T (why says why; the message is consumed, the connection stays);
// WSC_EWAIT when none arrived within timeout; WSC_ECLOSED once closed and
// drained.
template <class Codec, class T>
Status try_recv(Client &client, Millis timeout, T &out, std::string *why = nullptr) noexcept {
  Message m;
  const Status s = client.try_recv(timeout, m);
  if (s != Status::WSC_OK) return s;
  std::string words;
  if (Codec::decode(std::string_view(m.data), out, words)) return Status::WSC_OK;
  if (why) *why = std::move(words);
  return Status::WSC_EDECODE;
}

// Pull mode: the next message as a T, nullopt on timeout (negative = wait
// forever). Throws DecodeError for a message that is not a T and
// Error(WSC_ECLOSED) once closed and drained.
template <class Codec, class T>
std::optional<T> recv(Client &client, Millis timeout = Millis{-1}) {
  T value{};
  std::string why;
  switch (const Status s = try_recv<Codec>(client, timeout, value, &why)) {
    case Status::WSC_OK:
      return value;
    case Status::WSC_EWAIT:
      return std::nullopt;
    case Status::WSC_EDECODE:
      throw DecodeError(why);
    default:
      throw Error(s, "recv");
  }
}

// Push mode: a Callbacks::on_message that decodes each message and calls
// fn with the value, or on_error(WSC_EDECODE, why) when it is not a T.
template <class Codec, class T>
std::function<void(MessageType, std::string_view)> on_message(
    std::function<void(T &&)> fn, std::function<void(Status, std::string_view)> on_error) {
  return [fn = std::move(fn), on_error = std::move(on_error)](MessageType, std::string_view data) {
    T value{};
    std::string why;
    if (Codec::decode(data, value, why)) {
      fn(std::move(value));
    } else if (on_error) {
      on_error(Status::WSC_EDECODE, why);
    }
  };
}

}  // namespace wsc::codec
