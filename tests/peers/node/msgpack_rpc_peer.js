// MessagePack-RPC peer for the wsc RPC tests: Node `ws` and the npm
// `@msgpack/msgpack` codec, the protocol written from its spec
// (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md), one
// message per binary frame: [0, msgid, method, params],
// [1, msgid, error, result], [2, method, params]. Listens on 127.0.0.1 and
// an ephemeral port, printed as "PORT <n>"; exits at EOF on stdin.
//
// The methods are those of tests/peers/msgpack_rpc_peer.py, so a test can
// run against both: add, echo, fail (error [42, "nope"]), slow [ms, value],
// ask_client [method, params] (calls the client back; answers
// {result: r} or {error: e}), notify_me [method, params], note
// (notification, recorded) and notes, drop (TCP ends without a Close).
'use strict';
const { WebSocketServer } = require('ws');
const { encode, decode } = require('@msgpack/msgpack');

const REQUEST = 0;
const RESPONSE = 1;
const NOTIFICATION = 2;

class Failure extends Error {
  constructor(error) {
    super(String(error));
    this.error = error;
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 << 20 });

wss.on('connection', (socket) => {
  const notes = [];
  const waiting = new Map();
  let nextId = 1;
  const send = (message) => socket.send(encode(message), { binary: true });

  const callClient = (method, params) => new Promise((resolve, reject) => {
    const msgid = nextId++;
    const timer = setTimeout(() => { waiting.delete(msgid); reject(new Error('no answer')); }, 5000);
    waiting.set(msgid, (error, result) => {
      clearTimeout(timer);
      resolve(error !== null && error !== undefined ? { error } : { result });
    });
    send([REQUEST, msgid, method, params]);
  });

  const methods = {
    add: ([a, b]) => a + b,
    echo: (params) => params,
    fail: () => { throw new Failure([42, 'nope']); },
    slow: ([ms, value]) => new Promise((resolve) => setTimeout(() => resolve(value), ms)),
    ask_client: ([method, params]) => callClient(method, params),
    notify_me: ([method, params]) => { send([NOTIFICATION, method, params]); return true; },
    notes: () => notes,
    drop: () => { setTimeout(() => socket.terminate(), 10); return true; },
  };

  const answer = async (msgid, method, params) => {
    try {
      const fn = methods[method];
      if (!fn) throw new Failure(`method not found: ${method}`);
      send([RESPONSE, msgid, null, await fn(params)]);
    } catch (e) {
      send([RESPONSE, msgid, e instanceof Failure ? e.error : String(e), null]);
    }
  };

  socket.on('message', (data) => {
    const message = decode(data);
    const kind = message[0];
    if (kind === REQUEST) {
      answer(message[1], message[2], message[3]);
    } else if (kind === NOTIFICATION && message[1] === 'note') {
      notes.push(message[2]);
    } else if (kind === RESPONSE && waiting.has(message[1])) {
      const done = waiting.get(message[1]);
      waiting.delete(message[1]);
      done(message[2], message[3]);
    }
  });
});

wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
