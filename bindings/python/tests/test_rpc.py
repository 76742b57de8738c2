"""wsc.rpc against peers no one here wrote the RPC side of: npm `json-rpc-2.0`
behind Node `ws` (tests/peers/node/jsonrpc_peer.js) and a MessagePack-RPC
server on python3-websockets + python3-msgpack (tests/peers/msgpack_rpc_peer.py).
Both peers offer the same methods: add, echo, fail, slow [ms, value],
ask_client [method, params], notify_me [method, params], note/notes, drop."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from typing import Any, Iterator, List

import pytest

from conftest import SOURCE_DIR, Peer

import wsc
from wsc import rpc
from wsc.errors import WSC_ECLOSED, WSC_ELOST, WSC_ETIMEDOUT

PEERS = SOURCE_DIR / "tests" / "peers"


@pytest.fixture(params=[rpc.JSONRPC, rpc.MSGPACK])
def peer(request: pytest.FixtureRequest) -> Iterator[Any]:
    """(url, protocol) of a fresh peer for each protocol."""
    if request.param == rpc.JSONRPC:
        if not (PEERS / "node" / "node_modules" / "json-rpc-2.0").is_dir():
            pytest.skip("run npm install in tests/peers/node")
        p = Peer(["node", str(PEERS / "node" / "jsonrpc_peer.js")], r"^PORT (\d+)")
    else:
        pytest.importorskip("msgpack")
        p = Peer(["/usr/bin/python3", str(PEERS / "msgpack_rpc_peer.py")], r"^PORT (\d+)")
    yield "ws://127.0.0.1:%d/" % p.port, request.param
    p.stop()


@pytest.fixture
def client(peer: Any) -> Iterator[rpc.Client]:
    url, protocol = peer
    with rpc.connect(url, protocol=protocol, open_timeout=10) as c:
        yield c


def remote_error_data(protocol: str) -> Any:
    """What each peer's `fail` sends as the error's data."""
    return {"why": "asked to"} if protocol == rpc.JSONRPC else [42, "nope"]


# --- synchronous ---------------------------------------------------------------------
def test_call_returns_the_decoded_result(client: rpc.Client) -> None:
    assert client.call("add", [2, 3], timeout=5) == 5
    value = {"text": "h\u00e9llo \u2603", "list": [1, 2.5, None, True], "nested": {"k": [{}]}}
    assert client.call("echo", [value], timeout=5) == [value]


def test_remote_error_is_raised_with_code_message_and_data(client: rpc.Client) -> None:
    with pytest.raises(wsc.RemoteError) as info:
        client.call("fail", [], timeout=5)
    assert info.value.code == 42
    assert info.value.message == "nope"
    assert info.value.data == remote_error_data(client.protocol)
    assert client.call("add", [1, 1], timeout=5) == 2  # the connection is still up


def test_deadline_raises_timeout_promptly(client: rpc.Client) -> None:
    start = time.monotonic()
    with pytest.raises(wsc.Timeout) as info:
        client.call("slow", [3000, 1], timeout=0.2)
    assert info.value.wsc_status == WSC_ETIMEDOUT
    assert time.monotonic() - start < 1.5
    future = client.call_future("slow", [3000, 1], timeout=0.2)
    with pytest.raises(wsc.Timeout):
        future.result(5)


def test_connection_loss_fails_sent_calls_with_elost(client: rpc.Client) -> None:
    pending = client.call_future("slow", [5000, 1], timeout=10)
    assert client.call("drop", [], timeout=5) is True
    start = time.monotonic()
    with pytest.raises(wsc.ConnectionClosedError) as info:
        pending.result(5)
    assert info.value.wsc_status == WSC_ELOST
    assert time.monotonic() - start < 2


def test_close_ends_outstanding_calls_with_eclosed(peer: Any) -> None:
    url, protocol = peer
    c = rpc.connect(url, protocol=protocol, open_timeout=10)
    pending = c.call_future("slow", [5000, 1])
    c.close()
    with pytest.raises(wsc.ConnectionClosedError) as info:
        pending.result(5)
    assert info.value.wsc_status == WSC_ECLOSED
    with pytest.raises(wsc.ConnectionClosed):
        c.call("add", [1, 2])


def test_notify_reaches_the_peer(client: rpc.Client) -> None:
    client.notify("note", [{"a": 1}])  # MessagePack-RPC params are always an array
    client.notify("note", ["b"])
    assert client.call("notes", [], timeout=5) == [[{"a": 1}], ["b"]]


def test_handler_return_value_is_the_answer(client: rpc.Client) -> None:
    seen: List[Any] = []

    def double(params: Any) -> Any:
        seen.append(params)
        return {"doubled": params[0] * 2}

    client.on("double", double)
    assert client.call("ask_client", ["double", [21]], timeout=5) == {"result": {"doubled": 42}}
    assert seen == [[21]]


def test_handler_errors_are_sent_back(client: rpc.Client) -> None:
    def refuse(_params: Any) -> Any:
        raise wsc.RemoteError(7, "no", {"x": 1})

    def crash(_params: Any) -> Any:
        raise KeyError("boom")

    client.on("refuse", refuse)
    client.on("crash", crash)
    refused = client.call("ask_client", ["refuse", []], timeout=5)
    crashed = client.call("ask_client", ["crash", []], timeout=5)
    if client.protocol == rpc.JSONRPC:
        assert refused == {"code": 7, "message": "no", "data": {"x": 1}}
        assert crashed["code"] == rpc.INTERNAL_ERROR and "boom" in crashed["message"]
    else:  # wsc sends MessagePack-RPC errors as [code, message(, data)]
        assert refused == {"error": [7, "no", {"x": 1}]}
        assert crashed["error"][0] == rpc.INTERNAL_ERROR and "boom" in crashed["error"][1]


def test_unknown_and_removed_methods_get_method_not_found(client: rpc.Client) -> None:
    client.on("gone", lambda params: 1)
    client.on("gone", None)
    answer = client.call("ask_client", ["gone", []], timeout=5)
    if client.protocol == rpc.JSONRPC:
        assert answer["code"] == -32601
    else:
        assert "error" in answer and answer.get("result") is None


def test_peer_notifications_reach_handlers(client: rpc.Client) -> None:
    got: "queue.Queue[Any]" = queue.Queue()
    client.on("event", got.put)
    assert client.call("notify_me", ["event", [{"n": 1}]], timeout=5) is True
    assert got.get(timeout=5) == [{"n": 1}]


def test_max_outstanding_refuses_with_queue_full(peer: Any) -> None:
    url, protocol = peer
    with rpc.connect(url, protocol=protocol, max_outstanding=2, open_timeout=10) as c:
        first = [c.call_future("slow", [300, i]) for i in range(2)]
        with pytest.raises(wsc.QueueFull):
            c.call_future("slow", [300, 2])
        assert [f.result(5) for f in first] == [0, 1]
        assert c.call("add", [1, 2], timeout=5) == 3  # room again


def test_arguments_are_checked_before_the_library(client: rpc.Client) -> None:
    with pytest.raises(TypeError):
        client.call(5, [])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.call("add", [1, 2], timeout=-1)
    with pytest.raises(ValueError):
        rpc.connect("ws://127.0.0.1:1/", protocol="xml")


def test_connect_failure_raises_connect_error() -> None:
    with pytest.raises(wsc.ConnectError):
        rpc.connect("ws://127.0.0.1:1/", open_timeout=5)


def test_1000_concurrent_calls_from_8_threads(client: rpc.Client) -> None:
    """1,000 calls outstanding at once (each waits 50 ms at the peer), started
    from 8 threads; every result must be the one of its own call."""
    futures: List[Any] = [None] * 1000
    barrier = threading.Barrier(8)

    def start(t: int) -> None:
        barrier.wait()
        for i in range(t, 1000, 8):
            futures[i] = client.call_future("slow", [50, {"call": i, "pad": "x" * (i % 97)}],
                                            timeout=20)

    threads = [threading.Thread(target=start, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for i, f in enumerate(futures):
        assert f.result(20) == {"call": i, "pad": "x" * (i % 97)}


def test_blocking_calls_from_many_threads(client: rpc.Client) -> None:
    """call() from 50 threads at once, 20 each: each blocks in the library."""
    errors: List[BaseException] = []

    def run(t: int) -> None:
        try:
            for i in range(20):
                assert client.call("add", [t, i], timeout=20) == t + i
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_map_yields_results_in_order_with_at_most_window_outstanding(client: rpc.Client) -> None:
    """Answers come back out of order (each call waits a different time at
    the peer); map yields them in the order of the params and never has
    more than window calls out (params are read only when there is room)."""
    pulled, got, most = 0, 0, 0

    def params() -> Iterator[List[int]]:
        nonlocal pulled, most
        for i in range(200):
            pulled += 1
            most = max(most, pulled - got)
            yield [(i * 37) % 23, i]

    for result in client.map("slow", params(), window=16, timeout=20):
        assert result == got
        got += 1
    assert got == 200
    assert most == 16


def test_map_raises_a_failed_call_in_its_place_and_abandons_the_rest(client: rpc.Client) -> None:
    results = client.map("slow", [[0, "a"], [3000, "b"], [0, "c"]], window=3, timeout=0.3)
    assert next(results) == "a"
    started = time.monotonic()
    with pytest.raises(wsc.Timeout) as info:
        next(results)
    assert info.value.wsc_status == WSC_ETIMEDOUT
    assert time.monotonic() - started < 2
    with pytest.raises(StopIteration):
        next(results)
    assert client.call("add", [1, 2], timeout=5) == 3  # the client goes on


def test_map_of_remote_errors_and_early_exit(client: rpc.Client) -> None:
    with pytest.raises(wsc.RemoteError):
        list(client.map("fail", [[]] * 5))
    for result in client.map("add", ([i, i] for i in range(10 ** 9)), window=4):
        if result == 20:
            break  # the generator is dropped with calls out: they are abandoned
    assert client.call("add", [2, 3], timeout=5) == 5
    with pytest.raises(ValueError):
        client.map("add", [[1, 2]], window=0)


def test_map_waits_at_max_outstanding_instead_of_failing(peer: Any) -> None:
    url, protocol = peer
    with rpc.connect(url, protocol=protocol, max_outstanding=2, open_timeout=10) as c:
        assert list(c.map("slow", ([10, i] for i in range(12)), window=8, timeout=10)) == \
            list(range(12))


# --- asyncio -------------------------------------------------------------------------
def test_asyncio_calls_errors_and_handlers(peer: Any) -> None:
    url, protocol = peer

    async def main() -> None:
        async with await rpc.connect_async(url, protocol=protocol, open_timeout=10) as c:
            assert await c.call("add", [2, 3]) == 5
            with pytest.raises(wsc.RemoteError) as info:
                await c.call("fail", [])
            assert info.value.code == 42
            with pytest.raises(wsc.Timeout):
                await c.call("slow", [3000, 1], timeout=0.2)
            c.on("double", lambda params: params[0] * 2)
            assert await c.call("ask_client", ["double", [4]]) == {"result": 8}
            c.notify("note", [1])
            assert await c.call("notes", []) == [[1]]

    asyncio.run(main())


def test_asyncio_async_handlers_answer_when_they_end(peer: Any) -> None:
    url, protocol = peer

    async def main() -> None:
        async with await rpc.connect_async(url, protocol=protocol, open_timeout=10) as c:
            loop = asyncio.get_running_loop()
            ran_on: List[Any] = []

            async def double_later(params: Any) -> Any:
                ran_on.append(asyncio.get_running_loop())
                await asyncio.sleep(0.05)  # the loop thread goes on meanwhile
                return params[0] * 2

            async def refuse_later(_params: Any) -> Any:
                await asyncio.sleep(0)
                raise wsc.RemoteError(7, "no", {"x": 1})

            async def crash_later(_params: Any) -> Any:
                await asyncio.sleep(0)
                raise KeyError("boom")

            events: "asyncio.Queue[Any]" = asyncio.Queue()

            async def event(params: Any) -> None:
                await events.put(params)

            c.on("double", double_later)
            c.on("refuse", refuse_later)
            c.on("crash", crash_later)
            c.on("event", event)
            # Two at once: each answer goes back to its own request.
            answers = await asyncio.gather(c.call("ask_client", ["double", [21]], timeout=5),
                                           c.call("ask_client", ["double", [5]], timeout=5))
            assert answers == [{"result": 42}, {"result": 10}]
            assert ran_on == [loop, loop]
            refused = await c.call("ask_client", ["refuse", []], timeout=5)
            crashed = await c.call("ask_client", ["crash", []], timeout=5)
            if protocol == rpc.JSONRPC:
                assert refused == {"code": 7, "message": "no", "data": {"x": 1}}
                assert crashed["code"] == rpc.INTERNAL_ERROR and "boom" in crashed["message"]
            else:
                assert refused == {"error": [7, "no", {"x": 1}]}
                assert crashed["error"][0] == rpc.INTERNAL_ERROR and "boom" in crashed["error"][1]
            # A notification's async handler runs too (nothing is answered).
            assert await c.call("notify_me", ["event", [1, "a"]], timeout=5) is True
            assert await asyncio.wait_for(events.get(), 5) == [1, "a"]
            # Plain handlers still answer at once.
            c.on("now", lambda params: "now")
            assert await c.call("ask_client", ["now", []], timeout=5) == {"result": "now"}

    asyncio.run(main())


def test_async_handler_on_the_sync_client_answers_an_internal_error(client: rpc.Client) -> None:
    async def never_run(_params: Any) -> Any:
        return 1

    client.on("async", never_run)
    answer = client.call("ask_client", ["async", []], timeout=5)
    if client.protocol == rpc.JSONRPC:
        assert answer["code"] == rpc.INTERNAL_ERROR and "asyncio" in answer["message"]
    else:
        assert answer["error"][0] == rpc.INTERNAL_ERROR and "asyncio" in answer["error"][1]


def test_asyncio_1000_concurrent_tasks(peer: Any) -> None:
    url, protocol = peer

    async def main() -> None:
        async with await rpc.connect_async(url, protocol=protocol, open_timeout=10) as c:
            results = await asyncio.gather(*(c.call("slow", [20, i], timeout=20)
                                             for i in range(1000)))
            assert results == list(range(1000))

    asyncio.run(main())


def test_asyncio_waits_at_max_outstanding_instead_of_failing(peer: Any) -> None:
    url, protocol = peer

    async def main() -> None:
        async with await rpc.connect_async(url, protocol=protocol, max_outstanding=4,
                                           open_timeout=10) as c:
            results = await asyncio.gather(*(c.call("slow", [10, i]) for i in range(40)))
            assert results == list(range(40))

    asyncio.run(main())


def test_asyncio_loss_and_close(peer: Any) -> None:
    url, protocol = peer

    async def main() -> None:
        c = await rpc.connect_async(url, protocol=protocol, open_timeout=10)
        pending = asyncio.ensure_future(c.call("slow", [5000, 1]))
        await asyncio.sleep(0.05)
        assert await c.call("drop", []) is True
        with pytest.raises(wsc.ConnectionClosedError) as info:
            await asyncio.wait_for(pending, 5)
        assert info.value.wsc_status == WSC_ELOST
        await c.close()
        with pytest.raises(wsc.ConnectionClosed):
            await c.call("add", [1, 2])

    asyncio.run(main())


def test_asyncio_close_ends_outstanding_calls_and_later_calls_fail(peer: Any) -> None:
    """Outcomes reach asyncio through the library's completion queue; the
    calls still out at close end with WSC_ECLOSED, in any order."""
    url, protocol = peer

    async def main() -> None:
        c = await rpc.connect_async(url, protocol=protocol, open_timeout=10)
        quick = [asyncio.ensure_future(c.call("add", [i, 1])) for i in range(200)]
        slow = [asyncio.ensure_future(c.call("slow", [5000, i])) for i in range(3)]
        assert await asyncio.gather(*quick) == [i + 1 for i in range(200)]
        await c.close()
        for pending in slow:
            with pytest.raises(wsc.ConnectionClosedError) as info:
                await asyncio.wait_for(pending, 5)
            assert info.value.wsc_status == WSC_ECLOSED
        with pytest.raises(wsc.ConnectionClosed):
            await c.call("add", [1, 2])

    asyncio.run(main())


def test_asyncio_connect_failure() -> None:
    async def main() -> None:
        with pytest.raises(wsc.ConnectError):
            await rpc.connect_async("ws://127.0.0.1:1/", open_timeout=5)

    asyncio.run(main())


# --- the protobuf envelope -------------------------------------------------------------
@pytest.fixture
def protobuf_url() -> Iterator[str]:
    pytest.importorskip("google.protobuf")
    p = Peer(["/usr/bin/python3", str(PEERS / "protobuf_rpc_peer.py")], r"^PORT (\d+)")
    yield "ws://127.0.0.1:%d/" % p.port
    p.stop()


def test_protobuf_envelope_calls_errors_and_handlers(protobuf_url: str) -> None:
    from google.protobuf import struct_pb2, wrappers_pb2

    def numbers(*values: float) -> struct_pb2.ListValue:
        params = struct_pb2.ListValue()
        params.extend(values)
        return params

    with rpc.connect(protobuf_url, protocol=rpc.PROTOBUF, open_timeout=10) as c:
        assert struct_pb2.Value.FromString(c.call("add", numbers(2, 3))).number_value == 5
        with pytest.raises(wsc.RemoteError) as info:
            c.call("fail", b"")
        assert (info.value.code, info.value.message) == (42, "nope")
        assert wrappers_pb2.StringValue.FromString(info.value.data).value == "asked to"
        with pytest.raises(wsc.RemoteError) as info:
            c.call("no.such.type")
        assert info.value.code == -32601

        c.on("client.double", lambda p: struct_pb2.Value(
            number_value=struct_pb2.ListValue.FromString(p)[0] * 2))
        ask = struct_pb2.ListValue()
        ask.extend(["client.double", 21])
        answer = struct_pb2.Struct.FromString(c.call("ask_client", ask, timeout=5))
        assert answer["result"] == 42

        futures = [c.call_future("echo", numbers(i)) for i in range(1000)]
        for i, f in enumerate(futures):
            assert struct_pb2.ListValue.FromString(f.result(20))[0] == i
