"""Exceptions raised by the wsc binding, mapped from the C ABI's status codes.

Every error is a :class:`WscError`. It carries ``wsc_status`` (the negative
``wsc_status`` value from ``<wsc/status.h>``, 0 when the error did not come
from a status), ``status_name`` (e.g. ``"WSC_ETLS"``) and ``detail`` (the
library's words, from ``wsc_last_error_detail()`` or the ``on_error``
callback).
"""

from __future__ import annotations

from typing import Dict, Optional, Type

# The status table of <wsc/status.h>; values never change.
WSC_OK = 0
WSC_EINVAL = -1
WSC_ESTATE = -2
WSC_EAGAIN = -3
WSC_ENOMEM = -4
WSC_ECLOSED = -5
WSC_ETIMEDOUT = -6
WSC_ECONNECT = -7
WSC_EHANDSHAKE = -8
WSC_ETLS = -9
WSC_EPROTO = -10
WSC_ETOOBIG = -11
WSC_EDECODE = -12
WSC_EINTERNAL = -13
WSC_ELOST = -14
WSC_ESERVER = -15
WSC_EWAIT = -16
WSC_EBREAKER = -17
WSC_EREMOTE = -18

STATUS_NAMES: Dict[int, str] = {
    value: name
    for name, value in globals().items()
    if name.startswith("WSC_") and isinstance(value, int)
}


class WscError(Exception):
    """Base class of every error the binding raises.

    Attributes:
        wsc_status: the C status code (negative), or 0.
        status_name: its name, e.g. ``"WSC_ECONNECT"``.
        detail: the library's explanation (may be empty).
    """

    def __init__(self, message: str, *, wsc_status: int = 0, detail: str = "") -> None:
        super().__init__(message)
        self.wsc_status: int = wsc_status
        self.status_name: str = STATUS_NAMES.get(wsc_status, str(wsc_status))
        self.detail: str = detail


class LibraryNotFound(WscError, ImportError):
    """libwsc could not be loaded; the message lists every place tried."""


class InvalidArgument(WscError, ValueError):
    """An argument or option value was rejected (``WSC_EINVAL``)."""


class ConnectError(WscError, ConnectionError):
    """TCP connect or DNS failed (``WSC_ECONNECT``)."""


class HandshakeError(WscError):
    """The server refused the WebSocket upgrade (``WSC_EHANDSHAKE``, ``WSC_ESERVER``).

    Attributes:
        status: the HTTP status of the upgrade response (0 if none arrived).
    """

    def __init__(self, message: str, *, status: int = 0, wsc_status: int = WSC_EHANDSHAKE,
                 detail: str = "") -> None:
        super().__init__(message, wsc_status=wsc_status, detail=detail)
        self.status: int = status


class TlsError(WscError):
    """TLS handshake or certificate verification failed (``WSC_ETLS``)."""


class Timeout(WscError, TimeoutError):
    """A wait ran out: ``recv(timeout=...)``, ``open_timeout``, or the
    connection could not be opened within ``connect_timeout``.

    ``wsc_status`` tells which: ``WSC_EWAIT`` when only the call's own wait
    ran out (the connection goes on), ``WSC_ETIMEDOUT`` when the library's
    connect timer ended the attempt. A connection that was open and then
    ended by one of its timers (pong, idle, write, close) raises
    :class:`ConnectionClosedError` with ``wsc_status == WSC_ETIMEDOUT``
    instead, so a loop that retries ``recv(timeout=...)`` on :class:`Timeout`
    never spins on a dead connection."""


class QueueFull(WscError):
    """The send queue is full (``WSC_EAGAIN``): the peer reads slower than you send."""


class MessageTooBig(WscError, ValueError):
    """A message is larger than a configured limit (``WSC_ETOOBIG``)."""


class CircuitOpen(WscError):
    """A pool's circuit breaker is open (``WSC_EBREAKER``): opens to the
    endpoint kept failing, so the pool does not dial until its cool-down ends."""


class PoolClosed(WscError):
    """The pool was closed (``WSC_ECLOSED`` from an acquire)."""


