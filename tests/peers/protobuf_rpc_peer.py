#!/usr/bin/python3
"""Protobuf envelope RPC peer for the wsc RPC tests, on Debian's
python3-websockets and python3-protobuf. It compiles the project's
proto/wsc_envelope.proto with protoc --python_out into a temporary directory
at start, so it speaks the same schema as the library, one Envelope per
binary frame.

Payloads are protobuf well-known types (google.protobuf.ListValue for
params, google.protobuf.Value for results) so a test in any language can
build them from its protobuf runtime. Listens on 127.0.0.1 and an ephemeral
port, prints "PORT <n>", serves until SIGTERM or EOF on stdin. Types:
add [a, b] -> a + b; echo (payload returned as is); fail (ERROR 42 "nope",
payload StringValue "asked to"); slow [ms, value]; ask_client [type, value]
(REQUEST type with params [value] to the client; answers a Struct
{"result": Value} or {"code", "message"}); notify_me [type, value] (EVENT
type with [value]); note (EVENT, recorded) and notes (ListValue of the
recorded ListValues); raw (a BytesValue) / raw_text (a StringValue): that
one frame, sent before the answer; drop (TCP ends without a Close); anything else: ERROR
-32601.
"""
import asyncio
import atexit
import os
import shutil
import subprocess
import sys
import tempfile

from google.protobuf import struct_pb2, wrappers_pb2

from peer_stdin import serve_sessions

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def compile_envelope():
    out = tempfile.mkdtemp(prefix="wsc-proto-")
    atexit.register(shutil.rmtree, out, True)
    subprocess.run(["protoc", "--proto_path=" + PROTO_DIR, "--python_out=" + out,
                    os.path.join(PROTO_DIR, "wsc_envelope.proto")], check=True)
    sys.path.insert(0, out)
    import wsc_envelope_pb2
    return wsc_envelope_pb2.Envelope


Envelope = compile_envelope()


class Failure(Exception):
    def __init__(self, code, message, data=b""):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def values(payload):
    params = struct_pb2.ListValue()
    params.ParseFromString(payload)
    return [v for v in params]


def value_bytes(value):
    """A google.protobuf.Value holding a Python value, serialized."""
    holder = struct_pb2.ListValue()
    holder.append(value)
    return holder.values[0].SerializeToString()


def native(value_message):
    """The Python value of a google.protobuf.Value."""
    holder = struct_pb2.ListValue()
    holder.values.add().CopyFrom(value_message)
    return holder[0]


class Session:
    def __init__(self, ws):
        self.ws = ws
        self.notes = []
        self.next_id = 1
        self.waiting = {}

    async def send(self, **fields):
        await self.ws.send(Envelope(**fields).SerializeToString())

    async def call_client(self, type_name, value):
        msgid = self.next_id
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting[msgid] = future
        params = struct_pb2.ListValue()
        params.append(value)
        await self.send(kind=Envelope.REQUEST, id=msgid, type=type_name,
                        payload=params.SerializeToString())
        answer = await asyncio.wait_for(future, 5)
        if answer.kind == Envelope.ERROR:
            return {"code": answer.error_code, "message": answer.error_message}
        result = struct_pb2.Value()
        result.ParseFromString(answer.payload)
        return {"result": native(result)}

    async def run(self, type_name, payload):
        if type_name == "add":
            a, b = values(payload)
            return value_bytes(a + b)
        if type_name == "echo":
            return payload
        if type_name == "fail":
            raise Failure(42, "nope", wrappers_pb2.StringValue(value="asked to").SerializeToString())
        if type_name == "slow":
            ms, value = values(payload)
            await asyncio.sleep(ms / 1000)
            return value_bytes(value)
        if type_name == "ask_client":
            type_name, value = values(payload)
            answer = await self.call_client(type_name, value)
            s = struct_pb2.Struct()
            s.update(answer)
            return s.SerializeToString()
        if type_name == "notify_me":
            type_name, value = values(payload)
            params = struct_pb2.ListValue()
            params.append(value)
            await self.send(kind=Envelope.EVENT, type=type_name, payload=params.SerializeToString())
            return value_bytes(True)
        if type_name == "notes":
            notes = struct_pb2.ListValue()
            for note in self.notes:
                notes.values.add().list_value.ParseFromString(note)
            return notes.SerializeToString()
        if type_name == "raw":
            await self.ws.send(wrappers_pb2.BytesValue.FromString(payload).value)
            return value_bytes(True)
        if type_name == "raw_text":
            await self.ws.send(wrappers_pb2.StringValue.FromString(payload).value)
            return value_bytes(True)
        if type_name == "drop":
            asyncio.get_running_loop().call_later(0.01, self.ws.transport.abort)
            return value_bytes(True)
        raise Failure(-32601, "Method not found: %s" % type_name)

    async def answer(self, msgid, type_name, payload):
        try:
            result = await self.run(type_name, payload)
            await self.send(kind=Envelope.RESPONSE, id=msgid, payload=result)
        except Failure as f:
            await self.send(kind=Envelope.ERROR, id=msgid, error_code=f.code,
                            error_message=f.message, payload=f.data)

    async def serve(self):
        async for frame in self.ws:
            e = Envelope()
            e.ParseFromString(frame)
            if e.kind == Envelope.REQUEST:
                asyncio.create_task(self.answer(e.id, e.type, e.payload))
            elif e.kind == Envelope.EVENT and e.type == "note":
                self.notes.append(e.payload)
            elif e.kind in (Envelope.RESPONSE, Envelope.ERROR) and e.id in self.waiting:
                self.waiting.pop(e.id).set_result(e)


if __name__ == "__main__":
    serve_sessions(Session)
