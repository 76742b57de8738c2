"""The synchronous API: :func:`connect` and :class:`Connection`.

A :class:`Connection` runs in the library's *pull mode*: messages queue inside
libwsc (bounded by ``recv_queue_bytes``; a slow reader slows the server down)
and :meth:`Connection.recv` takes them with ``wsc_recv_many``: one C call
moves up to :data:`BATCH_MESSAGES` messages that are already waiting (it
stops once :data:`BATCH_BYTES` of payload are taken) into a small buffer of the
connection, and the next ``recv()`` calls return from that buffer without a C
call. Events (open, error, close, drain) arrive through short ctypes callbacks
on the library's loop thread that only record what happened.

Every wait blocks inside the library (``wsc_wait``, ``wsc_recv_many``) with
the GIL released, in slices of at most 200 ms so that Ctrl-C interrupts it.
A slice ends early only when something happened: the library answers
``WSC_EWAIT`` only when the slice ran out, and any other status ends the
loop, so no wait loop can spin on a connection that has ended.
"""

from __future__ import annotations

import atexit
import ctypes
import enum
import http.client
import io
import logging
import math
import threading
import time
import urllib.parse
import weakref
from collections import deque
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Callable, Iterable, Iterator, List, Optional, Tuple,
                    Union)

from . import _args, _lib, _ping
from ._lib import (ON_CLOSE, ON_DRAIN, ON_ERROR, ON_OPEN, ON_STATE, WSC_BINARY, WSC_CLOSED,
                   WSC_OPEN, WSC_TEXT, wsc_batch, wsc_callbacks, wsc_stats, wsc_tls_info)
from .errors import (WSC_EAGAIN, WSC_ECLOSED, WSC_ESTATE, WSC_EWAIT, WSC_OK,
                     ConnectionClosed, ConnectionClosedError, ConnectionClosedOK,
                     Timeout, WscError, closed_error)
from .options import ConnectOptions, Options

if TYPE_CHECKING:
    import sys
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

Message = Union[str, bytes]
Data = Union[str, bytes, bytearray, memoryview]

log = logging.getLogger("wsc")

SLICE_MS = 200
# What one wsc_recv_many call may take from the library's queue: up to this
# many messages, and no more once this many payload bytes are taken (the first
# message always comes, whatever its size).
BATCH_MESSAGES = 64
BATCH_BYTES = 256 * 1024


class State(enum.IntEnum):
    """``enum wsc_state``."""
    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3
    RECONNECTING = 4


@dataclass(frozen=True)
class Stats:
    """``wsc_stats``: counters of one logical connection (across reconnects)."""
    msgs_sent: int
    msgs_received: int
    bytes_sent: int
    bytes_received: int
    reconnects: int
    send_discarded: int
    send_queue_bytes: int
    rtt_us_last: int
    rtt_us_smoothed: int
    connect_attempts: int
    last_http_status: int
    # last_http_status is the proxy's answer to CONNECT
    http_status_from_proxy: bool
    # pull mode: messages that arrived after our Close with the queue full
    recv_discarded: int
    # message payload bytes on the wire: after permessage-deflate compresses
    # them (bytes_sent/bytes_received count them before)
    wire_bytes_sent: int
    wire_bytes_received: int


@dataclass(frozen=True)
class TlsInfo:
    """``wsc_tls_info``: what TLS negotiated."""
    version: str
    cipher: str
    group: str


def _slice_ms(deadline: Optional[float]) -> int:
    """How long the next blocking C call may wait: one slice, or what is
    left until ``deadline`` (rounded up, so it never busy-loops on a 0)."""
    if deadline is None:
        return SLICE_MS
    return max(0, min(SLICE_MS, math.ceil((deadline - time.monotonic()) * 1000)))


def _encode(data: Data) -> "tuple[int, bytes]":
    if isinstance(data, str):
        return WSC_TEXT, data.encode("utf-8")
    if isinstance(data, bytes):
        return WSC_BINARY, data
    if isinstance(data, (bytearray, memoryview)):
        return WSC_BINARY, bytes(data)
    raise TypeError("send() takes str (text) or bytes-like (binary), not %s" % type(data).__name__)


def _decode(mtype: int, payload: bytes) -> Message:
    return payload.decode("utf-8") if mtype == WSC_TEXT else payload


