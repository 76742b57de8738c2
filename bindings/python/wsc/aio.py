"""The asyncio API.

::

    async with wsc.aio.connect("ws://127.0.0.1:9001/") as ws:
        await ws.send("hello")
        async for msg in ws:
            ...

A connection runs in the library's *push mode*: its callbacks (on the
library's loop thread) hand each event to the running asyncio loop with
``loop.call_soon_threadsafe`` — no polling, no thread per message. A full send
queue makes :meth:`Connection.send` wait for the library's ``on_drain``
instead of failing.
"""

from __future__ import annotations

import asyncio
import ctypes
from typing import Any, AsyncIterator, Callable, Generator, Optional

from . import _lib
from ._lib import ON_CLOSE, ON_DRAIN, ON_ERROR, ON_MESSAGE, ON_OPEN, wsc_callbacks
from .connection import (Data, Message, State, Stats, TlsInfo, _decode, _encode, _live,
                         read_stats, read_subprotocol, read_tls_info)
from .errors import (WSC_EAGAIN, WSC_ECLOSED, WSC_OK, ConnectionClosedOK, Timeout, WscError,
                     closed_error)
from .options import Options

__all__ = ["connect", "Connection"]

_CLOSED = object()  # end-of-stream marker in the message queue


class Connection:
    """An asyncio WebSocket connection. Create it with :func:`connect`.

    All methods must be called from the event loop that opened it.
    """

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.url = url
        self._loop = loop
        self._lib = _lib.lib()
        self._h: Optional[int] = None
        self._messages: "asyncio.Queue[Any]" = asyncio.Queue()
        self._opened: "asyncio.Future[None]" = loop.create_future()
        self._closed: "asyncio.Future[None]" = loop.create_future()
        self._drained = asyncio.Event()
        self._error_status = WSC_OK
        self._error_detail = ""
        self._final: Optional[WscError] = None
        self._last_stats: Optional[Stats] = None
        self._cbs: Optional[wsc_callbacks] = None

    # --- loop-thread callbacks: hand over and return ------------------------------
    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the asyncio loop is closed: nobody to tell
            pass

    def _make_callbacks(self) -> wsc_callbacks:
        # The closures hold only a weak reference to self, so an abandoned
        # Connection is collected (and its handle freed) normally.
        import weakref
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

        def on_message(_c: Any, mtype: int, data: Any, size: int, _u: Any) -> None:
            try:
                payload = ctypes.string_at(data, size) if size else b""
                post("_on_message", mtype, payload)
            except BaseException:
                pass

        def on_error(_c: Any, status: int, detail: Optional[bytes], _u: Any) -> None:
            post("_on_error", status, detail.decode("utf-8", "replace") if detail else "")

        def on_close(_c: Any, code: int, reason: Optional[bytes], _u: Any) -> None:
            post("_on_close", code, reason.decode("utf-8", "replace") if reason else "")

        def on_drain(_c: Any, _u: Any) -> None:
            post("_on_drain")

        return wsc_callbacks(struct_size=ctypes.sizeof(wsc_callbacks), on_open=ON_OPEN(on_open),
                             on_message=ON_MESSAGE(on_message), on_error=ON_ERROR(on_error),
                             on_close=ON_CLOSE(on_close), on_drain=ON_DRAIN(on_drain))

    # --- the same events, now on the asyncio loop ---------------------------------
    def _on_open(self) -> None:
        self._error_status, self._error_detail = WSC_OK, ""
        if not self._opened.done():
            self._opened.set_result(None)

    def _on_message(self, mtype: int, payload: bytes) -> None:
        try:
            self._messages.put_nowait(_decode(mtype, payload))
        except UnicodeDecodeError:
            pass

    def _on_error(self, status: int, detail: str) -> None:
        self._error_status, self._error_detail = status, detail

    def _on_close(self, code: int, reason: str) -> None:
        if self._final is None:
            http = 0
            if self._h is not None:
                try:
                    http = read_stats(self._lib, self._h).last_http_status
                except WscError:
                    pass
            status = self._error_status
            self._final = closed_error(status, code, reason, self._error_detail,
                                       http_status=http, text=_lib.strerror(status))
        self._messages.put_nowait(_CLOSED)
        self._drained.set()
        if not self._opened.done():
            self._opened.set_exception(self._final)
            self._opened.exception()  # mark retrieved
        if not self._closed.done():
            self._closed.set_result(None)

    def _on_drain(self) -> None:
        self._drained.set()

    # --- lifetime --------------------------------------------------------------
    async def _start(self, options: Any) -> None:
        self._cbs = self._make_callbacks()
        with Options(**options) as opts:
            out = ctypes.c_void_p()
            rc = self._lib.wsc_connect(None, self.url.encode("utf-8"), opts.handle,
                                       ctypes.byref(self._cbs), None, ctypes.byref(out))
            if rc < 0:
                raise _lib.fail(rc)
        self._h = out.value
        _live.add(self)
        try:
            await asyncio.shield(self._opened)
        except BaseException:
            self._free()
            raise

    def _free(self) -> None:
        h, self._h = self._h, None
        if h is None:
            return
        try:
            self._last_stats = read_stats(self._lib, h)
        except WscError:
            pass
        # Waits for a callback that is running; that callback only needs the
        # GIL, which ctypes releases during this call.
        self._lib.wsc_conn_free(h)
        _live.discard(self)
        if self._final is None:
            self._final = ConnectionClosedOK(1000, "", detail="connection was closed")

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
        mtype, payload = _encode(data)
        while True:
            if self._h is None or self._closed.done():
                self._raise_closed()
            self._drained.clear()
            rc = self._lib.wsc_send(self._h, mtype, payload, len(payload))
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
        if self._messages.empty() and self._closed.done():
            self._raise_closed()
        try:
            item = await asyncio.wait_for(self._messages.get(), timeout)
        except asyncio.TimeoutError:
            raise Timeout("no message within %.3g s" % timeout) from None
        if item is _CLOSED:
            self._messages.put_nowait(_CLOSED)  # every later recv() sees it too
            self._raise_closed()
        return item

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.recv()
            except ConnectionClosedOK:
                return

    async def close(self, code: int = 1000, reason: str = "", timeout: float = 10.0) -> None:
        """Close gracefully (queued messages first, then a Close frame), wait up
        to ``timeout`` seconds for the closing handshake, and free the connection."""
        if self._h is None:
            return
        try:
            rc = self._lib.wsc_close(self._h, code, reason.encode("utf-8"))
            if rc < 0 and rc != WSC_ECLOSED:
                raise _lib.fail(rc)
            await asyncio.wait({self._closed}, timeout=timeout)
        finally:
            self._free()

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
    def subprotocol(self) -> Optional[str]:
        if self._h is None:
            self._raise_closed()
        return read_subprotocol(self._lib, self._h)  # type: ignore[arg-type]

    def tls_info(self) -> Optional[TlsInfo]:
        if self._h is None:
            self._raise_closed()
        return read_tls_info(self._lib, self._h)  # type: ignore[arg-type]

    async def __aenter__(self) -> "Connection":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        return "<wsc.aio.Connection %s %s>" % (self.url, self.state.name)


class _Connect:
    """What :func:`connect` returns: await it, or use it with ``async with``."""

    def __init__(self, url: str, options: Any) -> None:
        self._url = url
        self._options = options
        self._conn: Optional[Connection] = None

    async def _open(self) -> Connection:
        conn = Connection(self._url, asyncio.get_running_loop())
        await conn._start(self._options)
        return conn

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._open().__await__()

    async def __aenter__(self) -> Connection:
        self._conn = await self._open()
        return self._conn

    async def __aexit__(self, *exc: Any) -> None:
        if self._conn is not None:
            await self._conn.close()


def connect(url: str, **options: Any) -> _Connect:
    """Open a connection: ``ws = await connect(url)`` or
    ``async with connect(url) as ws``.

    Options are the same keywords as :func:`wsc.connect` (unknown ones raise
    ``TypeError``). Opening fails with :class:`HandshakeError`,
    :class:`TlsError`, :class:`ConnectError`, :class:`Timeout`, ...; wrap it in
    ``asyncio.wait_for`` to bound the whole open when ``reconnect=True``.
    """
    from .options import normalize
    normalize(options)  # unknown keywords raise TypeError at the call
    return _Connect(url, options)
