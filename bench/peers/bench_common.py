"""Shared helpers for the Python benchmark clients: percentiles, /proc
readings and the RESULT line of bench/bench_common.h. Each client sets
`a.client` to its name before printing."""
import resource
import sys


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] / 1000.0 if v else 0.0


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def result_msgs(a, seconds, samples, verified, timed_cpu_s=None):
    """timed_cpu_s: the process's CPU time over the timed section (cpu_s() at its start
    and end), printed as cpu_s= (bench/bench_common.h, bench_timed_cpu_s)."""
    conn = a.mode == "connect"
    print("RESULT client=%s mode=%s size=%d window=%d count=%d seconds=%.6f "
          "msgs_per_s=%.1f mb_per_s=%.3f p50_us=%.1f p99_us=%.1f p999_us=%.1f verified=%d%s" % (
              a.client, a.mode, 0 if conn else a.size, 0 if conn else a.window, a.count, seconds,
              a.count / seconds, 0.0 if conn else a.count * a.size / seconds / 1e6,
              pct(samples, 0.5), pct(samples, 0.99), pct(samples, 0.999), verified,
              "" if timed_cpu_s is None else " cpu_s=%.6f" % timed_cpu_s), flush=True)


def result_scale(a, open_s, rss0, rss1, cpu, wall, opened):
    print("RESULT client=%s mode=scale conns=%d open_s=%.4f rss_kb_per_conn=%.2f "
          "rss_before_kb=%d rss_after_kb=%d idle_cpu_pct=%.3f ping_ms=%d idle_ms=%d verified=%d" % (
              a.client, a.conns, open_s, (rss1 - rss0) / a.conns, rss0, rss1, 100.0 * cpu / wall,
              a.ping_ms, a.idle_ms, opened), flush=True)


def fail(msg):
    print(msg, file=sys.stderr, flush=True)
    return 1


WORDS = [b"the ", b"quick ", b'"brown": ', b"fox, ", b'{"id": ', b"42, ", b"lazy ", b"dog}\n"]


def payload(size, kind):
    """bench_payload of bench/bench_common.h, byte for byte: sequence number 0, then the
    pattern, compressible words or incompressible bytes from one xorshift32 stream."""
    if kind == "pattern":
        return bytes(8) + pattern_tail(size)
    out = bytearray(8)
    x = 2463534242
    while len(out) < size:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += bytes([x & 0xFF]) if kind == "random" else WORDS[x % 8]
    return bytes(out[:size])


def add_wire_args(ap):
    """The payload, TLS and compression options every client takes (bench/bench_common.h)."""
    ap.add_argument("--payload", default="pattern", choices=["pattern", "text", "random"])
    ap.add_argument("--ca", default=None)
    ap.add_argument("--deflate", type=int, default=0)
    ap.add_argument("--resume", type=int, default=1)


def pattern_tail(size):
    """The fixed payload after the 8-byte sequence number (bench/bench_common.h)."""
    return bytes(((i * 7 + 13) & 0xFF) for i in range(8, size))


def check(m, seq, size, tail):
    """None if m is exactly message seq, else why not."""
    if not isinstance(m, bytes):
        return "verify: message %d is %s, want bytes" % (seq, type(m).__name__)
    if len(m) != size:
        return "verify: message %d has %d bytes, want %d" % (seq, len(m), size)
    got = int.from_bytes(m[:8], "little")
    if got != seq:
        return "verify: got sequence %d, want %d" % (got, seq)
    if m[8:] != tail:
        return "verify: message %d payload differs" % seq
    return None
