"""The asyncio API.

::

    async with wsc.aio.connect("ws://127.0.0.1:9001/") as ws:
        await ws.send("hello")
        async for msg in ws:
            ...

A connection runs in the library's *pull mode*, like the synchronous API:
messages wait in libwsc's bounded receive queue. When that queue goes from
empty to non-empty the library writes to an eventfd (``wsc_conn_notify_fd``,
made when a ``recv()`` first has to wait, so idle connections cost no extra
descriptor) that the asyncio loop watches with ``loop.add_reader``, so the library's loop
thread never runs Python code (nor waits for the GIL) for a message, and the
asyncio loop wakes once per burst rather than once per message. A woken
:meth:`Connection.recv` takes everything already queued in one
``wsc_recv_many`` call (at most ``BATCH_MESSAGES`` / ``BATCH_BYTES``) into a
small buffer of the connection; later ``recv()`` calls return from it without
a C call. On an event loop without ``add_reader`` (Windows' proactor loop) the
library's ``on_readable`` callback wakes it with ``call_soon_threadsafe``
instead. Open, error, close and drain events arrive through callbacks and
``call_soon_threadsafe``. A full send queue makes :meth:`Connection.send` wait
for the library's ``on_drain`` instead of failing.
"""

from __future__ import annotations

import asyncio
import ctypes
import http.client
import logging
import os
import weakref
from collections import deque
from typing import (TYPE_CHECKING, Any, AsyncIterator, Callable, Generator, Iterable, List,
                    Optional, Tuple)

from . import _args, _lib, _ping
from ._lib import (ON_CLOSE, ON_DRAIN, ON_ERROR, ON_OPEN, ON_READABLE, ON_STATE, WSC_BINARY,
                   WSC_CLOSED, wsc_callbacks)
from .connection import (BATCH_MESSAGES, Data, Message, State, StateHook, Stats, TlsInfo, _encode,
                         _live, latency_of, log_error, log_state, read_remote_address,
                         read_response_headers, read_stats, read_subprotocol, read_tls_info,
                         state_hook, take_batch, where)
from .errors import (WSC_EAGAIN, WSC_ECLOSED, WSC_EWAIT, WSC_OK, ConnectionClosed,
                     ConnectionClosedOK, Timeout, WscError, closed_error)
from .options import ConnectOptions, Options

if TYPE_CHECKING:
    import sys
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["connect", "Connection"]

log = logging.getLogger("wsc")


def _notified(ref: "weakref.ref[Connection]", fd: int) -> None:
    """add_reader callback: the library wrote to the notify fd."""
    try:
        while len(os.read(fd, 4096)) == 4096:  # an eventfd reads 8 bytes; a pipe may hold more
            pass
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        return
    me = ref()
    if me is not None:
        me._wake()


def _expire(fut: "asyncio.Future[None]") -> None:
    if not fut.done():
        fut.set_result(None)


