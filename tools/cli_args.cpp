#include "cli_args.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>

namespace wsc::cli {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Walks argv accepting "--name value", "--name=value", "-Xvalue" and "-X value"; "--" ends
// options. Kept tiny on purpose: getopt_long would reorder argv behind our back and has
// global state.
class OptionCursor {
 public:
  explicit OptionCursor(const std::vector<std::string> &args) : args_(args) {}

  // Advances to the next argument; false at the end. After it, either positional() is set
  // or name() is an option such as "--port" or "-H".
  bool next() {
    inline_value_.reset();
    positional_.reset();
    if (i_ >= args_.size()) return false;
    const std::string &a = args_[i_++];
    if (only_positional_ || a == "-" || a.empty() || a[0] != '-') {
      positional_ = a;
      return true;
    }
    if (a == "--") {
      only_positional_ = true;
      return next();
    }
    if (a.compare(0, 2, "--") == 0) {
      size_t eq = a.find('=');
      name_ = a.substr(0, eq);
      if (eq != std::string::npos) inline_value_ = a.substr(eq + 1);
    } else {
      name_ = a.substr(0, 2);
      if (a.size() > 2) inline_value_ = a.substr(2);
    }
    return true;
  }

  const std::optional<std::string> &positional() const { return positional_; }
  const std::string &name() const { return name_; }

  // For "--flag" or "--flag=VALUE": the inline value, if any.
  const std::optional<std::string> &inline_value() const { return inline_value_; }

  std::string value() {
    if (inline_value_) return *inline_value_;
    if (i_ >= args_.size()) throw UsageError("option " + name_ + " needs a value");
    return args_[i_++];
  }

  // For flags: "--verbose=yes" is a mistake worth reporting rather than ignoring.
  void no_value() const {
    if (inline_value_) throw UsageError("option " + name_ + " takes no value");
  }

  // "-vv" arrives as -v with the inline value "v".
  bool has_inline_value() const { return inline_value_.has_value(); }

  [[noreturn]] void unknown() const { throw UsageError("unknown option " + name_); }

 private:
  const std::vector<std::string> &args_;
  size_t i_ = 0;
  bool only_positional_ = false;
  std::string name_;
  std::optional<std::string> inline_value_;
  std::optional<std::string> positional_;
};

// Splits "123.5xyz" into 123.5 and "xyz"; nullopt if there is no leading number.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  size_t i = 0;
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, digits = true;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, digits = true;
  }
  if (!digits) return std::nullopt;
  // std::stod is locale-dependent in theory; the text is plain ASCII digits and '.'.
  double v = std::stod(std::string(text.substr(0, i)));
  return std::make_pair(v, text.substr(i));
}

// Flags that only switch a ClientArgs field on.
struct Flag {
  const char *short_name;  // may be null
  const char *long_name;
  bool ClientArgs::*field;
};
constexpr Flag kClientFlags[] = {
    {"-1", "--one-message", &ClientArgs::one_message},
    {nullptr, "--listen", &ClientArgs::listen},
    {"-n", "--no-close", &ClientArgs::no_close},
    {nullptr, "--jsonl", &ClientArgs::jsonl},
    {nullptr, "--show-headers", &ClientArgs::show_headers},
    {nullptr, "--ping-print", &ClientArgs::ping_print},
    {nullptr, "--commands", &ClientArgs::commands},
    {"-b", "--binary", &ClientArgs::binary},
    {nullptr, "--raw", &ClientArgs::raw},
};

bool ClientArgs::*find_flag(const std::string &name) {
  for (const Flag &f : kClientFlags) {
    if (name == f.long_name || (f.short_name && name == f.short_name)) return f.field;
  }
  return nullptr;
}

}  // namespace

std::pair<std::string, std::string> parse_header(const std::string &text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw UsageError("-H expects 'Name: value' or @FILE, got " + quoted(text));
  }
  std::string name = text.substr(0, colon);
  size_t start = text.find_first_not_of(" \t", colon + 1);
  std::string value = start == std::string::npos ? "" : text.substr(start);
  return {name, value};
}

std::vector<std::pair<std::string, std::string>> read_header_file(const std::string &path) {
  std::ifstream in(path);
  if (!in) throw UsageError("-H @" + path + ": cannot read " + quoted(path));
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    out.push_back(parse_header(line));
  }
  return out;
}

