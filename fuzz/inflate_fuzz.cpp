// libFuzzer target for permessage-deflate (src/permessage_deflate.hpp):
// arbitrary bytes as the compressed payload of a server's messages, cut into
// frames and messages where the input says, under small size limits.
//
// Input: byte 0 picks the agreed parameters, byte 1 the message size limit,
// then records of [control byte, up to 63 bytes]: the low 6 bits give the
// record's length, bit 6 ends the message after it. With bit 7 of byte 0
// set the records are plaintext instead: each message goes through a
// Deflater and back through an Inflater, cut into pieces of the lengths
// the control bytes give, and must come back unchanged.
//
// Invariants: a message never inflates to more than the limit; after a
// failure the Inflater keeps failing the same way and appends nothing; a
// round trip is exact.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "permessage_deflate.hpp"

using namespace wsc::detail;

namespace {

struct Record {
  const uint8_t *data;
  size_t len;
  bool message_end;
};

std::vector<Record> records_of(const uint8_t *data, size_t size) {
  std::vector<Record> records;
  size_t pos = 0;
  while (pos < size) {
    const uint8_t control = data[pos++];
    const size_t len = std::min<size_t>(control & 0x3f, size - pos);
    records.push_back({data + pos, len, (control & 0x40) != 0});
    pos += len;
  }
  if (!records.empty()) records.back().message_end = true;
  return records;
}

void raw_payloads(const DeflateParams &params, size_t limit, const std::vector<Record> &records) {
  Inflater inflater(params);
  std::string message;
  Inflater::Result failed = Inflater::Result::Ok;
  for (const Record &r : records) {
    const size_t before = message.size();
    const Inflater::Result result = inflater.feed(r.data, r.len, r.message_end, message, limit);
    if (message.size() > limit) __builtin_trap();
    if (failed != Inflater::Result::Ok) {
      if (result != failed || message.size() != before) __builtin_trap();
    } else if (result != Inflater::Result::Ok) {
      if (inflater.error().empty()) __builtin_trap();
      failed = result;
    }
    if (r.message_end) message.clear();
  }
}

// What we compress, read back as if the server had sent it with the same
// window and context rule.
void round_trip(DeflateParams params, const std::vector<Record> &records) {
  params.server_window_bits = params.client_window_bits;
  params.server_no_context_takeover = params.client_no_context_takeover;
  Deflater deflater(params);
  Inflater inflater(params);
  std::string plain, payload, back;
  size_t cut_index = 0;  // the records' lengths also cut the payloads
  for (const Record &r : records) {
    plain.append(reinterpret_cast<const char *>(r.data), r.len);
    if (!r.message_end) continue;
    if (!deflater.compress(reinterpret_cast<const uint8_t *>(plain.data()), plain.size(),
                           payload)) {
      __builtin_trap();
    }
    back.clear();
    size_t pos = 0;
    for (;;) {
      const size_t len = std::max<size_t>(records[cut_index++ % records.size()].len, 1);
      const size_t piece = std::min(len, payload.size() - pos);
      const bool end = pos + piece == payload.size();
      const auto result = inflater.feed(reinterpret_cast<const uint8_t *>(payload.data()) + pos,
                                        piece, end, back, plain.size());
      if (result != Inflater::Result::Ok) __builtin_trap();
      pos += piece;
      if (end) break;
    }
    if (back != plain) __builtin_trap();
    plain.clear();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  DeflateParams params;
  params.enabled = true;
  params.server_no_context_takeover = flags & 1;
  params.client_no_context_takeover = flags & 2;
  params.server_window_bits = 8 + ((flags >> 2) & 7);
  params.client_window_bits = std::max(9, params.server_window_bits);
  // Limits from 0 bytes to 4 KiB, and 1 MiB for byte 255.
  const size_t limit = data[1] == 255 ? size_t{1} << 20 : size_t{data[1]} * 16;
  const std::vector<Record> records = records_of(data + 2, size - 2);
  if (flags & 0x80) {
    round_trip(params, records);
  } else {
    raw_payloads(params, limit, records);
  }
  return 0;
}