class RemoteError(WscError):
    """The peer answered a call with an error (``WSC_EREMOTE``).

    Attributes:
        code: the error's code (JSON-RPC ``code``; MessagePack-RPC: the
            first element of an ``[code, message]`` error, else 0).
        message: the error's message.
        data: the error's decoded ``data`` (JSON-RPC), or the whole decoded
            error object (MessagePack-RPC); ``None`` when absent.

    Raise it from an RPC handler to answer with this error.
    """

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__("remote error %d: %s" % (code, message), wsc_status=WSC_EREMOTE,
                         detail=message)
        self.code: int = code
        self.message: str = message
        self.data: object = data


class ConnectionClosed(WscError):
    """The connection is closed.

    Attributes:
        code: the close code (1000 normal, 1006 when there was no close
            handshake, ...).
        reason: the close reason sent by the peer or by you.
    """

    def __init__(self, code: int, reason: str = "", *, wsc_status: int = WSC_ECLOSED,
                 detail: str = "", message: Optional[str] = None) -> None:
        if message is None:
            message = "connection closed: code %d%s" % (code, " (%s)" % reason if reason else "")
            if detail:
                message += ": " + detail
        super().__init__(message, wsc_status=wsc_status, detail=detail)
        self.code: int = code
        self.reason: str = reason


class ConnectionClosedOK(ConnectionClosed):
    """Closed cleanly (close code 1000 or 1001); iteration ends without raising."""


class ConnectionClosedError(ConnectionClosed):
    """Closed abnormally (another close code, a lost connection, a protocol error)."""


_BY_STATUS: Dict[int, Type[WscError]] = {
    WSC_EINVAL: InvalidArgument,
    WSC_ECONNECT: ConnectError,
    WSC_ETLS: TlsError,
    WSC_ETIMEDOUT: Timeout,
    WSC_EWAIT: Timeout,
    WSC_EAGAIN: QueueFull,
    WSC_ETOOBIG: MessageTooBig,
    WSC_EBREAKER: CircuitOpen,
}


def error_for(status: int, detail: str = "", *, http_status: int = 0,
              text: Optional[str] = None) -> WscError:
    """Build the exception for a failed C call or a connection's final status.

    ``text`` is the status's words (``wsc_strerror``); ``detail`` the specifics.
    """
    if text is None:
        text = STATUS_NAMES.get(status, "unknown status %d" % status)
    message = "%s: %s" % (text, detail) if detail and detail != text else text
    if status in (WSC_EHANDSHAKE, WSC_ESERVER):
        if http_status:
            message += " (HTTP %d)" % http_status
        return HandshakeError(message, status=http_status, wsc_status=status, detail=detail)
    if status == WSC_ECLOSED:
        return ConnectionClosedError(1006, "", wsc_status=status, detail=detail, message=message)
    cls = _BY_STATUS.get(status, WscError)
    return cls(message, wsc_status=status, detail=detail)


# How an open connection can end besides a close handshake: these raise
# ConnectionClosedError carrying the status (never Timeout: see Timeout).
_ENDED_AFTER_OPEN = (WSC_ELOST, WSC_EPROTO, WSC_EDECODE, WSC_ETOOBIG, WSC_EINTERNAL, WSC_ENOMEM,
                     WSC_ETIMEDOUT)


def closed_error(status: int, code: int, reason: str, detail: str = "", *,
                 http_status: int = 0, text: Optional[str] = None,
                 opened: bool = True) -> WscError:
    """The exception for a connection that has ended.

    ``status`` is how it ended (``WSC_OK`` for a close handshake), ``code`` and
    ``reason`` what ``on_close`` reported; ``opened`` whether it was ever
    open (a connect timeout is a :class:`Timeout`, a pong timeout after the
    open a :class:`ConnectionClosedError`).
    """
    if status == WSC_OK or status == WSC_ECLOSED:
        if status == WSC_OK and code in (1000, 1001):
            return ConnectionClosedOK(code, reason, wsc_status=WSC_ECLOSED, detail=detail)
        return ConnectionClosedError(code or 1006, reason, wsc_status=WSC_ECLOSED, detail=detail)
    if status in _ENDED_AFTER_OPEN and (opened or status != WSC_ETIMEDOUT):
        words = text or STATUS_NAMES.get(status, str(status))
        return ConnectionClosedError(code or 1006, reason, wsc_status=status,
                                     detail="%s: %s" % (words, detail) if detail else words)
    return error_for(status, detail, http_status=http_status, text=text)
