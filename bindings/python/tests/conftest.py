"""Fixtures: real peers as subprocesses (the project's `wsc serve` and the
websockets-based tests/peers/py_echo_server.py), TLS material from
tests/support/make_certs.sh, and an in-process raw server for backpressure and
handshake refusals."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

HERE = Path(__file__).resolve().parent
SOURCE_DIR = Path(os.environ.get("WSC_SOURCE_DIR", HERE.parents[2]))
BUILD_DIR = Path(os.environ.get("WSC_BUILD_DIR", SOURCE_DIR / "build"))
os.environ.setdefault("WSC_LIBRARY", str(BUILD_DIR / "libwsc.so.0"))
WSC_CLI = os.environ.get("WSC_CLI", str(BUILD_DIR / "tools" / "wsc"))
PY_PEER = SOURCE_DIR / "tests" / "peers" / "py_echo_server.py"

# Test the package in this source tree, not an installed copy.
sys.path.insert(0, str(HERE.parent))


class Peer:
    """A server subprocess; stdin is a pipe so it dies with us."""

    def __init__(self, argv: List[str], pattern: str) -> None:
        self.argv = argv
        self.errors = tempfile.TemporaryFile("w+")  # a file: a chatty peer never blocks
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors, text=True)
        line = ""
        timer = threading.Timer(15, self.proc.kill)
        timer.start()
        try:
            while True:
                line = self.proc.stdout.readline()
                if not line:
                    self.proc.wait(5)
                    raise RuntimeError("peer %s exited before listening: %s"
                                       % (argv, self._stderr()))
                m = re.search(pattern, line)
                if m:
                    self.port = int(m.group(1))
                    break
        finally:
            timer.cancel()

    def _stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read().strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.errors):
            try:
                f.close()
            except Exception:
                pass


def free_port() -> int:
    """A port nothing listens on now (bound, then let go)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_wsc_serve(port: int = 0) -> Peer:
    """`wsc serve`; restarting on a fixed port retries while the port is busy
    (the old server's sockets may linger for a moment)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return Peer([WSC_CLI, "serve", "--port", str(port)], r"listening on ws://[^:]+:(\d+)")
        except RuntimeError:
            if port == 0 or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def start_py_peer(*args: str) -> Peer:
    return Peer(["/usr/bin/python3", str(PY_PEER), *args], r"^PORT (\d+)")


@pytest.fixture
def wsc_server() -> Iterator[Peer]:
    p = start_wsc_serve()
    yield p
    p.stop()


@pytest.fixture
def py_peer() -> Iterator[Callable[..., Peer]]:
    started: List[Peer] = []

    def start(*args: str) -> Peer:
        p = start_py_peer(*args)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("certs")
    subprocess.run(["bash", str(SOURCE_DIR / "tests" / "support" / "make_certs.sh"), str(d)],
                   check=True, timeout=60, stdout=subprocess.DEVNULL)
    return d


GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class RawServer:
    """One-connection-at-a-time raw TCP server in a thread.

    mode "stall": completes the WebSocket upgrade, then reads nothing until
    `go` is set (then reads and discards), so the client's send queue fills.
    mode "status": answers the upgrade with HTTP `status`.
    """

    def __init__(self, mode: str, status: int = 403) -> None:
        self.mode, self.status = mode, status
        self.go = threading.Event()
        self.stop_flag = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.conns: List[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c: socket.socket) -> None:
        try:
            c.settimeout(10)
            req = b""
            while b"\r\n\r\n" not in req:
                chunk = c.recv(4096)
                if not chunk:
                    return
                req += chunk
            if self.mode == "status":
                c.sendall(b"HTTP/1.1 %d Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                          % self.status)
                return
            key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", req).group(1)
            accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            while not self.go.wait(0.1):
                if self.stop_flag.is_set():
                    return
            c.settimeout(0.5)
            while not self.stop_flag.is_set():
                try:
                    if not c.recv(1 << 16):
                        return
                except socket.timeout:
                    continue
        except OSError:
            pass

    def close(self) -> None:
        self.stop_flag.set()
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.thread.join(2)


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    made: List[RawServer] = []

    def make(mode: str, status: int = 403) -> RawServer:
        s = RawServer(mode, status)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()




@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    """Fail a test that runs longer than 30 s instead of hanging the suite."""
    import signal

    def expire(*_: object) -> None:
        raise TimeoutError("test took longer than 30 s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class SilentServer:
    """Accepts TCP connections and never sends a byte (a stalled server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: List[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(2)
        for c in self.conns:
            c.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    s = SilentServer()
    yield s
    s.close()


def cpu_seconds() -> float:
    """CPU time of the whole process (every thread, the library's included)."""
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Measured:
    """``with Measured() as m:`` then ``m.wall`` and ``m.cpu`` (seconds of the
    whole process, every thread) spent inside the block, even when it raised."""

    def __enter__(self) -> "Measured":
        self._t0, self._c0 = time.monotonic(), cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.monotonic() - self._t0
        self.cpu = cpu_seconds() - self._c0
