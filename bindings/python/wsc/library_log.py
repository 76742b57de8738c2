"""libwsc's own log lines in :mod:`logging`.

The binding itself logs connection errors and state changes to the logger
``"wsc"``. :func:`enable_library_logging` adds what the library sees below
the binding: each attempt, the open with its TLS details and handshake
time, reconnects with their delay and reason, close codes (logger
``"wsc"``), and libwebsockets' own lines (logger ``"wsc.lws"``). Off by
default: libwsc is silent unless asked. Lines never carry request headers,
proxy credentials, cookies, or URL paths and queries.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Optional

from . import _lib

_WSC_LOG_ERROR, _WSC_LOG_WARN, _WSC_LOG_INFO, _WSC_LOG_DEBUG = 1, 2, 3, 4
_TO_LOGGING = {_WSC_LOG_ERROR: logging.ERROR, _WSC_LOG_WARN: logging.WARNING,
               _WSC_LOG_INFO: logging.INFO, _WSC_LOG_DEBUG: logging.DEBUG}

_lock = threading.Lock()
_handler: Optional[object] = None  # the ctypes callback, kept alive while installed


def _wsc_level(level: int) -> int:
    if level <= logging.DEBUG:
        return _WSC_LOG_DEBUG
    if level <= logging.INFO:
        return _WSC_LOG_INFO
    if level <= logging.WARNING:
        return _WSC_LOG_WARN
    return _WSC_LOG_ERROR


def _emit(level: int, origin: bytes, message: bytes, _user: object) -> None:
    # Runs on a libwsc thread (mostly a loop thread); never raise into C.
    try:
        name = "wsc" if origin == b"wsc" else "wsc." + origin.decode("ascii", "replace")
        logging.getLogger(name).log(_TO_LOGGING.get(level, logging.DEBUG),
                                    "%s", message.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - a logging failure must not reach the loop thread
        pass


def enable_library_logging(level: int = logging.INFO) -> None:
    """Route libwsc's log lines at ``level`` and above (a :mod:`logging`
    level) to the loggers ``"wsc"`` and ``"wsc.lws"``. Lines below ``level``
    are dropped inside the library before they are made. Process-wide."""
    global _handler
    with _lock:
        fn = _lib.LOG_FN(_emit)
        _lib.check(_lib.lib().wsc_set_log_handler(_wsc_level(level), fn, None))
        _handler = fn  # the old callback is no longer called once the call returned


def disable_library_logging() -> None:
    """Back to silence (the default)."""
    global _handler
    with _lock:
        if _handler is None:
            return
        _lib.check(_lib.lib().wsc_set_log_handler(0, _lib.LOG_FN(), None))
        _handler = None


# A loop thread must not call into an interpreter that is going away.
atexit.register(disable_library_logging)
