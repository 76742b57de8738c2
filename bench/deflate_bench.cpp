// Throughput of wsc's permessage-deflate (src/permessage_deflate.hpp) on one
// core, without sockets: what compressing and inflating a message costs, for
// choosing min_compress_bytes and the zlib level and memLevel.
//
//   meson setup build-bench -Dbench=true -Dbuildtype=release
//   ninja -C build-bench bench/wsc-deflate-bench && build-bench/bench/wsc-deflate-bench
//   build-bench/bench/wsc-deflate-bench --tuning   # level x memLevel table
//
// Prints one line per case: message size and kind, compressed size,
// compress and inflate CPU time per message and input throughput (MB/s of
// uncompressed bytes). "text" is JSON-like records (random ids and prices
// in a fixed shape, like market data); "random" is incompressible bytes.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "permessage_deflate.hpp"

using namespace wsc::detail;
namespace {

// CPU time of this thread: the machine the benchmark runs on may be busy.
double cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

std::string json_records(size_t len, std::mt19937 &rng) {
  static const char *const symbols[] = {"BTC-USD", "ETH-USD", "SOL-USD", "EUR-USD"};
  static const char *const sides[] = {"buy", "sell"};
  std::string out;
  char record[160];
  while (out.size() < len) {
    const int n = std::snprintf(
        record, sizeof record,
        "{\"id\":%u,\"symbol\":\"%s\",\"side\":\"%s\",\"price\":%u.%02u,\"qty\":%u,\"ts\":%u}",
        static_cast<unsigned>(rng() % 100000000), symbols[rng() % 4], sides[rng() % 2],
        static_cast<unsigned>(rng() % 60000), static_cast<unsigned>(rng() % 100),
        static_cast<unsigned>(rng() % 1000), static_cast<unsigned>(1700000000 + rng() % 1000000));
    out.append(record, static_cast<size_t>(n));
  }
  out.resize(len);
  return out;
}

std::string random_bytes(size_t len, std::mt19937 &rng) {
  std::string out(len, '\0');
  for (char &c : out) c = static_cast<char>(rng());
  return out;
}

struct Measurement {
  double compress_us = 0, inflate_us = 0;
  size_t compressed = 0;
};

// A stream of distinct messages (as a real sender has), compressed with one
// context and inflated with one; 64 MiB of messages per side.
Measurement measure(const std::vector<std::string> &messages, DeflateTuning tuning,
                    bool no_context_takeover) {
  DeflateParams params;
  params.enabled = true;
  params.client_no_context_takeover = params.server_no_context_takeover = no_context_takeover;
  size_t total = 0;
  for (const auto &m : messages) total += m.size();
  const size_t rounds = std::max<size_t>(1, (size_t{64} << 20) / std::max<size_t>(total, 1));

  Deflater deflater(params, tuning);
  std::vector<std::string> payloads(messages.size());
  std::string out;
  Measurement result;
  double start = cpu_us();
  for (size_t r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < messages.size(); ++i) {
      const auto &m = messages[i];
      if (!deflater.compress(reinterpret_cast<const uint8_t *>(m.data()), m.size(), out)) {
        std::fprintf(stderr, "compress failed\n");
        std::exit(1);
      }
      if (r == 0) payloads[i] = out;
    }
  }
  const double count = static_cast<double>(rounds * messages.size());
  result.compress_us = (cpu_us() - start) / count;
  for (const auto &p : payloads) result.compressed += p.size();
  result.compressed /= payloads.size();

  // Inflating needs the same sequence as was compressed: round 0's
  // payloads, again and again from fresh Inflaters when context is taken
  // over (each round then starts with a new context, as compressed).
  start = cpu_us();
  for (size_t r = 0; r < rounds; ++r) {
    Inflater inflater(params);
    for (size_t i = 0; i < payloads.size(); ++i) {
      const auto &p = payloads[i];
      out.clear();
      if (inflater.feed(reinterpret_cast<const uint8_t *>(p.data()), p.size(), true, out,
                        SIZE_MAX) != Inflater::Result::Ok ||
          out.size() != messages[i].size()) {
        std::fprintf(stderr, "inflate failed: %s\n", inflater.error().c_str());
        std::exit(1);
      }
    }
  }
  result.inflate_us = (cpu_us() - start) / count;
  return result;
}

std::vector<std::string> make_messages(size_t size, bool text) {
  std::mt19937 rng(42);
  const size_t count = std::max<size_t>(1, std::min<size_t>(64, (size_t{8} << 20) / size));
  std::vector<std::string> messages;
  for (size_t i = 0; i < count; ++i) {
    messages.push_back(text ? json_records(size, rng) : random_bytes(size, rng));
  }
  return messages;
}

void throughput_table() {
  std::printf("%-8s %-7s %-9s %10s %10s %11s %10s %11s\n", "size", "kind", "takeover", "deflated",
              "comp_us", "comp_MB/s", "infl_us", "infl_MB/s");
  for (size_t size : {size_t{64}, size_t{256}, size_t{1024}, size_t{4096}, size_t{1} << 20}) {
    for (bool text : {true, false}) {
      const auto messages = make_messages(size, text);
      for (bool reset : {false, true}) {
        const Measurement m = measure(messages, {}, reset);
        std::printf("%-8zu %-7s %-9s %10zu %10.2f %11.1f %10.2f %11.1f\n", size,
                    text ? "text" : "random", reset ? "no" : "yes", m.compressed, m.compress_us,
                    size / m.compress_us, m.inflate_us, size / m.inflate_us);
      }
    }
  }
}

void tuning_table() {
  std::printf("%-8s %-6s %-9s %10s %10s %11s\n", "size", "level", "memLevel", "deflated", "comp_us",
              "comp_MB/s");
  for (size_t size : {size_t{4096}, size_t{1} << 20}) {
    const auto messages = make_messages(size, true);
    for (int level : {1, 3, 6, 9}) {
      for (int mem_level : {1, 4, 8, 9}) {
        const Measurement m = measure(messages, {level, mem_level}, false);
        std::printf("%-8zu %-6d %-9d %10zu %10.2f %11.1f\n", size, level, mem_level, m.compressed,
                    m.compress_us, size / m.compress_us);
      }
    }
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "--tuning") == 0) {
    tuning_table();
  } else {
    throughput_table();
  }
  return 0;
}
