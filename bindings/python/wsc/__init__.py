"""wsc: Python binding of the wsc WebSocket client library (ctypes, stdlib only).

Synchronous::

    import wsc
    with wsc.connect("ws://127.0.0.1:9001/", ping_interval=20) as ws:
        ws.send("hello")
        print(ws.recv(timeout=5))

asyncio::

    async with wsc.aio.connect("ws://127.0.0.1:9001/") as ws:
        await ws.send(b"\\x00\\x01")
        async for msg in ws:
            ...

libwsc is loaded on first use from ``$WSC_LIBRARY``, from a copy beside this
package, from where ``meson install`` put it, or from the system (see
:mod:`wsc._lib`). The binding logs to the :mod:`logging` logger ``"wsc"``:
connection errors (reconnect attempts included) at WARNING, state changes at
DEBUG; :func:`enable_library_logging` adds the library's own lines.
Prometheus metrics: :mod:`wsc.metrics` (``WscCollector``).
"""

from __future__ import annotations

from . import aio, rpc
from ._lib import version as library_version
from .connection import Connection, Message, State, Stats, TlsInfo, connect
from .options import ConnectOptions
from .errors import (CircuitOpen, ConnectError, ConnectionClosed, ConnectionClosedError,
                     ConnectionClosedOK, HandshakeError, InvalidArgument, LibraryNotFound,
                     MessageTooBig, PoolClosed, QueueFull, RemoteError, Timeout, TlsError,
                     WscError)
from .library_log import disable_library_logging, enable_library_logging
from .pool import Pool, PoolStats

__version__ = "0.1.0"

__all__ = [
    "connect", "Connection", "ConnectOptions", "Message", "State", "Stats", "TlsInfo", "aio",
    "library_version",
    "WscError", "ConnectionClosed", "ConnectionClosedOK", "ConnectionClosedError",
    "HandshakeError", "TlsError", "Timeout", "QueueFull", "ConnectError", "InvalidArgument",
    "MessageTooBig", "LibraryNotFound", "Pool", "PoolStats", "CircuitOpen", "PoolClosed",
    "RemoteError", "rpc", "enable_library_logging", "disable_library_logging",
]
