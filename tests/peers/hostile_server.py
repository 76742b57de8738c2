#!/usr/bin/python3
"""Hostile WebSocket peer for wsc tests: breaks RFC 6455 on purpose.

Python stdlib only, so the bytes on the wire are exactly the ones written
here (a WebSocket library would refuse to send most of them).

Listens on 127.0.0.1 (port 0 = ephemeral unless --port), prints one line
"PORT <n>" on stdout once listening (the tests/support/peer_process.hpp
convention), then serves until SIGTERM, SIGINT or EOF on stdin (when stdin
is a pipe, socket or terminal; see py_echo_server.py for why).

Every connection gets a correct 101 upgrade, then the scenario of its path:

  Protocol violations; the client must fail the connection with a Close
  frame (1002 unless noted) before dropping TCP:
    /masked              a masked text frame
    /rsv                 a text frame with RSV1 set
    /opcode3             a frame with the reserved opcode 3
    /fragmented-ping     a ping without FIN
    /big-ping            a ping with a 126-byte payload
    /lone-continuation   a continuation frame outside any message
    /nested              text frame without FIN, then a new text frame
    /bad-close-code      a Close frame with code 1005
    /close-one-byte      a Close frame with a 1-byte payload
    /bad-close-reason    a Close 1000 whose reason is not UTF-8 (1007)
    /bad-utf8            a text message that is not UTF-8 (1007)
    /bad-utf8-large      the same, at the end of a 1 MiB text message (1007)
    /huge-length         a binary header declaring 2^62 bytes, then junk
                         1 KiB every 50 ms (a client with a small message
                         limit closes with 1009)
    /non-minimal-16      "hello" with its length in a 16-bit field
    /non-minimal-64      300 bytes with their length in a 64-bit field
  A malformed 101 answer (correct Accept), then silence with the socket
  open, so only the client itself can end the handshake; it must refuse at
  once (RFC 9112), never wait for its connect timeout:
    /head-space-colon    "Sec-WebSocket-Extensions : permessage-deflate"
                         (read as another header name, the unoffered
                         extension would slip past the checks)
    /head-nul            a NUL byte inside a header value
    /head-bare-cr        a bare CR inside a header value
    /head-bad-name       a header name with '(' in it
  Resource and closing-handshake scenarios (see each function):
    /empty-flood         empty text frames as fast as the client takes them;
                         the client's Close is answered at once
    /big-announce        a binary header declaring 2^39 bytes, 1 KiB of it,
                         then silence
    /bad-close-reply     echo; the client's Close is answered with code 1005
    /bad-close-reply-utf8  echo; the answer's reason is not UTF-8
    /ping-burst          five pings in one segment; "pongs-ok" if five pongs
                         came back with their payloads in order, else
                         "pongs-bad ...", then echo
    /tls-close           (with --tls-cert) echo; after answering the client's
                         Close, records "close_notify" if TLS then ended with
                         a close_notify alert, "ragged-eof" if TCP just ended
    /echo-then-violation a text frame "m1" and a frame with RSV1 in one
                         segment; records "m1-then-<code>" when the client's
                         echo of m1 came before its Close, else what came
  permessage-deflate (RFC 7692). The 101 accepts the extension
  ("Sec-WebSocket-Extensions: permessage-deflate"), whatever the client
  offered, then:
    /deflate-bomb        one RSV1 binary message of 1 GiB of zeros,
                         compressed to about 1 MiB (the client must stop
                         inflating at its limit: 1009)
    /deflate-rsv1-continuation  a compressed first frame, then a
                         continuation frame with RSV1 set
    /deflate-rsv1-ping   a ping with RSV1 set
    /deflate-corrupt     an RSV1 text frame whose payload is not DEFLATE
                         (1007)
    /deflate-echo-frames echo every frame as it came, RSV1 included (a
                         compressed message goes back compressed), and
                         after each message's last frame an uncompressed
                         text frame "frames=<n> rsv1=<bit per frame>"
  A 101 whose permessage-deflate answer the client must refuse, then
  silence (like the malformed heads above):
    /deflate-unknown-param       "permessage-deflate; foo=1"
    /deflate-duplicate-param     server_no_context_takeover twice
    /deflate-server-window-12    server_max_window_bits=12 (refused when the
                                 client asked for less)
    /deflate-client-window-8     client_max_window_bits=8 (zlib cannot
                                 compress with a 256-byte window)
    /deflate-unoffered           a plain "permessage-deflate", for a client
                                 that did not offer it
  Well-behaved ones:
    /greeting            the 101 response and a text frame "hello" in one
                         send(), then echo
    /bare-lf             the 101 response with bare LF line ends (RFC 9112
                         section 2.2 lets a client accept it) and a text
                         frame "hello", then echo
    /ping-then-echo      a ping "p1"; the first pong must carry "p1": then a
                         text frame "pong-ok", else "pong-bad"; then echo
    /last-close/<path>   one text frame with what the client put in its
                         Close frame on the last connection to /<path> (see
                         below), then a normal close
  Anything else gets a 404 response.

What the client answered: the server reads on after its own frames, and
records per path the code of the client's Close frame ("1002"), "empty" for
a Close without payload, "none" if TCP ended without a Close, "timeout" if
nothing came within 10 s. /last-close/<path> waits up to 5 s for that record
(it may still be on its way when the client reports it is closed) and
hands it out once; "pending" if there was none. Echo mode answers a Close
with the same code and records it too, so a normal close shows up as
"1000". An unmasked client frame is answered with Close 1002 and recorded
as "unmasked".
"""

