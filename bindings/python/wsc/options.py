"""Connection options: Python keyword arguments onto ``wsc_options``.

Every C option (``WSC_OPT_<NAME>``) is accepted as the keyword ``<name>`` in
lower case with the C unit (``ping_interval_ms=20000``, ``tls_ca_file=...``).
The friendlier spellings below are accepted too: times without ``_ms`` are in
**seconds** (``ping_interval=20``), and the TLS files have the ``ssl`` module's
names (``cafile=``, ``certfile=``, ``keyfile=``). Giving one option twice under
two names, or an unknown keyword, raises :class:`TypeError`.

Plus:

- ``headers``: a mapping or an iterable of ``(name, value)`` pairs, sent with
  the upgrade request (``wsc_options_add_header``);
- ``subprotocols``: a list of names (or one comma-separated string), offered in
  order.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterable, List, Mapping, Tuple, TypedDict, Union

from . import _lib
from .errors import InvalidArgument

Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]]]
PathLike = Union[str, "os.PathLike[str]"]


class ConnectOptions(TypedDict, total=False):
    """Every keyword :func:`wsc.connect` and :func:`wsc.aio.connect` take
    besides ``open_timeout`` and ``on_state`` (``**options:
    Unpack[ConnectOptions]``, so IDEs complete them and type checkers check
    them). ``None`` means the library default. Times without ``_ms`` are
    seconds."""
    # times, seconds
    connect_timeout: float
    ping_interval: float
    pong_timeout: float
    idle_timeout: float
    write_timeout: float
    reconnect_min: float
    reconnect_max: float
    # the same in the C unit, milliseconds
    connect_timeout_ms: int
    ping_interval_ms: int
    pong_timeout_ms: int
    idle_timeout_ms: int
    write_timeout_ms: int
    reconnect_min_ms: int
    reconnect_max_ms: int
    # reconnect
    reconnect: bool
    reconnect_max_attempts: int
    reconnect_on_normal_close: bool
    reconnect_seed: int
    # limits and rates
    max_message_bytes: int
    send_queue_bytes: int
    recv_queue_bytes: int
    send_rate_per_s: int
    send_burst: int
    compression: bool
    # the upgrade request
    subprotocols: Union[str, List[str]]
    origin: str
    headers: Headers
    # TLS
    tls_verify: bool
    tls_min_version: Union[int, str]
    tls_ca_file: PathLike
    tls_cert_file: PathLike
    tls_key_file: PathLike
    tls_ciphers: str
    tls13_ciphersuites: str
    tls_groups: str
    tls_server_name: str
    cafile: PathLike
    certfile: PathLike
    keyfile: PathLike
    ciphers: str
    server_hostname: str
    # proxy
    proxy: str
    proxy_from_env: bool

# name -> (C option number, kind). kind: "ms", "int", "bool", "str"
C_OPTIONS: Dict[str, Tuple[int, str]] = {
    "connect_timeout_ms": (1, "ms"),
    "ping_interval_ms": (2, "ms"),
    "pong_timeout_ms": (3, "ms"),
    "idle_timeout_ms": (4, "ms"),
    "write_timeout_ms": (5, "ms"),
    "reconnect": (6, "bool"),
    "reconnect_min_ms": (7, "ms"),
    "reconnect_max_ms": (8, "ms"),
    "reconnect_max_attempts": (9, "int"),
    "reconnect_on_normal_close": (10, "bool"),
    "max_message_bytes": (11, "int"),
    "send_queue_bytes": (12, "int"),
    "recv_queue_bytes": (13, "int"),
    "send_rate_per_s": (14, "int"),
    "send_burst": (15, "int"),
    "compression": (16, "bool"),
    "tls_verify": (17, "bool"),
    "tls_min_version": (18, "tlsver"),
    "proxy_from_env": (19, "bool"),
    "reconnect_seed": (20, "int"),
    "subprotocols": (100, "list"),
    "origin": (101, "str"),
    "tls_ca_file": (102, "str"),
    "tls_cert_file": (103, "str"),
    "tls_key_file": (104, "str"),
    "tls_ciphers": (105, "str"),
    "tls13_ciphersuites": (106, "str"),
    "tls_groups": (107, "str"),
    "tls_server_name": (108, "str"),
    "proxy": (109, "str"),
}

# friendly alias -> (C name, converter to the C unit)
def _seconds(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("expected a number of seconds, got %r" % (v,))
    return int(round(v * 1000))


ALIASES: Dict[str, Tuple[str, Callable[[Any], Any]]] = {
    "connect_timeout": ("connect_timeout_ms", _seconds),
    "ping_interval": ("ping_interval_ms", _seconds),
    "pong_timeout": ("pong_timeout_ms", _seconds),
    "idle_timeout": ("idle_timeout_ms", _seconds),
    "write_timeout": ("write_timeout_ms", _seconds),
    "reconnect_min": ("reconnect_min_ms", _seconds),
    "reconnect_max": ("reconnect_max_ms", _seconds),
    "cafile": ("tls_ca_file", lambda v: v),
    "certfile": ("tls_cert_file", lambda v: v),
    "keyfile": ("tls_key_file", lambda v: v),
    "ciphers": ("tls_ciphers", lambda v: v),
    "server_hostname": ("tls_server_name", lambda v: v),
}

def normalize(options: Mapping[str, Any]) -> Dict[str, Any]:
    """Resolve aliases and check names: ``{C name: value in the C unit}``.

    Raises TypeError for unknown keywords or an option given twice.
    """
    out: Dict[str, Any] = {}
    for key, value in options.items():
        if key == "headers":
            out["headers"] = value
            continue
        if key in ALIASES:
            cname, conv = ALIASES[key]
            if value is not None:
                value = conv(value)
        elif key in C_OPTIONS:
            cname = key
        else:
            raise TypeError("unknown wsc option %r (known: %s)" % (
                key, ", ".join(sorted(list(C_OPTIONS) + list(ALIASES) + ["headers"]))))
        if cname in out:
            raise TypeError("option %r given twice (as %r and another spelling)" % (cname, key))
        out[cname] = value
    return out


def header_pairs(value: Any) -> List[Tuple[str, str]]:
    """``headers=``: a mapping or an iterable of ``(name, value)`` pairs of
    str; anything else raises TypeError (the library checks the words)."""
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError("headers must be a mapping or an iterable of (name, value) pairs, "
                        "not %s" % type(value).__name__)
    else:
        items = list(value)
    out = []
    for item in items:
        if not (isinstance(item, tuple) or isinstance(item, list)) or len(item) != 2:
            raise TypeError("each header must be a (name, value) pair, not %r" % (item,))
        k, v = item
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError("header names and values must be str, got %r" % (item,))
        out.append((k, v))
    return out


def _as_path(v: Any) -> str:
    if isinstance(v, (str, bytes, os.PathLike)):
        p = os.fspath(v)
        return p.decode() if isinstance(p, bytes) else p
    raise TypeError("expected a string, got %r" % (v,))


class Options:
    """An owned ``wsc_options`` handle built from keyword arguments."""

    def __init__(self, **options: Any) -> None:
        self._lib = _lib.lib()
        self._h = self._lib.wsc_options_new()
        if not self._h:
            raise MemoryError("wsc_options_new failed")
        try:
            for name, value in normalize(options).items():
                if value is None:
                    continue  # None = library default
                self._set(name, value)
        except BaseException:
            self.free()
            raise

    def _set(self, name: str, value: Any) -> None:
        L = self._lib
        if name == "headers":
            for k, v in header_pairs(value):
                self._check(L.wsc_options_add_header(self._h, k.encode(), v.encode()), name)
            return
        opt, kind = C_OPTIONS[name]
        if kind == "bool":
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise TypeError("option %r takes a bool, got %r" % (name, value))
            self._check(L.wsc_options_set_int(self._h, opt, int(value)), name)
        elif kind in ("int", "ms", "tlsver"):
            if kind == "tlsver" and isinstance(value, str):
                value = {"1.2": 12, "1.3": 13, "TLSv1.2": 12, "TLSv1.3": 13}.get(value, value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("option %r takes an integer, got %r" % (name, value))
            self._check(L.wsc_options_set_int(self._h, opt, value), name)
        elif kind == "list":
            if isinstance(value, str):
                text = value
            else:
                items = [str(x) for x in value]
                if any("," in x for x in items):
                    raise InvalidArgument("subprotocol names cannot contain ','")
                text = ",".join(items)
            self._check(L.wsc_options_set_str(self._h, opt, text.encode()), name)
        else:
            self._check(L.wsc_options_set_str(self._h, opt, _as_path(value).encode()), name)

    def _check(self, status: int, name: str) -> None:
        if status < 0:
            err = _lib.fail(status)
            err.args = ("option %r: %s" % (name, err.args[0]),)
            raise err

    @property
    def handle(self) -> int:
        return self._h

    def free(self) -> None:
        if self._h:
            self._lib.wsc_options_free(self._h)
            self._h = None

    def __enter__(self) -> "Options":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.free()
