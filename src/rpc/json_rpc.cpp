#include "json_rpc.hpp"

#include <nlohmann/json.hpp>

#include "json_depth.hpp"
#include "json_scan.hpp"

namespace wsc::detail {

namespace {

using nlohmann::json;

constexpr int64_t kMethodNotFound = -32601;
constexpr int64_t kInternalError = -32603;

// Printable ASCII without quote or backslash (most method names) is its
// own JSON string body.
bool plain_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// Appends text as a JSON string literal; throws Error(WSC_EINVAL) for text
// that is not UTF-8.
void append_quoted(std::string &out, std::string_view text) {
  if (plain_ascii(text)) {
    out.append(1, '"').append(text).append(1, '"');
    return;
  }
  try {
    out += json(std::string(text)).dump();
  } catch (const json::exception &) {
    throw Error(Status::WSC_EINVAL, "not UTF-8: a JSON string must be");
  }
}

std::string quote(std::string_view text) {
  std::string out;
  append_quoted(out, text);
  return out;
}

// Prefix of every request and answer wsc sends.
constexpr std::string_view kVersion = R"({"jsonrpc":"2.0",)";

// Well-formed JSON, decided by the scanner when it is sure and by
// nlohmann (no depth limit, no DOM) when not.
bool well_formed(std::string_view text) { return json_surely_valid(text) || json::accept(text); }

// Leading whitespace is allowed in JSON text.
char first_token(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c;
  }
  return '\0';
}

class JsonRpc final : public WireProtocol {
 public:
  explicit JsonRpc(size_t max_depth) : max_depth_(max_depth) {}

  MessageType frame_type() const override { return MessageType::Text; }
  const char *name() const override { return "JSON-RPC 2.0"; }

  std::string check_payload(std::string_view payload, bool params) const override {
    if (payload.empty()) return {};
    if (params) {
      const char c = first_token(payload);
      if (c != '[' && c != '{') return "JSON-RPC params must be an array or an object";
    }
    if (!well_formed(payload)) return "not valid JSON";
    return {};
  }

  std::string request(uint64_t id, std::string_view method,
                      std::string_view params) const override {
    std::string out;
    out.reserve(kVersion.size() + 40 + method.size() + params.size());
    out.append(kVersion).append(R"("id":)").append(std::to_string(id)).append(R"(,"method":)");
    append_quoted(out, method);
    append_params(out, params);
    return out;
  }

  std::string notification(std::string_view method, std::string_view params) const override {
    std::string out = R"({"jsonrpc":"2.0","method":)" + quote(method);
    append_params(out, params);
    return out;
  }

  std::string result(std::string_view reply_id, std::string_view result) const override {
    std::string out = R"({"jsonrpc":"2.0","id":)";
    out.append(reply_id).append(R"(,"result":)");
    out.append(result.empty() ? std::string_view("null") : result).append("}");
    return out;
  }

  std::string error(std::string_view reply_id, const RpcError &error) const override {
    std::string out = R"({"jsonrpc":"2.0","id":)";
    out.append(reply_id).append(R"(,"error":{"code":)").append(std::to_string(error.code));
    out.append(R"(,"message":)").append(quote(error.message));
    if (!error.data.empty()) out.append(R"(,"data":)").append(error.data);
    out.append("}}");
    return out;
  }

  bool supports_batch() const override { return true; }

  std::string batch(const std::vector<std::string> &items) const override {
    std::string out = "[";
    for (const auto &item : items) {
      if (out.size() > 1) out += ',';
      out += item;
    }
    return out + "]";
  }

  RpcError method_not_found(std::string_view method) const override {
    return {kMethodNotFound, "Method not found", quote(method)};
  }

  RpcError internal_error(std::string_view what) const override {
    RpcError e{kInternalError, "Internal error", {}};
    try {
      e.data = quote(what);
    } catch (const Error &) {
      // Not UTF-8: the code and message still say what happened.
    }
    return e;
  }