import argparse
import base64
import hashlib
import os
import socket
import ssl
import struct
import sys
import threading
import time
import zlib

from peer_stdin import stdin_is_watchable

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
READ_TIMEOUT_S = 10
RESULT_WAIT_S = 5
MAX_REQUEST_HEAD = 16 * 1024

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def frame(opcode, payload=b"", fin=True, rsv=0, mask=None, length=None):
    """A server frame; `length` overrides the declared payload length."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if mask:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def close_frame(code, reason=b""):
    return frame(OP_CLOSE, struct.pack("!H", code) + reason)


# Path -> the frames that break the protocol there, sent right after the 101.
VIOLATIONS = {
    "/masked": frame(OP_TEXT, b"hello", mask=b"\x11\x22\x33\x44"),
    "/rsv": frame(OP_TEXT, b"hello", rsv=0x40),
    "/opcode3": frame(0x3, b"x"),
    "/fragmented-ping": frame(OP_PING, b"p", fin=False),
    "/big-ping": frame(OP_PING, b"p" * 126),
    "/lone-continuation": frame(OP_CONT, b"c"),
    "/nested": frame(OP_TEXT, b"a", fin=False) + frame(OP_TEXT, b"b"),
    "/bad-close-code": close_frame(1005),
    "/close-one-byte": frame(OP_CLOSE, b"\x03"),
    "/bad-close-reason": close_frame(1000, b"bad \xff reason"),
    "/bad-utf8": frame(OP_TEXT, b"caf\xc3\x28"),
    # Past the first read: the bad bytes come in a later read than the frame
    # header, into a message assembled from several reads. At the end, so
    # the client has read everything when it closes (unread bytes would make
    # its close an RST, which can destroy its Close frame at this end).
    "/bad-utf8-large": frame(OP_TEXT, b"a" * 1048574 + b"\xc3\x28"),
    # RFC 6455 section 5.2: the minimal number of length bytes MUST be used.
    "/non-minimal-16": bytes([0x80 | OP_TEXT, 126]) + struct.pack("!H", 5) + b"hello",
    "/non-minimal-64": bytes([0x80 | OP_BINARY, 127]) + struct.pack("!Q", 300) + b"x" * 300,
}

# Path -> (header line to add to the 101 answer) for the malformed heads.
BAD_HEADS = {
    "/head-space-colon": b"Sec-WebSocket-Extensions : permessage-deflate",
    "/head-nul": b"X-Note: a\0b",
    "/head-bare-cr": b"X-Note: a\rb",
    "/head-bad-name": b"X(Note): v",
    "/deflate-unknown-param": b"Sec-WebSocket-Extensions: permessage-deflate; foo=1",
    "/deflate-duplicate-param": b"Sec-WebSocket-Extensions: permessage-deflate; "
                                b"server_no_context_takeover; server_no_context_takeover",
    "/deflate-server-window-12": b"Sec-WebSocket-Extensions: permessage-deflate; "
                                 b"server_max_window_bits=12",
    "/deflate-client-window-8": b"Sec-WebSocket-Extensions: permessage-deflate; "
                                b"client_max_window_bits=8",
    "/deflate-unoffered": b"Sec-WebSocket-Extensions: permessage-deflate",
}

DEFLATE_ACCEPT = b"Sec-WebSocket-Extensions: permessage-deflate"
RSV1 = 0x40


def deflate(data, compressor=None):
    """`data` as the payload of a compressed message (RFC 7692 section 7.2.1:
    raw DEFLATE, sync-flushed, without the final 00 00 ff ff)."""
    c = compressor or zlib.compressobj(wbits=-15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4] if out.endswith(b"\x00\x00\xff\xff") else out


def rsv1_continuation():
    c = zlib.compressobj(wbits=-15)
    first = c.compress(b"hello ") + c.flush(zlib.Z_SYNC_FLUSH)
    return frame(OP_TEXT, first, fin=False, rsv=RSV1) + frame(OP_CONT, deflate(b"world", c), rsv=RSV1)


# Path -> frames breaking RFC 7692 on a connection that negotiated deflate.
DEFLATE_VIOLATIONS = {
    "/deflate-rsv1-continuation": rsv1_continuation(),
    "/deflate-rsv1-ping": frame(OP_PING, b"p", rsv=RSV1),
    # BFINAL=1 with the reserved block type 11.
    "/deflate-corrupt": frame(OP_TEXT, b"\xff\xff\xff\xff", rsv=RSV1),
}

BOMB = []  # the payload of /deflate-bomb, made once per process
BOMB_LOCK = threading.Lock()


def bomb_payload():
    """1 GiB of zeros deflated, made 1 MiB at a time so memory stays low."""
    with BOMB_LOCK:
        if not BOMB:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            zeros = bytes(1 << 20)
            parts = [c.compress(zeros) for _ in range(1024)]
            parts.append(c.flush(zlib.Z_SYNC_FLUSH))
            BOMB.append(b"".join(parts)[:-4])
        return BOMB[0]


class Results:
    """What clients put in their Close frames, per scenario path."""

    def __init__(self):
        self._cv = threading.Condition()
        self._by_path = {}

    def record(self, path, value):
        log("%s: client close -> %s" % (path, value))
        with self._cv:
            self._by_path[path] = value
            self._cv.notify_all()

    def take(self, path, timeout):
        with self._cv:
            self._cv.wait_for(lambda: path in self._by_path, timeout)
            return self._by_path.pop(path, "pending")


RESULTS = Results()


def log(msg):
    # stderr reaches the test log (PeerProcess copies it); stdout does not.
    print("hostile_server: " + msg, file=sys.stderr, flush=True)


class Conn:
    """One accepted socket: the HTTP upgrade, then frames from the client."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.rsv = 0
        self.lock = threading.Lock()  # /huge-length writes from two threads

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_request(self):
        """Returns (path, headers with lowercased names) of the GET."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_REQUEST_HEAD:
                raise ValueError("request head too long")
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        if method != "GET":
            raise ValueError("not a GET: " + lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return target.split("?", 1)[0], headers

    def read_frame(self):
        """Returns (fin, opcode, payload, masked) of the client's next frame."""
        b0, b1 = self.read_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
        masked = bool(b1 & 0x80)
        self.rsv = b0 & 0x70  # the RSV bits of this frame, for echo()
        key = self.read_exact(4) if masked else b"\0\0\0\0"
        payload = self.read_exact(n)
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return bool(b0 & 0x80), b0 & 0x0F, payload, masked


