// Mutual-TLS WebSocket echo server on Node `ws` over https, for wsc tests.
// Requires a client certificate signed by --ca. Prints "PORT <n>" once
// listening; exits on SIGTERM or when stdin closes (the test went away).
'use strict';
const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');
const { serveUntilStdinEnds } = require('./peer_lifecycle');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const server = https.createServer({
  cert: fs.readFileSync(args.cert),
  key: fs.readFileSync(args.key),
  ca: fs.readFileSync(args.ca),
  requestCert: true,
  rejectUnauthorized: true,
});
const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws, req) => {
  const peer = req.socket.getPeerCertificate();
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'whoami') ws.send(peer.subject ? peer.subject.CN : '');
    else ws.send(data, { binary: isBinary });
  });
});
serveUntilStdinEnds(server, wss);
