"""Request/response RPC over a wsc connection: JSON-RPC 2.0 and MessagePack-RPC.

Synchronous::

    with wsc.rpc.connect("ws://127.0.0.1:9000/") as rpc:   # JSON-RPC 2.0
        five = rpc.call("add", [2, 3], timeout=5)
        rpc.notify("note", {"hi": 1})
        rpc.on("client.double", lambda params: params[0] * 2)
        for total in rpc.map("add", ([i, i] for i in range(1000)), window=64):
            ...  # results in order, up to 64 calls out

asyncio::

    async with await wsc.rpc.connect_async(url, protocol="msgpack") as rpc:
        five = await rpc.call("add", [2, 3])

The engine (ids, deadlines, correlation, reconnects, method-not-found) is
libwsc's (``<wsc/wsc_rpc.h>``); this module only encodes params and decodes
results with the language's own codecs: stdlib :mod:`json` for JSON-RPC,
Debian's python3-msgpack for MessagePack-RPC (imported only when used); for
the protobuf envelope (:data:`PROTOBUF`) params are protobuf messages (or
bytes) and results are bytes for ``YourMessage.FromString``.

Nothing here polls. :meth:`Client.call` blocks inside ``wsc_rpc_call_wait``
(ctypes releases the GIL); :meth:`Client.map` makes its calls into a
completion queue of its own and blocks in ``poll`` on its descriptor only
when the next result has not arrived; :meth:`Client.call_future` and
:meth:`AsyncClient.call` hand a completion to ``wsc_rpc_call``, which the
library runs on its loop thread when the answer (or the deadline, or the
connection's end) arrives. :meth:`AsyncClient.call` runs no Python on the
library's thread at all: it calls ``wsc_rpc_call_queued``, the outcome goes
into a ``wsc_rpc_queue``, whose eventfd the event loop watches
(``add_reader``), and one ``wsc_rpc_queue_take`` per wake-up hands over
every answer that arrived meanwhile. Handlers registered with ``on`` run on the loop
thread, so they should be short. With the asyncio client a handler may be
``async def``: the library is told the answer comes later
(``wsc_rpc_reply_defer``), the coroutine runs as a task on the event loop,
and its result (or exception) is sent back as the response when it ends.

How a call fails: :class:`~wsc.errors.RemoteError` (the peer's error object),
:class:`~wsc.errors.Timeout` with ``wsc_status == WSC_ETIMEDOUT`` (no answer
by the deadline), :class:`~wsc.errors.ConnectionClosedError` with
``wsc_status`` ``WSC_ELOST`` (the connection dropped after the call was
sent: it may or may not have run) or ``WSC_ECLOSED`` (closed, or the client
freed), :class:`~wsc.errors.QueueFull` (``max_outstanding`` calls are
waiting, or the send queue is full; :meth:`AsyncClient.call` waits instead).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import functools
import inspect
import itertools
import json
import logging
import select
import struct
import weakref
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from . import _args, _lib
from ._lib import (RPC_DONE, RPC_HANDLER, RPC_ON_CLOSE, RPC_ON_ERROR, RPC_ON_OPEN, WSC_CLOSED,
                   WSC_OPEN, wsc_rpc_callbacks, wsc_rpc_config, wsc_rpc_queued, wsc_rpc_result)
from .errors import (WSC_ECLOSED, WSC_ELOST, WSC_EREMOTE, WSC_ETIMEDOUT, WSC_EWAIT,
                     WSC_OK, ConnectionClosedError, QueueFull, RemoteError, Timeout,
                     closed_error, error_for)
from .options import Options

__all__ = ["connect", "connect_async", "Client", "AsyncClient", "JSONRPC", "MSGPACK", "PROTOBUF",
           "RemoteError"]

log = logging.getLogger("wsc")

JSONRPC = "jsonrpc"  # JSON-RPC 2.0 over text frames
MSGPACK = "msgpack"  # MessagePack-RPC over binary frames
PROTOBUF = "protobuf"  # the protobuf envelope (proto/wsc_envelope.proto), binary frames
_PROTOCOL_IDS = {JSONRPC: 1, MSGPACK: 2, PROTOBUF: 3}

INTERNAL_ERROR = -32603  # what a handler that raises answers (JSON-RPC's code)
_MAX_TIMEOUT_MS = 24 * 3600 * 1000


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()  # a call's timeout: the client's own (its ``timeout``)

# One outcome of a call as the library reported it: status, encoded data,
# error code, message.
Outcome = Tuple[int, bytes, int, str]


# --- codecs: the only thing this module adds to the C engine ------------------------
# Built once: json.dumps with any keyword builds a new JSONEncoder per call, and json.loads
# of bytes first guesses their encoding (JSON-RPC over WebSocket text is UTF-8).
_json_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_json_decoder = json.JSONDecoder()


class _JsonCodec:
    @staticmethod
    def encode(value: Any) -> bytes:
        return _json_encode(value).encode("utf-8")

    @staticmethod
    def decode(data: bytes) -> Any:
        if not data:
            return None
        text = data.decode("utf-8")
        # The engine hands over exactly one value's bytes (a result, an error's data): the
        # decoder's scanner alone, without decode()'s two whitespace matches; anything
        # else (surrounding space, invalid JSON) goes through decode() for its error.
        try:
            value, end = _json_decoder.scan_once(text, 0)
            if end == len(text):
                return value
        except StopIteration:
            pass
        return _json_decoder.decode(text)


class _MsgpackCodec:
    def __init__(self) -> None:
        import msgpack  # Debian python3-msgpack; only needed for this protocol
        self._packb = msgpack.packb
        self._unpackb = msgpack.unpackb

    def encode(self, value: Any) -> bytes:
        return self._packb(value, use_bin_type=True)

    def decode(self, data: bytes) -> Any:
        return self._unpackb(data, raw=False) if data else None


class _ProtobufCodec:
    """Payloads are the application's protobuf messages: a message (anything
    with ``SerializeToString``) or bytes goes out; results come back as
    bytes, for ``YourMessage.FromString``."""

    @staticmethod
    def encode(value: Any) -> bytes:
        if value is None:  # a handler that returns nothing: an empty payload
            return b""
        if hasattr(value, "SerializeToString"):
            return value.SerializeToString()
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise TypeError("protobuf payloads are messages or bytes, not %s" % type(value).__name__)

    @staticmethod
    def decode(data: bytes) -> bytes:
        return data


def _codec(protocol: str) -> Any:
    if protocol == JSONRPC:
        return _JsonCodec()
    if protocol == MSGPACK:
        return _MsgpackCodec()
    if protocol == PROTOBUF:
        return _ProtobufCodec()
    raise ValueError("protocol must be %r, %r or %r, not %r" % (JSONRPC, MSGPACK, PROTOBUF,
                                                                 protocol))


def _timeout_ms(timeout: Any) -> int:
    """DEFAULT -> -1 (the client's), None -> 0 (no deadline), seconds -> ms (>= 1)."""
    if timeout is DEFAULT:
        return -1
    seconds = _args.timeout("timeout", timeout)
    if seconds is None:
        return 0
    return min(max(1, int(seconds * 1000 + 0.999)), _MAX_TIMEOUT_MS)


_NAMES: Dict[str, bytes] = {}  # method -> its UTF-8 bytes, for the first _MAX_NAMES methods
_MAX_NAMES = 1024


def _method(method: str) -> bytes:
    name = _NAMES.get(method) if type(method) is str else None
    if name is not None:
        return name
    if not isinstance(method, str):
        raise TypeError("method must be a str, not %s" % type(method).__name__)
    name = method.encode("utf-8")
    if type(method) is str and len(_NAMES) < _MAX_NAMES:
        _NAMES[method] = name
    return name


def _message(pointer: Optional[int]) -> str:
    return ctypes.string_at(pointer).decode("utf-8", "replace") if pointer else ""


def _outcome(result: wsc_rpc_result) -> Outcome:
    status, length = result.status, result.len
    data = ctypes.string_at(result.data, length) if length else b""
    if status == WSC_OK:  # no message to read
        return WSC_OK, data, 0, ""
    message = result.message.decode("utf-8", "replace") if result.message else ""
    return status, data, result.error_code, message


# wsc_rpc_queued as it lies in memory (tag, status, data, len, error_code, message): a batch
# of taken outcomes is read with one iter_unpack, not two ctypes structures per outcome.
_QUEUED = struct.Struct("@QiPNqP")
assert _QUEUED.size == ctypes.sizeof(wsc_rpc_queued)


def _resolve(codec: Any, outcome: Outcome) -> Any:
    """The decoded result of a call, or raises how it failed."""
    status, data, code, message = outcome
    if status == WSC_OK:
        return codec.decode(data)
    if status == WSC_EREMOTE:
        try:
            payload = codec.decode(data)
        except Exception:  # never expected: the engine re-encodes what it parsed
            payload = data
        raise RemoteError(code, message, payload)
    text = _lib.strerror(status)
    if status == WSC_ETIMEDOUT:
        raise Timeout("%s: %s" % (text, message) if message else text, wsc_status=status,
                      detail=message)
    if status in (WSC_ELOST, WSC_ECLOSED):
        raise ConnectionClosedError(1006, "", wsc_status=status, detail=message,
                                    message="%s: %s" % (text, message) if message else text)
    raise error_for(status, message, text=text)


# --- handlers' answers ----------------------------------------------------------------
_RESULT, _ERROR, _AWAIT = "result", "error", "await"


def _answer_of(codec: Any, method: str, value_of: Callable[[], Any]) -> Tuple[str, Any]:
    """What a handler answers: (_RESULT, encoded), (_ERROR, (code, message,
    data)) for RemoteError or any other exception (INTERNAL_ERROR, logged),
    or (_AWAIT, awaitable) for an async handler's coroutine."""
    try:
        value = value_of()
        if inspect.isawaitable(value):
            return _AWAIT, value
        return _RESULT, codec.encode(value)
    except RemoteError as e:
        data = None if e.data is None else codec.encode(e.data)
        return _ERROR, (e.code, e.message.encode("utf-8"), data)
    except Exception as e:
        log.exception("wsc.rpc: the handler of %r raised", method)
        return _ERROR, (INTERNAL_ERROR, ("Internal error: %s" % e).encode("utf-8"), None)


def _send_answer(answer: Tuple[str, Any], send_result: Callable[..., int],
                 send_error: Callable[..., int], target: Any) -> int:
    """Sends answer through wsc_rpc_reply_* or wsc_rpc_deferred_* on target."""
    kind, value = answer
    if kind == _RESULT:
        return send_result(target, value, len(value))
    code, message, data = value
    return send_error(target, code, message, data, len(data) if data else 0)


def _discard(awaitable: Any) -> None:
    """Closes a coroutine that will not run (no 'never awaited' warning)."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


_NO_EVENT_LOOP = (_ERROR, (INTERNAL_ERROR, b"Internal error: async handlers need the asyncio "
                                           b"client (wsc.rpc.connect_async)", None))


# --- completions: one C thunk for every call, keyed by an integer ------------------
_TAKE = 256  # outcomes per wsc_rpc_queue_take (asyncio, Client.map)
_pending: Dict[int, Callable[[Outcome], None]] = {}
_keys = itertools.count(1)


def _done(_rpc: Any, result: Any, key: Optional[int]) -> None:
    settle = _pending.pop(key or 0, None)
    if settle is None:
        return
    try:
        settle(_outcome(result.contents))
    except BaseException:  # never into the library's loop thread
        log.exception("wsc.rpc: settling a call failed")


_DONE = RPC_DONE(_done)


class _OutcomeQueue:
    """A wsc_rpc_queue (calls made with wsc_rpc_call_queued end into it), its
    descriptor, and the buffer outcomes are taken into, a batch at a time."""

    def __init__(self, lib: Any) -> None:
        queue, fd = ctypes.c_void_p(), ctypes.c_int()
        rc = lib.wsc_rpc_queue_new(ctypes.byref(queue))
        if rc != WSC_OK:
            raise _lib.fail(rc)
        self.handle: Optional[int] = queue.value
        lib.wsc_rpc_queue_fd(self.handle, ctypes.byref(fd))
        self.fd = fd.value
        self._lib = lib
        self._take = lib.wsc_rpc_queue_take
        self._taken = (wsc_rpc_queued * _TAKE)()
        self._taken_bytes = memoryview(self._taken).cast("B")
        self._n = ctypes.c_size_t()

    def outcomes(self) -> Iterator[Tuple[int, int, bytes, int, str]]:
        """Every outcome waiting now, as (tag, status, data, error code,
        message); never blocks."""
        n, string_at, size = self._n, ctypes.string_at, _QUEUED.size
        while self.handle is not None:
            if self._take(self.handle, self._taken, _TAKE, ctypes.byref(n)) != WSC_OK:
                return
            count = n.value
            # Copied out before the next take, which frees what the pointers point to.
            for tag, status, data, length, code, message in _QUEUED.iter_unpack(
                    self._taken_bytes[:count * size]):
                yield (tag, status, string_at(data, length) if length else b"", code,
                       "" if status == WSC_OK else _message(message))
            if count < _TAKE:
                return

    def free(self) -> None:
        """Outcomes of calls still out are dropped from now on."""
        handle, self.handle = self.handle, None
        if handle is not None:
            self._lib.wsc_rpc_queue_free(handle)


class _Rpc:
    """What the synchronous and the asyncio client share: the handle, the
    codec, handlers, notify and the lifetime."""

    def __init__(self, url: str, protocol: str, timeout: Optional[float], max_outstanding: int,
                 wait_for_reconnect: bool, max_depth: int, options: Dict[str, Any]) -> None:
        self.url = url
        self.protocol = protocol
        self._codec = _codec(protocol)
        self._encode, self._decode = self._codec.encode, self._codec.decode
        self._lib = _lib.lib()
        self._h: Optional[int] = None
        self._handlers: Dict[str, Any] = {}  # method -> its C thunk (kept alive)
        self._retired: List[Any] = []  # replaced thunks may still be running once
        cfg = wsc_rpc_config()
        _lib.check(self._lib.wsc_rpc_config_init(ctypes.byref(cfg)))
        cfg.protocol = _PROTOCOL_IDS[protocol]
        seconds = _args.timeout("timeout", timeout)
        cfg.default_timeout_ms = 0 if seconds is None else _timeout_ms(seconds)
        cfg.max_outstanding = max_outstanding
        cfg.wait_for_reconnect = 1 if wait_for_reconnect else 0
        cfg.max_depth = max_depth
        self._cbs = self._make_callbacks()
        with Options(**options) as opts:
            out = ctypes.c_void_p()
            _lib.check(self._lib.wsc_rpc_connect(None, _args.url(url), opts.handle,
                                                 ctypes.byref(cfg), ctypes.byref(self._cbs),
                                                 None, ctypes.byref(out)))
        self._h = out.value

    # Connection events, on the loop thread; the asyncio client posts them.
    def _make_callbacks(self) -> wsc_rpc_callbacks:
        ref = weakref.ref(self)

        def on_open(_r: Any, _u: Any) -> None:
            me = ref()
            if me is not None:
                me._event_open()

        def on_error(_r: Any, status: int, detail: Optional[bytes], _u: Any) -> None:
            me = ref()
            if me is not None:
                me._event_error(status, detail.decode("utf-8", "replace") if detail else "")

        def on_close(_r: Any, code: int, reason: Optional[bytes], _u: Any) -> None:
            me = ref()
            if me is not None:
                me._event_close(code, reason.decode("utf-8", "replace") if reason else "")

        return wsc_rpc_callbacks(struct_size=ctypes.sizeof(wsc_rpc_callbacks),
                                 on_open=RPC_ON_OPEN(on_open), on_error=RPC_ON_ERROR(on_error),
                                 on_close=RPC_ON_CLOSE(on_close))

    def _event_open(self) -> None:
        pass

    def _event_error(self, status: int, detail: str) -> None:
        log.warning("%s: %s: %s", self.url, _lib.strerror(status), detail)

    def _event_close(self, code: int, reason: str) -> None:
        pass

    def _handle(self) -> int:
        if self._h is None:
            raise ConnectionClosedError(1000, "", wsc_status=WSC_ECLOSED,
                                        message="the RPC client was closed")
        return self._h

    def _encode_params(self, params: Any) -> Optional[bytes]:
        return None if params is None else self._encode(params)

    def _start(self, method: str, params: Any, timeout: Any,
               settle: Callable[[Outcome], None]) -> None:
        """wsc_rpc_call with settle as its completion; raises if not made."""
        name, payload, ms = _method(method), self._encode_params(params), _timeout_ms(timeout)
        key = next(_keys)
        _pending[key] = settle  # before the call: the answer may come at once
        rc = self._lib.wsc_rpc_call(self._handle(), name, payload,
                                    len(payload) if payload else 0, ms, _DONE, key)
        if rc != WSC_OK:
            _pending.pop(key, None)
            raise _lib.fail(rc)

    def notify(self, method: str, params: Any = None) -> None:
        """Sends a notification (no answer). Raises QueueFull when the send
        queue is full, ConnectionClosedError once closed."""
        name, payload = _method(method), self._encode_params(params)
        _lib.check(self._lib.wsc_rpc_notify(self._handle(), name, payload,
                                            len(payload) if payload else 0))

    def on(self, method: str, fn: Optional[Callable[[Any], Any]]) -> None:
        """Handles the peer's requests and notifications named ``method``:
        ``fn(params)`` gets the decoded params (``None`` when absent) and its
        return value is the answer to a request. Raising
        :class:`RemoteError` answers that error; any other exception answers
        ``INTERNAL_ERROR`` (and is logged). ``fn`` runs on the library's loop
        thread: no blocking calls of this client in it. With the asyncio
        client ``fn`` may be ``async def`` (it then runs on the event loop
        and its result is the answer). ``None`` removes the handler (the
        peer then gets method-not-found)."""
        name = _method(method)
        thunk = RPC_HANDLER() if fn is None else self._thunk(method, fn)
        _lib.check(self._lib.wsc_rpc_on(self._handle(), name, thunk, None))
        old = self._handlers.pop(method, None)
        if old is not None:
            self._retired.append(old)
        if fn is not None:
            self._handlers[method] = thunk

    def _thunk(self, method: str, fn: Callable[[Any], Any]) -> Any:
        codec, lib, ref = self._codec, self._lib, weakref.ref(self)  # no cycle through self

        def handler(_r: Any, _m: Any, params: Any, length: int, reply: Any, _u: Any) -> None:
            try:
                answer = _answer_of(codec, method, lambda: fn(
                    codec.decode(ctypes.string_at(params, length)) if length else None))
                if answer[0] == _AWAIT:
                    me = ref()
                    answer = _NO_EVENT_LOOP if me is None else me._defer(method, answer[1], reply)
                if reply and answer is not None:
                    _send_answer(answer, lib.wsc_rpc_reply_result, lib.wsc_rpc_reply_error, reply)
            except BaseException:  # never into the library's loop thread
                pass

        return RPC_HANDLER(handler)

    def _defer(self, method: str, awaitable: Any, reply: Any) -> Optional[Tuple[str, Any]]:
        """An async handler's coroutine: None once it will answer later,
        else the answer to give now. Only the asyncio client runs them."""
        _discard(awaitable)
        log.error("wsc.rpc: the handler of %r is async; it needs the asyncio client", method)
        return _NO_EVENT_LOOP

    @property
    def state(self) -> int:
        """The connection's state (``wsc.State`` values)."""
        return self._lib.wsc_rpc_state(self._h) if self._h is not None else WSC_CLOSED

    def _free(self) -> None:
        """Ends outstanding calls with WSC_ECLOSED (their completions run
        here) and frees the handle."""
        h, self._h = self._h, None
        if h is not None:
            self._lib.wsc_rpc_free(h)

    def __del__(self) -> None:
        try:
            self._free()
        except Exception:
            pass


class Client(_Rpc):
    """A synchronous RPC client; every method may be called from any thread.
    Create it with :func:`connect`."""

    def __init__(self, url: str, *, protocol: str = JSONRPC, timeout: Optional[float] = 30.0,
                 max_outstanding: int = 4096, wait_for_reconnect: bool = True,
                 max_depth: int = 128, open_timeout: Optional[float] = None,
                 **options: Any) -> None:
        super().__init__(url, protocol, timeout, max_outstanding, wait_for_reconnect, max_depth,
                         options)
        seconds = _args.timeout("open_timeout", open_timeout)
        ms = -1 if seconds is None else _timeout_ms(seconds)
        rc = self._lib.wsc_rpc_wait(self._h, WSC_OPEN, ms)  # blocks in the library
        if rc != WSC_OK:
            detail = _lib.last_detail()
            self._free()
            if rc == WSC_EWAIT:
                raise Timeout("connection did not open within %.3g s (open_timeout)" % seconds,
                              wsc_status=WSC_EWAIT)
            raise closed_error(rc, 1006, "", detail, text=_lib.strerror(rc), opened=False)

    def call(self, method: str, params: Any = None, timeout: Any = DEFAULT) -> Any:
        """Calls ``method`` and returns its decoded result, blocking until
        the answer. ``timeout``: seconds, ``None`` for no deadline, default
        the client's ``timeout``."""
        name, payload, ms = _method(method), self._encode_params(params), _timeout_ms(timeout)
        out = ctypes.POINTER(wsc_rpc_result)()
        rc = self._lib.wsc_rpc_call_wait(self._handle(), name, payload,
                                         len(payload) if payload else 0, ms, ctypes.byref(out))
        if not out:
            raise _lib.fail(rc)  # the call was not made
        try:
            outcome = _outcome(out.contents)
        finally:
            self._lib.wsc_rpc_result_free(out)
        return _resolve(self._codec, outcome)

    def call_future(self, method: str, params: Any = None,
                    timeout: Any = DEFAULT) -> "concurrent.futures.Future[Any]":
        """Starts a call and returns at once; the future gets the result or
        the exception :meth:`call` would raise. Raises QueueFull at
        ``max_outstanding``."""
        fut: "concurrent.futures.Future[Any]" = concurrent.futures.Future()
        codec = self._codec

        def settle(outcome: Outcome) -> None:
            try:
                fut.set_result(_resolve(codec, outcome))
            except BaseException as e:
                fut.set_exception(e)

        self._start(method, params, timeout, settle)
        return fut

    def map(self, method: str, params: Iterable[Any], window: int = 64,
            timeout: Any = DEFAULT) -> Iterator[Any]:
        """Calls ``method`` once for each item of ``params`` with up to
        ``window`` calls outstanding, and yields the decoded results in the
        order of ``params``, as :meth:`concurrent.futures.Executor.map` does.
        A call that fails raises, in its result's place, what :meth:`call`
        would raise; the calls still outstanding then are abandoned (their
        answers dropped). ``params`` is read lazily: the next item when the
        window has room. ``timeout`` is each call's.

        The library does the waiting: the calls end into a completion queue
        (``wsc_rpc_call_queued``), and the generator blocks in ``poll`` on
        its descriptor (GIL released) only when the next result has not
        arrived, taking every answer that did in one go: no thread and no
        callback per call. At ``max_outstanding`` (or a full send queue) it
        waits for answers before making more calls."""
        if type(window) is not int or window < 1:
            raise ValueError("window must be an int >= 1, not %r" % (window,))
        name, ms = _method(method), -1 if timeout is DEFAULT else _timeout_ms(timeout)
        return self._map(name, iter(params), window, ms)

    def _map(self, name: bytes, items: Iterator[Any], window: int, ms: int) -> Iterator[Any]:
        queue = _OutcomeQueue(self._lib)
        call_queued, encode, decode = self._lib.wsc_rpc_call_queued, self._encode, self._decode
        poller = select.poll()
        poller.register(queue.fd, select.POLLIN)
        arrived: Dict[int, Tuple[int, bytes, int, str]] = {}  # index -> its outcome
        made = done = 0  # calls made; results yielded
        more = True
        try:
            while True:
                while more and made - done < window:  # fill the window
                    try:
                        item = next(items)
                    except StopIteration:
                        more = False
                        break
                    payload = None if item is None else encode(item)
                    while True:
                        rc = call_queued(self._handle(), name, payload,
                                         len(payload) if payload else 0, ms, queue.handle, made)
                        if rc == WSC_OK:
                            break
                        error = _lib.fail(rc)
                        if not isinstance(error, QueueFull) or made == done:
                            raise error  # not made; nothing out whose answer makes room
                        self._wait_outcomes(poller, queue, arrived)
                    made += 1
                if done == made:
                    return
                while done not in arrived:
                    self._wait_outcomes(poller, queue, arrived)
                status, data, code, message = arrived.pop(done)
                done += 1
                yield decode(data) if status == WSC_OK else _resolve(
                    self._codec, (status, data, code, message))
        finally:
            queue.free()

    @staticmethod
    def _wait_outcomes(poller: Any, queue: _OutcomeQueue,
                       arrived: Dict[int, Tuple[int, bytes, int, str]]) -> None:
        """Blocks until answers arrived and files them by their call's index."""
        poller.poll()
        for tag, status, data, code, message in queue.outcomes():
            arrived[tag] = (status, data, code, message)

    def close(self, code: int = 1000, reason: str = "", timeout: Optional[float] = 5.0) -> None:
        """Closes the connection (waits up to ``timeout`` for the close
        handshake) and frees the client; outstanding calls end with
        ``WSC_ECLOSED``."""
        if self._h is None:
            return
        rc = self._lib.wsc_rpc_close(self._h, code, _args.close_args(code, reason))
        if rc == WSC_OK:
            seconds = _args.timeout("timeout", timeout)
            self._lib.wsc_rpc_wait(self._h, WSC_CLOSED, -1 if seconds is None
                                   else _timeout_ms(seconds))
        self._free()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(url: str, **kwargs: Any) -> Client:
    """Opens an RPC client and waits until it is open.

    Keywords: ``protocol`` (:data:`JSONRPC` or :data:`MSGPACK`), ``timeout``
    (default deadline of calls, seconds; ``None`` = none; 30),
    ``max_outstanding`` (4096), ``wait_for_reconnect`` (True: calls made
    while reconnecting wait for the new connection), ``max_depth`` (JSON
    nesting limit), ``open_timeout``, and connection options as for
    :func:`wsc.connect` (``reconnect=True``, ``headers=...``, ...)."""
    return Client(url, **kwargs)


class AsyncClient(_Rpc):
    """An asyncio RPC client; use it from the event loop that opened it.
    Create it with :func:`connect_async`."""

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop, protocol: str,
                 timeout: Optional[float], max_outstanding: int, wait_for_reconnect: bool,
                 max_depth: int, options: Dict[str, Any]) -> None:
        self._loop = loop
        self._opened: "asyncio.Future[None]" = loop.create_future()
        self._closed: "asyncio.Future[None]" = loop.create_future()
        self._room = asyncio.Event()  # set when a call ends: a refused call may retry
        self._outstanding = 0
        self._last_error: Tuple[int, str] = (WSC_OK, "")
        self._handler_tasks: "set[asyncio.Future[Any]]" = set()  # kept until they end
        # Calls end into a completion queue (wsc_rpc_queue): no Python on the
        # library's loop thread per answer (no GIL handover, no ctypes
        # callback), one event-loop wake-up per batch of answers.
        self._calls: Dict[int, "asyncio.Future[bytes]"] = {}  # tag -> its call's future
        self._lib = lib = _lib.lib()
        self._call_queued = lib.wsc_rpc_call_queued
        self._queue: Optional[_OutcomeQueue] = _OutcomeQueue(lib)
        loop.add_reader(self._queue.fd, self._take_outcomes)
        try:
            super().__init__(url, protocol, timeout, max_outstanding, wait_for_reconnect,
                             max_depth, options)
        except BaseException:
            self._free()
            raise

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the event loop is closed: nobody to tell
            pass

    def _event_open(self) -> None:
        self._post(self._opened_now)

    def _event_error(self, status: int, detail: str) -> None:
        super()._event_error(status, detail)
        self._last_error = (status, detail)

    def _event_close(self, code: int, reason: str) -> None:
        self._post(self._closed_now, code, reason)

    def _defer(self, method: str, awaitable: Any, reply: Any) -> Optional[Tuple[str, Any]]:
        """Loop thread: takes the request's answer over (a notification has
        none) and runs the coroutine on the event loop."""
        later = None
        if reply:
            out = ctypes.c_void_p()
            if self._lib.wsc_rpc_reply_defer(reply, ctypes.byref(out)) != WSC_OK:
                _discard(awaitable)
                return _ERROR, (INTERNAL_ERROR, b"Internal error: could not defer the answer",
                                None)
            later = out.value
        try:
            self._loop.call_soon_threadsafe(self._run_handler, method, awaitable, later)
        except RuntimeError:  # the event loop is closed: freed unanswered = internal error
            _discard(awaitable)
            if later:
                self._lib.wsc_rpc_deferred_free(later)
        return None

    def _run_handler(self, method: str, awaitable: Any, later: Optional[int]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._handler_tasks.add(task)
        task.add_done_callback(functools.partial(self._handler_done, method, later))

    def _handler_done(self, method: str, later: Optional[int], task: "asyncio.Future[Any]") -> None:
        self._handler_tasks.discard(task)
        if task.cancelled():
            answer = (_ERROR, (INTERNAL_ERROR, b"Internal error: the handler was cancelled", None))
        else:
            answer = _answer_of(self._codec, method, task.result)
            if answer[0] == _AWAIT:  # a coroutine that returned another awaitable
                _discard(answer[1])
                answer = (_ERROR, (INTERNAL_ERROR, b"Internal error: the handler returned an "
                                                   b"awaitable", None))
        if later is None:
            return
        try:
            rc = _send_answer(answer, self._lib.wsc_rpc_deferred_result,
                              self._lib.wsc_rpc_deferred_error, later)
            if rc != WSC_OK:
                log.warning("wsc.rpc: the answer of %r's handler was not sent: %s", method,
                            _lib.strerror(rc))
        finally:
            self._lib.wsc_rpc_deferred_free(later)

    def _opened_now(self) -> None:
        if not self._opened.done():
            self._opened.set_result(None)

    def _closed_now(self, code: int, reason: str) -> None:
        if not self._opened.done():
            status, detail = self._last_error
            self._opened.set_exception(closed_error(status, code, reason, detail,
                                                    text=_lib.strerror(status), opened=False))
        if not self._closed.done():
            self._closed.set_result(None)

    async def _wait_open(self, open_timeout: Optional[float]) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._opened), open_timeout)
        except asyncio.TimeoutError:
            self._free()
            raise Timeout("connection did not open within %.3g s (open_timeout)" % open_timeout,
                          wsc_status=WSC_EWAIT) from None
        except BaseException:
            self._free()
            raise

    async def call(self, method: str, params: Any = None, timeout: Any = DEFAULT) -> Any:
        """Calls ``method`` and returns its decoded result. At
        ``max_outstanding`` it waits until another call of this client ends."""
        # The hot path of the asyncio client: one ctypes call per call, nothing built twice.
        name = _method(method)
        payload = None if params is None else self._encode(params)
        size = len(payload) if payload else 0
        ms = -1 if timeout is DEFAULT else _timeout_ms(timeout)
        key = next(_keys)
        while True:
            h = self._h
            if h is None:
                self._handle()  # raises
            rc = self._call_queued(h, name, payload, size, ms, self._queue.handle, key)
            if rc == WSC_OK:
                break
            error = _lib.fail(rc)
            if not isinstance(error, QueueFull) or self._outstanding == 0:
                raise error  # not made; a full send queue with no answer to wait for
            self._room.clear()
            await self._room.wait()
        # Outcomes are taken on this thread only: set before any can be.
        fut: "asyncio.Future[bytes]" = self._loop.create_future()
        self._calls[key] = fut
        self._outstanding += 1
        return self._decode(await fut)  # the result's bytes; a failed call raised

    def _take_outcomes(self) -> None:
        """Event loop (the queue's descriptor is readable): settles every
        call whose outcome arrived."""
        if self._queue is None:
            return
        calls, settled = self._calls, 0
        for tag, status, payload, code, message in self._queue.outcomes():
            fut = calls.pop(tag, None)
            if fut is None:
                continue
            settled += 1
            if fut.done():  # its caller was cancelled
                continue
            if status == WSC_OK:
                fut.set_result(payload)
                continue
            try:
                _resolve(self._codec, (status, payload, code, message))
            except BaseException as e:  # how the call failed, raised in its caller
                fut.set_exception(e)
        if settled:
            self._outstanding -= settled
            self._room.set()

    def _free(self) -> None:
        if getattr(self, "_h", None) is not None:  # None too if __init__ failed early
            super()._free()  # calls still out end into the queue with WSC_ECLOSED
        queue = getattr(self, "_queue", None)
        if queue is None:
            return
        try:
            self._take_outcomes()
        except Exception:  # the event loop is closed: nobody waits for them
            pass
        try:
            self._loop.remove_reader(queue.fd)
        except Exception:
            pass
        self._queue = None
        queue.free()

    async def close(self, code: int = 1000, reason: str = "",
                    timeout: Optional[float] = 5.0) -> None:
        """Closes the connection (waits up to ``timeout`` for the close
        handshake) and frees the client."""
        if self._h is None:
            return
        if self._lib.wsc_rpc_close(self._h, code, _args.close_args(code, reason)) == WSC_OK:
            await asyncio.wait({self._closed}, timeout=timeout)
        self._free()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def connect_async(url: str, *, protocol: str = JSONRPC, timeout: Optional[float] = 30.0,
                        max_outstanding: int = 4096, wait_for_reconnect: bool = True,
                        max_depth: int = 128, open_timeout: Optional[float] = None,
                        **options: Any) -> AsyncClient:
    """:func:`connect` for asyncio: ``rpc = await connect_async(url, ...)``."""
    client = AsyncClient(url, asyncio.get_running_loop(), protocol, timeout, max_outstanding,
                         wait_for_reconnect, max_depth, options)
    await client._wait_open(_args.timeout("open_timeout", open_timeout))
    return client