wsc::Millis parse_duration(std::string_view text, std::string_view option) {
  auto bad = [&] {
    return UsageError("bad duration " + quoted(text) + " for " + std::string(option) +
                      " (examples: 30s, 500ms, 2m, 1h)");
  };
  auto num = split_number(text);
  if (!num) throw bad();
  double factor;
  std::string_view unit = num->second;
  if (unit.empty() || unit == "s") {
    factor = 1000;
  } else if (unit == "ms") {
    factor = 1;
  } else if (unit == "m" || unit == "min") {
    factor = 60 * 1000;
  } else if (unit == "h") {
    factor = 3600 * 1000;
  } else {
    throw bad();
  }
  double ms = std::round(num->first * factor);
  // A month is far beyond any sensible timeout and keeps the arithmetic clear of overflow.
  if (ms > 31.0 * 24 * 3600 * 1000) throw bad();
  return wsc::Millis{static_cast<int64_t>(ms)};
}

uint64_t parse_size(std::string_view text, std::string_view option) {
  auto bad = [&] {
    return UsageError("bad size " + quoted(text) + " for " + std::string(option) +
                      " (examples: 65536, 64K, 16M, 1G)");
  };
  auto num = split_number(text);
  if (!num) throw bad();
  std::string unit(num->second);
  for (auto &c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double factor;
  if (unit.empty() || unit == "B") {
    factor = 1;
  } else if (unit == "K" || unit == "KB" || unit == "KIB") {
    factor = 1024.0;
  } else if (unit == "M" || unit == "MB" || unit == "MIB") {
    factor = 1024.0 * 1024;
  } else if (unit == "G" || unit == "GB" || unit == "GIB") {
    factor = 1024.0 * 1024 * 1024;
  } else {
    throw bad();
  }
  double bytes = num->first * factor;
  if (bytes != std::floor(bytes) || bytes > 1e15) throw bad();
  return static_cast<uint64_t>(bytes);
}

uint64_t parse_uint(std::string_view text, std::string_view option, uint64_t max) {
  auto bad = [&] {
    return UsageError("bad number " + quoted(text) + " for " + std::string(option) +
                      " (expected 0.." + std::to_string(max) + ")");
  };
  if (text.empty() || text.size() > 19) throw bad();
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw bad();
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) throw bad();
  return v;
}

ClientArgs parse_client_args(const std::vector<std::string> &args) {
  ClientArgs out;
  wsc::Options &o = out.options;
  OptionCursor cur(args);
  while (cur.next()) {
    if (cur.positional()) {
      if (!out.url.empty()) throw UsageError("more than one URL given: " + *cur.positional());
      out.url = *cur.positional();
      continue;
    }
    const std::string &n = cur.name();
    if (bool ClientArgs::*flag = find_flag(n)) {
      cur.no_value();
      out.*flag = true;
    } else if (n == "-H" || n == "--header") {
      std::string v = cur.value();
      if (!v.empty() && v[0] == '@') {
        for (auto &h : read_header_file(v.substr(1))) o.headers.push_back(std::move(h));
      } else {
        o.headers.push_back(parse_header(v));
      }
    } else if (n == "--origin") {
      o.origin = cur.value();
    } else if (n == "--subprotocol") {
      o.subprotocols.push_back(cur.value());
    } else if (n == "--connect-timeout") {
      o.connect_timeout = parse_duration(cur.value(), n);
    } else if (n == "--max-message") {
      o.max_message_bytes = parse_size(cur.value(), n);
    } else if (n == "--deflate") {
      cur.no_value();
      o.compression = true;
    } else if (n == "--deflate-window-bits") {
      o.compression = true;
      o.deflate_client_max_window_bits = static_cast<int>(parse_uint(cur.value(), n, 15));
    } else if (n == "--deflate-server-window-bits") {
      o.compression = true;
      o.deflate_server_max_window_bits = static_cast<int>(parse_uint(cur.value(), n, 15));
    } else if (n == "--deflate-no-context-takeover") {
      cur.no_value();
      o.compression = true;
      o.deflate_client_no_context_takeover = true;
      o.deflate_server_no_context_takeover = true;
    } else if (n == "--deflate-min") {
      o.compression = true;
      o.deflate_min_bytes = parse_size(cur.value(), n);
    } else if (n == "-v" || n == "--verbose") {
      int more = 0;
      if (n == "-v" && cur.has_inline_value()) {
        const std::string vs = cur.value();
        if (vs.find_first_not_of('v') != std::string::npos)
          throw UsageError("unknown option -" + vs);
        more = static_cast<int>(vs.size());
      } else {
        cur.no_value();
      }
      out.verbose = true;
      out.verbosity = std::min(2, out.verbosity + 1 + more);
    } else if (n == "--stats") {
      cur.no_value();
      out.stats = true;
    } else if (n == "--reconnect") {
      cur.no_value();
      o.reconnect = true;
    } else if (n == "--reconnect-min") {
      o.reconnect_min = parse_duration(cur.value(), n);
    } else if (n == "--reconnect-max") {
      o.reconnect_max = parse_duration(cur.value(), n);
    } else if (n == "--ping") {
      o.ping_interval = parse_duration(cur.value(), n);
    } else if (n == "--pong-timeout") {
      o.pong_timeout = parse_duration(cur.value(), n);
    } else if (n == "--cacert") {
      o.tls.ca_file = cur.value();
    } else if (n == "--cert") {
      o.tls.cert_file = cur.value();
    } else if (n == "--key") {
      o.tls.key_file = cur.value();
    } else if (n == "--ciphers") {
      o.tls.ciphers = cur.value();
    } else if (n == "--tls-min") {
      std::string v = cur.value();
      if (v == "1.2" || v == "12") {
        o.tls.min_version = 12;
      } else if (v == "1.3" || v == "13") {
        o.tls.min_version = 13;
      } else {
        throw UsageError("--tls-min expects 1.2 or 1.3, got " + quoted(v));
      }
    } else if (n == "-k" || n == "--insecure") {
      cur.no_value();
      out.insecure = true;
      o.tls.verify = false;
    } else if (n == "--proxy") {
      o.proxy = cur.value();
    } else if (n == "--proxy-from-env") {
      cur.no_value();
      o.proxy_from_env = true;
    } else if (n == "--server-name") {
      o.tls.server_name = cur.value();
    } else if (n == "--wait-replies") {
      const auto &v = cur.inline_value();
      out.wait_replies =
          v ? parse_uint(*v, n, std::numeric_limits<uint32_t>::max()) : ClientArgs::kOnePerMessage;
      if (out.wait_replies == 0) throw UsageError("--wait-replies=N needs N >= 1");
    } else if (n == "--count") {
      out.count = parse_uint(cur.value(), n, std::numeric_limits<uint32_t>::max());
      if (out.count == 0) throw UsageError("--count must be at least 1");
    } else if (n == "--wait") {
      out.wait = parse_duration(cur.value(), n);
    } else if (n == "--chunk") {
      out.chunk = parse_size(cur.value(), n);
      if (out.chunk == 0) throw UsageError("--chunk must be at least 1 byte");
    } else {
      cur.unknown();
    }
  }
  if (out.url.empty()) throw UsageError("no URL given (try: wsc ws://127.0.0.1:8080/)");
  if (out.chunk && !out.binary) throw UsageError("--chunk only makes sense with --binary");
  if (out.listen && (out.one_message || out.binary || out.commands || out.wait_replies)) {
    throw UsageError(
        "--listen reads no input: it excludes -1, --binary, --commands, --wait-replies");
  }
  if (out.one_message && (out.no_close || out.count || out.wait_replies)) {
    throw UsageError("-1 already says when to stop: it excludes -n, --count, --wait-replies");
  }
  return out;
}