def upgrade_response(key, extra=b""):
    """The 101 answer to `key`; `extra` is one more header line (no CRLF)."""
    accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    head = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n" % accept).encode()
    return head + (extra + b"\r\n" if extra else b"") + b"\r\n"


def wait_for_client_eof(conn):
    """After a malformed head: say nothing more and keep the socket open
    until the client gives up on it. Returns what to record."""
    try:
        while conn.sock.recv(4096):
            pass
        return "none"
    except socket.timeout:
        return "timeout"
    except OSError:
        return "none"


def close_value(payload):
    return str(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else "empty"


def await_close(conn, reply):
    """Reads until the client's Close, answers it if `reply`, and returns
    what to record. Anything else the client sends first is skipped."""
    try:
        while True:
            _fin, opcode, payload, _masked = conn.read_frame()
            if opcode == OP_CLOSE:
                if reply:
                    conn.send(frame(OP_CLOSE, payload[:2]))
                return close_value(payload)
    except socket.timeout:
        return "timeout"
    except (EOFError, OSError):
        return "none"


def echo(conn, path, report_frames=False, report_pings=False):
    """Echoes data frames as they come (same FIN, RSV bits and opcode: a
    compressed message goes back compressed), answers pings, answers a Close
    with the same code; returns what to record. With report_frames, after
    each message's last frame an uncompressed text frame says how many
    frames it had and which had RSV1. With report_pings, after each pong a
    text frame "ping '<payload>'" says what the client's ping carried."""
    bits = ""
    try:
        while True:
            fin, opcode, payload, masked = conn.read_frame()
            if not masked:
                log("%s: unmasked frame from the client" % path)
                conn.send(close_frame(1002))
                return "unmasked"
            if opcode == OP_CLOSE:
                conn.send(frame(OP_CLOSE, payload[:2]))
                return close_value(payload)
            if opcode == OP_PING:
                conn.send(frame(OP_PONG, payload))
                if report_pings:
                    conn.send(frame(OP_TEXT, b"ping '" + payload + b"'"))
            elif opcode in (OP_CONT, OP_TEXT, OP_BINARY):
                conn.send(frame(opcode, payload, fin=fin, rsv=conn.rsv))
                bits += "1" if conn.rsv & RSV1 else "0"
                if fin and report_frames:
                    conn.send(frame(OP_TEXT, b"frames=%d rsv1=%s" % (len(bits), bits.encode())))
                if fin:
                    bits = ""
    except socket.timeout:
        return "timeout"
    except (EOFError, OSError):
        return "none"


def huge_length(conn):
    # The header promises 2^62 bytes; junk trickles in until the client's
    # answer arrives or the connection dies. No Close reply: it would land
    # inside the promised payload.
    conn.send(frame(OP_BINARY, length=1 << 62))
    return send_until_close(conn, bytes(range(256)) * 4, pause=0.05)


def send_until_close(conn, data, pause):
    """Sends `data` again and again (every `pause` seconds, or as fast as the
    socket takes it with pause 0) until the client's Close, which is not
    answered; returns what await_close recorded."""
    stop = threading.Event()

    def writer():
        while not stop.wait(pause):
            try:
                conn.send(data)
            except OSError:
                return

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = await_close(conn, reply=False)
    stop.set()
    thread.join()
    return result


def flood(conn, payload):
    """Sends `payload` as text frames until the client's Close, which is
    answered at once: a client with a full receive queue must still read it."""
    # A small send buffer keeps the backlog the client must read through to
    # reach the Close answer near what its own receive buffer holds.
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    one = frame(OP_TEXT, payload)
    result = send_until_close(conn, one * max(1, 4096 // len(one)), pause=0)
    if result not in ("none", "timeout"):
        conn.send(frame(OP_CLOSE, struct.pack("!H", int(result))))
    return result


def big_announce(conn):
    conn.send(frame(OP_BINARY, length=1 << 39) + bytes(1024))
    return await_close(conn, reply=False)


def bad_close_reply(conn, path, answer):
    """Echoes until the client's Close, then answers it with `answer`."""
    try:
        while True:
            fin, opcode, payload, _masked = conn.read_frame()
            if opcode == OP_CLOSE:
                conn.send(answer)
                return close_value(payload)
            if opcode in (OP_CONT, OP_TEXT, OP_BINARY):
                conn.send(frame(opcode, payload, fin=fin))
    except socket.timeout:
        return "timeout"
    except (EOFError, OSError):
        return "none"


def ping_burst(conn, path):
    conn.send(b"".join(frame(OP_PING, b"p%d" % i) for i in range(5)))
    got = []
    try:
        while len(got) < 5:
            _fin, opcode, payload, _masked = conn.read_frame()
            if opcode == OP_CLOSE:
                return close_value(payload)
            got.append(payload if opcode == OP_PONG else b"op%d" % opcode)
    except (socket.timeout, EOFError, OSError) as e:
        log("%s: %r after %r" % (path, e, got))
    ok = got == [b"p%d" % i for i in range(5)]
    conn.send(frame(OP_TEXT, b"pongs-ok" if ok else b"pongs-bad " + b",".join(got)))
    return echo(conn, path)


def echo_then_violation(conn):
    conn.send(frame(OP_TEXT, b"m1") + frame(OP_TEXT, b"x", rsv=0x40))
    seen = []
    try:
        while True:
            _fin, opcode, payload, _masked = conn.read_frame()
            if opcode == OP_CLOSE:
                code = close_value(payload)
                return ("m1-then-" + code) if seen == [b"m1"] else "close-after-%r" % seen
            seen.append(payload)
    except socket.timeout:
        return "timeout after %r" % seen
    except (EOFError, OSError):
        return "none after %r" % seen


def deflate_bomb(conn):
    # Written from a thread: the client stops reading part way through.
    # No Close reply: it would land inside the unfinished frame.
    def write():
        try:
            conn.send(frame(OP_BINARY, bomb_payload(), rsv=RSV1))
        except OSError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return await_close(conn, reply=False)  # the socket's close ends the writer


# Paths whose 101 accepts permessage-deflate.
DEFLATE_SCENARIOS = {
    "/deflate-bomb": lambda conn, path: deflate_bomb(conn),
    "/deflate-echo-frames": lambda conn, path: echo(conn, path, report_frames=True),
}

def tls_close(conn, path):
    result = echo(conn, path)
    if result in ("none", "timeout", "unmasked"):
        return result
    try:
        while conn.sock.recv(4096):
            pass
        return "close_notify"  # recv() gave b"": TLS ended cleanly
    except ssl.SSLError as e:
        return "ragged-eof" if "UNEXPECTED_EOF" in str(e) else "error %r" % e
    except (OSError, socket.timeout) as e:
        return "error %r" % e


def trickle_big(conn):
    """A 1 MiB binary frame in uneven pieces with pauses (the last 10 bytes alone, after
    the longest), then "done": the client must take every piece as it comes (over TLS,
    records split across the pauses) and deliver the message once complete."""
    payload = bytes(i * 7 % 251 for i in range(1 << 20))
    data = frame(OP_BINARY, payload)
    cuts = [0, 100 * 1024, 800 * 1024, len(data) - 10, len(data)]
    for i in range(len(cuts) - 1):
        conn.send(data[cuts[i]:cuts[i + 1]])
        time.sleep(0.3 if i == len(cuts) - 3 else 0.1)
    conn.send(frame(OP_TEXT, b"done"))
    return echo(conn, "/trickle-big")


SCENARIOS = {
    "/trickle-big": lambda conn, path: trickle_big(conn),
    "/tls-close": tls_close,
    "/empty-flood": lambda conn, path: flood(conn, b""),
    "/big-announce": lambda conn, path: big_announce(conn),
    "/bad-close-reply": lambda conn, path: bad_close_reply(conn, path, close_frame(1005)),
    "/bad-close-reply-utf8": lambda conn, path: bad_close_reply(
        conn, path, close_frame(1000, b"\xff\xfe")),
    "/ping-burst": ping_burst,
    "/echo-then-violation": lambda conn, path: echo_then_violation(conn),
    "/report-pings": lambda conn, path: echo(conn, path, report_pings=True),
}


def ping_then_echo(conn, path):
    conn.send(frame(OP_PING, b"p1"))
    try:
        while True:
            _fin, opcode, payload, _masked = conn.read_frame()
            if opcode == OP_PONG:
                break
            if opcode == OP_CLOSE:
                return close_value(payload)
            log("%s: opcode %d before the pong" % (path, opcode))
    except (socket.timeout, EOFError, OSError) as e:
        log("%s: no pong (%r)" % (path, e))
        return "timeout" if isinstance(e, socket.timeout) else "none"
    if payload != b"p1":
        log("%s: pong payload %r" % (path, payload))
    conn.send(frame(OP_TEXT, b"pong-ok" if payload == b"p1" else b"pong-bad"))
    return echo(conn, path)


def serve(sock):
    conn = Conn(sock)
    try:
        sock.settimeout(READ_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        path, headers = conn.read_request()
        key = headers.get("sec-websocket-key")
        known = (path in VIOLATIONS or path in BAD_HEADS or path in SCENARIOS
                 or path in DEFLATE_VIOLATIONS or path in DEFLATE_SCENARIOS
                 or path.startswith("/last-close/")
                 or path in ("/huge-length", "/greeting", "/ping-then-echo", "/bare-lf"))
        if not key or not known:
            conn.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        response = upgrade_response(key)
        if path.startswith("/last-close/"):
            conn.send(response)
            answer = RESULTS.take(path[len("/last-close"):], RESULT_WAIT_S)
            conn.send(frame(OP_TEXT, answer.encode()) + close_frame(1000))
            await_close(conn, reply=False)
            return
        if path == "/greeting":
            # Frames right behind the head in one segment: the client must
            # not lose what came with its handshake answer.
            conn.send(response + frame(OP_TEXT, b"hello"))
            result = echo(conn, path)
        elif path == "/bare-lf":
            conn.send(response.replace(b"\r\n", b"\n") + frame(OP_TEXT, b"hello"))
            result = echo(conn, path)
        elif path in BAD_HEADS:
            conn.send(upgrade_response(key, BAD_HEADS[path]))
            result = wait_for_client_eof(conn)
        elif path == "/ping-then-echo":
            conn.send(response)
            result = ping_then_echo(conn, path)
        elif path == "/huge-length":
            conn.send(response)
            result = huge_length(conn)
        elif path in SCENARIOS:
            conn.send(response)
            result = SCENARIOS[path](conn, path)
        elif path in DEFLATE_SCENARIOS:
            conn.send(upgrade_response(key, DEFLATE_ACCEPT))
            result = DEFLATE_SCENARIOS[path](conn, path)
        elif path in DEFLATE_VIOLATIONS:
            conn.send(upgrade_response(key, DEFLATE_ACCEPT) + DEFLATE_VIOLATIONS[path])
            result = await_close(conn, reply=True)
        else:
            conn.send(response)
            conn.send(VIOLATIONS[path])
            # After its own Close the server must not send another.
            result = await_close(conn, reply=not path.startswith(("/bad-close", "/close-")))
        RESULTS.record(path, result)
    except Exception as e:  # one bad connection must not stop the server
        log("connection error: %r" % e)
    finally:
        try:
            sock.close()
        except OSError:
            pass


def exit_on_stdin_eof():
    while os.read(sys.stdin.fileno(), 4096):
        pass
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert", metavar="F", help="serve TLS with this certificate")
    ap.add_argument("--tls-key", metavar="F")
    args = ap.parse_args()
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
        # Python sets this by default; without it an EOF with no close_notify
        # raises SSLEOFError instead of looking like a clean end.
        tls.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(64)
    if stdin_is_watchable():
        threading.Thread(target=exit_on_stdin_eof, daemon=True).start()
    print("PORT %d" % listener.getsockname()[1], flush=True)
    try:
        while True:
            sock, _addr = listener.accept()
            if tls:
                # Ragged EOFs raise, so a missing close_notify is visible.
                sock = tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False,
                                       suppress_ragged_eofs=False)
            threading.Thread(target=serve, args=(sock,), daemon=True).start()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
