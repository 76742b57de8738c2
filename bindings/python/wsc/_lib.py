"""Loading libwsc with ctypes and declaring the C ABI of ``capi/wsc.h``.

Search order (the first that loads wins):

1. the file named by the ``WSC_LIBRARY`` environment variable (if set, it is
   the only place tried);
2. a copy beside this package (``wsc/libwsc.so.0``, ``wsc/libwsc.so``,
   ``wsc/libwsc.dylib``, ``wsc/wsc.dll``);
3. where ``meson install`` put libwsc when it installed this package (the
   ``LIBDIR`` of ``wsc/_installed.py``, which meson writes), so a prefix the
   dynamic loader does not search works without ``WSC_LIBRARY``;
4. the system, through ``ctypes.util.find_library("wsc")``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int, c_int64, c_size_t,
                    c_uint32, c_uint64, c_void_p)
from typing import List, Optional

from .errors import LibraryNotFound, error_for, WscError

# --- enums (values never change) -------------------------------------------
WSC_TEXT = 1
WSC_BINARY = 2

WSC_CONNECTING = 0
WSC_OPEN = 1
WSC_CLOSING = 2
WSC_CLOSED = 3
WSC_RECONNECTING = 4


class wsc_message(Structure):
    _fields_ = [("type", c_int), ("len", c_size_t), ("data", c_void_p)]


class wsc_batch(Structure):
    _fields_ = [("count", c_size_t), ("bytes", c_size_t), ("data", c_void_p), ("lens", c_void_p),
                ("types", c_void_p)]


class wsc_stats(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("msgs_sent", c_uint64),
        ("msgs_received", c_uint64),
        ("bytes_sent", c_uint64),
        ("bytes_received", c_uint64),
        ("reconnects", c_uint64),
        ("send_discarded", c_uint64),
        ("send_queue_bytes", c_size_t),
        ("rtt_us_last", c_int64),
        ("rtt_us_smoothed", c_int64),
        ("connect_attempts", c_uint64),
        ("last_http_status", c_int),
        ("http_status_from_proxy", c_int),
        ("recv_discarded", c_uint64),
        ("wire_bytes_sent", c_uint64),
        ("wire_bytes_received", c_uint64),
    ]


class wsc_tls_info(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("version", c_char * 32),
        ("cipher", c_char * 96),
        ("group", c_char * 48),
    ]


LOG_FN = CFUNCTYPE(None, c_int, c_char_p, c_char_p, c_void_p)

ON_OPEN = CFUNCTYPE(None, c_void_p, c_void_p)
ON_MESSAGE = CFUNCTYPE(None, c_void_p, c_int, c_void_p, c_size_t, c_void_p)
ON_ERROR = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_void_p)
ON_CLOSE = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_void_p)
ON_STATE = CFUNCTYPE(None, c_void_p, c_int, c_int, c_void_p)
ON_DRAIN = CFUNCTYPE(None, c_void_p, c_void_p)
ON_READABLE = CFUNCTYPE(None, c_void_p, c_void_p)
PING_CB = CFUNCTYPE(None, c_void_p, c_int, c_int64, c_void_p)


class wsc_callbacks(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("on_open", ON_OPEN),
        ("on_message", ON_MESSAGE),
        ("on_error", ON_ERROR),
        ("on_close", ON_CLOSE),
        ("on_state", ON_STATE),
        ("on_drain", ON_DRAIN),
        ("on_readable", ON_READABLE),
    ]


class wsc_pool_options(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("min_idle", c_size_t),
        ("check_after_idle_ms", c_int64),
        ("ping_timeout_ms", c_int64),
        ("max_idle_time_ms", c_int64),
        ("max_lifetime_ms", c_int64),
        ("breaker_threshold", c_uint32),
        ("breaker_cooldown_ms", c_int64),
    ]


class wsc_pool_snapshot(Structure):
    _fields_ = [("struct_size", c_size_t)] + [
        (name, c_size_t) for name in ("open", "idle", "busy", "opening", "checking", "waiting")
    ] + [
        (name, c_uint64) for name in (
            "opened", "open_failures", "replaced", "health_checks", "health_check_failures",
            "rotated", "idle_closed", "discarded_messages", "acquired", "acquire_timeouts",
            "breaker_trips", "breaker_rejections")
    ] + [("breaker_state", c_int)]


class wsc_rpc_config(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("protocol", c_int),
        ("default_timeout_ms", c_int64),
        ("max_outstanding", c_size_t),
        ("wait_for_reconnect", c_int),
        ("max_depth", c_size_t),
    ]


class wsc_rpc_result(Structure):
    _fields_ = [("status", c_int), ("data", c_void_p), ("len", c_size_t),
                ("error_code", c_int64), ("message", c_char_p)]


class wsc_rpc_queued(Structure):
    _fields_ = [("tag", c_uint64), ("result", wsc_rpc_result)]


RPC_ON_OPEN = CFUNCTYPE(None, c_void_p, c_void_p)
RPC_ON_ERROR = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_void_p)
RPC_ON_CLOSE = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_void_p)
RPC_ON_STATE = CFUNCTYPE(None, c_void_p, c_int, c_int, c_void_p)
RPC_DONE = CFUNCTYPE(None, c_void_p, POINTER(wsc_rpc_result), c_void_p)
RPC_HANDLER = CFUNCTYPE(None, c_void_p, c_char_p, c_void_p, c_size_t, c_void_p, c_void_p)


class wsc_rpc_callbacks(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("on_open", RPC_ON_OPEN),
        ("on_error", RPC_ON_ERROR),
        ("on_close", RPC_ON_CLOSE),
        ("on_state", RPC_ON_STATE),
    ]


_PROTOTYPES = {
    "wsc_version": (c_char_p, []),
    "wsc_strerror": (c_char_p, [c_int]),
    "wsc_status_is_fatal": (c_int, [c_int]),
    "wsc_last_error_detail": (c_char_p, []),
    "wsc_options_new": (c_void_p, []),
    "wsc_options_free": (None, [c_void_p]),
    "wsc_options_set_int": (c_int, [c_void_p, c_int, c_int64]),
    "wsc_options_set_str": (c_int, [c_void_p, c_int, c_char_p]),
    "wsc_options_add_header": (c_int, [c_void_p, c_char_p, c_char_p]),
    "wsc_message_free": (None, [POINTER(wsc_message)]),
    "wsc_connect": (c_int, [c_void_p, c_char_p, c_void_p, POINTER(wsc_callbacks), c_void_p,
                            POINTER(c_void_p)]),
    "wsc_send": (c_int, [c_void_p, c_int, c_char_p, c_size_t]),
    "wsc_recv": (c_int, [c_void_p, c_int, POINTER(POINTER(wsc_message))]),
    "wsc_recv_many": (c_int, [c_void_p, c_int, c_size_t, c_size_t, POINTER(POINTER(wsc_batch))]),
    "wsc_batch_free": (None, [POINTER(wsc_batch)]),
    "wsc_conn_notify_fd": (c_int, [c_void_p, c_int]),
    "wsc_close": (c_int, [c_void_p, c_int, c_char_p]),
    "wsc_wait": (c_int, [c_void_p, c_int, c_int]),
    "wsc_conn_state": (c_int, [c_void_p]),
    "wsc_conn_stats": (c_int, [c_void_p, POINTER(wsc_stats)]),
    "wsc_conn_subprotocol": (c_int, [c_void_p, c_char_p, c_size_t]),
    "wsc_ping": (c_int, [c_void_p, c_int, PING_CB, c_void_p]),
    "wsc_ping_data": (c_int, [c_void_p, c_char_p, c_size_t, c_int, PING_CB, c_void_p]),
    "wsc_conn_remote_address": (c_int, [c_void_p, c_char_p, c_size_t, POINTER(c_int)]),
    "wsc_conn_response_headers": (c_int, [c_void_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "wsc_conn_tls_info": (c_int, [c_void_p, POINTER(wsc_tls_info)]),
    "wsc_conn_free": (None, [c_void_p]),
    "wsc_pool_options_init": (c_int, [POINTER(wsc_pool_options)]),
    "wsc_pool_new": (c_int, [c_void_p, c_char_p, c_void_p, c_size_t, POINTER(wsc_pool_options),
                             POINTER(c_void_p)]),
    "wsc_pool_acquire": (c_int, [c_void_p, c_int, POINTER(c_void_p)]),
    "wsc_pool_try_acquire": (c_int, [c_void_p, POINTER(c_void_p)]),
    "wsc_pool_release": (c_int, [c_void_p, c_void_p]),
    "wsc_pool_stats": (c_int, [c_void_p, POINTER(wsc_pool_snapshot)]),
    "wsc_pool_close": (c_int, [c_void_p]),
    "wsc_pool_free": (None, [c_void_p]),
    "wsc_loop_metrics_text": (c_int, [c_void_p, c_char_p, c_size_t, POINTER(c_size_t)]),
    "wsc_set_log_handler": (c_int, [c_int, LOG_FN, c_void_p]),
    "wsc_rpc_config_init": (c_int, [POINTER(wsc_rpc_config)]),
    "wsc_rpc_connect": (c_int, [c_void_p, c_char_p, c_void_p, POINTER(wsc_rpc_config),
                                POINTER(wsc_rpc_callbacks), c_void_p, POINTER(c_void_p)]),
    "wsc_rpc_free": (None, [c_void_p]),
    "wsc_rpc_call": (c_int, [c_void_p, c_char_p, c_char_p, c_size_t, c_int, RPC_DONE, c_void_p]),
    "wsc_rpc_call_wait": (c_int, [c_void_p, c_char_p, c_char_p, c_size_t, c_int,
                                  POINTER(POINTER(wsc_rpc_result))]),
    "wsc_rpc_result_free": (None, [POINTER(wsc_rpc_result)]),
    "wsc_rpc_queue_new": (c_int, [POINTER(c_void_p)]),
    "wsc_rpc_queue_fd": (c_int, [c_void_p, POINTER(c_int)]),
    "wsc_rpc_call_queued": (c_int, [c_void_p, c_char_p, c_char_p, c_size_t, c_int, c_void_p,
                                    c_uint64]),
    "wsc_rpc_queue_take": (c_int, [c_void_p, POINTER(wsc_rpc_queued), c_size_t,
                                   POINTER(c_size_t)]),
    "wsc_rpc_queue_free": (None, [c_void_p]),
    "wsc_rpc_notify": (c_int, [c_void_p, c_char_p, c_char_p, c_size_t]),
    "wsc_rpc_on": (c_int, [c_void_p, c_char_p, RPC_HANDLER, c_void_p]),
    "wsc_rpc_reply_result": (c_int, [c_void_p, c_char_p, c_size_t]),
    "wsc_rpc_reply_error": (c_int, [c_void_p, c_int64, c_char_p, c_char_p, c_size_t]),
    "wsc_rpc_reply_defer": (c_int, [c_void_p, POINTER(c_void_p)]),
    "wsc_rpc_deferred_result": (c_int, [c_void_p, c_char_p, c_size_t]),
    "wsc_rpc_deferred_error": (c_int, [c_void_p, c_int64, c_char_p, c_char_p, c_size_t]),
    "wsc_rpc_deferred_free": (None, [c_void_p]),
    "wsc_rpc_close": (c_int, [c_void_p, c_int, c_char_p]),
    "wsc_rpc_wait": (c_int, [c_void_p, c_int, c_int]),
    "wsc_rpc_state": (c_int, [c_void_p]),
}

_BESIDE = ("libwsc.so.0", "libwsc.so", "libwsc.0.dylib", "libwsc.dylib", "wsc.dll", "libwsc.dll")

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def _load() -> ctypes.CDLL:
    tried: List[str] = []
    env = os.environ.get("WSC_LIBRARY")
    if env:
        try:
            return _declare(ctypes.CDLL(env))
        except (OSError, AttributeError) as e:
            raise LibraryNotFound(
                "cannot load libwsc from WSC_LIBRARY=%r: %s (unset WSC_LIBRARY to search beside "
                "the package and the system instead)" % (env, e)) from None
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(here, name) for name in _BESIDE]
    try:
        from ._installed import LIBDIR  # only in a package meson installed
        candidates.append(os.path.join(LIBDIR, "libwsc.so.0"))
    except ImportError:
        pass
    for path in candidates:
        if not os.path.exists(path):
            tried.append("%s (not found)" % path)
            continue
        try:
            return _declare(ctypes.CDLL(path))
        except (OSError, AttributeError) as e:
            tried.append("%s (%s)" % (path, e))
    found = ctypes.util.find_library("wsc")
    if found:
        try:
            return _declare(ctypes.CDLL(found))
        except (OSError, AttributeError) as e:
            tried.append("system library %s (%s)" % (found, e))
    else:
        tried.append("the system via ctypes.util.find_library('wsc') (not found)")
    raise LibraryNotFound(
        "cannot load libwsc. Set WSC_LIBRARY to the path of libwsc.so.0, copy the library "
        "beside the wsc package, or install it system-wide. Tried:\n  - WSC_LIBRARY (not set)\n  - "
        + "\n  - ".join(tried))


def lib() -> ctypes.CDLL:
    """The loaded libwsc with its prototypes declared (loaded on first use)."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _load()
    return _lib


def strerror(status: int) -> str:
    return lib().wsc_strerror(status).decode("utf-8", "replace")


def last_detail() -> str:
    """``wsc_last_error_detail()`` of this thread (call right after the failure)."""
    d = lib().wsc_last_error_detail()
    return d.decode("utf-8", "replace") if d else ""


def fail(status: int, *, http_status: int = 0) -> WscError:
    """The exception for a status just returned by a call on this thread."""
    return error_for(status, last_detail(), http_status=http_status, text=strerror(status))


def check(status: int) -> int:
    """Raise the mapped exception when ``status`` is negative."""
    if status < 0:
        raise fail(status)
    return status


def version() -> str:
    """The version of the loaded libwsc."""
    return lib().wsc_version().decode()
