#include "permessage_deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <new>
#include <vector>

namespace wsc::detail {

namespace {

constexpr std::string_view kExtensionName = "permessage-deflate";
// The end of an empty stored block: Z_SYNC_FLUSH writes it after every
// message, the sender strips it and the receiver puts it back (§7.2.1-2).
constexpr uint8_t kFlushTail[] = {0x00, 0x00, 0xff, 0xff};

// ---- RFC 6455 §9.1 extension list: 1#(token *(";" token ["=" value])) ----

struct Param {
  std::string name;
  std::string value;
  bool has_value = false;
};

struct Extension {
  std::string name;
  std::vector<Param> params;
};

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_lower(std::string_view a, std::string_view lowercase) {
  return a.size() == lowercase.size() && std::equal(a.begin(), a.end(), lowercase.begin(),
                                                    [](char x, char y) { return lower(x) == y; });
}

class ListReader {
 public:
  explicit ListReader(std::string_view text) : text_(text) {}

  bool read(std::vector<Extension> &out, std::string &error) {
    for (;;) {
      skip_space();
      if (at_end()) return true;
      if (peek() == ',') {  // empty list element (RFC 9110 §5.6.1.2)
        ++pos_;
        continue;
      }
      Extension ext;
      if (!token(ext.name)) return fail("an extension name", error);
      for (;;) {
        skip_space();
        if (at_end() || peek() == ',') break;
        if (peek() != ';') return fail("';' or ','", error);
        ++pos_;
        skip_space();
        Param param;
        if (!token(param.name)) return fail("a parameter name", error);
        skip_space();
        if (!at_end() && peek() == '=') {
          ++pos_;
          skip_space();
          param.has_value = true;
          if (!value(param.value)) return fail("a parameter value", error);
        }
        ext.params.push_back(std::move(param));
      }
      out.push_back(std::move(ext));
    }
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  bool token(std::string &out) {
    const size_t start = pos_;
    while (!at_end() && is_tchar(peek())) ++pos_;
    out.assign(text_.substr(start, pos_ - start));
    return pos_ > start;
  }
  // A token, or a quoted-string whose unescaped content is a token (§9.1).
  bool value(std::string &out) {
    if (at_end() || peek() != '"') return token(out);
    ++pos_;
    out.clear();
    for (;;) {
      if (at_end()) return false;
      char c = text_[pos_++];
      if (c == '"') break;
      if (c == '\\') {
        if (at_end()) return false;
        c = text_[pos_++];
      }
      if (!is_tchar(c)) return false;
      out += c;
    }
    return !out.empty();
  }
  bool fail(const char *expected, std::string &error) {
    error = "malformed Sec-WebSocket-Extensions: expected " + std::string(expected) +
            " at offset " + std::to_string(pos_) + " of '" + std::string(text_) + "'";
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// "8".."15" without leading zeros; -1 otherwise.
int window_bits(const std::string &value) {
  if (value.empty() || value.size() > 2 || value[0] == '0') return -1;
  int bits = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return -1;
    bits = bits * 10 + (c - '0');
  }
  return bits >= 8 && bits <= 15 ? bits : -1;
}

bool refuse(std::string &error, std::string why) {
  error = "permessage-deflate: " + std::move(why);
  return false;
}

}  // namespace

DeflateOptions deflate_options(const Options &o) {
  DeflateOptions d;
  d.enabled = o.compression;
  d.client_max_window_bits = o.deflate_client_max_window_bits;
  d.server_max_window_bits = o.deflate_server_max_window_bits;
  d.client_no_context_takeover = o.deflate_client_no_context_takeover;
  d.server_no_context_takeover = o.deflate_server_no_context_takeover;
  d.min_compress_bytes = o.deflate_min_bytes;
  return d;
}

std::string check_deflate_options(const DeflateOptions &o) {
  if (!o.enabled) return "";
  if (o.client_max_window_bits < 9 || o.client_max_window_bits > 15) {
    return "client_max_window_bits must be 9..15 (zlib cannot compress with an 8-bit window)";
  }
  if (o.server_max_window_bits != 0 &&
      (o.server_max_window_bits < 9 || o.server_max_window_bits > 15)) {
    return "server_max_window_bits must be 0 (no request) or 9..15";
  }
  return "";
}

std::string deflate_offer(const DeflateOptions &o) {
  std::string offer(kExtensionName);
  offer += "; client_max_window_bits";
  if (o.client_max_window_bits != 15) offer += "=" + std::to_string(o.client_max_window_bits);
  if (o.server_max_window_bits) {
    offer += "; server_max_window_bits=" + std::to_string(o.server_max_window_bits);
  }
  if (o.client_no_context_takeover) offer += "; client_no_context_takeover";
  if (o.server_no_context_takeover) offer += "; server_no_context_takeover";
  return offer;
}

bool negotiate_deflate(std::string_view response, const DeflateOptions &options, DeflateParams &out,
                       std::string &error) {
  out = DeflateParams();
  std::vector<Extension> extensions;
  if (!ListReader(response).read(extensions, error)) return false;
  if (extensions.empty()) return true;
  for (const Extension &ext : extensions) {
    if (!options.enabled || !equals_lower(ext.name, kExtensionName)) {
      return refuse(error,
                    "the server accepted extension '" + ext.name + "', which was not offered");
    }
  }
  if (extensions.size() > 1) {
    return refuse(error, "the server listed permessage-deflate " +
                             std::to_string(extensions.size()) + " times; one was offered");
  }

  // Each parameter the server answered, null when it did not.
  const Param *client_bits = nullptr, *server_bits = nullptr;
  const Param *client_reset = nullptr, *server_reset = nullptr;
  for (const Param &p : extensions.front().params) {
    const Param **slot = nullptr;
    if (equals_lower(p.name, "client_max_window_bits")) slot = &client_bits;
    if (equals_lower(p.name, "server_max_window_bits")) slot = &server_bits;
    if (equals_lower(p.name, "client_no_context_takeover")) slot = &client_reset;
    if (equals_lower(p.name, "server_no_context_takeover")) slot = &server_reset;
    if (!slot) return refuse(error, "unknown parameter '" + p.name + "' in the server's answer");
    if (*slot) return refuse(error, "parameter '" + p.name + "' given twice");
    *slot = &p;
    const bool wants_value = slot == &client_bits || slot == &server_bits;
    if (!wants_value && p.has_value) {
      return refuse(error, "'" + p.name + "' takes no value, the server gave '" + p.value + "'");
    }
    if (wants_value && window_bits(p.value) < 0) {
      return refuse(error, "'" + p.name + "' must be 8..15, the server gave " +
                               (p.has_value ? "'" + p.value + "'" : std::string("no value")));
    }
  }

  out.enabled = true;
  out.client_window_bits = options.client_max_window_bits;
  if (client_bits) {
    const int bits = window_bits(client_bits->value);
    if (bits > options.client_max_window_bits) {
      return refuse(error, "the server allows client_max_window_bits=" + std::to_string(bits) +
                               ", more than the " + std::to_string(options.client_max_window_bits) +
                               " offered");
    }
    if (bits == 8) {
      // zlib's deflate has no 256-byte window (deflateInit2 refuses raw
      // deflate with 8 bits; it would silently use 9, which the server
      // could not read).
      return refuse(error,
                    "the server wants client_max_window_bits=8, which zlib cannot compress with");
    }
    out.client_window_bits = bits;
  }
  out.server_window_bits = 15;
  if (server_bits) {
    const int bits = window_bits(server_bits->value);
    if (options.server_max_window_bits && bits > options.server_max_window_bits) {
      return refuse(error, "the server answered server_max_window_bits=" + std::to_string(bits) +
                               ", more than the " + std::to_string(options.server_max_window_bits) +
                               " requested");
    }
    out.server_window_bits = bits;
  } else if (options.server_max_window_bits) {
    return refuse(error, "the server did not accept server_max_window_bits=" +
                             std::to_string(options.server_max_window_bits));
  }
  if (options.server_no_context_takeover && !server_reset) {
    return refuse(error, "the server did not accept server_no_context_takeover");
  }
  out.server_no_context_takeover = server_reset != nullptr;
  out.client_no_context_takeover = options.client_no_context_takeover || client_reset;
  return true;
}

void DeflateEnd::operator()(z_stream_s *stream) const {
  deflateEnd(stream);
  delete stream;
}

void InflateEnd::operator()(z_stream_s *stream) const {
  inflateEnd(stream);
  delete stream;
}

// ---- Deflater -------------------------------------------------------------

double sample_entropy_bits(const uint8_t *in, size_t len) {
  // Four tables, one per byte of each 4-byte step: consecutive equal bytes
  // would otherwise wait on each other's increment.
  uint32_t counts[4][256] = {};
  const size_t slices = len <= kEntropySample ? 1 : 4;
  const size_t slice = std::min(len, kEntropySample) / slices;
  for (size_t s = 0; s < slices; ++s) {
    const uint8_t *p = in + (slices == 1 ? 0 : s * ((len - slice) / 3));
    size_t i = 0;
    for (; i + 4 <= slice; i += 4) {
      ++counts[0][p[i]];
      ++counts[1][p[i + 1]];
      ++counts[2][p[i + 2]];
      ++counts[3][p[i + 3]];
    }
    for (; i < slice; ++i) ++counts[0][p[i]];
  }
  const double n = static_cast<double>(slice * slices);
  if (n == 0) return 0;
  double sum = 0;  // sum of c * log2(c)
  int seen = 0;    // distinct byte values
  for (int b = 0; b < 256; ++b) {
    const uint32_t c = counts[0][b] + counts[1][b] + counts[2][b] + counts[3][b];
    if (!c) continue;
    sum += c * std::log2(static_cast<double>(c));
    ++seen;
  }
  // A small sample underestimates: 256 random bytes measure 7.3 bits, not
  // 8. The Miller-Madow term corrects most of that (7.6; 7.9 at 512 bytes).
  return std::log2(n) - sum / n + (seen - 1) / (2 * n * std::log(2.0));
}

bool Deflater::compress(const uint8_t *in, size_t len, std::string &out) {
  out.clear();
  if (!stream_) {
    auto stream = std::unique_ptr<z_stream>(new (std::nothrow) z_stream());
    if (!stream) return false;
    // Negative window bits: raw DEFLATE, no zlib header or checksum.
    if (deflateInit2(stream.get(), tuning_.level, Z_DEFLATED, -params_.client_window_bits,
                     tuning_.mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
      return false;
    }
    stream_.reset(stream.release());
  }
  z_stream &z = *stream_;
  z.next_in = const_cast<Bytef *>(in);
  size_t remaining = len;
  // A sync flush needs at least 6 bytes of room to finish (zlib.h); start
  // from a guess that fits most compressible messages and grow by doubling.
  size_t room = std::max<size_t>(64, len / 2 + 16);
  size_t produced = 0;
  for (;;) {
    if (out.size() - produced < 16) out.resize(std::max(out.size() * 2, produced + room));
    // zlib's counters are 32-bit: feed and drain at most 1 GiB per call.
    const uInt in_step = static_cast<uInt>(std::min<size_t>(remaining, 1u << 30));
    const uInt out_step = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    z.avail_in = in_step;
    z.next_out = reinterpret_cast<Bytef *>(&out[produced]);
    z.avail_out = out_step;
    const int flush = in_step == remaining ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    const int rc = deflate(&z, flush);
    remaining -= in_step - z.avail_in;
    produced += out_step - z.avail_out;
    // Z_BUF_ERROR only says this call could make no progress.
    if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    if (flush == Z_SYNC_FLUSH && remaining == 0 && z.avail_out > 0) break;
  }
  out.resize(produced);
  if (produced >= sizeof kFlushTail &&
      std::equal(std::begin(kFlushTail), std::end(kFlushTail), out.end() - sizeof kFlushTail,
                 [](uint8_t tail, char byte) { return tail == static_cast<uint8_t>(byte); })) {
    out.resize(produced - sizeof kFlushTail);
  }
  // An empty message right after a flush makes zlib write nothing at all
  // (Z_BUF_ERROR: no progress possible). Its payload is the 00 that starts an
  // empty stored block (§7.2.3.6), as zlib writes it on a fresh stream.
  if (out.empty()) out.assign(1, '\0');
  if (params_.client_no_context_takeover) deflateReset(&z);
  return true;
}

// ---- Inflater -------------------------------------------------------------

Inflater::Result Inflater::fail(Result result, std::string why) {
  failed_ = result;
  error_ = std::move(why);
  return result;
}

Inflater::Result Inflater::feed(const uint8_t *in, size_t len, bool message_end, std::string &out,
                                size_t max_message_bytes) {
  if (failed_ != Result::Ok) return failed_;
  if (!stream_) {
    auto stream = std::unique_ptr<z_stream>(new (std::nothrow) z_stream());
    if (!stream) return fail(Result::NoMemory, "no memory for the inflate state");
    // A 9-bit window reads any stream written with 8 bits (deflate never
    // refers further back than its window), and zlib's inflateInit2 has
    // not always taken raw 8 (zlib.h: "windowBits can also be -8..-15").
    const int bits = std::max(params_.server_window_bits, 9);
    const int rc = inflateInit2(stream.get(), -bits);
    if (rc != Z_OK) {
      return fail(rc == Z_MEM_ERROR ? Result::NoMemory : Result::Corrupt,
                  "inflateInit2 failed: " + std::to_string(rc));
    }
    stream_.reset(stream.release());
  }
  const Result result = inflate_bytes(in, len, out, max_message_bytes);
  if (result != Result::Ok || !message_end) return result;
  if (taken_since_restart_ > 0) {
    const Result tail = inflate_bytes(kFlushTail, sizeof kFlushTail, out, max_message_bytes);
    if (tail != Result::Ok) return tail;
    // 128 in data_type: inflate stopped between blocks (zlib.h), i.e. the
    // data ended with a complete block, as a sync flush leaves it.
    if (taken_since_restart_ > 0 && !(stream_->data_type & 128)) {
      return fail(Result::Corrupt, "compressed message does not end at a DEFLATE block boundary");
    }
  }
  return end_message();
}

Inflater::Result Inflater::end_message() {
  message_bytes_ = 0;
  taken_since_restart_ = 0;
  if (params_.server_no_context_takeover && inflateReset(stream_.get()) != Z_OK) {
    return fail(Result::Corrupt, "inflateReset failed");
  }
  return Result::Ok;
}

// A BFINAL block ended zlib's stream inside a message (§7.2.3.4 allows it):
// start a new one, keeping the window when the server takes over context.
Inflater::Result Inflater::restart_stream() {
  z_stream &z = *stream_;
  uint8_t window[1 << 15];
  uInt window_len = 0;
  const bool keep = !params_.server_no_context_takeover;
  if (keep && inflateGetDictionary(&z, window, &window_len) != Z_OK) {
    return fail(Result::Corrupt, "inflateGetDictionary failed");
  }
  if (inflateReset(&z) != Z_OK ||
      (keep && window_len && inflateSetDictionary(&z, window, window_len) != Z_OK)) {
    return fail(Result::Corrupt, "could not restart the inflate stream after a final block");
  }
  taken_since_restart_ = 0;
  return Result::Ok;
}

Inflater::Result Inflater::inflate_bytes(const uint8_t *in, size_t len, std::string &out,
                                         size_t max_message_bytes) {
  z_stream &z = *stream_;
  // Small inputs get small steps so a 50-byte message does not zero a
  // 64 KiB chunk; steps double up to kChunkBytes as output keeps coming.
  size_t step = std::clamp<size_t>(len * 4, 256, kChunkBytes);
  while (true) {
    const uInt in_step = static_cast<uInt>(std::min<size_t>(len, 1u << 30));
    z.next_in = const_cast<Bytef *>(in);
    z.avail_in = in_step;
    // At the limit, a one-byte probe tells whether more would come out.
    uint8_t probe;
    const size_t allowed =
        max_message_bytes > message_bytes_ ? max_message_bytes - message_bytes_ : 0;
    const size_t start = out.size();
    if (allowed == 0) {
      z.next_out = &probe;
      z.avail_out = 1;
    } else {
      const size_t grant = std::min(step, allowed);
      out.resize(start + grant);
      z.next_out = reinterpret_cast<Bytef *>(&out[start]);
      z.avail_out = static_cast<uInt>(grant);
    }
    const uInt out_step = z.avail_out;
    const int rc = ::inflate(&z, Z_SYNC_FLUSH);
    const size_t taken = in_step - z.avail_in;
    const size_t made = out_step - z.avail_out;
    in += taken;
    len -= taken;
    taken_since_restart_ += taken;
    if (allowed == 0) {
      if (made) {
        return fail(Result::TooBig,
                    "inflates to more than " + std::to_string(max_message_bytes) + " bytes");
      }
    } else {
      out.resize(start + made);
      message_bytes_ += made;
    }
    switch (rc) {
      case Z_OK:
      case Z_BUF_ERROR:  // no progress possible: input used up or output full
        break;
      case Z_STREAM_END:
        if (restart_stream() != Result::Ok) return failed_;
        break;
      case Z_MEM_ERROR:
        return fail(Result::NoMemory, "no memory to inflate");
      default:  // Z_DATA_ERROR, or Z_NEED_DICT (a zlib header, not raw DEFLATE)
        return fail(Result::Corrupt,
                    std::string("invalid DEFLATE data: ") + (z.msg ? z.msg : std::to_string(rc)));
    }
    const bool output_full = z.avail_out == 0;
    if (len == 0 && !output_full && rc != Z_STREAM_END) return Result::Ok;
    if (taken == 0 && made == 0 && rc != Z_STREAM_END) {
      return fail(Result::Corrupt, "inflate made no progress");  // not seen with zlib 1.2.13
    }
    if (output_full) step = std::min(step * 2, kChunkBytes);
  }
}

}  // namespace wsc::detail