class Connection:
    """An asyncio WebSocket connection. Create it with :func:`connect`.

    All methods must be called from the event loop that opened it.
    """

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop,
                 on_state: Optional[StateHook] = None) -> None:
        self.url = url
        self._hook = on_state
        self._close_code: Optional[int] = None
        self._close_reason: Optional[str] = None
        self._loop = loop
        self._lib = _lib.lib()
        self._send_fn = self._lib.wsc_send
        self._h: Optional[int] = None
        self._rx: "deque[Message]" = deque()  # taken from libwsc, not yet returned
        self._waiters: "List[asyncio.Future[None]]" = []  # recv() calls waiting for messages
        self._notify_r = self._notify_w = -1  # eventfd (both the same) or pipe ends
        self._opened: "asyncio.Future[None]" = loop.create_future()
        self._closed: "asyncio.Future[None]" = loop.create_future()
        self._drained = asyncio.Event()
        self._error_status = WSC_OK
        self._error_detail = ""
        self._final: Optional[WscError] = None
        self._last_stats: Optional[Stats] = None
        self._cbs: Optional[wsc_callbacks] = None
        self._watching = False  # recv() waits on a notify fd (else on on_readable)
        self._pool_owned = False  # from a pool: no callbacks, freeing gives it back

    @classmethod
    def _pooled(cls, url: str, loop: asyncio.AbstractEventLoop, handle: int) -> "Connection":
        """Wraps a connection a pool handed out. It has no callbacks of its
        own, so recv() always waits on the notify fd, and the end is read
        with wsc_wait instead of on_close."""
        self = cls(url, loop)
        if not self._watch_notify_fd(probe=True):
            raise OSError("wsc: pooled asyncio connections need a loop that can watch a file "
                          "descriptor (add_reader)")
        self._watching = True
        self._pool_owned = True
        self._h = handle
        self._opened.set_result(None)
        return self

    def _pooled_end(self, h: int) -> None:
        """How a pooled connection ended, read with wsc_wait (no on_close)."""
        if self._final is None:
            status = self._lib.wsc_wait(h, WSC_CLOSED, 0)
            if status == WSC_EWAIT:
                status = WSC_ECLOSED  # closing
            self._final = closed_error(status, 1000 if status == WSC_OK else 1006, "",
                                       text=_lib.strerror(status))

    # --- loop-thread callbacks: hand over and return ------------------------------
    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the asyncio loop is closed: nobody to tell
            pass

    def _make_callbacks(self, readable_callback: bool) -> wsc_callbacks:
        # The closures hold only a weak reference to self, so an abandoned
        # Connection is collected (and its handle freed) normally.
        ref = weakref.ref(self)

        def post(name: str, *args: Any) -> None:
            try:
                me = ref()
                if me is not None:
                    me._post(getattr(me, name), *args)
            except BaseException:
                pass

        def on_open(_c: Any, _u: Any) -> None:
            post("_on_open")

        def on_readable(_c: Any, _u: Any) -> None:
            post("_wake")

        def on_error(_c: Any, status: int, detail: Optional[bytes], _u: Any) -> None:
            post("_on_error", status, detail.decode("utf-8", "replace") if detail else "")

        def on_close(_c: Any, code: int, reason: Optional[bytes], _u: Any) -> None:
            post("_on_close", code, reason.decode("utf-8", "replace") if reason else "")

        def on_drain(_c: Any, _u: Any) -> None:
            post("_on_drain")

        def on_state(_c: Any, old: int, new: int, _u: Any) -> None:
            post("_on_state", old, new)

        cbs = wsc_callbacks(struct_size=ctypes.sizeof(wsc_callbacks), on_open=ON_OPEN(on_open),
                            on_error=ON_ERROR(on_error), on_close=ON_CLOSE(on_close),
                            on_drain=ON_DRAIN(on_drain), on_state=ON_STATE(on_state))
        if readable_callback:
            cbs.on_readable = ON_READABLE(on_readable)
        return cbs

    def _watch_notify_fd(self, probe: bool = False) -> bool:
        """Creates the notify fd and watches it; False if this loop cannot.
        probe: only find out whether it can (the fd is closed again)."""
        r = w = -1
        try:
            if hasattr(os, "eventfd"):
                r = w = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            else:
                r, w = os.pipe()
                os.set_blocking(r, False)
                os.set_blocking(w, False)
            self._loop.add_reader(r, _notified, weakref.ref(self), r)
        except (NotImplementedError, OSError, AttributeError):
            for fd in {r, w} - {-1}:
                os.close(fd)
            return False
        self._notify_r, self._notify_w = r, w
        if probe:
            self._unwatch_notify_fd()
        return True

    def _start_notify(self, h: int) -> None:
        """Makes the notify fd and hands it to libwsc (first wait only)."""
        if not self._watch_notify_fd():
            raise OSError("wsc: cannot create the eventfd a waiting recv() needs "
                          "(too many open files?)")
        _lib.check(self._lib.wsc_conn_notify_fd(h, self._notify_w))

    def _unwatch_notify_fd(self) -> None:
        r, w = self._notify_r, self._notify_w
        if r < 0:
            return
        self._notify_r = self._notify_w = -1
        try:
            self._loop.remove_reader(r)
        except Exception:  # a closed or finalizing loop
            pass
        for fd in {r, w}:
            try:
                os.close(fd)
            except OSError:
                pass

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    # --- the same events, now on the asyncio loop ---------------------------------
    def _on_open(self) -> None:
        self._error_status, self._error_detail = WSC_OK, ""
        if not self._opened.done():
            self._opened.set_result(None)

    def _on_error(self, status: int, detail: str) -> None:
        self._error_status, self._error_detail = status, detail
        log_error(self.url, status, detail)

    def _on_state(self, old: int, new: int) -> None:
        log_state(self.url, old, new)
        if self._hook is not None:
            try:
                self._hook(State(old), State(new))
            except Exception:
                log.exception("%s: the on_state hook raised", self.url)

    def _on_close(self, code: int, reason: str) -> None:
        self._close_code, self._close_reason = code, reason
        if self._final is None:
            http = 0
            if self._h is not None:
                try:
                    http = read_stats(self._lib, self._h).last_http_status
                except WscError:
                    pass
            status = self._error_status
            self._final = closed_error(status, code, reason, self._error_detail,
                                       http_status=http, text=_lib.strerror(status),
                                       opened=self._opened.done())
        self._wake()
        self._drained.set()
        if not self._opened.done():
            self._opened.set_exception(self._final)
            self._opened.exception()  # mark retrieved
        if not self._closed.done():
            self._closed.set_result(None)

    def _on_drain(self) -> None:
        self._drained.set()

    # --- lifetime --------------------------------------------------------------
    async def _start(self, options: Any, open_timeout: Optional[float]) -> None:
        # The notify fd itself is made only when a recv() first has to wait
        # (_wait_for_notify): ten thousand idle connections must not cost ten
        # thousand more descriptors. Here: can this loop watch one at all?
        watching = self._watch_notify_fd(probe=True)
        self._watching = watching
        try:
            self._cbs = self._make_callbacks(readable_callback=not watching)
            with Options(**options) as opts:
                out = ctypes.c_void_p()
                rc = self._lib.wsc_connect(None, _args.url(self.url), opts.handle,
                                           ctypes.byref(self._cbs), None, ctypes.byref(out))
                if rc < 0:
                    raise _lib.fail(rc)
        except BaseException:
            self._unwatch_notify_fd()
            raise
        self._h = out.value
        _live.add(self)
        try:
            await asyncio.wait_for(asyncio.shield(self._opened), open_timeout)
        except asyncio.TimeoutError:
            self._free()
            if self._opened.done() and self._opened.exception() is not None:
                raise self._opened.exception() from None  # ended just at the deadline
            raise Timeout("connection did not open within %.3g s (open_timeout)" % open_timeout,
                          wsc_status=WSC_EWAIT) from None
        except BaseException:
            self._free()
            raise

    def _free(self) -> None:
        h, self._h = self._h, None
        if h is None:
            self._unwatch_notify_fd()
            return
        try:
            self._last_stats = read_stats(self._lib, h)
        except WscError:
            pass
        # Waits for a callback that is running; that callback only needs the
        # GIL, which ctypes releases during this call.
        self._lib.wsc_conn_free(h)
        _live.discard(self)
        self._unwatch_notify_fd()  # after the free: no more writes to it
        if self._final is None:
            self._final = ConnectionClosedOK(1000, "", detail="connection was closed")
        try:
            self._wake()
        except Exception:  # __del__ of a connection whose loop is gone
            pass

    def _abandon(self) -> None:
        self._free()

    def __del__(self) -> None:
        try:
            self._free()
        except Exception:
            pass

    def _raise_closed(self) -> None:
        raise self._final or ConnectionClosedOK(1000, "", detail="connection was closed")

    # --- API -------------------------------------------------------------------
    async def send(self, data: Data) -> None:
        """Queue one message (``str`` = text, bytes-like = binary).

        When the send queue is full this waits (without blocking the event
        loop) until the library reports room again. Raises
        :class:`ConnectionClosed` or the error that ended the connection.
        """
        if type(data) is bytes:
            mtype, payload = WSC_BINARY, data
        else:
            mtype, payload = _encode(data)
        h = self._h
        if h is not None and not self._closed.done():
            if self._send_fn(h, mtype, payload, len(payload)) == WSC_OK:
                return
        await self._send_slow(mtype, payload)

    async def send_many(self, messages: Iterable[Data]) -> None:
        """:meth:`send` for each message in order (same rules, same errors);
        if one fails, the ones before it are queued and the rest are not."""
        send = self._send_fn
        for data in messages:
            if type(data) is bytes:
                mtype, payload = WSC_BINARY, data
            else:
                mtype, payload = _encode(data)
            h = self._h
            if h is None or self._closed.done() or \
                    send(h, mtype, payload, len(payload)) != WSC_OK:
                await self._send_slow(mtype, payload)

    async def _send_slow(self, mtype: int, payload: bytes) -> None:
        while True:
            if self._h is None or self._closed.done():
                self._raise_closed()
            self._drained.clear()
            rc = self._send_fn(self._h, mtype, payload, len(payload))
            if rc == WSC_OK:
                return
            if rc == WSC_EAGAIN:
                await self._drained.wait()
                continue
            if rc == WSC_ECLOSED:
                await asyncio.wait({self._closed}, timeout=2)
                if self._final is not None:
                    raise self._final
            raise _lib.fail(rc)

    async def recv(self, timeout: Optional[float] = None) -> Message:
        """The next message (``str`` for text, ``bytes`` for binary).

        Raises :class:`Timeout` after ``timeout`` seconds without one, and
        :class:`ConnectionClosedOK`/:class:`ConnectionClosedError` (or the
        error that ended the connection) once every message received before the
        close has been returned.
        """
        if timeout is not None:
            timeout = _args.timeout("timeout", timeout)
        rx = self._rx
        if rx:
            return rx.popleft()
        await self._fill(timeout)
        return rx.popleft()

    async def recv_many(self, max_messages: int = BATCH_MESSAGES,
                        timeout: Optional[float] = None) -> List[Message]:
        """The messages that are waiting, at least one and at most
        ``max_messages``, in order. Waits like :meth:`recv` for the first (up
        to ``timeout`` seconds) but never for more; raises like :meth:`recv`."""
        if isinstance(max_messages, bool) or not isinstance(max_messages, int):
            raise TypeError("max_messages must be an int")
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        timeout = _args.timeout("timeout", timeout)
        rx = self._rx
        if not rx:
            await self._fill(timeout)
        if len(rx) <= max_messages:
            out = list(rx)
            rx.clear()
            return out
        return [rx.popleft() for _ in range(max_messages)]

    async def _fill(self, timeout: Optional[float]) -> None:
        """Returns once the buffer holds a message (taking a batch from
        libwsc, waiting for the notify fd when none is queued)."""
        rx = self._rx
        loop = self._loop
        deadline = None if timeout is None else loop.time() + timeout
        while not rx:
            h = self._h
            if h is None:
                self._raise_closed()
            rc = take_batch(self._lib, h, 0, rx)
            if rc == WSC_OK:
                return
            if rc == WSC_ECLOSED:
                if self._pool_owned:
                    self._pooled_end(h)
                elif not self._closed.done():  # on_close is on its way to this loop
                    await asyncio.wait({self._closed}, timeout=2)
                self._raise_closed()
            if rc != WSC_EWAIT:
                raise _lib.fail(rc)
            if self._closed.done():  # on_close came first: nothing more will arrive
                self._raise_closed()
            if self._watching and self._notify_w < 0:
                self._start_notify(h)
                continue  # a message may have come before the fd was set: poll again
            fut = loop.create_future()
            self._waiters.append(fut)
            timer = None
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    self._waiters.remove(fut)
                    raise Timeout("no message within %.3g s" % timeout, wsc_status=WSC_EWAIT)
                timer = loop.call_at(deadline, _expire, fut)
            try:
                await fut
            finally:
                if timer is not None:
                    timer.cancel()
                if fut in self._waiters:
                    self._waiters.remove(fut)

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.recv()
            except ConnectionClosedOK:
                return

    async def close(self, code: int = 1000, reason: str = "", timeout: float = 10.0) -> None:
        """Close gracefully (queued messages first, then a Close frame), wait
        up to ``timeout`` seconds for the closing handshake, and free the
        connection. Raises what ended the connection if it ended another way
        (a timeout, a lost connection, ...), like the synchronous
        :meth:`wsc.Connection.close`. A bad ``code`` or ``reason`` raises
        ``TypeError``/:class:`InvalidArgument` and leaves the connection open."""
        payload = _args.close_args(code, reason)
        limit = _args.timeout("timeout", timeout)
        if self._h is None:
            return
        rc = self._lib.wsc_close(self._h, code, payload)
        if rc < 0 and rc != WSC_ECLOSED:
            raise _lib.fail(rc)  # nothing was sent: the connection goes on
        try:
            if self._pool_owned:  # no on_close: poll for the end
                deadline = None if limit is None else self._loop.time() + limit
                while (self._lib.wsc_wait(self._h, WSC_CLOSED, 0) == WSC_EWAIT
                       and (deadline is None or self._loop.time() < deadline)):
                    await asyncio.sleep(0.01)
            else:
                await asyncio.wait({self._closed}, timeout=limit)
            # What came before the close stays readable after it.
            while self._h is not None and take_batch(self._lib, self._h, 0, self._rx) == WSC_OK:
                pass
        finally:
            self._free()
        final = self._final
        if self._closed.done() and final is not None and \
                final.wsc_status not in (WSC_OK, WSC_ECLOSED):
            raise final

    async def wait_closed(self) -> None:
        """Wait until the connection has ended."""
        await asyncio.shield(self._closed)

    @property
    def state(self) -> State:
        if self._h is None:
            return State.CLOSED
        return State(self._lib.wsc_conn_state(self._h))

    def stats(self) -> Stats:
        if self._h is None:
            if self._last_stats is None:
                self._raise_closed()
            return self._last_stats  # type: ignore[return-value]
        return read_stats(self._lib, self._h)

    @property
    def close_code(self) -> Optional[int]:
        """The close code the connection ended with, ``None`` until it has."""
        return self._close_code

    @property
    def close_reason(self) -> Optional[str]:
        """The close reason the connection ended with, ``None`` until it has."""
        return self._close_reason

    @property
    def latency(self) -> float:
        """Smoothed ping round trip in seconds; 0.0 before the first pong."""
        return latency_of(self.stats())

    async def ping(self, timeout: float = 10.0, *, data: "bytes | str" = b"") -> float:
        """Send a ping now and wait for its pong; returns the round trip in
        seconds. ``data`` (bytes, or str as UTF-8; at most 125 bytes, else
        ``ValueError``) is the ping's payload, and the pong that echoes it
        settles the ping. Raises :class:`Timeout` when no pong came within
        ``timeout`` seconds (the connection goes on), a
        :class:`ConnectionClosed` error when the connection is not open or
        ends first."""
        ms = _ping.timeout_ms(timeout)
        payload = _args.ping_data(data)
        h = self._h
        if h is None:
            self._raise_closed()
        fut: "asyncio.Future[float]" = self._loop.create_future()

        def settle(status: int, rtt_us: int) -> None:
            if fut.done():
                return
            try:
                fut.set_result(_ping.outcome(status, rtt_us, ms))
            except WscError as e:
                fut.set_exception(e)

        token = _ping.start(self._lib, h, ms, lambda status, rtt: self._post(settle, status, rtt),
                            payload)
        try:
            # The library's own timer answers first; the margin only covers a
            # connection freed meanwhile (then no callback comes). Not
            # wait_for: wsc.Timeout is a TimeoutError, which it would swallow.
            await asyncio.wait({fut}, timeout=ms / 1000 + 5)
        finally:
            _ping.forget(token)
        if not fut.done():
            fut.cancel()
            self._raise_closed()
        return fut.result()

    @property
    def subprotocol(self) -> Optional[str]:
        if self._h is None:
            self._raise_closed()
        return read_subprotocol(self._lib, self._h)  # type: ignore[arg-type]

    @property
    def response_headers(self) -> Optional[http.client.HTTPMessage]:
        """The header fields of the last upgrade response, or ``None``."""
        if self._h is None:
            self._raise_closed()
        return read_response_headers(self._lib, self._h)  # type: ignore[arg-type]

    @property
    def remote_address(self) -> Optional[Tuple[str, int]]:
        """``(address, port)`` of the TCP peer (the proxy's, with a proxy)."""
        if self._h is None:
            self._raise_closed()
        return read_remote_address(self._lib, self._h)  # type: ignore[arg-type]

    def tls_info(self) -> Optional[TlsInfo]:
        if self._h is None:
            self._raise_closed()
        return read_tls_info(self._lib, self._h)  # type: ignore[arg-type]

    async def __aenter__(self) -> "Connection":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.close()
        except ConnectionClosed as e:  # as in the synchronous __exit__
            log.warning("%s ended: %s", where(self.url), e)

    def __repr__(self) -> str:
        return "<wsc.aio.Connection %s %s>" % (self.url, self.state.name)