ServeArgs parse_serve_args(const std::vector<std::string> &args) {
  ServeArgs out;
  OptionCursor cur(args);
  while (cur.next()) {
    if (cur.positional()) throw UsageError("serve takes no arguments: " + *cur.positional());
    const std::string &n = cur.name();
    if (n == "-p" || n == "--port") {
      out.port = static_cast<int>(parse_uint(cur.value(), n, 65535));
    } else if (n == "--bind") {
      out.bind = cur.value();
    } else if (n == "--scripted") {
      cur.no_value();
      out.scripted = true;
    } else {
      cur.unknown();
    }
  }
  return out;
}

BenchArgs parse_bench_args(const std::vector<std::string> &args) {
  BenchArgs out;
  OptionCursor cur(args);
  while (cur.next()) {
    if (cur.positional()) {
      if (!out.url.empty()) throw UsageError("bench takes one URL: " + *cur.positional());
      out.url = *cur.positional();
      continue;
    }
    const std::string &n = cur.name();
    if (n == "-c" || n == "--connections") {
      out.connections = parse_uint(cur.value(), n, 100000);
      if (out.connections == 0) throw UsageError("--connections must be at least 1");
    } else if (n == "-d" || n == "--duration") {
      out.duration = parse_duration(cur.value(), n);
    } else if (n == "-s" || n == "--size") {
      out.size = parse_size(cur.value(), n);
      if (out.size > out.options.max_message_bytes)
        throw UsageError("--size is larger than the largest message (16M)");
    } else if (n == "--interval") {
      out.interval = parse_duration(cur.value(), n);
      if (out.interval.count() == 0) throw UsageError("--interval must be positive");
    } else if (n == "-k" || n == "--insecure") {
      cur.no_value();
      out.options.tls.verify = false;
    } else {
      cur.unknown();
    }
  }
  return out;
}

void parse_demo_args(const std::vector<std::string> &args) {
  if (!args.empty()) throw UsageError("demo takes no arguments: " + args.front());
}

}  // namespace wsc::cli
