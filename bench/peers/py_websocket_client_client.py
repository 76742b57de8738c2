#!/usr/bin/python3
"""Peer client on Python websocket-client (Debian python3-websocket 1.2.3, synchronous).
Same CLI, protocol and RESULT line as the C/C++ clients (bench/bench_common.h): binary
messages of S bytes, bytes 0..7 the sequence number (uint64 little endian), then the
pattern (i * 7 + 13) & 0xff; every echo is checked for length, in-order sequence number
and bytes. The client name in the RESULT line is py_websocket_client.

- throughput/latency: one thread keeps up to W messages in flight, like the wsc_py_sync
  client: it sends until W are outstanding, then receives one echo. websocket-client's
  send() blocks in sendall(), so when a window holds more than 1 MiB (S * W; 1 MiB
  messages at W=64) it first takes the echoes that are already readable (poll with
  timeout 0) before each send: the echo server stops reading once 4 MiB of echoes wait
  for us, and a client blocked in sendall() while its own receive buffer is full would
  deadlock. Taking an echo early never puts more than W in flight; smaller windows fit
  in the socket buffers and skip that extra system call.
- connect: N sequential open + close handshakes; the server's Close must carry 1000.
- scale: C connections opened one after the other (websocket-client has no event loop),
  then idle for --idle-ms while this thread pings every connection every --ping-ms (its
  heartbeat; websocket-client only pings by itself from a thread per connection); at the
  end every connection must have answered only with pongs.
"""
import argparse
import select
import socket
import sys
import time

import websocket

from bench_common import check, cpu_s, fail, pattern_tail, result_msgs, result_scale, rss_kb

RECV_TIMEOUT_S = 30.0
EARLY_RECV_BYTES = 1 << 20  # windows larger than this take readable echoes before sending


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="ws://127.0.0.1:9001/")
    ap.add_argument("--mode", default="throughput",
                    choices=["throughput", "latency", "connect", "scale"])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--window", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--ping-ms", type=int, default=10000)
    ap.add_argument("--idle-ms", type=int, default=12000)
    a = ap.parse_args()
    if a.mode == "latency":
        a.window = 1
    if a.size < 8 or a.window < 1 or a.count < 1 or a.conns < 1:
        ap.error("need --size >= 8, --window >= 1, --count >= 1, --conns >= 1")
    a.client = "py_websocket_client"
    return a


def open_conn(url):
    ws = websocket.create_connection(url, timeout=RECV_TIMEOUT_S, enable_multithread=False)
    ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return ws


def messages(a):
    tail = pattern_tail(a.size)
    t_send = [0] * a.count
    rtt = [0] * a.count
    binary = websocket.ABNF.OPCODE_BINARY
    ws = open_conn(a.url)
    readable = select.poll()
    readable.register(ws.sock, select.POLLIN)
    early = a.window * a.size > EARLY_RECV_BYTES
    try:
        sent = received = 0
        now = t0 = time.perf_counter_ns()

        def take():
            nonlocal received, now
            m = ws.recv()
            now = time.perf_counter_ns()
            why = check(m, received, a.size, tail)
            if why:
                raise RuntimeError(why)
            rtt[received] = now - t_send[received]
            received += 1

        while received < a.count:
            while sent < a.count and sent - received < a.window:
                # Echoes already here first (see the module docstring), then the send.
                while early and received < sent and readable.poll(0):
                    take()
                t_send[sent] = time.perf_counter_ns()
                ws.send(sent.to_bytes(8, "little") + tail, binary)
                sent += 1
            take()
        seconds = (now - t0) / 1e9
    except RuntimeError as e:
        return fail(str(e))
    finally:
        ws.close()
    result_msgs(a, seconds, rtt, received)
    return 0


def connect(a):
    lat = []
    t0 = time.perf_counter_ns()
    for _ in range(a.count):
        s = time.perf_counter_ns()
        ws = open_conn(a.url)
        # close() sends Close 1000 and waits (up to timeout) for the server's Close.
        ws.send_close(websocket.STATUS_NORMAL, b"")
        frame = ws.recv_frame()
        ws.shutdown()
        if frame is None or frame.opcode != websocket.ABNF.OPCODE_CLOSE:
            return fail("close not clean: got %r instead of a Close frame" % (frame,))
        code = int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else None
        if code != 1000:
            return fail("close not clean: %s" % code)
        lat.append(time.perf_counter_ns() - s)
    result_msgs(a, (time.perf_counter_ns() - t0) / 1e9, lat, a.count)
    return 0


def scale(a):
    rss0 = rss_kb()
    t0 = time.perf_counter_ns()
    conns = []
    try:
        for _ in range(a.conns):
            conns.append(open_conn(a.url))
        open_s = (time.perf_counter_ns() - t0) / 1e9
        rss1 = rss_kb()
        c0, w0 = cpu_s(), time.perf_counter_ns()
        end = time.monotonic() + a.idle_ms / 1000.0
        pings = 0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, a.ping_ms / 1000.0))
            if time.monotonic() < end:
                for c in conns:
                    c.ping()
                pings += 1
        cpu, wall = cpu_s() - c0, (time.perf_counter_ns() - w0) / 1e9
        # Every connection must answer each ping with a pong, and nothing else.
        for i, c in enumerate(conns):
            for _ in range(pings):
                f = c.recv_frame()
                if f is None or f.opcode != websocket.ABNF.OPCODE_PONG:
                    return fail("scale: connection %d sent %r instead of a pong" % (i, f))
        result_scale(a, open_s, rss0, rss1, cpu, wall, len(conns))
        return 0
    finally:
        for c in conns:
            try:
                c.close(timeout=5.0)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass


def main():
    a = args()
    fn = {"connect": connect, "scale": scale}.get(a.mode, messages)
    return fn(a)


if __name__ == "__main__":
    sys.exit(main())