  void decode(MessageType type, std::string_view frame, RpcDecoded &out) const override {
    if (type != MessageType::Text) {
      out.problems.push_back("JSON-RPC expects text frames, got a binary frame");
      return;
    }
    // The common answer, without a DOM; anything else below.
    if (JsonRpcResult fast; scan_json_rpc_result(frame, max_depth_, fast)) {
      RpcIncoming in;
      in.kind = RpcIncoming::Kind::Result;
      in.id = fast.id;
      in.payload.assign(fast.result);
      out.messages.push_back(std::move(in));
      return;
    }
    if (!json_depth_within(frame, max_depth_)) {
      out.problems.push_back("JSON nested deeper than " + std::to_string(max_depth_) + " levels");
      return;
    }
    json doc;
    try {
      doc = json::parse(frame);
    } catch (const json::exception &e) {
      out.problems.push_back(std::string("not JSON: ") + e.what());
      return;
    }
    if (!doc.is_array()) {
      decode_one(doc, out);
      return;
    }
    out.batch = true;
    if (doc.empty()) out.problems.push_back("an empty JSON-RPC batch");
    for (const json &item : doc) decode_one(item, out);
  }

 private:
  static void append_params(std::string &out, std::string_view params) {
    if (!params.empty()) out.append(R"(,"params":)").append(params);
    out += '}';
  }

  static void decode_one(const json &v, RpcDecoded &out) {
    if (!v.is_object()) {
      out.problems.push_back(std::string("a JSON-RPC message must be an object, not ") +
                             v.type_name());
      return;
    }
    if (auto m = v.find("method"); m != v.end()) {
      decode_request(v, *m, out);
      return;
    }
    if (auto n = v.find("notification"); n != v.end() && n->is_string()) {
      decode_request(v, *n, out, /*event=*/true);
      return;
    }
    const auto result = v.find("result");
    const auto error = v.find("error");
    if (result == v.end() && error == v.end()) {
      out.problems.push_back("a JSON-RPC message with neither method, result nor error");
      return;
    }
    const auto id = v.find("id");
    if (id == v.end() || id->is_null()) {
      out.problems.push_back(error != v.end()
                                 ? "the peer reported an error not tied to a call: " + error->dump()
                                 : std::string("a result without an id"));
      return;
    }
    // wsc numbers its calls 1, 2, 3...: anything else answers no call of ours.
    if (!id->is_number_unsigned() || id->get<uint64_t>() == 0) {
      out.problems.push_back("response id " + id->dump() + " is not an id wsc sent");
      return;
    }
    RpcIncoming in;
    in.id = id->get<uint64_t>();
    if (error != v.end()) {
      in.kind = RpcIncoming::Kind::Error;
      in.error = error_from(*error);
    } else {
      in.kind = RpcIncoming::Kind::Result;
      in.payload = result->dump();
    }
    out.messages.push_back(std::move(in));
  }

  static void decode_request(const json &v, const json &method, RpcDecoded &out,
                             bool event = false) {
    if (!method.is_string()) {
      out.problems.push_back("method is not a string: " + method.dump());
      return;
    }
    RpcIncoming in;
    in.method = method.get<std::string>();
    if (auto p = v.find("params"); p != v.end()) {
      if (!event && !p->is_array() && !p->is_object()) {
        out.problems.push_back("params of " + in.method + " is neither an array nor an object");
        return;
      }
      in.payload = p->dump();
    }
    const auto id = v.find("id");
    if (event || id == v.end()) {
      in.kind = RpcIncoming::Kind::Notification;
    } else if (id->is_string() || id->is_number_integer() || id->is_null()) {
      in.kind = RpcIncoming::Kind::Request;
      in.reply_id = id->dump();
    } else {
      out.problems.push_back("request id must be a string, an integer or null, not " + id->dump());
      return;
    }
    out.messages.push_back(std::move(in));
  }

  static RpcError error_from(const json &e) {
    RpcError error;
    if (!e.is_object()) {
      error.message = e.dump();  // not the spec's shape: keep all of it
      return error;
    }
    if (auto c = e.find("code"); c != e.end() && c->is_number_integer())
      error.code = c->get<int64_t>();
    if (auto m = e.find("message"); m != e.end())
      error.message = m->is_string() ? m->get<std::string>() : m->dump();
    if (auto d = e.find("data"); d != e.end()) error.data = d->dump();
    return error;
  }

  const size_t max_depth_;
};

}  // namespace

std::unique_ptr<WireProtocol> make_json_rpc(size_t max_depth) {
  return std::make_unique<JsonRpc>(max_depth);
}

}  // namespace wsc::detail