class _Connect:
    """What :func:`connect` returns: await it, or use it with ``async with``."""

    def __init__(self, url: str, open_timeout: Optional[float], on_state: Optional[StateHook],
                 options: Any) -> None:
        self._url = url
        self._open_timeout = open_timeout
        self._on_state = on_state
        self._options = options
        self._conn: Optional[Connection] = None

    async def _open(self) -> Connection:
        conn = Connection(self._url, asyncio.get_running_loop(), self._on_state)
        await conn._start(self._options, self._open_timeout)
        return conn

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._open().__await__()

    async def __aenter__(self) -> Connection:
        self._conn = await self._open()
        return self._conn

    async def __aexit__(self, *exc: Any) -> None:
        if self._conn is not None:
            await self._conn.__aexit__(*exc)


def connect(url: str, *, open_timeout: Optional[float] = None,
            on_state: Optional[StateHook] = None,
            **options: "Unpack[ConnectOptions]") -> _Connect:
    """Open a connection: ``ws = await connect(url)`` or
    ``async with connect(url) as ws``.

    Options are the same keywords as :func:`wsc.connect` (unknown ones raise
    ``TypeError``); ``open_timeout`` bounds the whole open (reconnects
    included) and raises :class:`Timeout`; ``on_state(old, new)`` runs on the
    event loop at each state change. Opening fails with
    :class:`HandshakeError`, :class:`TlsError`, :class:`ConnectError`,
    :class:`Timeout`, ...
    """
    from .options import normalize
    _args.url(url)
    _args.timeout("open_timeout", open_timeout)
    state_hook(on_state)
    normalize(options)  # unknown keywords raise TypeError at the call
    return _Connect(url, open_timeout, on_state, options)