_string_at = ctypes.string_at
_BatchPtr = ctypes.POINTER(wsc_batch)


def take_batch(lib: ctypes.CDLL, h: int, timeout_ms: int, out: "deque[Message]") -> int:
    """One ``wsc_recv_many``: appends the messages to ``out``; the status."""
    bp = _BatchPtr()
    rc = lib.wsc_recv_many(h, timeout_ms, BATCH_MESSAGES, BATCH_BYTES, ctypes.byref(bp))
    if rc != WSC_OK:
        return rc
    try:
        b = bp.contents
        n = b.count
        raw = _string_at(b.data, b.bytes) if b.bytes else b""
        types = _string_at(b.types, n)
        if n == 1:
            out.append(raw.decode("utf-8") if types[0] == WSC_TEXT else raw)
            return rc
        lens = memoryview(_string_at(b.lens, n * ctypes.sizeof(ctypes.c_size_t))).cast("N")
    finally:
        lib.wsc_batch_free(bp)
    off = 0
    if WSC_TEXT not in types:
        for ln in lens:
            end = off + ln
            out.append(raw[off:end])
            off = end
    else:
        for ln, t in zip(lens, types):
            end = off + ln
            out.append(raw[off:end].decode("utf-8") if t == WSC_TEXT else raw[off:end])
            off = end
    return rc


def read_stats(lib: ctypes.CDLL, h: int) -> Stats:
    s = wsc_stats()
    s.struct_size = ctypes.sizeof(wsc_stats)
    _lib.check(lib.wsc_conn_stats(h, ctypes.byref(s)))
    return Stats(s.msgs_sent, s.msgs_received, s.bytes_sent, s.bytes_received, s.reconnects,
                 s.send_discarded, s.send_queue_bytes, s.rtt_us_last, s.rtt_us_smoothed,
                 s.connect_attempts, s.last_http_status, bool(s.http_status_from_proxy),
                 s.recv_discarded, s.wire_bytes_sent, s.wire_bytes_received)


def read_tls_info(lib: ctypes.CDLL, h: int) -> Optional[TlsInfo]:
    t = wsc_tls_info()
    t.struct_size = ctypes.sizeof(wsc_tls_info)
    rc = lib.wsc_conn_tls_info(h, ctypes.byref(t))
    if rc == WSC_ESTATE:
        return None
    _lib.check(rc)
    return TlsInfo(t.version.decode(), t.cipher.decode(), t.group.decode())


def read_remote_address(lib: ctypes.CDLL, h: int) -> Optional[Tuple[str, int]]:
    buf = ctypes.create_string_buffer(64)  # INET6_ADDRSTRLEN is 46
    port = ctypes.c_int()
    rc = lib.wsc_conn_remote_address(h, buf, len(buf), ctypes.byref(port))
    if rc == WSC_ESTATE:
        return None
    _lib.check(rc)
    return buf.value.decode(), port.value


def read_response_headers(lib: ctypes.CDLL, h: int) -> Optional[http.client.HTTPMessage]:
    needed = ctypes.c_size_t()
    rc = lib.wsc_conn_response_headers(h, None, 0, ctypes.byref(needed))
    if rc == WSC_ESTATE:
        return None
    buf = ctypes.create_string_buffer(needed.value)
    _lib.check(lib.wsc_conn_response_headers(h, buf, len(buf), None))
    # "name: value\r\n" lines: a header block, case-insensitive like websockets' Headers.
    return http.client.parse_headers(io.BytesIO(buf.value + b"\r\n"))


def read_subprotocol(lib: ctypes.CDLL, h: int) -> Optional[str]:
    buf = ctypes.create_string_buffer(256)
    _lib.check(lib.wsc_conn_subprotocol(h, buf, len(buf)))
    return buf.value.decode() or None


# Connections still holding a handle; freed at interpreter exit so that no
# callback runs into a finalizing interpreter.
_live: "weakref.WeakSet[Any]" = weakref.WeakSet()


@atexit.register
def _free_all() -> None:
    for conn in list(_live):
        try:
            conn._abandon()
        except Exception:
            pass


StateHook = Callable[["State", "State"], None]


def state_hook(hook: Optional[StateHook]) -> Optional[StateHook]:
    if hook is not None and not callable(hook):
        raise TypeError("on_state must be a callable (old: State, new: State), not %s"
                        % type(hook).__name__)
    return hook


