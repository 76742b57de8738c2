"""Argument checks shared by the synchronous and the asyncio API: wrong
types raise TypeError, wrong values ValueError, before any C call (so a bad
argument never changes the connection)."""

from __future__ import annotations

import math
from typing import Optional


def timeout(name: str, value: Optional[float]) -> Optional[float]:
    """``None`` or a non-negative number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number of seconds or None, not %s"
                        % (name, type(value).__name__))
    if math.isnan(value) or value < 0:
        raise ValueError("%s must be >= 0 seconds, got %r" % (name, value))
    return float(value)


def close_args(code: int, reason: str) -> bytes:
    """The close reason as UTF-8, after checking the types (the library
    checks the values: wsc_close refuses a bad code without closing)."""
    if isinstance(code, bool) or not isinstance(code, int):
        raise TypeError("close code must be an int, not %s" % type(code).__name__)
    if not isinstance(reason, str):
        raise TypeError("close reason must be a str, not %s" % type(reason).__name__)
    return reason.encode("utf-8")


def url(value: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError("url must be a str such as 'ws://host:port/path', not %s"
                        % type(value).__name__)
    return value.encode("utf-8")


def ping_data(value: "bytes | str") -> bytes:
    """A ping's payload as bytes (a str as UTF-8): at most 125 bytes, the
    most a control frame carries (RFC 6455 section 5.5)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("ping data must be bytes or str, not %s" % type(value).__name__)
    data = bytes(value)
    if len(data) > 125:
        raise ValueError("ping data is at most 125 bytes, got %d" % len(data))
    return data
