#!/usr/bin/python3
"""MessagePack-RPC peer for the wsc RPC tests, written from the spec
(https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md) on Debian's
python3-websockets and python3-msgpack, one message per binary frame:
[0, msgid, method, params], [1, msgid, error, result], [2, method, params].

Listens on 127.0.0.1 and an ephemeral port, prints "PORT <n>", and serves
until SIGTERM or EOF on stdin. Methods: add, echo, fail (error [42, "nope"]),
slow [ms, value], ask_client [method, params] (calls the client back and
answers {"result": r} or {"error": e}), notify_me [method, params], note
(notification, recorded) and notes, raw [bytes...] / raw_text [str...]
(sent as frames before the answer), drop (TCP ends without a Close).
"""
import asyncio

import msgpack

from peer_stdin import serve_sessions

REQUEST, RESPONSE, NOTIFICATION = 0, 1, 2


class Session:
    def __init__(self, ws):
        self.ws = ws
        self.notes = []
        self.next_id = 1
        self.waiting = {}

    async def send(self, message):
        await self.ws.send(msgpack.packb(message, use_bin_type=True))

    async def call_client(self, method, params):
        msgid = self.next_id
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting[msgid] = future
        await self.send([REQUEST, msgid, method, params])
        error, result = await asyncio.wait_for(future, 5)
        return {"error": error} if error is not None else {"result": result}

    async def run(self, method, params):
        if method == "add":
            return params[0] + params[1]
        if method == "echo":
            return params
        if method == "fail":
            raise RpcFailure([42, "nope"])
        if method == "slow":
            await asyncio.sleep(params[0] / 1000)
            return params[1]
        if method == "ask_client":
            return await self.call_client(params[0], params[1])
        if method == "notify_me":
            await self.send([NOTIFICATION, params[0], params[1]])
            return True
        if method == "notes":
            return self.notes
        if method == "raw":
            for frame in params:
                await self.ws.send(bytes(frame))
            return True
        if method == "raw_text":
            for frame in params:
                await self.ws.send(frame)
            return True
        if method == "drop":
            asyncio.get_running_loop().call_later(0.01, self.ws.transport.abort)
            return True
        raise RpcFailure("method not found: %s" % method)

    async def answer(self, msgid, method, params):
        try:
            await self.send([RESPONSE, msgid, None, await self.run(method, params)])
        except RpcFailure as failure:
            await self.send([RESPONSE, msgid, failure.error, None])

    async def serve(self):
        async for frame in self.ws:
            message = msgpack.unpackb(frame, raw=False)
            kind = message[0]
            if kind == REQUEST:
                asyncio.create_task(self.answer(message[1], message[2], message[3]))
            elif kind == NOTIFICATION and message[1] == "note":
                self.notes.append(message[2])
            elif kind == RESPONSE and message[1] in self.waiting:
                self.waiting.pop(message[1]).set_result((message[2], message[3]))


class RpcFailure(Exception):
    def __init__(self, error):
        super().__init__(error)
        self.error = error


if __name__ == "__main__":
    serve_sessions(Session)
