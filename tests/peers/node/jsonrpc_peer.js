// JSON-RPC 2.0 peer for the wsc RPC tests: the npm `json-rpc-2.0` library
// (server and client on one socket) behind Node `ws`, on 127.0.0.1 and an
// ephemeral port, printed as "PORT <n>". Besides plain methods it can call
// the client back, notify it, send it raw frames (hostile payloads) and
// drop or close the connection, each on request.
'use strict';
const { WebSocketServer } = require('ws');
const {
  JSONRPCServer, JSONRPCClient, JSONRPCServerAndClient, JSONRPCErrorException,
} = require('json-rpc-2.0');

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 << 20 });

wss.on('connection', (socket) => {
  const peer = new JSONRPCServerAndClient(
    new JSONRPCServer(),
    new JSONRPCClient((request) => socket.send(JSON.stringify(request))));
  const notes = [];
  const add = (name, fn) => peer.addMethod(name, fn);

  add('echo', (params) => params);
  add('add', ([a, b]) => a + b);
  add('fail', () => { throw new JSONRPCErrorException('nope', 42, { why: 'asked to' }); });
  add('slow', ([ms, value]) => new Promise((resolve) => setTimeout(() => resolve(value), ms)));
  // Calls a method of the client and answers what the client answered.
  add('ask_client', async ([method, params]) => {
    try {
      return { result: await peer.request(method, params) };
    } catch (e) {
      return { code: e.code, message: e.message, data: e.data };
    }
  });
  add('notify_me', ([method, params]) => { peer.notify(method, params); return true; });
  add('note', (params) => { notes.push(params); });
  add('notes', () => notes);
  // Raw frames first, then the answer: the client must still be up to get it.
  add('raw', (frames) => { for (const f of frames) socket.send(f); return true; });
  add('raw_binary', (frames) => {
    for (const f of frames) socket.send(Buffer.from(f), { binary: true });
    return true;
  });
  add('drop', () => { setTimeout(() => socket.terminate(), 10); return true; });
  add('close', () => { setTimeout(() => socket.close(1000, 'asked to'), 10); return true; });

  socket.on('message', (data, isBinary) => {
    let payload;
    try {
      payload = JSON.parse(data.toString());
    } catch (e) {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: null,
                                   error: { code: -32700, message: 'Parse error' } }));
      return;
    }
    peer.receiveAndSend(payload).catch(() => {});
  });
  socket.on('close', () => peer.rejectAllPendingRequests('connection closed'));
});

wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
