// WebSocket echo server on Node `ws` with permessage-deflate, for wsc tests.
// Every message is compressed (threshold 0) unless the path says otherwise.
//
// Options (each also accepted by the server's side of the negotiation):
//   --server-max-window-bits N   compress with at most 2^N
//   --client-max-window-bits N   make the client compress with at most 2^N
//   --server-no-context-takeover
//   --client-no-context-takeover
//
// Paths:
//   /params                one text message, the negotiated parameters as
//                          JSON (ws's names), then echo
//   /fragments/<k>         echo every message as k compressed fragments
//                          (send(..., {fin: false, compress: true}), then
//                          continuation frames)
//   /ping-fragments/<k>    the same with a ping between fragments; a text
//                          message "pongs?" is answered with "pongs=<n>",
//                          the pongs received so far
//   /uncompressed          echo every message uncompressed (RSV1 clear)
//   anything else          echo, compressed
//
// Prints "PORT <n>" once listening; exits on SIGTERM or when stdin closes
// (the test went away), like the other peers.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const { serveUntilStdinEnds } = require('./peer_lifecycle');

const flags = new Set();
const values = {};
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].replace(/^--/, '');
  if (name.endsWith('-bits')) values[name] = Number(process.argv[++i]);
  else flags.add(name);
}

// Options left out unless asked for: ws refuses an offer of
// server_no_context_takeover when serverNoContextTakeover is false.
const perMessageDeflate = { threshold: 0 };
if (flags.has('server-no-context-takeover')) perMessageDeflate.serverNoContextTakeover = true;
if (flags.has('client-no-context-takeover')) perMessageDeflate.clientNoContextTakeover = true;
if (values['server-max-window-bits']) perMessageDeflate.serverMaxWindowBits = values['server-max-window-bits'];
if (values['client-max-window-bits']) perMessageDeflate.clientMaxWindowBits = values['client-max-window-bits'];

// Sends `data` as `k` fragments; `between` runs before every fragment but
// the first (ws queues it behind the compression of the fragment before).
function sendFragments(ws, data, isBinary, k, between) {
  const step = Math.ceil(data.length / k) || 1;
  for (let i = 0; i < k; i++) {
    if (i > 0 && between) between();
    const piece = data.subarray(Math.min(i * step, data.length), Math.min((i + 1) * step, data.length));
    ws.send(piece, { binary: isBinary, compress: true, fin: i === k - 1 });
  }
}

const server = http.createServer();
const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 * 1024, perMessageDeflate });
wss.on('connection', (ws, req) => {
  const parts = req.url.split('/');
  const mode = parts[1];
  const k = Math.max(1, Number(parts[2]) || 1);
  let pongs = 0;
  ws.on('pong', () => pongs++);
  if (mode === 'params') {
    const ext = ws._extensions['permessage-deflate'];
    ws.send(JSON.stringify(ext ? ext.params : {}));
  }
  ws.on('message', (data, isBinary) => {
    if (mode === 'fragments') sendFragments(ws, data, isBinary, k);
    else if (mode === 'ping-fragments') {
      if (!isBinary && data.toString() === 'pongs?') ws.send(`pongs=${pongs}`);
      else sendFragments(ws, data, isBinary, k, () => ws.ping('between'));
    } else ws.send(data, { binary: isBinary, compress: mode !== 'uncompressed' });
  });
});
serveUntilStdinEnds(server, wss);
