"""Pings for the synchronous and the asyncio API, on ``wsc_ping_data``.

One ctypes callback lives as long as the module and routes each pong to the
waiter registered under the token passed as ``user``: a per-ping callback
object could be collected while libwsc still holds its address, and one
that unregisters itself would be freed while it runs.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from typing import Callable, Dict

from . import _args, _lib
from ._lib import PING_CB
from .errors import WSC_ETIMEDOUT, WSC_OK, error_for

Done = Callable[[int, int], None]  # (status, rtt_us), on the library's loop thread

_waiters: Dict[int, Done] = {}
_tokens = itertools.count(1)
_lock = threading.Lock()


def _on_pong(_c: object, status: int, rtt_us: int, user: object) -> None:
    with _lock:
        done = _waiters.pop(int(user or 0), None)
    if done is not None:
        done(status, rtt_us)


_PONG = PING_CB(_on_pong)


def timeout_ms(timeout: float) -> int:
    """The ping's timeout in whole milliseconds (at least 1)."""
    limit = _args.timeout("timeout", timeout)
    if limit is None or limit == 0:
        raise ValueError("timeout must be > 0 seconds for a ping")
    return max(1, int(limit * 1000))


def start(lib: ctypes.CDLL, h: int, ms: int, done: Done, data: bytes = b"") -> int:
    """Sends a ping carrying ``data`` (checked by :func:`_args.ping_data`);
    ``done`` runs once with the outcome. Returns the token to pass to
    :func:`forget` when the waiter gives up."""
    with _lock:
        token = next(_tokens)
        _waiters[token] = done
    rc = lib.wsc_ping_data(h, data, len(data), ms, _PONG, ctypes.c_void_p(token))
    if rc < 0:
        forget(token)
        raise _lib.fail(rc)
    return token


def forget(token: int) -> None:
    with _lock:
        _waiters.pop(token, None)


def outcome(status: int, rtt_us: int, ms: int) -> float:
    """The round trip in seconds, or the exception for a ping that failed."""
    if status == WSC_OK:
        return rtt_us / 1e6
    text = _lib.strerror(status)
    if status == WSC_ETIMEDOUT:
        raise error_for(status, "no pong within %d ms" % ms, text=text)
    raise error_for(status, "the connection ended before the pong", text=text)