def where(url: str) -> str:
    """The URL as logged: scheme, host and port only. Userinfo, path and
    query stay out of logs (they may carry passwords and tokens)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = "[%s]" % host
        return "%s://%s%s" % (parts.scheme, host, ":%d" % parts.port if parts.port else "")
    except ValueError:
        return "(unparsable URL)"


def log_state(url: str, old: int, new: int) -> None:
    log.debug("%s: %s -> %s", where(url), State(old).name, State(new).name)


def log_error(url: str, status: int, detail: str) -> None:
    log.warning("%s: %s: %s", where(url), _lib.strerror(status), detail)


class _Events:
    """What the loop-thread callbacks learned. Holds no reference to the
    Connection, so dropping the Connection frees its handle at once."""

    def __init__(self, url: str, hook: Optional[StateHook]) -> None:
        self.url = url
        self.hook = hook
        self.lock = threading.Lock()
        self.error_status = WSC_OK
        self.error_detail = ""
        self.close_code = 0
        self.close_reason = ""
        self.opened = threading.Event()
        self.closed = threading.Event()
        self.drained = threading.Event()

    # Callbacks: short, never raise (an exception cannot cross into C).
    def on_open(self, _c: Any, _u: Any) -> None:
        try:
            with self.lock:
                self.error_status, self.error_detail = WSC_OK, ""
            self.opened.set()
        except BaseException:
            pass

    def on_error(self, _c: Any, status: int, detail: Optional[bytes], _u: Any) -> None:
        try:
            with self.lock:
                self.error_status = status
                self.error_detail = detail.decode("utf-8", "replace") if detail else ""
            log_error(self.url, status, self.error_detail)
        except BaseException:
            pass

    def on_state(self, _c: Any, old: int, new: int, _u: Any) -> None:
        try:
            log_state(self.url, old, new)
            if self.hook is not None:
                self.hook(State(old), State(new))
        except BaseException:
            log.exception("%s: the on_state hook raised", self.url)

    def on_close(self, _c: Any, code: int, reason: Optional[bytes], _u: Any) -> None:
        try:
            with self.lock:
                self.close_code = code
                self.close_reason = reason.decode("utf-8", "replace") if reason else ""
            self.closed.set()
            self.drained.set()  # wake a sender waiting for room
        except BaseException:
            pass

    def on_drain(self, _c: Any, _u: Any) -> None:
        try:
            self.drained.set()
        except BaseException:
            pass


class Connection:
    """A WebSocket connection (one logical connection; it survives reconnects
    when ``reconnect=True``). Create it with :func:`connect`.

    Thread safety: :meth:`send`, :meth:`recv` and :meth:`close` may be called
    from different threads at the same time.
    """

    def __init__(self, url: str, *, open_timeout: Optional[float] = None,
                 on_state: Optional[StateHook] = None,
                 **options: "Unpack[ConnectOptions]") -> None:
        curl = _args.url(url)
        open_timeout = _args.timeout("open_timeout", open_timeout)
        self._init_state(url, state_hook(on_state))
        ev = self._events
        # Keep the ctypes callback objects alive as long as the handle.
        self._cbs = wsc_callbacks(struct_size=ctypes.sizeof(wsc_callbacks),
                                  on_open=ON_OPEN(ev.on_open), on_error=ON_ERROR(ev.on_error),
                                  on_close=ON_CLOSE(ev.on_close), on_drain=ON_DRAIN(ev.on_drain),
                                  on_state=ON_STATE(ev.on_state))
        with Options(**options) as opts:
            out = ctypes.c_void_p()
            rc = self._lib.wsc_connect(None, curl, opts.handle,
                                       ctypes.byref(self._cbs), None, ctypes.byref(out))
            if rc < 0:
                raise _lib.fail(rc)
        self._h = out.value
        _live.add(self)
        try:
            self._wait_open(open_timeout)
        except BaseException:
            self._release()
            raise

    @classmethod
    def _pooled(cls, url: str, handle: int) -> "Connection":
        """Wraps a connection a pool handed out (no callbacks of its own);
        freeing the handle gives it back to the pool (wsc_conn_free)."""
        self = cls.__new__(cls)
        self._init_state(url, None)
        self._h = handle
        return self

    def _init_state(self, url: str, hook: Optional[StateHook]) -> None:
        self.url = url
        self._lib = _lib.lib()
        self._send_fn = self._lib.wsc_send
        self._mu = threading.Lock()
        self._h: Optional[int] = None
        # One entry per call using the handle (list append/pop are atomic
        # under the GIL: no lock on the hot path, see _enter/_leave).
        self._users: List[None] = []
        self._free_pending = False
        self._rx: "deque[Message]" = deque()  # taken from libwsc, not yet returned
        self._rx_mu = threading.Lock()  # one wsc_recv_many at a time keeps the order
        self._final: Optional[WscError] = None
        self._last_stats: Optional[Stats] = None
        self._events = _Events(url, hook)

    # --- handle lifetime ------------------------------------------------------
    # A call registers in _users before it reads _free_pending, and _release
    # sets _free_pending before it looks at _users; under the GIL each of these
    # steps is atomic, so either the call sees _free_pending (and backs out) or
    # _release sees the call (and the last one out frees the handle).
    def _enter(self) -> int:
        self._users.append(None)
        h = self._h
        if h is None or self._free_pending:
            self._leave()
            raise self._final or ConnectionClosedOK(1000, "", detail="connection was closed")
        return h

    def _leave(self) -> None:
        self._users.pop()
        if self._free_pending and not self._users:
            self._free_if_idle()

    def _free_if_idle(self) -> None:
        h = None
        with self._mu:
            if not self._users and self._h is not None:
                h, self._h = self._h, None
        if h is not None:
            self._free_handle(h)

    def _release(self) -> None:
        """Free the handle now, or when the last call using it returns."""
        self._free_pending = True
        if not self._users:
            self._free_if_idle()

    def _free_handle(self, h: int) -> None:
        try:
            self._last_stats = read_stats(self._lib, h)
        except WscError:
            pass
        if self._final is None:
            self._final = self._outcome(h) if self._events.closed.is_set() else \
                ConnectionClosedOK(1000, "", detail="connection was closed")
        # Never called with self._mu held: wsc_conn_free waits for a running
        # callback, and ctypes releases the GIL around the call.
        self._lib.wsc_conn_free(h)
        _live.discard(self)

    def _abandon(self) -> None:
        self._release()
        deadline = time.monotonic() + 0.5
        while self._h is not None and time.monotonic() < deadline:
            time.sleep(0.01)

    def __del__(self) -> None:
        try:
            if getattr(self, "_h", None) is not None:
                self._release()
        except Exception:
            pass

    # --- outcome ---------------------------------------------------------------
    def _outcome(self, h: int) -> WscError:
        """The exception that says how the (finished) connection ended."""
        if self._final is not None:
            return self._final
        status = self._lib.wsc_wait(h, WSC_CLOSED, 0)
        if status == WSC_EWAIT:  # not finished yet: closing
            return ConnectionClosedError(1006, "", detail="connection is closing")
        ev = self._events
        with ev.lock:
            code, reason, detail = ev.close_code, ev.close_reason, ev.error_detail
        http = 0
        try:
            http = read_stats(self._lib, h).last_http_status
        except WscError:
            pass
        err = closed_error(status, code, reason, detail, http_status=http,
                           text=_lib.strerror(status), opened=self._events.opened.is_set())
        self._final = err
        return err

    def _wait_open(self, timeout: Optional[float]) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        h = self._enter()
        try:
            while True:
                ms = _slice_ms(deadline)
                rc = self._lib.wsc_wait(h, WSC_OPEN, ms)
                if rc == WSC_OK or self._events.opened.is_set():
                    return  # open (perhaps already closed again: recv will tell)
                if rc != WSC_EWAIT:  # ended before it opened: say how
                    raise self._outcome(h)
                if deadline is not None and time.monotonic() >= deadline:
                    raise Timeout("connection did not open within %.3g s (open_timeout)"
                                  % timeout, wsc_status=WSC_EWAIT)
        finally:
            self._leave()

    # --- API -------------------------------------------------------------------
    def send(self, data: Data, *, wait: float = 0.0) -> None:
        """Queue one message: ``str`` goes as a text message, bytes-like as binary.

        The call returns once the message is copied into the send queue. If the
        queue is full (``send_queue_bytes``) it waits up to ``wait`` seconds
        for room, then raises :class:`QueueFull`. Raises
        :class:`ConnectionClosed` (or the error that ended the connection)
        once the connection is closed.
        """
        if type(data) is bytes:
            mtype, payload = WSC_BINARY, data
        else:
            mtype, payload = _encode(data)
        users = self._users
        users.append(None)  # inline _enter: this is the hot path
        try:
            h = self._h
            if h is None or self._free_pending:
                raise self._final or ConnectionClosedOK(1000, "", detail="connection was closed")
            rc = self._send_fn(h, mtype, payload, len(payload))
            if rc != WSC_OK:
                self._send_slow(h, rc, mtype, payload, wait)
        finally:
            users.pop()
            if self._free_pending and not users:
                self._free_if_idle()

    def _send_slow(self, h: int, rc: int, mtype: int, payload: bytes, wait: float) -> None:
        deadline = time.monotonic() + wait
        drained = self._events.drained
        while True:
            if rc == WSC_OK:
                return
            if rc == WSC_ECLOSED:
                self._lib.wsc_wait(h, WSC_CLOSED, 1000)
                raise self._outcome(h)
            if rc != WSC_EAGAIN:
                raise _lib.fail(rc)
            err = _lib.fail(rc)
            left = deadline - time.monotonic()
            if left <= 0:
                raise err
            # Cleared before the retry: a drain after it sets the event again
            # (each WSC_EAGAIN re-arms on_drain).
            drained.clear()
            rc = self._send_fn(h, mtype, payload, len(payload))
            if rc == WSC_EAGAIN:
                drained.wait(min(left, SLICE_MS / 1000))
                rc = self._send_fn(h, mtype, payload, len(payload))

    def send_many(self, messages: Iterable[Data], *, wait: float = 0.0) -> None:
        """:meth:`send` for each message in order (same rules, same errors).

        A convenience for bursts: it takes the connection once for the whole
        burst. If one message fails, the ones before it are queued and the
        rest are not.
        """
        users = self._users
        users.append(None)
        try:
            h = self._h
            if h is None or self._free_pending:
                raise self._final or ConnectionClosedOK(1000, "", detail="connection was closed")
            send = self._send_fn
            for data in messages:
                if type(data) is bytes:
                    mtype, payload = WSC_BINARY, data
                else:
                    mtype, payload = _encode(data)
                rc = send(h, mtype, payload, len(payload))
                if rc != WSC_OK:
                    self._send_slow(h, rc, mtype, payload, wait)
        finally:
            users.pop()
            if self._free_pending and not users:
                self._free_if_idle()

    def recv(self, timeout: Optional[float] = None) -> Message:
        """The next message: ``str`` for text, ``bytes`` for binary.

        Waits up to ``timeout`` seconds (``None`` = until a message arrives or
        the connection ends) and raises :class:`Timeout` when none came.
        Messages that arrived before the close are still returned; after them
        it raises :class:`ConnectionClosedOK`/:class:`ConnectionClosedError`
        (or the error that ended the connection, e.g. :class:`TlsError`).
        """
        if timeout is not None:
            timeout = _args.timeout("timeout", timeout)
        rx = self._rx
        if rx:
            try:
                return rx.popleft()
            except IndexError:  # another thread took the last one
                pass
        return self._recv_slow(timeout, 1)[0]

    def recv_many(self, max_messages: int = BATCH_MESSAGES,
                  timeout: Optional[float] = None) -> List[Message]:
        """The messages that are waiting, at least one and at most
        ``max_messages``, in order (``str`` for text, ``bytes`` for binary).

        Waits like :meth:`recv` for the first message (up to ``timeout``
        seconds, then :class:`Timeout`) but never for more: it returns what has
        already arrived. Raises like :meth:`recv` once the connection has ended
        and every message that came before the end was returned.
        """
        if isinstance(max_messages, bool) or not isinstance(max_messages, int):
            raise TypeError("max_messages must be an int")
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        timeout = _args.timeout("timeout", timeout)
        rx = self._rx
        if rx:
            out = []
            try:
                while len(out) < max_messages:
                    out.append(rx.popleft())
            except IndexError:
                pass
            if out:
                return out
        return self._recv_slow(timeout, max_messages)

    def _recv_slow(self, timeout: Optional[float], want: int) -> List[Message]:
        """Takes a batch from libwsc into the buffer (waiting up to timeout)
        and returns up to ``want`` messages from it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        rx = self._rx
        h = self._enter()
        try:
            # The lock keeps batches in order when threads share a connection.
            with self._rx_mu:
                while not rx:
                    ms = _slice_ms(deadline)
                    rc = take_batch(self._lib, h, ms, rx)
                    if rc == WSC_OK:
                        break
                    if rc == WSC_ECLOSED:
                        raise self._outcome(h)
                    if rc != WSC_EWAIT:
                        raise _lib.fail(rc)
                    if self._free_pending:
                        raise self._final or ConnectionClosedOK(1000, "",
                                                                detail="connection was closed")
                    if deadline is not None and time.monotonic() >= deadline:
                        raise Timeout("no message within %.3g s" % timeout,
                                      wsc_status=WSC_EWAIT)
                out = [rx.popleft()]
                while rx and len(out) < want:
                    out.append(rx.popleft())
                return out
        finally:
            self._leave()

    def __iter__(self) -> Iterator[Message]:
        """Iterate over incoming messages; ends quietly after a normal close
        (1000/1001) and raises on an abnormal end."""
        while True:
            try:
                yield self.recv()
            except ConnectionClosedOK:
                return

    def close(self, code: int = 1000, reason: str = "", timeout: float = 10.0) -> None:
        """Close gracefully: queued messages go out first, then a Close frame.

        Returns as soon as the closing handshake is done (at most ``timeout``
        seconds later), then frees the connection. If the connection had
        already ended another way (a pong, idle or write timeout, a lost
        connection, a protocol error), or the close itself failed, it raises
        what ended it, as :meth:`recv` would. Closing twice is harmless. A
        bad ``code`` or ``reason`` raises ``TypeError``/:class:`InvalidArgument`
        and leaves the connection as it was.
        """
        payload = _args.close_args(code, reason)
        limit = _args.timeout("timeout", timeout)
        try:
            h = self._enter()
        except WscError:
            return
        try:
            rc = self._lib.wsc_close(h, code, payload)
            if rc < 0 and rc != WSC_ECLOSED:
                raise _lib.fail(rc)  # nothing was sent: the connection goes on
        except BaseException:
            self._leave()
            raise
        try:
            ended = self._wait_closed(h, limit) != WSC_EWAIT
            if ended:
                self._final = self._outcome(h)
        finally:
            self._leave()
            self._release()
        status = self._final.wsc_status if ended and self._final is not None else WSC_OK
        if status not in (WSC_OK, WSC_ECLOSED):
            raise self._final  # type: ignore[misc]

    def _wait_closed(self, h: int, timeout: Optional[float]) -> int:
        """wsc_wait(CLOSED) for up to timeout seconds (None = forever) in
        slices; WSC_EWAIT if it has not ended by then, else how it ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ms = _slice_ms(deadline)
            rc = self._lib.wsc_wait(h, WSC_CLOSED, ms)
            if rc != WSC_EWAIT:
                return rc
            if deadline is not None and time.monotonic() >= deadline:
                return rc

    @property
    def state(self) -> State:
        """The connection's state (``State.CLOSED`` once closed and freed)."""
        self._users.append(None)
        try:
            h = self._h
            if h is None:
                return State.CLOSED
            return State(self._lib.wsc_conn_state(h))
        finally:
            self._leave()

    def stats(self) -> Stats:
        """Counters (messages and bytes both ways, reconnects, RTT, ...)."""
        self._users.append(None)
        try:
            h = self._h
            if h is None:
                if self._last_stats is None:
                    raise ConnectionClosedOK(1000, "", detail="connection was closed")
                return self._last_stats
            return read_stats(self._lib, h)
        finally:
            self._leave()

    @property
    def close_code(self) -> Optional[int]:
        """The close code the connection ended with (1006 when there was no
        close handshake), ``None`` while it has not ended."""
        ev = self._events
        with ev.lock:
            return ev.close_code if ev.closed.is_set() else None

    @property
    def close_reason(self) -> Optional[str]:
        """The close reason the connection ended with, ``None`` while it has
        not ended."""
        ev = self._events
        with ev.lock:
            return ev.close_reason if ev.closed.is_set() else None

    @property
    def latency(self) -> float:
        """The smoothed round trip of pings, in seconds; 0.0 before the
        first pong (pings need ``ping_interval``)."""
        return latency_of(self.stats())

    def ping(self, timeout: float = 10.0, *, data: "bytes | str" = b"") -> float:
        """Send a ping now and wait for its pong; returns the round trip in
        seconds. ``data`` (bytes, or str as UTF-8; at most 125 bytes, else
        ``ValueError``) is the ping's payload, and the pong that echoes it
        settles the ping. Raises :class:`Timeout` when no pong came within
        ``timeout`` seconds (the connection goes on), a
        :class:`ConnectionClosed` error when the connection is not open or
        ends first."""
        ms = _ping.timeout_ms(timeout)
        payload = _args.ping_data(data)
        done = threading.Event()
        result: List[int] = []

        def on_pong(status: int, rtt_us: int) -> None:
            result[:] = [status, rtt_us]
            done.set()

        h = self._enter()
        try:
            token = _ping.start(self._lib, h, ms, on_pong, payload)
        finally:
            self._leave()
        # The library's own timer answers first; the margin only covers a
        # connection freed meanwhile (then no callback comes).
        if not done.wait(ms / 1000 + 5):
            _ping.forget(token)
            raise self._final or ConnectionClosedOK(1000, "", detail="connection was closed")
        return _ping.outcome(result[0], result[1], ms)

    @property
    def remote_address(self) -> Optional[Tuple[str, int]]:
        """``(address, port)`` of the TCP peer (the proxy's, with a proxy),
        as ``websockets`` gives it; ``None`` before the first open."""
        h = self._enter()
        try:
            return read_remote_address(self._lib, h)
        finally:
            self._leave()

    @property
    def response_headers(self) -> Optional[http.client.HTTPMessage]:
        """The header fields of the last upgrade response (case-insensitive,
        ``get_all`` for repeated ones), as ``websockets`` gives them;
        ``None`` before the first response."""
        h = self._enter()
        try:
            return read_response_headers(self._lib, h)
        finally:
            self._leave()

    @property
    def subprotocol(self) -> Optional[str]:
        """The subprotocol the server selected, or ``None``."""
        h = self._enter()
        try:
            return read_subprotocol(self._lib, h)
        finally:
            self._leave()

    def tls_info(self) -> Optional[TlsInfo]:
        """What TLS negotiated, or ``None`` for ``ws://``."""
        h = self._enter()
        try:
            return read_tls_info(self._lib, h)
        finally:
            self._leave()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            self.close()
        except ConnectionClosed as e:
            # Leaving the block is not the place to learn how it ended: recv,
            # send and close_code/close_reason tell; the log keeps it.
            log.warning("%s ended: %s", where(self.url), e)

    def __repr__(self) -> str:
        return "<wsc.Connection %s %s>" % (self.url, self.state.name)


