"""A pool of connections to one endpoint (``wsc_pool_*``).

Synchronous::

    pool = wsc.Pool("ws://127.0.0.1:9001/", max_conns=8, min_idle=2)
    with pool.connection(timeout=5) as ws:   # open, healthy, ours alone
        ws.send("hi")
        print(ws.recv(timeout=5))
    # released: messages left unread are discarded

asyncio::

    async with pool.aconnection(timeout=5) as ws:
        await ws.send("hi")
        print(await ws.recv(timeout=5))

Connections are ordinary :class:`wsc.Connection` / :class:`wsc.aio.Connection`
objects that the pool owns: closing one (``close()``) makes the pool replace
it; after release it raises ``ConnectionClosedOK``. A pool may be shared by
threads; an asyncio pool user acquires in a worker thread, so a cancelled
``aconnection()`` gives back what it got late. ``acquire`` raises
:class:`Timeout` (``wsc_status`` ``WSC_EWAIT``: every connection stayed busy),
:class:`CircuitOpen` (the breaker is open: the endpoint kept
refusing) or :class:`PoolClosed`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator, Optional, Union

from . import _args, _lib, aio
from ._lib import wsc_pool_options, wsc_pool_snapshot
from .connection import Connection
from .errors import WSC_EAGAIN, WSC_ECLOSED, WSC_EWAIT, PoolClosed, Timeout, WscError
from .options import Options

if TYPE_CHECKING:
    import sys

    from .options import ConnectOptions
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:
        from typing_extensions import Unpack

__all__ = ["Pool", "PoolStats"]

BREAKER_STATES = ("closed", "open", "half-open")


@dataclass(frozen=True)
class PoolStats:
    """``wsc_pool_snapshot``: now (open = idle + checking + busy), then totals."""
    open: int
    idle: int
    busy: int
    opening: int
    checking: int
    waiting: int
    opened: int
    open_failures: int
    replaced: int
    health_checks: int
    health_check_failures: int
    rotated: int
    idle_closed: int
    discarded_messages: int
    acquired: int
    acquire_timeouts: int
    breaker_trips: int
    breaker_rejections: int
    breaker: str  # "closed", "open" or "half-open"


def _ms(seconds: float, name: str) -> int:
    value = _args.timeout(name, seconds)
    if value is None:
        raise TypeError("%s must be a number of seconds, not None" % name)
    return int(round(value * 1000))


class Pool:
    """Connections to ``url``: at most ``max_conns``, ``min_idle`` kept open.

    Args:
        check_after_idle: seconds idle after which a connection is pinged
            before it is handed out (0 = never); ``ping_timeout`` bounds it.
        max_idle_time: idle connections beyond ``min_idle`` close after this.
        max_lifetime: connections older than this close when idle.
        breaker_threshold: consecutive failed opens that stop dialing for
            ``breaker_cooldown`` seconds (0 = no breaker).
        **options: connection options, as for :func:`wsc.connect`.
    """

    def __init__(self, url: str, max_conns: int = 8, *, min_idle: int = 0,
                 check_after_idle: float = 30.0, ping_timeout: float = 2.0,
                 max_idle_time: float = 0.0, max_lifetime: float = 0.0,
                 breaker_threshold: int = 5, breaker_cooldown: float = 5.0,
                 **options: "Unpack[ConnectOptions]") -> None:
        curl = _args.url(url)
        self.url = url
        self._lib = _lib.lib()
        po = wsc_pool_options()
        _lib.check(self._lib.wsc_pool_options_init(ctypes.byref(po)))
        po.min_idle = min_idle
        po.check_after_idle_ms = _ms(check_after_idle, "check_after_idle")
        po.ping_timeout_ms = _ms(ping_timeout, "ping_timeout")
        po.max_idle_time_ms = _ms(max_idle_time, "max_idle_time")
        po.max_lifetime_ms = _ms(max_lifetime, "max_lifetime")
        po.breaker_threshold = breaker_threshold
        po.breaker_cooldown_ms = _ms(breaker_cooldown, "breaker_cooldown")
        out = ctypes.c_void_p()
        with Options(**options) as opts:
            rc = self._lib.wsc_pool_new(None, curl, opts.handle, max_conns,
                                        ctypes.byref(po), ctypes.byref(out))
        if rc < 0:
            raise _lib.fail(rc)
        self._h: Optional[int] = out.value
        self._mu = threading.Lock()
        # Handed out and not yet given back: invalidated when the pool closes.
        self._leased: "weakref.WeakSet[Union[Connection, aio.Connection]]" = weakref.WeakSet()
        self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = None

    # --- handles ---------------------------------------------------------------
    def _handle(self) -> int:
        h = self._h
        if h is None:
            raise PoolClosed("the pool is closed", wsc_status=WSC_ECLOSED)
        return h

    def _acquire_handle(self, timeout: Optional[float]) -> int:
        ms = -1 if timeout is None else _ms(timeout, "timeout")
        out = ctypes.c_void_p()
        rc = self._lib.wsc_pool_acquire(self._handle(), min(ms, 2**31 - 1), ctypes.byref(out))
        if rc == WSC_EWAIT:  # every connection stayed busy (the pool goes on)
            raise Timeout("no pooled connection within %.3g s" % timeout, wsc_status=rc)
        if rc == WSC_ECLOSED:
            raise PoolClosed("the pool is closed", wsc_status=rc)
        if rc < 0:
            raise _lib.fail(rc)
        return out.value  # type: ignore[return-value]

    def _track(self, conn: Union[Connection, "aio.Connection"]) -> None:
        with self._mu:
            self._leased.add(conn)

    # --- synchronous -------------------------------------------------------------
    def acquire(self, timeout: Optional[float] = None) -> Connection:
        """An open, healthy connection held by the caller alone; give it back
        with :meth:`release` (or use :meth:`connection`)."""
        conn = Connection._pooled(self.url, self._acquire_handle(timeout))
        self._track(conn)
        return conn

    def try_acquire(self) -> Optional[Connection]:
        """An idle connection now, or ``None``; never waits or dials."""
        out = ctypes.c_void_p()
        rc = self._lib.wsc_pool_try_acquire(self._handle(), ctypes.byref(out))
        if rc == WSC_EAGAIN:
            return None
        if rc == WSC_ECLOSED:
            raise PoolClosed("the pool is closed", wsc_status=rc)
        if rc < 0:
            raise _lib.fail(rc)
        conn = Connection._pooled(self.url, out.value)  # type: ignore[arg-type]
        self._track(conn)
        return conn

    def release(self, conn: Union[Connection, "aio.Connection"]) -> None:
        """Give a connection back (unread messages are discarded)."""
        with self._mu:
            self._leased.discard(conn)
        if isinstance(conn, Connection):
            conn._release()
        else:
            conn._free()

    @contextlib.contextmanager
    def connection(self, timeout: Optional[float] = None) -> Iterator[Connection]:
        """``with pool.connection() as ws:`` acquire, then release."""
        conn = self.acquire(timeout)
        try:
            yield conn
        finally:
            self.release(conn)

    # --- asyncio -------------------------------------------------------------------
    async def aacquire(self, timeout: Optional[float] = None) -> "aio.Connection":
        """:meth:`acquire` for asyncio: waits in a worker thread, so the event
        loop keeps running; on cancellation a connection that arrives late is
        given back."""
        loop = asyncio.get_running_loop()
        with self._mu:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=64, thread_name_prefix="wsc-pool")
            executor = self._executor
        fut = loop.run_in_executor(executor, self._acquire_handle, timeout)
        try:
            h = await asyncio.shield(fut)
        except asyncio.CancelledError:
            fut.add_done_callback(self._give_back_late)
            raise
        conn = aio.Connection._pooled(self.url, loop, h)
        self._track(conn)
        return conn

    def _give_back_late(self, fut: "asyncio.Future[int]") -> None:
        if not fut.cancelled() and fut.exception() is None and self._h is not None:
            self._lib.wsc_pool_release(self._h, fut.result())

    @contextlib.asynccontextmanager
    async def aconnection(self, timeout: Optional[float] = None) -> AsyncIterator["aio.Connection"]:
        """``async with pool.aconnection() as ws:`` acquire, then release."""
        conn = await self.aacquire(timeout)
        try:
            yield conn
        finally:
            self.release(conn)

    # --- the rest ------------------------------------------------------------------
    def stats(self) -> PoolStats:
        s = wsc_pool_snapshot()
        s.struct_size = ctypes.sizeof(wsc_pool_snapshot)
        _lib.check(self._lib.wsc_pool_stats(self._handle(), ctypes.byref(s)))
        values = [getattr(s, name) for name, _ in wsc_pool_snapshot._fields_[1:-1]]
        return PoolStats(*values, breaker=BREAKER_STATES[s.breaker_state])

    def close(self) -> None:
        """Wake waiters (:class:`PoolClosed`), close every connection, the
        ones still acquired included, and free the pool. Idempotent."""
        h = self._h
        if h is None:
            return
        self._lib.wsc_pool_close(h)
        with self._mu:
            leased = list(self._leased)
            self._leased.clear()
        for conn in leased:
            try:
                conn._abandon()
            except WscError:
                pass
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._h = None
        self._lib.wsc_pool_free(h)

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return "<wsc.Pool %s>" % self.url