def latency_of(stats: Stats) -> float:
    return stats.rtt_us_smoothed / 1e6 if stats.rtt_us_smoothed >= 0 else 0.0


def connect(url: str, *, open_timeout: Optional[float] = None,
            on_state: Optional[StateHook] = None,
            **options: "Unpack[ConnectOptions]") -> Connection:
    """Open a WebSocket connection and wait until it is open.

    Args:
        url: ``ws://`` or ``wss://`` URL.
        open_timeout: seconds to wait for the first open (``None``: until it
            opens or fails for good; each attempt is bounded by
            ``connect_timeout``). Running out raises :class:`Timeout`.
        on_state: ``hook(old, new)`` called with two :class:`State` at each
            state change, reconnects included (CONNECTING -> OPEN,
            OPEN -> RECONNECTING, ...). It runs on the library's loop
            thread: keep it short, do not call blocking methods of this
            connection in it; an exception it raises is logged.
        **options: connection options named after the C options (see
            :mod:`wsc.options`), e.g. ``ping_interval=20``, ``reconnect=True``,
            ``cafile="ca.pem"``, ``headers={"Authorization": "..."}``,
            ``subprotocols=["chat.v1"]``. Unknown names raise ``TypeError``.

    Raises:
        HandshakeError, TlsError, ConnectError, Timeout, InvalidArgument.
    """
    return Connection(url, open_timeout=open_timeout, on_state=on_state, **options)
